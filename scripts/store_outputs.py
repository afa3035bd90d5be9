#!/usr/bin/env python
"""Re-execute lessons and store their outputs, always the same way (the one way outputs are made).

    .venv/bin/python scripts/store_outputs.py notebooks/09_action_localization.ipynb [...]
    .venv/bin/python scripts/store_outputs.py --all

Each notebook runs top to bottom in a fresh kernel of this Python, in its own folder, with the settings
the suite stores outputs with: **one CPU thread** (``VULIB_NUM_THREADS=1``), **the default seed**
(``VULIB_SEED`` removed from the environment), the inline matplotlib backend, and the machine's own CPU
kernels (``ATEN_CPU_CAPABILITY`` removed).  Widget state is saved in the notebook's metadata (the book draws
widgets from it).  A notebook is written only when every cell ran; the new file is written beside the old one
and moved over it, so a failure never leaves a half-written notebook.  The slide/folding metadata is then set
by rule (``scripts/notebook_meta.py``).

Stored outputs of trained or random numbers will still differ from another machine's in the last bits:
such cells are tagged ``nbval-ignore-output`` and assert their claims (see CONTRIBUTING.md, "Stored outputs").
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import notebook_meta  # noqa: E402  (scripts/ is not a package)

TIMEOUT_S = 600


def storage_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment outputs are stored with: one thread, default seed, the machine's own kernels."""
    env = dict(os.environ if base is None else base)
    for name in ("VULIB_SEED", "ATEN_CPU_CAPABILITY", "PYTEST_XDIST_WORKER_COUNT", "VULIB_RECORD_CLAIMS"):
        env.pop(name, None)
    env["VULIB_NUM_THREADS"] = "1"
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    env["PYTHONHASHSEED"] = "0"
    return env


def store(path: Path) -> float:
    """Execute ``path`` in a fresh kernel and write it back with its outputs; returns the seconds it took."""
    nb = nbformat.read(path, as_version=4)
    saved_env = dict(os.environ)
    os.environ.clear()
    os.environ.update(storage_env(saved_env))  # the kernel inherits this process's environment
    try:
        start = time.perf_counter()
        NotebookClient(
            nb,
            timeout=TIMEOUT_S,
            kernel_name="python3",
            store_widget_state=True,
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
        took = time.perf_counter() - start
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
    notebook_meta.apply(nb)
    notebook_meta.apply_alt_text(nb, path.name)  # the figures' text alternatives (notebooks/alt_text.toml)
    tmp = path.with_suffix(".ipynb.tmp")
    tmp.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    tmp.replace(path)  # atomic on one file system: never half-written
    return took


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebooks", nargs="*", type=Path)
    ap.add_argument("--all", action="store_true", help="every notebooks/NN_*.ipynb")
    args = ap.parse_args(argv)
    paths = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")) if args.all else args.notebooks
    if not paths:
        ap.error("name the notebooks to store, or pass --all")
    for p in paths:
        if not p.is_file() or p.suffix != ".ipynb":
            ap.error(f"not a notebook file: {p}")
    for p in paths:
        print(f"{p.name}: running with one thread and the default seed ...", flush=True)
        print(f"{p.name}: stored ({store(p.resolve()):.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
