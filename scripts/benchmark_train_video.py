"""Training throughput of ``python -m vulib.train_video`` (clips per second) with 1 or more
processes and 0, 1, 2 DataLoader workers per process, on a folder of real mp4 files.

    python scripts/benchmark_train_video.py [--videos 96] [--frames 16] [--size 112]
        [--model cnn3d] [--processes 1 2] [--workers 0 1 2] [--epochs 2] [--data DIR]

The folder (``--data``, written first unless it exists) holds ``--videos`` synthetic
'direction' videos of 2 x ``--frames`` frames at 128 x 128 (mp4, 8 fps). Each configuration
trains for ``--epochs`` epochs; the table reports the clips/s of the last epoch as the
command's own metrics.csv measured it (training only, all processes together; epoch 1 also
pays for opening every file the first time), and the CPU time of the whole run in all its
processes (start-up and both epochs: a measure that other jobs on the machine disturb less
than the wall clock). Several processes are started with torchrun.
This is a benchmark, not a test: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import torch
from _markdown import replace_block

import vulib
from vulib.data import write_video_folder


def write_data(root: Path, videos: int, frames: int) -> None:
    """Synthetic videos, 16 at a time (so the frames never all sit in memory)."""
    for start in range(0, videos, 16):
        batch = vulib.make_clips(
            "direction", min(16, videos - start), frames=2 * frames, size=128, seed=0, start_index=start
        )
        part = write_video_folder(root / f"part{start}", batch)
        for cls in part.iterdir():  # merge into root/<class>/
            (root / cls.name).mkdir(exist_ok=True)
            for f in cls.iterdir():
                f.rename(root / cls.name / f"{start + int(f.stem):05d}.mp4")
            cls.rmdir()
        part.rmdir()


def run(data: Path, out: Path, processes: int, workers: int, args: argparse.Namespace) -> tuple[float, float]:
    """(clips/s of the last epoch, CPU seconds of the whole run in all its processes) of one training run."""
    command = [
        "--data",
        str(data),
        "--out",
        str(out),
        "--model",
        args.model,
        "--frames",
        str(args.frames),
        "--size",
        str(args.size),
        "--epochs",
        str(args.epochs),
        "--batch-size",
        str(args.batch_size),
        "--workers",
        str(workers),
        "--val-fraction",
        "0",
        "--no-progress",
    ]
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
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(head + command, check=True, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    with open(out / "metrics.csv") as f:
        return float(list(csv.DictReader(f))[-1]["clips_per_s"]), cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--videos", type=int, default=96)
    ap.add_argument("--frames", type=int, default=16)
    ap.add_argument("--size", type=int, default=112)
    ap.add_argument("--model", default="cnn3d")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--data", type=Path, default=None, help="folder of videos to reuse, or where to write it")
    ap.add_argument(
        "--markdown-out",
        type=Path,
        default=None,
        help="replace the table between <!-- train-video:start --> and <!-- train-video:end --> there",
    )
    args = ap.parse_args()

    data = args.data or Path(tempfile.gettempdir()) / f"vulib-train-benchmark-{args.videos}x{2 * args.frames}"
    if not data.exists():
        t0 = time.perf_counter()
        write_data(data, args.videos, args.frames)
        print(f"wrote {args.videos} videos to {data} in {time.perf_counter() - t0:.0f} s", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for processes in args.processes:
            for workers in args.workers:
                load = psutil.getloadavg()[0]
                rate, cpu = run(data, Path(tmp) / f"p{processes}w{workers}", processes, workers, args)
                rows.append((processes, workers, rate, cpu, load))
                print(
                    f"{processes} process(es), {workers} worker(s): {rate:.1f} clips/s, {cpu:.0f} CPU s "
                    f"(load {load:.1f})",
                    flush=True,
                )
    threads = os.environ.get("VULIB_NUM_THREADS", "1")
    lines = [
        f"{args.model}, clips of {args.frames} x {args.size} x {args.size}, global batch {args.batch_size}, "
        f"{args.videos} videos, last of {args.epochs} epochs; {psutil.cpu_count()} cores ({platform.machine()}), "
        f"torch {torch.__version__}, {threads} torch thread(s) per process.",
        "",
        "| processes | loader workers per process | clips/s (wall clock, last epoch) "
        "| CPU s, whole run, all processes | load average before the run |",
        "|---:|---:|---:|---:|---:|",
    ]
    lines += [f"| {p} | {w} | {rate:.1f} | {cpu:.0f} | {load:.1f} |" for p, w, rate, cpu, load in rows]
    text = "\n".join(lines)
    print("\n" + text)
    if args.markdown_out:
        replace_block(args.markdown_out, "train-video", text)


if __name__ == "__main__":
    main()
