#!/usr/bin/env python
"""Time each course notebook in a fresh kernel and report its peak memory.

    .venv/bin/python scripts/benchmark_notebooks.py [NOTEBOOK ...] [options]

Runs the notebooks one at a time (default: notebooks/*.ipynb), each in a new
kernel of this Python (so vulib imports), and prints a markdown table: wall time
(kernel start included), peak resident memory of the kernel process, PASS/FAIL,
and whether the notebook keeps to the course budget (60 s, 1.5 GB).

  --memory-cap 2G     run each notebook (kernel included) in a cgroup v1 memory
                      controller limited like Binder; needs root and
                      /sys/fs/cgroup/memory.  A kernel killed there is a FAIL.
  --markdown-out F    also write the table into F, between the markers
                      <!-- benchmarks:start --> and <!-- benchmarks:end -->.
  --seed N / --threads N   set VULIB_SEED / VULIB_NUM_THREADS for the kernels.

Exit status: 0 when every notebook passes within budget, 1 otherwise.
This is a measuring tool: it is never part of the test suite's timed checks.
"""

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET_S, BUDGET_MB = 60, 1.5 * 1024
CGROUP_MEMORY = Path("/sys/fs/cgroup/memory")
START, END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"


def parse_size(text):
    """'2G' -> bytes (K, M, G, T are powers of 1024)."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]?)i?B?", text.strip(), re.IGNORECASE)
    if not m:
        raise ValueError(f"not a size: {text!r} (try 2G or 1536M)")
    return int(float(m[1]) * 1024 ** " KMGT".index(m[2].upper() or " "))


# ---------------------------------------------------------------- worker side
def run_one(notebook, result_file, cgroup, timeout):
    """Execute one notebook (in a child process started by main()); write JSON."""
    if cgroup:  # join the cgroup first: the kernel started below inherits it
        Path(cgroup, "cgroup.procs").write_text(str(os.getpid()))
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient
    from traitlets import default

    class ThisPython(KernelSpecManager):
        """Always this interpreter's ipykernel, whatever python3 spec is around."""

        def get_kernel_spec(self, kernel_name):
            return self.kernel_spec_class(
                resource_dir="", display_name="Python 3", language="python",
                argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"])

    class ThisPythonKernel(AsyncKernelManager):
        @default("kernel_spec_manager")
        def _this_python(self):
            return ThisPython()

    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(nb, kernel_name="python3", kernel_manager_class=ThisPythonKernel,
                            timeout=timeout,
                            resources={"metadata": {"path": str(Path(notebook).parent)}})
    error = None
    t0 = time.perf_counter()
    try:
        client.execute()
    except Exception as exc:  # CellExecutionError, DeadKernelError, CellTimeoutError...
        error = type(exc).__name__ + (f": {exc.ename}" if getattr(exc, "ename", None) else "")
    wall = time.perf_counter() - t0
    # The kernel was this process's child and has been waited for, so the largest
    # peak resident set among terminated children is the kernel's (Linux: KiB).
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    Path(result_file).write_text(json.dumps(
        {"wall": wall, "peak_mb": peak_kib / 1024, "error": error}))


# ---------------------------------------------------------------- parent side
def make_cgroup(limit):
    """A fresh memory cgroup, nested inside this process's own one."""
    own = re.search(r"^\d+:memory:(.*)$", Path("/proc/self/cgroup").read_text(), re.M)
    parent = CGROUP_MEMORY / own[1].lstrip("/") if own else CGROUP_MEMORY
    if not (parent / "memory.limit_in_bytes").exists():
        sys.exit(f"--memory-cap needs a cgroup v1 memory controller at {parent}")
    cg = parent / f"vulib-bench-{os.getpid()}-{time.monotonic_ns()}"
    try:
        cg.mkdir()
    except OSError as exc:
        sys.exit(f"--memory-cap: cannot create {cg} ({exc}); it needs root")
    (cg / "memory.limit_in_bytes").write_text(str(limit))
    return cg


def remove_cgroup(cg):
    for _ in range(50):  # rmdir fails while the last tasks are still exiting
        try:
            cg.rmdir()
            return
        except OSError:
            time.sleep(0.1)


def benchmark(notebook, args, env):
    cg = make_cgroup(args.memory_cap) if args.memory_cap else None
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp, "result.json")
        cmd = [sys.executable, __file__, "--worker", str(notebook), str(out),
               str(cg or ""), str(args.timeout)]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        if out.exists():
            row = json.loads(out.read_text())
        else:  # the runner itself died (e.g. killed by the cap before the kernel)
            sys.stderr.write(proc.stdout[-2000:])
            row = {"wall": time.perf_counter() - t0, "peak_mb": None,
                   "error": f"runner exited with status {proc.returncode}"}
    if cg:
        row["cgroup_peak_mb"] = int((cg / "memory.max_usage_in_bytes").read_text()) / 2**20
        oom = re.search(r"oom_kill (\d+)", (cg / "memory.oom_control").read_text())
        if row["error"] and oom and int(oom[1]):
            row["error"] += f" (killed by the {args.memory_cap_text} memory cap)"
        remove_cgroup(cg)
    return row


