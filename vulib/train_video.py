"""Train a vulib model on a folder of real videos -- on one process, or on many with ``torchrun``.

    python -m vulib.train_video --data DIR --model cnn3d --frames 16 --size 112 \\
        --epochs 10 --batch-size 32 --lr 1e-3 --out runs/first

The same command runs on one CPU or GPU, or under ``torchrun --nproc_per_node=N`` (one process
per GPU, or N processes on a CPU; several machines with torchrun's ``--nnodes``/rendezvous
flags). With more than one process (``WORLD_SIZE > 1``, set by torchrun) it trains with
PyTorch's ``DistributedDataParallel``: every process holds the whole model and a shard of each
batch (``DistributedSampler``), and the gradients are averaged across processes inside
``loss.backward()``, so all copies of the model stay identical. Communication goes through
NCCL between GPUs and gloo on CPUs. On CUDA the forward pass runs in bfloat16 autocast.

``DIR`` is laid out as ``DIR/<class>/<video file>`` (see :class:`vulib.data.VideoFolder`); a
share of each class (``--val-fraction``) is held out for validation, or, if ``DIR`` has
``train/`` and ``val/`` sub-folders (each ``<class>/<video file>``), those are used.

Only process 0 (rank 0) prints, shows the progress bar and writes to ``--out``:

* ``checkpoint.pt`` after every epoch: model, optimizer, learning-rate schedule, epoch and the
  random-number state of every process -- ``--resume`` continues from it exactly (same
  arguments plus ``--resume``: the final parameters equal those of an uninterrupted run);
* ``metrics.csv``: one row per epoch (loss, accuracy, validation loss and accuracy, clips/s);
* ``summary.json`` at the end, with a fingerprint of every process's parameters (they must
  all be equal).

The training step is :func:`vulib.train.train_epoch`, the same one :func:`vulib.fit` uses.
See ``docs/scale-out.md`` for datasets, command lines and measured throughput.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import os
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, Subset
from tqdm.auto import tqdm

from .data import VideoFolder
from .device import get_device
from .models.registry import available_models, build_model
from .seed import seed_everything
from .train import evaluate, make_optimizer, make_schedule, train_epoch

__all__ = ["main", "parse_args"]

CHECKPOINT, METRICS, SUMMARY = "checkpoint.pt", "metrics.csv", "summary.json"
# Arguments that must not change when resuming (the run would not be the same run).
SAME_ON_RESUME = (
    "data",
    "model",
    "model_args",
    "frames",
    "size",
    "batch_size",
    "lr",
    "weight_decay",
    "schedule",
    "val_fraction",
    "seed",
    "epochs",
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m vulib.train_video",
        description="Train a vulib clip model on a folder of videos (DIR/<class>/<video file>),\n"
        "on one process or under torchrun (DistributedDataParallel: gloo on CPU, NCCL on GPUs).\n"
        "--batch-size is global; rank 0 prints and writes OUT/checkpoint.pt, metrics.csv, summary.json.",
        epilog="examples:\n"
        "  python -m vulib.train_video --data ucf101 --model c3d_small --size 64 --out runs/one\n"
        "  torchrun --nproc_per_node=8 -m vulib.train_video --data ucf101 --batch-size 256 --out runs/eight\n"
        "see docs/scale-out.md for multi-node command lines and measured throughput",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--data",
        required=True,
        type=Path,
        metavar="DIR",
        help="folder of videos, DIR/<class>/<video file> (or DIR/train/... and DIR/val/...)",
    )
    p.add_argument(
        "--model",
        default="cnn3d",
        metavar="NAME",
        help=f"a vulib model: {', '.join(available_models())}; or module.path:ClassName (default: cnn3d)",
    )
    p.add_argument(
        "--model-args",
        default="{}",
        metavar="JSON",
        type=json.loads,
        help="extra constructor arguments as JSON, e.g. '{\"width\": 32}' (default: {})",
    )
    p.add_argument("--frames", type=int, default=16, help="frames per clip (default: 16)")
    p.add_argument("--size", type=int, default=112, help="clip height and width in pixels (default: 112)")
    p.add_argument("--epochs", type=int, default=10, help="passes over the training videos (default: 10)")
    p.add_argument(
        "--batch-size",
        type=int,
        default=32,
        help="GLOBAL batch size: clips per optimizer step over all processes; each process "
        "takes batch-size / world-size (default: 32)",
    )
    p.add_argument("--lr", type=float, default=1e-3, help="Adam's learning rate (default: 1e-3)")
    p.add_argument("--weight-decay", type=float, default=0.0, help="Adam's weight decay (default: 0)")
    p.add_argument(
        "--schedule",
        choices=("cosine", "constant"),
        default="cosine",
        help="learning rate over the run, per step (default: cosine, down to 0)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("runs/train_video"),
        metavar="DIR",
        help="where rank 0 writes checkpoint.pt, metrics.csv, summary.json (default: runs/train_video)",
    )
    p.add_argument(
        "--resume", action="store_true", help="continue from OUT/checkpoint.pt (run with the same arguments)"
    )
    p.add_argument(
        "--workers",
        type=int,
        default=2,
        help="DataLoader worker processes per training process, decoding videos (default: 2)",
    )
    p.add_argument(
        "--val-fraction",
        type=float,
        default=0.2,
        help="share of each class's videos held out for validation, when DIR has no train/ "
        "and val/ folders (default: 0.2)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the model, the split, the order and the clips")
    p.add_argument(
        "--skip-unreadable",
        action="store_true",
        help="skip video files that cannot be decoded (counted and listed each epoch) "
        "instead of stopping with an error",
    )
    p.add_argument("--no-amp", action="store_true", help="train in float32 on CUDA too (no bfloat16 autocast)")
    p.add_argument(
        "--stop-after",
        type=int,
        default=None,
        metavar="EPOCH",
        help="stop after this epoch, as if interrupted (continue later with --resume)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    for name in ("frames", "size", "epochs", "batch_size"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if args.workers < 0:
        p.error(f"--workers must be >= 0, got {args.workers}")
    if not 0 <= args.val_fraction < 1:
        p.error(f"--val-fraction must be in [0, 1), got {args.val_fraction}")
    if not isinstance(args.model_args, dict):
        p.error(f"--model-args must be a JSON object, got {args.model_args!r}")
    return args


# ---------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------


class _Run:
    """Who this process is: ``rank`` of ``world`` processes, on ``device``."""

    def __init__(self) -> None:
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        device = get_device()
        if self.world > 1:
            if device.type == "cuda":  # one GPU per process
                device = torch.device("cuda", local_rank)
                torch.cuda.set_device(device)
            else:
                device = torch.device("cpu")
            self.backend = "nccl" if device.type == "cuda" else "gloo"
            dist.init_process_group(backend=self.backend)  # addresses from torchrun's environment
        else:
            self.backend = None
        self.device = device
        self.main = self.rank == 0

    def print(self, *args) -> None:
        if self.main:
            print(*args, flush=True)

    def sum(self, values: list[float]) -> list[float]:
        """Add up ``values`` over all processes."""
        if self.world == 1:
            return list(values)
        t = torch.tensor(values, dtype=torch.float64, device=self.device)
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
        return t.tolist()

    def gather(self, obj) -> list:
        """``obj`` of every process, in rank order."""
        if self.world == 1:
            return [obj]
        out = [None] * self.world
        dist.all_gather_object(out, obj)
        return out

    def close(self) -> None:
        if self.world > 1:
            dist.destroy_process_group()


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


def _split(targets: list[int], fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Indices ``(train, val)``: ``fraction`` of each class's videos (at least one) go to val."""
    rng = np.random.default_rng(seed)
    train, val = [], []
    for label in sorted(set(targets)):
        idx = [i for i, t in enumerate(targets) if t == label]
        rng.shuffle(idx)
        k = 0 if fraction == 0 else min(len(idx) - 1, max(1, round(fraction * len(idx))))
        val += idx[:k]
        train += idx[k:]
    return sorted(train), sorted(val)


