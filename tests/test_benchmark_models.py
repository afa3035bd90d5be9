"""scripts/benchmark_models.py measures every variant it lists and writes its table (no timing asserted)."""

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "benchmark_models.py"


def test_benchmark_models_table(tmp_path):
    md = tmp_path / "models.md"
    proc = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--models",
            "tsm,cnn3d",
            "--frames",
            "4",
            "--size",
            "8",
            "--batch",
            "1",
            "--steps",
            "1",
            "--devices",
            "cpu,cuda",
            "--markdown-out",
            str(md),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| tsm") or line.startswith("| cnn3d")]
    assert len(rows) == 5, proc.stdout  # tsm: fp32, bf16; cnn3d: fp32, bf16, channels-last-3d
    assert "channels-last-3d" in md.read_text() and "<!-- model-benchmark:start -->" in md.read_text()


def test_benchmark_models_rejects_bad_sizes():
    proc = subprocess.run([sys.executable, str(SCRIPT), "--size", "0"], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "must be positive" in proc.stderr
