"""Training throughput of every vulib clip model: forward + backward + optimizer step, in clips per second.

    python scripts/benchmark_models.py [--frames 16] [--size 112] [--batch 8] [--steps 5]
                                       [--devices cpu,cuda] [--models cnn3d,tsm,...]
                                       [--markdown-out docs/model_benchmark.md]

For each model of ``vulib.models.available_models()`` (built with ``build_model``) and each device it
measures up to three variants: float32; bfloat16 autocast; and float32 with the ``channels_last_3d``
memory format (only for models with 3D convolutions, where it can help). Each variant runs one warm-up
step, then ``--steps`` timed steps (CUDA: synchronised). Multiply-adds per clip come from
``vulib.cost.model_cost``. Devices that are absent are skipped (and said so). A benchmark, not a test:
nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import contextlib
import platform
import sys
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _markdown import replace_block  # noqa: E402

import vulib  # noqa: E402
from vulib.cost import model_cost  # noqa: E402
from vulib.models import available_models, build_model  # noqa: E402

CLASSES = 101


def _has_conv3d(model: nn.Module) -> bool:
    return any(isinstance(m, nn.Conv3d) for m in model.modules())


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def time_steps(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int, *, bf16: bool, channels_last: bool
) -> float:
    """Seconds per training step (median of ``steps``) of ``model`` on the batch ``x (B, C, T, H, W)``."""
    device = x.device
    if channels_last:
        model = model.to(memory_format=torch.channels_last_3d)
        x = x.contiguous(memory_format=torch.channels_last_3d)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    autocast = torch.autocast(device_type=device.type, dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()
    times = []
    for i in range(steps + 1):  # the first step warms up (allocations, kernel choice)
        _sync(device)
        t0 = time.perf_counter()
        with autocast:
            loss = F.cross_entropy(model(x).float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        _sync(device)
        if i:
            times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def run(names: list[str], devices: list[str], frames: int, size: int, batch: int, steps: int) -> list[dict]:
    rows = []
    for name in names:
        for dev in devices:
            device = torch.device(dev)
            torch.manual_seed(0)
            try:
                model = build_model(name, classes=CLASSES, frames=frames, size=size)
            except ValueError as err:
                print(f"skip {name}: {err}", file=sys.stderr)
                break
            params, macs = model_cost(model, (3, frames, size, size))
            variants = [("fp32", False, False), ("bf16 autocast", True, False)]
            if _has_conv3d(model):
                variants.append(("fp32 channels-last-3d", False, True))
            for label, bf16, cl in variants:
                torch.manual_seed(0)
                m = build_model(name, classes=CLASSES, frames=frames, size=size).to(device).train()
                x = torch.rand(batch, 3, frames, size, size, device=device)
                y = torch.randint(0, CLASSES, (batch,), device=device)
                try:
                    sec = time_steps(m, x, y, steps, bf16=bf16, channels_last=cl)
                    rows.append(
                        dict(
                            model=name,
                            device=dev,
                            variant=label,
                            params=params,
                            macs=macs,
                            step_ms=1000 * sec,
                            clips_per_s=batch / sec,
                        )
                    )
                except RuntimeError as err:  # e.g. an op without a bf16 kernel on this device
                    rows.append(
                        dict(
                            model=name,
                            device=dev,
                            variant=label,
                            params=params,
                            macs=macs,
                            step_ms=float("nan"),
                            clips_per_s=float("nan"),
                            error=str(err).split("\n")[0],
                        )
                    )
                print(
                    f"{name:18s} {dev:5s} {label:22s} "
                    + (
                        f"{rows[-1]['clips_per_s']:8.1f} clips/s" if "error" not in rows[-1] else rows[-1]["error"][:60]
                    ),
                    file=sys.stderr,
                    flush=True,
                )
                del m, x, y
    return rows


def markdown(rows: list[dict], frames: int, size: int, batch: int, steps: int, note: str) -> str:
    head = (
        f"Clips of {frames} frames × {size} × {size}, {CLASSES} classes, batch {batch}; forward + backward + SGD step, "
        f"median of {steps} steps after one warm-up. {note}\n\n"
        "| model | device | variant | parameters | G multiply-adds per clip | ms per step | clips/s |\n"
        "|---|---|---|---:|---:|---:|---:|\n"
    )
    lines = []
    for r in rows:
        speed = f"{r['step_ms']:.0f} | {r['clips_per_s']:.1f}" if "error" not in r else f"— | failed: {r['error'][:60]}"
        lines.append(
            f"| {r['model']} | {r['device']} | {r['variant']} | {r['params']:,} | {r['macs'] / 1e9:.3f} | {speed} |"
        )
    return head + "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--size", type=int, default=112)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--devices", default="cpu,cuda", help="comma-separated: cpu, cuda")
    parser.add_argument("--models", default=None, help="comma-separated names (default: all available)")
    parser.add_argument("--markdown-out", type=Path, help="also write the table into this Markdown file")
    args = parser.parse_args(argv)
    if min(args.frames, args.size, args.batch, args.steps) < 1:
        parser.error("--frames, --size, --batch and --steps must be positive")
    names = args.models.split(",") if args.models else available_models()
    devices, skipped = [], []
    for d in args.devices.split(","):
        (devices if d == "cpu" or (d == "cuda" and torch.cuda.is_available()) else skipped).append(d)
    note = (
        f"Machine: {platform.processor() or platform.machine()}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} CPU thread(s)"
        + (f", CUDA device {torch.cuda.get_device_name(0)}" if "cuda" in devices else "")
        + (f"; not measured (absent here): {', '.join(skipped)}" if skipped else "")
        + "."
    )
    rows = run(names, devices, args.frames, args.size, args.batch, args.steps)
    table = markdown(rows, args.frames, args.size, args.batch, args.steps, note)
    print(table)
    if args.markdown_out:
        replace_block(args.markdown_out, "model-benchmark", table)


if __name__ == "__main__":
    vulib.seed_everything(0)
    main()
