"""Compare vulib's optical-flow estimators with OpenCV's Farnebäck on sequences with known flow.

    python scripts/benchmark_flow.py [--markdown-out docs/flow_benchmark.md] [--pairs 16]

Prints one table: average end-point error (pixels) and time per frame pair (ms, CPU) for each method
on each sequence. Sequences:

* ``texture Δ px`` -- smooth random textures moved by an exact, constant shift (``vulib.flow.shifted_texture``);
  the error is averaged away from the borders (12 px), where content enters or leaves the image.
* ``<task>`` -- synthetic clips (``vulib.make_clips(..., with_flow=True)``): objects on a noisy background,
  whose exact flow is known. Two errors: over all pixels, and over the moving object only.

Farnebäck needs ``opencv-python-headless`` (``pip install -e ".[bench]"``); without it its rows are skipped.
This is a benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

import vulib
from vulib.flow import endpoint_error, horn_schunck, lucas_kanade, shifted_texture

try:
    import cv2
except ImportError:  # optional
    cv2 = None


def farneback(frame1: torch.Tensor, frame2: torch.Tensor) -> torch.Tensor:
    """OpenCV's Farnebäck flow, pair by pair, on 8-bit grey frames; ``(B, 2, H, W)`` pixels, u then v."""
    out = []
    for a, b in zip(frame1, frame2):
        g1 = (a.mean(0).clamp(0, 1) * 255).round().to(torch.uint8).numpy()
        g2 = (b.mean(0).clamp(0, 1) * 255).round().to(torch.uint8).numpy()
        f = cv2.calcOpticalFlowFarneback(
            g1, g2, None, pyr_scale=0.5, levels=3, winsize=9, iterations=3, poly_n=5, poly_sigma=1.1, flags=0
        )
        out.append(torch.from_numpy(f).permute(2, 0, 1))
    return torch.stack(out)


METHODS = {
    "Lucas–Kanade (vulib)": lucas_kanade,
    "Horn–Schunck (vulib)": horn_schunck,
    "Farnebäck (OpenCV)": farneback,
}


def sequences(pairs: int):
    """(name, frame1 (N, 3, H, W), frame2, true flow (N, 2, H, W), mask of 'moving' pixels or None)."""
    size = 64
    inner = torch.zeros(pairs, size, size, dtype=torch.bool)
    inner[:, 12:-12, 12:-12] = True
    for shift in [(0.4, -0.3), (1.5, 1.0), (3.5, -2.5)]:
        a = shifted_texture(pairs, size, size, seed=1)
        b = shifted_texture(pairs, size, size, shift, seed=1)
        true = torch.tensor(shift).view(1, 2, 1, 1).expand(pairs, 2, size, size).contiguous()
        yield f"texture ({shift[0]:+.1f}, {shift[1]:+.1f}) px", a, b, true, inner, inner
    for task in ["direction", "direction4", "shape"]:
        clips = vulib.make_clips(task, pairs, frames=2, size=size, seed=2, with_flow=True)
        a, b, true = clips.video[:, :, 0], clips.video[:, :, 1], clips.flow[:, :, 0]
        yield task, a, b, true, None, true.norm(dim=1) > 0


def run(pairs: int) -> list[dict]:
    rows = []
    for name, a, b, true, where, moving in sequences(pairs):
        for method, fn in METHODS.items():
            if fn is farneback and cv2 is None:
                continue
            fn(a[:1], b[:1])  # warm-up
            t0 = time.perf_counter()
            flow = fn(a, b)
            ms = 1000 * (time.perf_counter() - t0) / a.shape[0]
            rows.append(
                {
                    "sequence": name,
                    "method": method,
                    "epe": endpoint_error(flow, true, where),
                    "epe_moving": endpoint_error(flow, true, moving),
                    "ms": ms,
                }
            )
        rows.append(
            {
                "sequence": name,
                "method": "zero flow (baseline)",
                "epe": endpoint_error(torch.zeros_like(true), true, where),
                "epe_moving": endpoint_error(torch.zeros_like(true), true, moving),
                "ms": 0.0,
            }
        )
    return rows


def markdown(rows: list[dict], pairs: int) -> str:
    lines = ["| sequence | method | EPE (px) | EPE on moving pixels (px) | ms per pair |", "|---|---|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['sequence']} | {r['method']} | {r['epe']:.3f} | {r['epe_moving']:.3f} | {r['ms']:.1f} |")
    head = (
        f"{pairs} frame pairs of 64 × 64 pixels per sequence; CPU, torch threads = {torch.get_num_threads()}; "
        f"torch {torch.__version__}" + (f", OpenCV {cv2.__version__}" if cv2 else ", OpenCV not installed") + ".\n"
        "For textures, 'EPE' is averaged away from the borders (12 px) and every pixel moves.\n"
    )
    return head + "\n" + "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=16, help="frame pairs per sequence")
    parser.add_argument("--markdown-out", type=Path, help="also write the table to this Markdown file")
    args = parser.parse_args()
    if cv2 is None:
        print("opencv-python-headless is not installed: Farnebäck rows skipped (pip install -e '.[bench]')")
    table = markdown(run(args.pairs), args.pairs)
    print(table)
    if args.markdown_out:
        args.markdown_out.write_text(
            "# Optical flow: vulib's estimators against OpenCV's Farnebäck\n\n"
            "Written by `python scripts/benchmark_flow.py --markdown-out "
            f"{args.markdown_out}`.\n\n" + table
        )


if __name__ == "__main__":
    main()
