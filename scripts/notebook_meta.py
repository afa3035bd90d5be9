"""Set each lesson's slide and folding metadata from its content, by rule, so it never drifts.

    python scripts/notebook_meta.py                 # every notebooks/NN_*.ipynb, rewritten in place
    python scripts/notebook_meta.py --check         # exit 1 and list the cells whose metadata differs
    python scripts/notebook_meta.py notebooks/08_x.ipynb

Only cell metadata changes (``slideshow.slide_type`` and ``jupyter.source_hidden``): sources and
outputs stay as they are, so a notebook needs no re-execution afterwards.  The rules (RISE in
JupyterLab and ``jupyter nbconvert --to slides`` both read ``slide_type``):

* the first cell (title, promise, learning goals) is a **slide**, the first code cell after it (the
  set-up) a **subslide**;
* a ``## `` heading starts a **slide**, a ``### `` heading or an ``**Exercise N.**`` paragraph a
  **subslide**;
* a code cell longer than ``LONG`` lines gets a **subslide** of its own;
* a code cell that asserts, right after another code cell (claim -> experiment -> assert), is a
  **fragment**: it appears on the next key press, after the result it checks;
* everything else continues the current slide (``-``).

The notebook's ``rise`` metadata picks RISE's ``white`` theme (its default, ``simple``, loads fonts
from Google: not offline) and lets long slides scroll.

A code cell whose first line is ``# draw: <what it draws>`` only draws (figure or widget plumbing):
it starts collapsed (``jupyter.source_hidden``); the book and the slides fold it behind
"Show code (<what it draws>)".  ``tests/test_notebook_meta.py`` runs ``--check``.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
LONG = 18
DRAW = re.compile(r"^#\s*draw:", re.IGNORECASE)
ASSERT = re.compile(r"^assert\b", re.MULTILINE)
RISE = {"theme": "white", "scroll": True}


def slide_types(nb) -> list[str]:
    """The slide type each cell should have."""
    types, seen_setup, prev = [], False, None
    for i, cell in enumerate(nb.cells):
        src = cell.source.lstrip()
        kind = "-"
        if i == 0:
            kind = "slide"
        elif cell.cell_type == "markdown":
            if src.startswith("## "):
                kind = "slide"
            elif src.startswith("### ") or re.match(r"\*\*Exercise \d+", src):
                kind = "subslide"
        elif cell.cell_type == "code":
            if not seen_setup:
                kind, seen_setup = "subslide", True
            elif len(cell.source.splitlines()) > LONG:
                kind = "subslide"
            elif ASSERT.search(cell.source) and prev == "code":
                kind = "fragment"
        types.append(kind)
        prev = cell.cell_type
    return types


def is_drawing(cell) -> bool:
    return cell.cell_type == "code" and bool(DRAW.match(cell.source.lstrip()))


def differences(nb) -> list[str]:
    """What :func:`apply` would change, one line per cell."""
    out = []
    have_rise = dict(nb.metadata.get("rise", {}))
    if {k: have_rise.get(k) for k in RISE} != RISE:
        out.append(f"notebook: rise {have_rise} -> {RISE}")
    for i, (cell, kind) in enumerate(zip(nb.cells, slide_types(nb))):
        have = cell.metadata.get("slideshow", {}).get("slide_type")
        if have != kind:
            out.append(f"cell {i}: slide_type {have!r} -> {kind!r}")
        hidden = bool(cell.metadata.get("jupyter", {}).get("source_hidden", False))
        if hidden != is_drawing(cell):
            out.append(f"cell {i}: source_hidden {hidden} -> {is_drawing(cell)}")
    return out


def apply(nb) -> None:
    """Set the metadata in place."""
    nb.metadata["rise"] = {**dict(nb.metadata.get("rise", {})), **RISE}
    for cell, kind in zip(nb.cells, slide_types(nb)):
        cell.metadata["slideshow"] = {"slide_type": kind}
        jupyter = dict(cell.metadata.get("jupyter", {}))
        if is_drawing(cell):
            jupyter["source_hidden"] = True
        else:
            jupyter.pop("source_hidden", None)
        if jupyter:
            cell.metadata["jupyter"] = jupyter
        else:
            cell.metadata.pop("jupyter", None)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebooks", nargs="*", type=Path)
    ap.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook differs")
    args = ap.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    bad = 0
    for path in paths:
        nb = nbformat.read(path, 4)
        diff = differences(nb)
        if not diff:
            continue
        if args.check:
            bad += 1
            print(f"{path}: {len(diff)} cells differ from the rules:\n  " + "\n  ".join(diff[:10]))
        else:
            apply(nb)
            text = nbformat.writes(nb) + "\n"
            tmp = path.with_suffix(".ipynb.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)  # never half-written
            print(f"{path}: {len(diff)} cells updated")
    if bad:
        print("run: python scripts/notebook_meta.py  (metadata only; no re-execution needed)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