def _datasets(args: argparse.Namespace) -> tuple[VideoFolder, VideoFolder, Subset | VideoFolder, Subset | VideoFolder]:
    """``(train folder, val folder, train set, val set)``; the sets may be subsets of the folders."""
    common = dict(frames=args.frames, size=args.size, skip_unreadable=args.skip_unreadable, seed=args.seed)
    if (args.data / "train").is_dir() and (args.data / "val").is_dir():
        train = VideoFolder(args.data / "train", sampling="random", **common)
        val = VideoFolder(args.data / "val", sampling="center", **common)
        if val.classes != train.classes:
            raise ValueError(
                f"{args.data}/train and {args.data}/val must have the same class folders, got "
                f"{train.classes} and {val.classes}"
            )
        return train, val, train, val
    train = VideoFolder(args.data, sampling="random", **common)
    val = VideoFolder(args.data, sampling="center", **common)
    train_idx, val_idx = _split(train.targets, args.val_fraction, args.seed)
    return train, val, Subset(train, train_idx), Subset(val, val_idx)


# ---------------------------------------------------------------------------
# Checkpoints: everything needed to continue exactly
# ---------------------------------------------------------------------------


def _rng_state() -> dict:
    state = {"torch": torch.get_rng_state(), "python": random.getstate()}
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    state["numpy"] = [kind, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, gauss]
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    random.setstate(state["python"])
    kind, keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, gauss))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _save_atomically(obj, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)  # never a half-written checkpoint


