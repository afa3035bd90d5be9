"""python -m vulib.train_video: one process and two (torchrun, gloo on the CPU), on real mp4 files.

The data: 64 synthetic 'direction' videos (left / right), 12 frames of 32 x 32, written as mp4
files into root/<class>/; 48 train on clips of 8 frames, 16 are held out.

* two processes (cnn3d): exit 0, bit-identical parameters in both, training loss falls,
  held-out accuracy well above chance;
* two processes with batch b each == one process with batch 2b (a model without batch norm,
  tests/tiny_models.py), within float tolerance: DistributedDataParallel averages gradients;
* stop after epoch 1, then --resume == an uninterrupted run, bit for bit.

Runs of one process call ``main`` here (no new Python to start); the two-process runs go
through ``torchrun`` (``python -m torch.distributed.run``) as a learner would.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import vulib
from vulib.data import write_video_folder
from vulib.models import available_models, build_model
from vulib.train import train_epoch
from vulib.train_video import main, parse_args

TESTS = Path(__file__).resolve().parent
COMMON = ["--frames", "8", "--size", "32", "--no-progress", "--seed", "0"]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    batch = vulib.make_clips("direction", 64, frames=12, size=32, seed=0, distractors=0)
    return write_video_folder(tmp_path_factory.mktemp("train_video") / "videos", batch)


def launch(args: list[str], processes: int = 1, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run the training command, under torchrun when ``processes > 1``."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
        "OMP_NUM_THREADS": "1",
        "VULIB_NUM_THREADS": "1",
    }
    env.pop("WORLD_SIZE", None)
    head = (
        [sys.executable, "-m", "vulib.train_video"]
        if processes == 1
        else [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            f"--nproc_per_node={processes}",
            "-m",
            "vulib.train_video",
        ]
    )
    out = subprocess.run(head + args, capture_output=True, text=True, timeout=timeout, env=env)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return out


def final_state(out: Path) -> dict:
    return torch.load(out / "checkpoint.pt", map_location="cpu", weights_only=True)


def metrics(out: Path) -> list[dict]:
    with open(out / "metrics.csv") as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


def test_two_processes_train_one_model(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "ddp"
    run = launch(
        [
            "--data",
            str(data),
            "--model",
            "cnn3d",
            "--epochs",
            "3",
            "--batch-size",
            "4",
            "--lr",
            "3e-3",
            "--workers",
            "1",
            "--val-fraction",
            "0.25",
            "--out",
            str(out),
        ]
        + COMMON,
        processes=2,
    )
    assert "2 process(es) (gloo, cpu)" in run.stdout and "48 training / 16 validation videos" in run.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["world_size"] == 2 and summary["parameters_identical_across_processes"]
    assert len(set(summary["parameter_fingerprints"])) == 1
    rows = metrics(out)
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    assert rows[-1]["train_loss"] < 0.5 * rows[0]["train_loss"], rows
    assert rows[-1]["val_acc"] >= 0.75, rows  # 16 held-out videos; chance is 0.5
    assert all(r["clips_per_s"] > 0 for r in rows)


TINY = [
    "--model",
    "tiny_models:Tiny3D",
    "--epochs",
    "2",
    "--batch-size",
    "8",
    "--lr",
    "1e-2",
    "--workers",
    "0",
    "--val-fraction",
    "0.25",
] + COMMON


@pytest.fixture(scope="module")
def one_process(data: Path, tmp_path_factory) -> Path:
    """The tiny model trained for 2 epochs with batch 8, in this process (no torchrun)."""
    out = tmp_path_factory.mktemp("one")
    assert main(["--data", str(data), "--out", str(out)] + TINY) == 0
    return out


def test_two_processes_equal_one_with_twice_the_batch(data: Path, one_process: Path, tmp_path: Path) -> None:
    launch(["--data", str(data), "--out", str(tmp_path)] + TINY, processes=2)  # 4 clips per process per step
    two, one = final_state(tmp_path)["model"], final_state(one_process)["model"]  # 8 clips per step
    for name in one:
        assert torch.allclose(two[name], one[name], atol=1e-5, rtol=1e-4), name
    start = build_model("tiny_models:Tiny3D", classes=2).state_dict()
    assert all(not torch.allclose(one[n], start[n]) for n in one)  # it did train


def test_resume_continues_exactly(data: Path, one_process: Path, tmp_path: Path, capsys) -> None:
    args = ["--data", str(data), "--out", str(tmp_path)] + TINY
    assert main(args + ["--stop-after", "1"]) == 0
    assert [r["epoch"] for r in metrics(tmp_path)] == [1]
    assert main(args + ["--resume"]) == 0
    assert "resuming from" in capsys.readouterr().out
    whole, parts = final_state(one_process), final_state(tmp_path)
    for name in whole["model"]:
        assert torch.equal(whole["model"][name], parts["model"][name]), name
    losses = lambda out: [(r["epoch"], r["train_loss"], r["val_loss"], r["val_acc"]) for r in metrics(out)]  # noqa: E731
    assert losses(one_process) == losses(tmp_path)


# --- the command line, in this process (one process, no torchrun) ---------------------------------


def test_train_and_val_folders_and_skipping_unreadable_files(data: Path, tmp_path: Path, capsys) -> None:
    """DIR/train and DIR/val are used as given; a broken file is skipped, listed and counted."""
    split = tmp_path / "split"
    for cls in ("left", "right"):
        files = sorted((data / cls).iterdir())
        for part, chosen in (("train", files[:12]), ("val", files[12:16])):
            (split / part / cls).mkdir(parents=True)
            for f in chosen:
                (split / part / cls / f.name).symlink_to(f)
    broken = split / "train" / "left" / "broken.mp4"
    broken.write_bytes(b"not a video" * 100)
    args = ["--data", str(split), "--out", str(tmp_path / "out")] + TINY + ["--epochs", "1"]
    assert main(args) == 1
    assert f"could not read {broken}" in capsys.readouterr().err
    assert main(args + ["--skip-unreadable"]) == 0
    printed = capsys.readouterr().out
    assert (
        "25 training / 8 validation videos" in printed
        and f"skipped 1 unreadable video file(s) so far: {broken}" in printed
    )
    assert metrics(tmp_path / "out")[0]["skipped"] == 1


def test_help_lists_the_flags(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse_args(["--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for flag in [
        "--data",
        "--model",
        "--frames",
        "--size",
        "--epochs",
        "--batch-size",
        "--lr",
        "--out",
        "--resume",
        "torchrun --nproc_per_node=8",
    ]:
        assert flag in text, flag
    assert "cnn3d" in text and "c3d_small" in text


def test_errors_are_reported(data: Path, tmp_path: Path, capsys) -> None:
    args = ["--out", str(tmp_path / "x"), "--workers", "0"] + COMMON
    assert main(["--data", str(tmp_path / "nothere")] + args) == 1
    assert "error: no such folder" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--data", str(data), "--batch-size", "0"] + args)
    assert "--batch-size must be >= 1" in capsys.readouterr().err


def test_resume_without_a_checkpoint(data: Path, tmp_path: Path, capsys) -> None:
    assert main(["--data", str(data), "--out", str(tmp_path), "--resume", "--workers", "0"] + COMMON) == 1
    assert "no checkpoint to continue from" in capsys.readouterr().err


def test_unknown_model_lists_the_names(data: Path, tmp_path: Path, capsys) -> None:
    assert main(["--data", str(data), "--out", str(tmp_path), "--model", "resnet9000", "--workers", "0"] + COMMON) == 1
    err = capsys.readouterr().err
    assert "unknown model 'resnet9000'" in err and "cnn3d" in err


# --- the pieces ----------------------------------------------------------------------------------------


def test_model_registry() -> None:
    names = available_models()
    assert {"cnn3d", "c3d_small", "c3d", "early_fusion", "late_fusion_pool"} <= set(names)
    for name in set(names) - {"c3d"}:  # the full C3D (78 M parameters) is slow to build
        model = build_model(name, classes=5, frames=16, size=32)
        assert model(torch.rand(2, 3, 16, 32, 32)).shape == (2, 5), name
    assert build_model("c3d_small", classes=2, dropout=0.0).classifier[3].p == 0.0
    with pytest.raises(ValueError, match="unknown model 'nope'; available: .*cnn3d"):
        build_model("nope", classes=2)
    with pytest.raises(ValueError, match="could not import the model"):
        build_model("no_such_module:Net", classes=2)
    if "tsm" not in names:
        with pytest.raises(ValueError, match="needs vulib.models.TSM"):
            build_model("tsm", classes=2)


def test_train_epoch_is_fits_step() -> None:
    """fit's numbers come from train_epoch: the same sums, batch by batch."""
    data = vulib.make_clips("direction", 16, frames=8, size=32, seed=1)
    loader = vulib.make_loader(data, batch_size=8, seed=0)
    vulib.seed_everything(0)
    model = build_model("cnn3d", classes=2)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    seen = []
    sums = train_epoch(model, loader, opt, device=torch.device("cpu"), on_batch=lambda s: seen.append(s["clips"]))
    assert seen == [8, 16] and sums["clips"] == 16 and 0 <= sums["correct"] <= 16 and sums["loss_sum"] > 0
