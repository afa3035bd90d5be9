#!/usr/bin/env python
"""Time each course notebook in a fresh kernel and report its memory, at its peak and at its end.

    .venv/bin/python scripts/benchmark_notebooks.py [NOTEBOOK ...] [options]

Runs the notebooks one at a time (default: notebooks/*.ipynb), each in a new
kernel of this Python (so vulib imports), and prints a markdown table: wall time
(kernel start included), the kernel's peak resident memory, its resident memory
once the last cell has run (what a kernel left open keeps holding), PASS/FAIL,
and whether the notebook keeps to the course budget (60 s, 1.5 GB).

  --memory-cap 2G     run each notebook (kernel included) in a cgroup v1 memory
                      controller limited like Binder; needs root and
                      /sys/fs/cgroup/memory.  A kernel killed there is a FAIL.
  --learner-path      instead, walk the notebooks in order as a learner does, all in
                      ONE cgroup (--memory-cap, default 2G): once with each kernel
                      ended when the next notebook starts (what closing a tab does
                      with the course's Jupyter settings), and once with the previous
                      kernel still alive while the next notebook runs (two kernels at
                      once: the worst case of one tab left open).  Reports the
                      cgroup's peak and the largest sum of live kernels' memory.
  --alive N           with --learner-path: only the scenario with N earlier kernels
                      kept alive (0 or 1 are the two reported by default).
  --markdown-out F    also write the table into F, between the markers
                      <!-- benchmarks:start --> and <!-- benchmarks:end --> (with
                      --learner-path: <!-- learner-path:start --> ... :end -->).
  --seed N / --threads N   set VULIB_SEED / VULIB_NUM_THREADS for the kernels.

Memory is read from /proc (Linux): peak = the kernel's VmHWM, end = its VmRSS after
the last cell.  Exit status: 0 when every notebook passes within budget (and, for the
learner path, every scenario stays under the cap), 1 otherwise.
This is a measuring tool: it is never part of the test suite's timed checks.
"""

import argparse
import asyncio
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET_S, BUDGET_MB = 60, 1.5 * 1024
CGROUP_MEMORY = Path("/sys/fs/cgroup/memory")
MARKERS = {
    "single": ("<!-- benchmarks:start -->", "<!-- benchmarks:end -->"),
    "path": ("<!-- learner-path:start -->", "<!-- learner-path:end -->"),
}


def parse_size(text):
    """'2G' -> bytes (K, M, G, T are powers of 1024)."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]?)i?B?", text.strip(), re.IGNORECASE)
    if not m:
        raise ValueError(f"not a size: {text!r} (try 2G or 1536M)")
    return int(float(m[1]) * 1024 ** " KMGT".index(m[2].upper() or " "))


def proc_status_mb(pid, field):
    """VmRSS / VmHWM of a process in MiB, from /proc (None when it cannot be read)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    m = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    return int(m[1]) / 1024 if m else None


# ---------------------------------------------------------------- worker side
async def run_path(notebooks, keep_alive, cgroup, timeout):
    """Execute notebooks in order, each in a new kernel; keep the last ``keep_alive`` kernels
    alive while the next one runs.  Returns one row per notebook and the largest sum of
    live kernels' resident memory seen at the end of a notebook."""
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient
    from traitlets import default

    class ThisPython(KernelSpecManager):
        """Always this interpreter's ipykernel, whatever python3 spec is around."""

        def get_kernel_spec(self, kernel_name):
            return self.kernel_spec_class(
                resource_dir="",
                display_name="Python 3",
                language="python",
                argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            )

    class ThisPythonKernel(AsyncKernelManager):
        @default("kernel_spec_manager")
        def _this_python(self):
            return ThisPython()

    alive, rows, worst_sum = [], [], 0.0
    for notebook in notebooks:
        while len(alive) > keep_alive:  # "close the tab" of the oldest notebook
            await alive.pop(0)._async_cleanup_kernel()
        nb = nbformat.read(notebook, as_version=4)
        client = NotebookClient(
            nb,
            kernel_name="python3",
            kernel_manager_class=ThisPythonKernel,
            timeout=timeout,
            resources={"metadata": {"path": str(Path(notebook).parent)}},
        )
        error, pid = None, None
        t0 = time.perf_counter()
        try:
            await client.async_execute(cleanup_kc=False)
        except Exception as exc:  # CellExecutionError, DeadKernelError, CellTimeoutError...
            error = type(exc).__name__ + (f": {exc.ename}" if getattr(exc, "ename", None) else "")
        wall = time.perf_counter() - t0
        process = getattr(getattr(client.km, "provisioner", None), "process", None) if client.km else None
        pid = getattr(process, "pid", None)
        row = {
            "notebook": Path(notebook).name,
            "wall": wall,
            "error": error,
            "peak_mb": proc_status_mb(pid, "VmHWM") if pid else None,
            "end_mb": proc_status_mb(pid, "VmRSS") if pid else None,
            "end_private_mb": proc_status_mb(pid, "RssAnon") if pid else None,
        }
        if cgroup:
            row["cgroup_now_mb"] = int(Path(cgroup, "memory.usage_in_bytes").read_text()) / 2**20
        rows.append(row)
        if client.km is not None:
            alive.append(client)
        live = [
            proc_status_mb(getattr(c.km.provisioner.process, "pid", 0), "VmRSS")
            for c in alive
            if c.km and getattr(c.km, "provisioner", None) and c.km.provisioner.process
        ]
        worst_sum = max(worst_sum, sum(m for m in live if m))
    for client in alive:
        await client._async_cleanup_kernel()
    return rows, worst_sum