def _fingerprint(model: torch.nn.Module) -> str:
    """sha256 of all parameters' bytes: equal fingerprints = bit-identical parameters."""
    h = hashlib.sha256()
    for name, p in model.named_parameters():
        h.update(name.encode())
        h.update(p.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    run = _Run()
    try:
        return _train(args, run)
    except (ValueError, FileNotFoundError) as err:  # bad data or arguments: say what, exit 1
        if run.main or run.world > 1:
            where = f" (rank {run.rank})" if run.world > 1 else ""
            print(f"error{where}: {err}", file=sys.stderr, flush=True)
        return 1
    finally:
        run.close()


def _train(args: argparse.Namespace, run: _Run) -> int:
    if args.batch_size % run.world:
        raise ValueError(
            f"--batch-size {args.batch_size} (global) must be a multiple of the number of processes, {run.world}"
        )
    per_process = args.batch_size // run.world
    if args.resume and not (args.out / CHECKPOINT).is_file():
        raise FileNotFoundError(f"--resume: no checkpoint to continue from at {args.out / CHECKPOINT}")
    amp = not args.no_amp
    train_folder, val_folder, train_set, val_set = _datasets(args)
    classes = train_folder.classes

    seed_everything(args.seed)  # the same initial model in every process
    model = build_model(args.model, classes=len(classes), frames=args.frames, size=args.size, **args.model_args).to(
        run.device
    )
    seed_everything((args.seed + run.rank) % 2**32)  # then each process its own dropout and the like
    wrapped = (
        model
        if run.world == 1
        else DistributedDataParallel(model, device_ids=[run.device.index] if run.device.type == "cuda" else None)
    )

    sampler = DistributedSampler(train_set, num_replicas=run.world, rank=run.rank, shuffle=True, seed=args.seed)
    # Persistent workers keep what they learnt about each file (its length) from epoch to epoch.
    loading = dict(num_workers=args.workers, persistent_workers=args.workers > 0, pin_memory=run.device.type == "cuda")
    loader = DataLoader(train_set, batch_size=per_process, sampler=sampler, **loading)
    val_shard = Subset(val_set, list(range(run.rank, len(val_set), run.world)))  # no padding: each video once
    val_loader = DataLoader(val_shard, batch_size=per_process, **loading)
    optimizer = make_optimizer(model, args.lr, args.weight_decay)
    scheduler = make_schedule(optimizer, args.epochs * len(loader), args.schedule)

    out = args.out
    first_epoch, rows = 1, []
    if args.resume:
        first_epoch, rows = _resume(args, run, model, optimizer, scheduler)
    elif run.main:
        out.mkdir(parents=True, exist_ok=True)
    n_params = sum(p.numel() for p in model.parameters())
    run.print(
        f"vulib.train_video: {run.world} process(es) ({run.backend or 'single'}, {run.device.type}"
        f"{', bf16 autocast' if amp and run.device.type == 'cuda' else ''}), model {args.model} "
        f"({n_params:,} parameters), {len(train_set)} training / {len(val_set)} validation videos in "
        f"{len(classes)} classes, global batch {args.batch_size} ({per_process} per process), "
        f"{len(loader)} steps per epoch"
    )

    last = args.epochs if args.stop_after is None else min(args.epochs, args.stop_after)
    for epoch in range(first_epoch, last + 1):
        sampler.set_epoch(epoch)  # a new order and new clips, the same in every process
        train_folder.set_epoch(epoch)
        bar = tqdm(
            total=len(loader),
            desc=f"epoch {epoch}/{args.epochs}",
            unit="batch",
            leave=False,
            disable=not run.main or args.no_progress,
            mininterval=0.5,
        )

        def show(sums: dict) -> None:
            bar.update(1)
            bar.set_postfix(loss=f"{sums['loss_sum'] / sums['clips']:.3f}", refresh=False)

        t0 = time.perf_counter()
        sums = train_epoch(wrapped, loader, optimizer, scheduler, device=run.device, amp=amp, on_batch=show)
        seconds = time.perf_counter() - t0
        bar.close()
        loss_sum, correct, clips = run.sum([sums["loss_sum"], sums["correct"], sums["clips"]])
        row = {"epoch": epoch, "train_loss": loss_sum / clips, "train_acc": correct / clips}
        row.update(_validate(run, model, val_loader, amp))
        row.update(clips_per_s=clips / seconds, seconds=seconds, lr=scheduler.get_last_lr()[0])
        row["skipped"] = _report_skipped(run, train_folder, val_folder)
        rows.append(row)
        _checkpoint(args, run, model, optimizer, scheduler, epoch, rows)
        run.print(
            f"epoch {epoch}/{args.epochs}: train loss {row['train_loss']:.4f} acc {row['train_acc']:.3f} | "
            f"val loss {row['val_loss']:.4f} acc {row['val_acc']:.3f} | {row['clips_per_s']:.1f} clips/s"
        )

    fingerprints = run.gather(_fingerprint(model))
    if run.main:
        summary = {
            "epochs_done": last,
            "epochs": args.epochs,
            "world_size": run.world,
            "backend": run.backend,
            "device": run.device.type,
            "classes": classes,
            "final": rows[-1] if rows else None,
            "parameters_identical_across_processes": len(set(fingerprints)) == 1,
            "parameter_fingerprints": fingerprints,
        }
        (out / SUMMARY).write_text(json.dumps(summary, indent=2))
    if len(set(fingerprints)) != 1:
        raise RuntimeError(f"the processes' parameters differ: {fingerprints}")
    run.print(
        f"done: {last} of {args.epochs} epochs; parameters identical in all {run.world} process(es); "
        f"wrote {out / CHECKPOINT}, {out / METRICS}"
    )
    return 0


def _validate(run: _Run, model: torch.nn.Module, val_loader: DataLoader, amp: bool) -> dict:
    """Loss and accuracy over the whole validation set (each process evaluates its shard)."""
    if run.world > 1:  # rank 0's batch-norm statistics for everyone
        for buffer in model.buffers():
            dist.broadcast(buffer, src=0)
    n = len(val_loader.dataset)
    ev = evaluate(model, val_loader, device=run.device, amp=amp) if n else {"loss": 0.0, "accuracy": 0.0}
    loss_sum, correct, total = run.sum([ev["loss"] * n, ev["accuracy"] * n, n])
    if total == 0:
        return {"val_loss": math.nan, "val_acc": math.nan}
    return {"val_loss": loss_sum / total, "val_acc": correct / total}


def _report_skipped(run: _Run, *folders: VideoFolder) -> int:
    """Print (rank 0) the files found unreadable so far, in any process; return how many."""
    skipped = sorted({str(p) for folder in folders for p in folder.skipped})
    everywhere = sorted({p for paths in run.gather(skipped) for p in paths})
    if everywhere:
        run.print(
            f"skipped {len(everywhere)} unreadable video file(s) so far: {', '.join(everywhere[:10])}"
            + (" ..." if len(everywhere) > 10 else "")
        )
    return len(everywhere)


def _checkpoint(args, run: _Run, model, optimizer, scheduler, epoch: int, rows: list[dict]) -> None:
    rng = run.gather(_rng_state())  # every process's random state
    if not run.main:
        return
    state = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "epoch": epoch,
        "rng": rng,
        "world_size": run.world,
        "rows": rows,
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
    }
    _save_atomically(state, args.out / CHECKPOINT)
    tmp = args.out / (METRICS + ".tmp")
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, args.out / METRICS)


def _resume(args, run: _Run, model, optimizer, scheduler) -> tuple[int, list[dict]]:
    path = args.out / CHECKPOINT
    state = torch.load(path, map_location="cpu", weights_only=True)
    now = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    changed = {k: (state["args"].get(k), now[k]) for k in SAME_ON_RESUME if state["args"].get(k) != now[k]}
    if changed:
        raise ValueError(
            "--resume with different arguments would not continue the same run; changed: "
            + ", ".join(f"{k} {old!r} -> {new!r}" for k, (old, new) in changed.items())
        )
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    rng = state["rng"]
    if len(rng) != run.world:
        run.print(
            f"note: the checkpoint was written by {len(rng)} process(es), this run has {run.world}: "
            "random states cannot be matched, so the run continues but not bit for bit"
        )
    _set_rng_state(rng[run.rank] if len(rng) == run.world else rng[0])
    run.print(f"resuming from {path} after epoch {state['epoch']}")
    return state["epoch"] + 1, list(state["rows"])


if __name__ == "__main__":
    sys.exit(main())
