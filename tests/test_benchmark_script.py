"""scripts/benchmark_notebooks.py runs notebooks and reports them (no timing asserted)."""

import subprocess
import sys
from pathlib import Path

import nbformat

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "benchmark_notebooks.py"


def notebook(path, *sources):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nbformat.write(nb, path)
    return str(path)


def test_benchmark_reports_pass_and_fail(tmp_path):
    good = notebook(tmp_path / "good.ipynb", "import os", "print(os.environ['VULIB_SEED'])")
    bad = notebook(tmp_path / "bad.ipynb", "1 / 0")
    md = tmp_path / "benchmarks.md"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), good, bad, "--seed", "7", "--markdown-out", str(md)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    rows = {
        line.split("|")[1].strip(): line
        for line in proc.stdout.splitlines()
        if line.startswith("| ") and ".ipynb" in line
    }
    assert "| PASS |" in rows["good.ipynb"], proc.stdout + proc.stderr
    assert "FAIL: CellExecutionError: ZeroDivisionError" in rows["bad.ipynb"], proc.stdout
    assert proc.returncode == 1  # a failed notebook fails the run
    text = md.read_text()
    assert "<!-- benchmarks:start -->" in text and rows["good.ipynb"] in text


def test_flow_benchmark_prints_a_table(tmp_path):
    """scripts/benchmark_flow.py: every sequence gets rows for vulib's estimators and the zero-flow baseline
    (Farnebäck rows too when OpenCV is installed, which the test command does not require)."""
    md = tmp_path / "flow.md"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT.parent / "benchmark_flow.py"), "--pairs", "2", "--markdown-out", str(md)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| ") and "px" not in line[:3]]
    for sequence in ["texture (+0.4, -0.3) px", "direction", "shape"]:
        for method in ["Lucas–Kanade (vulib)", "Horn–Schunck (vulib)", "zero flow (baseline)"]:
            assert any(r.startswith(f"| {sequence} | {method} |") for r in rows), (sequence, method, proc.stdout)
    assert "| sequence | method |" in md.read_text()


def cgroup_v1_writable():
    import os

    return os.geteuid() == 0 and Path("/sys/fs/cgroup/memory/memory.limit_in_bytes").exists()


def test_learner_path_runs_notebooks_in_order_in_one_capped_cgroup(tmp_path):
    """The learner-path mode (two scenarios: one kernel at a time, two alive) on three tiny notebooks that
    each hold 200 MB at their end: with two kernels alive, two of those are held at once."""
    import pytest

    if not cgroup_v1_writable():
        pytest.skip("needs root and a cgroup v1 memory controller (as on the CI machine)")
    hold = "held = bytearray(200 * 2**20)\nheld[::4096] = b'x' * len(held[::4096])  # touch every page"
    nbs = [notebook(tmp_path / f"{name}.ipynb", hold) for name in "abc"]
    md = tmp_path / "benchmarks.md"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), *nbs, "--learner-path", "--memory-cap", "1500M", "--markdown-out", str(md)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = {line.split("|")[1].strip(): line.split("|") for line in proc.stdout.splitlines() if line.startswith("| ")}
    one, two = rows["one kernel at a time"], rows["two kernels alive"]
    assert "PASS" in one[6] and "PASS" in two[6]
    assert float(two[3]) > float(one[3]) + 150  # cgroup peak: two kernels' 200 MB at once
    assert float(two[4]) > float(one[4]) + 150  # largest sum of live kernels' RSS
    ends = [rows[f"{name}.ipynb"][2].split("/") for name in "abc"]  # end RSS / private / cgroup
    assert all(int(rss) > 200 and int(private) > 200 for rss, private, _ in ends), ends
    assert "<!-- learner-path:start -->" in md.read_text()