def worker(spec_file):
    """Entry point of the child process started by :func:`run_in_cgroup`."""
    spec = json.loads(Path(spec_file).read_text())
    if spec["cgroup"]:  # join the cgroup first: the kernels started below inherit it
        Path(spec["cgroup"], "cgroup.procs").write_text(str(os.getpid()))
    rows, worst_sum = asyncio.run(run_path(spec["notebooks"], spec["keep_alive"], spec["cgroup"], spec["timeout"]))
    Path(spec["result"]).write_text(json.dumps({"rows": rows, "worst_sum_mb": worst_sum}))


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


def run_in_cgroup(notebooks, keep_alive, args, env):
    """Run a path of notebooks in a child process (in a new capped cgroup when asked).
    Returns (rows, extra) where extra holds the cgroup peak and the worst sum of live kernels."""
    cg = make_cgroup(args.memory_cap) if args.memory_cap else None
    extra = {}
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp, "spec.json")
        result = Path(tmp, "result.json")
        spec.write_text(
            json.dumps(
                {
                    "notebooks": [str(n) for n in notebooks],
                    "keep_alive": keep_alive,
                    "cgroup": str(cg or ""),
                    "timeout": args.timeout,
                    "result": str(result),
                }
            )
        )
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, __file__, "--worker", str(spec)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        if result.exists():
            out = json.loads(result.read_text())
            rows, extra["worst_sum_mb"] = out["rows"], out["worst_sum_mb"]
        else:  # the runner itself died (e.g. killed by the cap)
            sys.stderr.write(proc.stdout[-2000:])
            rows = [
                {
                    "notebook": Path(notebooks[0]).name if len(notebooks) == 1 else "(path)",
                    "wall": time.perf_counter() - t0,
                    "peak_mb": None,
                    "end_mb": None,
                    "error": f"runner exited with status {proc.returncode}",
                }
            ]
    if cg:
        extra["cgroup_peak_mb"] = int((cg / "memory.max_usage_in_bytes").read_text()) / 2**20
        oom = re.search(r"oom_kill (\d+)", (cg / "memory.oom_control").read_text())
        extra["oom_kills"] = int(oom[1]) if oom else 0
        for row in rows:
            if row["error"] and extra["oom_kills"]:
                row["error"] += f" (killed by the {args.memory_cap_text} memory cap)"
        remove_cgroup(cg)
    return rows, extra


def _mb(x):
    return "?" if x is None else f"{x:.0f}"


def header(args):
    return (
        f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; memory cap: {args.memory_cap_text or 'none'}; "
        f"VULIB_SEED={args.seed if args.seed is not None else '(default)'}; "
        f"VULIB_NUM_THREADS={args.threads if args.threads is not None else '(default)'}. "
        f"Wall time includes kernel start; MB = MiB; end RSS = the kernel's resident memory after "
        f"its last cell, and of it the private part (RssAnon: not the shared libraries, which every "
        f"kernel maps once; what a kernel left open really keeps from others)."
    )


def table(rows, args):
    capped = bool(args.memory_cap)
    lines = [
        header(args),
        "",
        "| notebook | wall (s) | peak RSS (MB) | end RSS (MB) | end private (MB) |"
        + (" cgroup peak (MB) |" if capped else "")
        + f" result | ≤ {BUDGET_S} s | ≤ 1.5 GB |",
        "|---|---:|---:|---:|---:|" + ("---:|" if capped else "") + "---|:-:|:-:|",
    ]
    for r in rows:
        mb = r["peak_mb"]
        lines.append(
            f"| {r['notebook']} | {r['wall']:.1f} | {_mb(mb)} | {_mb(r['end_mb'])} | {_mb(r.get('end_private_mb'))} |"
            + (f" {_mb(r.get('cgroup_peak_mb'))} |" if capped else "")
            + (" PASS |" if not r["error"] else f" FAIL: {r['error']} |")
            + (" ok |" if r["wall"] <= BUDGET_S else " OVER |")
            + (" ? |" if mb is None else " ok |" if mb <= BUDGET_MB else " OVER |")
        )
    return "\n".join(lines) + "\n"