def table(rows, args):
    capped = bool(args.memory_cap)
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; memory cap: {args.memory_cap_text or 'none'}; "
        f"VULIB_SEED={args.seed if args.seed is not None else '(default)'}; "
        f"VULIB_NUM_THREADS={args.threads if args.threads is not None else '(default)'}. "
        f"Wall time includes kernel start; MB = MiB.", "",
        "| notebook | wall (s) | peak RSS (MB) |" + (" cgroup peak (MB) |" if capped else "")
        + f" result | ≤ {BUDGET_S} s | ≤ 1.5 GB |",
        "|---|---:|---:|" + ("---:|" if capped else "") + "---|:-:|:-:|"]
    for name, r in rows:
        mb = r["peak_mb"]
        lines.append(
            f"| {name} | {r['wall']:.1f} | {'?' if mb is None else f'{mb:.0f}'} |"
            + (f" {r.get('cgroup_peak_mb', 0):.0f} |" if capped else "")
            + (" PASS |" if not r["error"] else f" FAIL: {r['error']} |")
            + (" ok |" if r["wall"] <= BUDGET_S else " OVER |")
            + (" ? |" if mb is None else " ok |" if mb <= BUDGET_MB else " OVER |"))
    return "\n".join(lines) + "\n"


def write_markdown(path, text):
    path = Path(path)
    block = f"{START}\n{text}{END}\n"
    old = path.read_text() if path.exists() else "# Notebook benchmarks\n\n"
    if START in old and END in old:
        new = old[:old.index(START)] + block + old[old.index(END) + len(END):].lstrip("\n")
    else:
        new = old.rstrip("\n") + "\n\n" + block
    path.write_text(new)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("notebooks", nargs="*", type=Path,
                   help="default: every notebooks/*.ipynb")
    p.add_argument("--memory-cap", metavar="SIZE", help="e.g. 2G (cgroup v1, root)")
    p.add_argument("--markdown-out", metavar="FILE")
    p.add_argument("--seed", type=int)
    p.add_argument("--threads", type=int)
    p.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = p.parse_args(argv)
    args.memory_cap_text = args.memory_cap
    try:
        args.memory_cap = parse_size(args.memory_cap) if args.memory_cap else None
    except ValueError as exc:
        p.error(str(exc))
    notebooks = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not notebooks:
        sys.exit("no notebooks to run")
    env = dict(os.environ)
    if args.seed is not None:
        env["VULIB_SEED"] = str(args.seed)
    if args.threads is not None:
        env["VULIB_NUM_THREADS"] = str(args.threads)
    rows = []
    for nb in notebooks:
        print(f"running {nb} ...", file=sys.stderr, flush=True)
        rows.append((Path(nb).name, benchmark(Path(nb).resolve(), args, env)))
    text = table(rows, args)
    print(text, end="")
    if args.markdown_out:
        write_markdown(args.markdown_out, text)
    ok = all(not r["error"] and r["wall"] <= BUDGET_S and r["peak_mb"] is not None
             and r["peak_mb"] <= BUDGET_MB for _, r in rows)
    return 0 if ok else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        nb, result, cgroup, timeout = sys.argv[2:6]
        run_one(nb, result, cgroup or None, int(timeout))
    else:
        sys.exit(main())
