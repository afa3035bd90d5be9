"""How long ``vulib.io.read_video`` takes to read a few frames from a long 720p video, with
seeking (now) and decoding front to back (the reader before seeking, still vulib.io's fallback).

    python scripts/benchmark_video_io.py [--seconds 60] [--height 720] [--file long.mp4]
                                         [--markdown-out docs/video_io.md]

The test video is written first (unless ``--file`` names one that exists): moving stripes and a
moving square, H.264 with the settings of ``vulib.io.write_video`` (crf 18, x264's default
preset, so a keyframe every 250 frames = 10 s at 25 fps). It is written frame by frame, since
``write_video`` would need the whole minute in memory (4 GB of 720p frames). Writing a minute
of 720p takes a few minutes on two cores; pass ``--file`` to keep and reuse it.

Reported for each read: wall time and CPU time (seconds, best of ``--repeats``) and how far
the process's resident memory rose above where it started (MB). ``--markdown-out`` replaces
the table between ``<!-- video-io:start -->`` and ``<!-- video-io:end -->`` in that file.
This is a benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import psutil
import torch
from _markdown import replace_block

import vulib
from vulib.io import H264_CRF, _read_in_order, read_video, video_info

FPS = 25


def write_test_video(path: Path, seconds: float, height: int) -> None:
    """Moving stripes and a square, ``seconds`` long at 25 fps, 16:9, written frame by frame."""
    width = height * 16 // 9 // 2 * 2
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    side = height // 10
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": str(H264_CRF)}
        for t in range(round(seconds * FPS)):
            image = np.empty((height, width, 3), np.uint8)
            image[..., 0] = 128 + 100 * np.sin((xs + 3 * t) / 40)
            image[..., 1] = 128 + 100 * np.sin((ys - 2 * t) / 30)
            image[..., 2] = (xs + ys + 5 * t) % 256
            x0, y0 = (7 * t) % (width - side), (3 * t) % (height - side)
            image[y0 : y0 + side, x0 : x0 + side] = 255
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def measure(fn, repeats: int) -> tuple[float, float, float]:
    """(best wall s, best CPU s, rise of peak resident memory in MB) over ``repeats`` calls of ``fn``.

    Run in a fresh process: the memory is how far the process's peak rose above its size
    before the first call (importing torch peaks no higher than where it settles).
    """
    before = psutil.Process().memory_info().rss
    walls, cpus = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
        del out
        if len(walls) == 1:
            rise = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before) / 2**20
    return min(walls), min(cpus), rise


def measure_in_fresh_process(path: Path, how: str, kw: dict, repeats: int) -> tuple[float, float, float]:
    """:func:`measure` one read in a new Python process, so that earlier reads do not blur its memory."""
    out = subprocess.run(
        [sys.executable, __file__, "--file", str(path), "--one", how, json.dumps(kw), "--repeats", str(repeats)],
        capture_output=True,
        text=True,
        check=True,
    )
    return tuple(json.loads(out.stdout.strip().splitlines()[-1]))


def read(path: Path, how: str, kw: dict):
    if how == "front to back":
        return _read_in_order(path, kw.get("start", 0.0), kw.get("end"), 1, kw.get("num_frames"), kw.get("size"))
    return read_video(path, **kw)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="length of the test video (default 60)")
    ap.add_argument("--height", type=int, default=720, help="its height in pixels, 16:9 (default 720)")
    ap.add_argument("--file", type=Path, default=None, help="test video to reuse, or where to write it")
    ap.add_argument("--repeats", type=int, default=2, help="runs of each read; the best time is kept")
    ap.add_argument("--markdown-out", type=Path, default=None)
    ap.add_argument("--one", nargs=2, metavar=("HOW", "KWARGS"), help=argparse.SUPPRESS)  # internal
    args = ap.parse_args()
    if args.one:  # one measurement, in this fresh process
        how, kw = args.one[0], json.loads(args.one[1])
        read(args.file, how, dict(num_frames=1))  # load the decoder once
        print(json.dumps(measure(lambda: read(args.file, how, kw), args.repeats)))
        return

    path = args.file or Path(f"/tmp/vulib-benchmark-{args.seconds:g}s-{args.height}p.mp4")
    if not path.exists():
        t0 = time.perf_counter()
        write_test_video(path, args.seconds, args.height)
        print(f"wrote {path} in {time.perf_counter() - t0:.0f} s")
    info = video_info(path)
    middle = info["duration"] / 2
    window = (middle, middle + 16 / FPS)
    reads = {
        f"16 frames from the middle ({window[0]:g}-{window[1]:g} s)": dict(start=window[0], end=window[1]),
        f"16 frames from {window[0] - 0.5:g} s (half a second earlier)": dict(
            start=window[0] - 0.5, end=window[0] - 0.5 + 16 / FPS
        ),
        "16 frames spread over the whole video (num_frames=16)": dict(num_frames=16),
        "the same, resized to 112 (size=112)": dict(num_frames=16, size=112),
    }
    rows = []
    for what, kw in reads.items():
        front_to_back = measure_in_fresh_process(path, "front to back", kw, args.repeats)
        seeking = measure_in_fresh_process(path, "seeking", kw, args.repeats)
        rows.append((what, front_to_back, seeking))
        print(what, front_to_back, seeking, flush=True)

    with av.open(str(path)) as container:
        keyframes = sum(packet.is_keyframe for packet in container.demux(video=0) if packet.size)
    load = ", ".join(f"{x:.1f}" for x in psutil.getloadavg())
    table = [
        f"Test video: {info['duration']:g} s, {info['width']}x{info['height']}, {info['fps']:g} fps, H.264 crf "
        f"{H264_CRF}, {path.stat().st_size / 2**20:.1f} MB, {keyframes} keyframes (one every "
        f"{info['duration'] / keyframes:.1f} s on average). Machine: {psutil.cpu_count()} "
        f"cores ({platform.machine()}), load average {load} at the end; vulib {vulib.__version__}, torch "
        f"{torch.__version__}, PyAV {av.__version__}. Best of {args.repeats}; memory = rise of the peak resident "
        "memory during the first read, each in a fresh process.",
        "",
        "| read | front to back: wall s | CPU s | memory MB | seeking: wall s | CPU s | memory MB | returned MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for what, (w1, c1, m1), (w2, c2, m2) in rows:
        kw = reads[what]
        shape = read_video(path, **kw).shape
        returned = int(np.prod(shape)) * 4 / 2**20
        table.append(f"| {what} | {w1:.2f} | {c1:.2f} | {m1:.0f} | {w2:.2f} | {c2:.2f} | {m2:.0f} | {returned:.0f} |")
    text = "\n".join(table)
    print(text)
    if args.markdown_out:
        replace_block(args.markdown_out, "video-io", text)


if __name__ == "__main__":
    main()