def path_table(scenarios, args):
    """One row per learner-path scenario, then the notebooks of each."""
    cap_mb = args.memory_cap / 2**20
    lines = [
        header(args),
        "",
        "| scenario | notebooks | cgroup peak (MB) | largest sum of live kernels (MB) | margin to the cap (MB) "
        "| result |",
        "|---|---|---:|---:|---:|---|",
    ]
    for name, rows, extra in scenarios:
        failed = [r for r in rows if r["error"]]
        peak = extra.get("cgroup_peak_mb")
        lines.append(
            f"| {name} | {rows[0]['notebook'][:2]}–{rows[-1]['notebook'][:2]} ({len(rows)}) | {_mb(peak)} | "
            f"{_mb(extra.get('worst_sum_mb'))} | {_mb(None if peak is None else cap_mb - peak)} | "
            + ("PASS" if not failed else "FAIL: " + "; ".join(f"{r['notebook']}: {r['error']}" for r in failed))
            + " |"
        )
    lines += [
        "",
        "Per notebook on the path (end RSS = what its kernel holds when the next one starts):",
        "",
        "| notebook | "
        + " | ".join(f"{name}: end RSS / private / cgroup after (MB)" for name, _, _ in scenarios)
        + " |",
        "|---|" + "---:|" * len(scenarios),
    ]
    names = [r["notebook"] for r in scenarios[0][1]]
    for i, nb in enumerate(names):
        cells = []
        for _, rows, _ in scenarios:
            r = rows[i] if i < len(rows) else None
            cells.append(
                "—"
                if r is None
                else f"{_mb(r['end_mb'])} / {_mb(r.get('end_private_mb'))} / {_mb(r.get('cgroup_now_mb'))}"
            )
        lines.append(f"| {nb} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_markdown(path, text, which="single"):
    start, end = MARKERS[which]
    path = Path(path)
    block = f"{start}\n{text}{end}\n"
    old = path.read_text() if path.exists() else "# Notebook benchmarks\n\n"
    if start in old and end in old:
        new = old[: old.index(start)] + block + old[old.index(end) + len(end) :].lstrip("\n")
    else:
        new = old.rstrip("\n") + "\n\n" + block
    path.write_text(new)


SCENARIOS = {0: "one kernel at a time", 1: "two kernels alive"}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/*.ipynb")
    p.add_argument("--memory-cap", metavar="SIZE", help="e.g. 2G (cgroup v1, root)")
    p.add_argument(
        "--learner-path",
        action="store_true",
        help="run the notebooks in order in one capped cgroup (see the module docstring)",
    )
    p.add_argument("--alive", type=int, choices=(0, 1), help="with --learner-path: one scenario only")
    p.add_argument("--markdown-out", metavar="FILE")
    p.add_argument("--seed", type=int)
    p.add_argument("--threads", type=int)
    p.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = p.parse_args(argv)
    if args.learner_path and not args.memory_cap:
        args.memory_cap = "2G"
    args.memory_cap_text = args.memory_cap
    try:
        args.memory_cap = parse_size(args.memory_cap) if args.memory_cap else None
    except ValueError as exc:
        p.error(str(exc))
    notebooks = [Path(n).resolve() for n in args.notebooks] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not notebooks:
        sys.exit("no notebooks to run")
    env = dict(os.environ)
    if args.seed is not None:
        env["VULIB_SEED"] = str(args.seed)
    if args.threads is not None:
        env["VULIB_NUM_THREADS"] = str(args.threads)

    if args.learner_path:
        scenarios = []
        for keep in [args.alive] if args.alive is not None else [0, 1]:
            print(f"learner path, {SCENARIOS[keep]}: {len(notebooks)} notebooks ...", file=sys.stderr, flush=True)
            rows, extra = run_in_cgroup(notebooks, keep, args, env)
            scenarios.append((SCENARIOS[keep], rows, extra))
        text = path_table(scenarios, args)
        print(text, end="")
        if args.markdown_out:
            write_markdown(args.markdown_out, text, "path")
        ok = all(not r["error"] for _, rows, _ in scenarios for r in rows) and all(
            extra.get("oom_kills", 0) == 0 and len(rows) == len(notebooks) for _, rows, extra in scenarios
        )
        return 0 if ok else 1

    rows = []
    for nb in notebooks:
        print(f"running {nb} ...", file=sys.stderr, flush=True)
        (row,), extra = run_in_cgroup([nb], 0, args, env)
        row["cgroup_peak_mb"] = extra.get("cgroup_peak_mb")
        rows.append(row)
    text = table(rows, args)
    print(text, end="")
    if args.markdown_out:
        write_markdown(args.markdown_out, text)
    ok = all(
        not r["error"] and r["wall"] <= BUDGET_S and r["peak_mb"] is not None and r["peak_mb"] <= BUDGET_MB
        for r in rows
    )
    return 0 if ok else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        worker(sys.argv[2])
    else:
        sys.exit(main())
