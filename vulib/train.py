"""The one training loop of the suite: ``fit``, ``evaluate``, ``predict`` (and ``train_epoch``, their step),
and the trainers of the lessons whose models are not plain classifiers, all built on that one loop:
``train_contrastive`` and ``train_videolm`` (notebook 12) and ``fit_head`` (notebook 09).

Every notebook trains with these, so progress bars, devices, mixed precision and
determinism behave the same everywhere:

* a progress bar from ``tqdm.auto`` (a widget in JupyterLab, text in CI logs);
* data moved to :func:`vulib.get_device` batch by batch;
* bfloat16 autocast on CUDA (``amp=True``), plain float32 elsewhere;
* on the CPU, a fixed :func:`vulib.seed_everything` seed gives identical numbers run after run.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, field
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm.auto import tqdm

from .data import IndexBatches, make_loader
from .device import get_device
from .models.language import VideoLM, VideoTextModel, info_nce, next_word_loss
from .models.localization import LocalizationHead, head_loss, head_targets

__all__ = [
    "History",
    "fit",
    "evaluate",
    "predict",
    "accuracy",
    "train_epoch",
    "make_optimizer",
    "make_schedule",
    "train_contrastive",
    "train_videolm",
    "fit_head",
]


@dataclass
class History:
    """Per-epoch record of a training run.

    ``history["train_loss"]`` (or ``"train_acc"``, ``"val_loss"``, ``"val_acc"``, ``"seconds"``)
    is the list of that quantity over epochs; ``history.final`` is the last epoch's row.
    """

    rows: list[dict] = field(default_factory=list)

    def __getitem__(self, key: str) -> list[float]:
        if not self.rows or key not in self.rows[0]:
            keys = sorted(self.rows[0]) if self.rows else []
            raise KeyError(f"history has no {key!r}; it has {keys}")
        return [r[key] for r in self.rows]

    @property
    def final(self) -> dict:
        return self.rows[-1] if self.rows else {}

    def __len__(self) -> int:
        return len(self.rows)

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v:.3g}" for k, v in self.final.items() if k != "epoch")
        return f"History({len(self.rows)} epochs; last: {last})"


def _autocast(device: torch.device, amp: bool):
    if amp and device.type == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _loader(data, batch_size: int, shuffle: bool):
    if isinstance(data, (torch.utils.data.DataLoader, IndexBatches)):
        return data
    return make_loader(data, batch_size=batch_size, shuffle=shuffle)


def _to_device(x, device: torch.device):
    """Move a batch's input or target to ``device``: a tensor, or a (nested) tuple/list of tensors."""
    if isinstance(x, (tuple, list)):
        return type(x)(_to_device(t, device) for t in x)
    return x.to(device, non_blocking=True)


def _float(out):
    """A model's output in float32: a tensor, or a (nested) tuple/list of tensors (e.g. scores and distances)."""
    if isinstance(out, (tuple, list)):
        return type(out)(_float(t) for t in out)
    return out.float()


def _rows(y) -> int:
    """Examples in a batch's target: the first dimension of the (first) tensor."""
    return _rows(y[0]) if isinstance(y, (tuple, list)) else y.shape[0]


def _call(model: nn.Module, x):
    """``model(x)``, or ``model(*x)`` for a batch of several input streams (e.g. video and sound, notebook 10)."""
    return model(*x) if isinstance(x, (tuple, list)) else model(x)


def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of rows of ``logits (N, K)`` whose arg-max equals ``labels (N,)``."""
    if logits.ndim != 2 or labels.ndim != 1 or logits.shape[0] != labels.shape[0]:
        raise ValueError(f"expected logits (N, K) and labels (N,), got {tuple(logits.shape)} and {tuple(labels.shape)}")
    return (logits.argmax(1) == labels.to(logits.device)).float().mean().item()


def make_optimizer(model: nn.Module, lr: float, weight_decay: float = 0.0) -> torch.optim.Optimizer:
    """The suite's optimizer: Adam over all of ``model``'s parameters.

    ``foreach=True``: each step updates all parameter tensors with a few batched kernels instead of a Python loop
    over them -- the same numbers (bit for bit), and about a tenth faster for the small models of the course on a
    CPU (PyTorch already does this on a GPU)."""
    return torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay, foreach=True)


def make_schedule(
    optimizer: torch.optim.Optimizer, total_steps: int, schedule: str = "cosine"
) -> torch.optim.lr_scheduler.LambdaLR:
    """The suite's learning-rate schedule, stepped once per batch over ``total_steps`` batches.

    ``"cosine"`` decays the rate from its start value to 0 (short runs end steadier);
    ``"constant"`` keeps it.
    """
    if schedule not in ("cosine", "constant"):
        raise ValueError(f"expected schedule 'cosine' or 'constant', got {schedule!r}")
    if schedule == "cosine":
        return torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: 0.5 * (1 + math.cos(math.pi * step / total_steps))
        )
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)


def train_epoch(
    model: nn.Module,
    loader,
    optimizer: torch.optim.Optimizer,
    scheduler=None,
    *,
    device: torch.device,
    amp: bool = True,
    on_batch=None,
    loss_fn=None,
) -> dict:
    """One pass over ``loader``: forward, loss, backward, optimizer (and scheduler) step per batch.

    The single training step of the suite: :func:`fit` calls it once per epoch, and so does
    ``python -m vulib.train_video`` (where ``model`` is wrapped in ``DistributedDataParallel``,
    which averages the gradients over the processes inside ``loss.backward()``).

    Args:
        model: maps a batch ``(B, C, T, H, W)`` to logits ``(B, K)``; put in training mode.
        loader: yields ``(x, y)`` batches; ``y`` ``(B,)`` integer labels. ``x`` may be a tuple of
            tensors (several input streams, e.g. video and sound): the model is then called as ``model(*x)``.
            With a ``loss_fn``, ``y`` may be a (nested) tuple of tensors, one row per example in each.
        on_batch: called after each batch with this epoch's running sums (the dict below).
        loss_fn: ``loss_fn(output, y) -> scalar loss`` for models that are not plain classifiers (a
            contrastive loss, next-word prediction, a localization head's scores and distances); ``output`` is
            the model's output in float32 (a tensor or a tuple of tensors) and ``y`` whatever the loader yields.
            Default: cross-entropy of logits ``(B, K)`` against labels ``(B,)``.

    Returns:
        sums over this process's batches, so that processes can add theirs up:
        ``{"loss_sum": sum of per-example losses, "correct": right guesses (0 with a loss_fn),
        "clips": examples seen}``.
    """
    model.train()
    sums = {"loss_sum": 0.0, "correct": 0, "clips": 0}
    for x, y in loader:
        x, y = _to_device(x, device), _to_device(y, device)
        with _autocast(device, amp):
            out = _call(model, x)  # (B, K) logits, or the loss_fn's input
            loss = F.cross_entropy(out.float(), y) if loss_fn is None else loss_fn(_float(out), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        n = _rows(y)
        sums["clips"] += n
        sums["loss_sum"] += loss.item() * n
        if loss_fn is None:
            sums["correct"] += (out.argmax(1) == y).sum().item()
        if on_batch is not None:
            on_batch(sums)
    return sums


def fit(
    model: nn.Module,
    train,
    val=None,
    *,
    epochs: int = 5,
    lr: float = 3e-3,
    batch_size: int = 64,
    weight_decay: float = 0.0,
    schedule: str = "cosine",
    device: torch.device | None = None,
    amp: bool = True,
    progress: bool = True,
    desc: str | None = None,
    loss_fn=None,
) -> History:
    """Train ``model`` with Adam and cross-entropy (or ``loss_fn``); return a :class:`History`.

    Args:
        model: any module mapping a batch ``(B, C, T, H, W)`` to class logits ``(B, K)``.
        train: a ``VideoBatch``, an ``(x, y)`` pair, a ``DataLoader`` or an
            :class:`~vulib.data.IndexBatches` (shuffled each epoch).
        val: optional held-out data, evaluated after every epoch (classifiers only).
        epochs, lr, batch_size, weight_decay: the usual.
        schedule: ``"cosine"`` (default) decays the learning rate from ``lr`` to 0 over the run, step by
            step, which makes short runs end steadier; ``"constant"`` keeps it at ``lr``.
        device: where to train; default :func:`vulib.get_device`. The model is moved there.
        amp: use bfloat16 autocast on CUDA (ignored on the CPU).
        progress: show a progress bar.
        desc: label for the progress bar (default: the model's class name).
        loss_fn: ``loss_fn(output, y) -> scalar`` instead of cross-entropy, for models that are not
            classifiers (see :func:`train_epoch`); the history then has no accuracy.
    """
    if epochs < 1:
        raise ValueError(f"expected epochs >= 1, got {epochs}")
    if loss_fn is not None and val is not None:
        raise ValueError("val= is evaluated as classification: with a loss_fn, evaluate the model yourself")
    device = device or get_device()
    model.to(device)
    loader = _loader(train, batch_size, shuffle=True)
    opt = make_optimizer(model, lr, weight_decay)
    sched = make_schedule(opt, epochs * len(loader), schedule)
    history = History()
    bar = tqdm(
        total=epochs * len(loader),
        desc=desc or type(model).__name__,
        disable=not progress,
        unit="batch",
        leave=True,
        mininterval=0.5,
    )
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()

        def show(sums: dict) -> None:
            bar.update(1)
            shown = {"epoch": epoch, "loss": f"{sums['loss_sum'] / sums['clips']:.3f}"}
            if loss_fn is None:
                shown["acc"] = f"{sums['correct'] / sums['clips']:.2f}"
            bar.set_postfix(shown, refresh=False)

        sums = train_epoch(model, loader, opt, sched, device=device, amp=amp, on_batch=show, loss_fn=loss_fn)
        row = {"epoch": epoch, "train_loss": sums["loss_sum"] / sums["clips"]}
        if loss_fn is None:
            row["train_acc"] = sums["correct"] / sums["clips"]
        if val is not None:
            ev = evaluate(model, val, batch_size=128, device=device, amp=amp)
            row.update(val_loss=ev["loss"], val_acc=ev["accuracy"])
            bar.set_postfix(epoch=epoch, loss=f"{row['train_loss']:.3f}", val_acc=f"{ev['accuracy']:.2f}")
        row["seconds"] = time.perf_counter() - t0
        history.rows.append(row)
    bar.close()
    return history


@torch.no_grad()
def _logits(model: nn.Module, batches, device: torch.device | None, amp: bool) -> torch.Tensor:
    """Logits ``(N, K)`` (CPU, float32) of ``model`` in eval mode over an iterable of input batches."""
    device = device or get_device()
    model.to(device).eval()
    outs = []
    for x in batches:
        with _autocast(device, amp):
            outs.append(_call(model, _to_device(x, device)).float().cpu())
    return torch.cat(outs)


def predict(
    model: nn.Module, data, *, batch_size: int = 128, device: torch.device | None = None, amp: bool = True
) -> torch.Tensor:
    """Class logits ``(N, K)`` (on the CPU, float32) of ``model`` in eval mode.

    ``data`` is a video tensor ``(N, C, T, H, W)``, a ``VideoBatch``, an ``(x, y)`` pair or a ``DataLoader``.
    """
    if isinstance(data, torch.Tensor):
        batches = (data[i : i + batch_size] for i in range(0, data.shape[0], batch_size))
    else:
        batches = (x for x, _ in _loader(data, batch_size, shuffle=False))
    return _logits(model, batches, device, amp)


def evaluate(
    model: nn.Module, data, *, batch_size: int = 128, device: torch.device | None = None, amp: bool = True
) -> dict:
    """Mean cross-entropy ``loss`` and ``accuracy`` of ``model`` on ``data`` (eval mode).

    ``data`` is a ``VideoBatch``, an ``(x, y)`` pair or a ``DataLoader`` (read once: a loader
    that decodes video files decodes each only once).
    """
    labels = []

    def inputs():
        for x, y in _loader(data, batch_size, shuffle=False):
            labels.append(y)
            yield x

    logits = _logits(model, inputs(), device, amp)
    labels = torch.cat(labels)
    return {"loss": F.cross_entropy(logits, labels.long()).item(), "accuracy": accuracy(logits, labels)}


# ------------------------------------------------------------------------------------------------
# Trainers of models that are not plain classifiers: the same loop with their own loss
# ------------------------------------------------------------------------------------------------
def train_contrastive(
    model: VideoTextModel,
    video: torch.Tensor,
    ids: torch.Tensor,
    *,
    epochs: int = 10,
    batch_size: int = 64,
    lr: float = 2e-3,
    device=None,
    progress: bool = True,
    desc: str = "contrastive",
) -> list[float]:
    """Train a :class:`~vulib.models.VideoTextModel` with :func:`~vulib.models.language.info_nce` on pairs
    ``video (N, C, T, H, W)``, ``ids (N, L)`` with :func:`fit` (Adam + cosine schedule). Returns the mean loss
    per epoch."""
    if video.shape[0] != ids.shape[0]:
        raise ValueError(f"expected one text per clip, got {video.shape[0]} clips and {ids.shape[0]} texts")
    pairs = IndexBatches(len(video), batch_size, lambda b: ((video[b], ids[b]), b))  # y: unused row indices
    history = fit(
        model,
        pairs,
        epochs=epochs,
        lr=lr,
        device=device,
        progress=progress,
        desc=desc,
        loss_fn=lambda logits, _: info_nce(logits),
    )
    return history["train_loss"]


def train_videolm(
    model: VideoLM,
    features: torch.Tensor,
    clip_index: torch.Tensor,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    *,
    epochs: int = 5,
    batch_size: int = 64,
    lr: float = 2e-3,
    device=None,
    progress: bool = True,
    desc: str = "VideoLM",
) -> list[float]:
    """Teacher forcing: row ``r`` feeds the visual tokens of ``features[clip_index[r]]`` and ``inputs[r]``
    ``(L,)`` and scores the next-word logits against ``targets[r]`` (``-100`` = not scored) with
    :func:`~vulib.models.language.next_word_loss`, trained by :func:`fit`. Only the projector and the language
    model learn; the encoder is frozen. Returns the mean loss per epoch."""
    if not len(clip_index) == len(inputs) == len(targets):
        raise ValueError(
            f"expected as many clip indices, inputs and targets, got {len(clip_index)}, {len(inputs)}, {len(targets)}"
        )
    lengths = torch.tensor([int((t != -100).nonzero().max()) + 1 for t in targets])  # (M,) tokens up to <eos>

    def rows(b):
        L = int(lengths[b].max())  # no columns of padding only
        return (features[clip_index[b]], inputs[b, :L]), targets[b, :L]

    # questions (short) and captions (long) in separate batches: less padding to compute
    batches = IndexBatches(len(inputs), batch_size, rows, groups=(lengths + 15) // 16)
    history = fit(
        model, batches, epochs=epochs, lr=lr, device=device, progress=progress, desc=desc, loss_fn=next_word_loss
    )
    return history["train_loss"]


def fit_head(
    head: LocalizationHead,
    feats: torch.Tensor,
    segments: Sequence[Sequence[tuple]],
    *,
    stride: int = 4,
    epochs: int = 200,
    lr: float = 3e-3,
    batch_size: int = 16,
    weight_decay: float = 1e-4,
    device: torch.device | None = None,
    progress: bool = True,
    seed: int = 0,
) -> list[float]:
    """Train the head on snippet features ``(B, N, D)`` of videos with ground-truth ``segments`` (frames).

    :func:`fit` (Adam with a cosine schedule) with :func:`~vulib.models.localization.head_loss` on shuffled
    mini-batches of whole videos (the order drawn from its own generator seeded with ``seed``); no bfloat16
    autocast. Returns the mean loss per epoch; the head is left in eval mode.
    """
    cls_t, dist_t = head_targets(segments, feats.shape[1], stride, head.classes)  # (V, K, N), (V, 2, N)
    videos = IndexBatches(
        feats.shape[0],
        batch_size,
        lambda b: (feats[b], (cls_t[b], dist_t[b])),
        generator=torch.Generator().manual_seed(int(seed)),
    )

    def loss_fn(out, target):
        (logits, dist), (cls_target, dist_target) = out, target  # (B, K, N), (B, 2, N) each
        return head_loss(logits, dist, cls_target, dist_target)

    history = fit(
        head,
        videos,
        epochs=epochs,
        lr=lr,
        weight_decay=weight_decay,
        device=device,
        amp=False,
        progress=progress,
        desc="LocalizationHead",
        loss_fn=loss_fn,
    )
    head.eval()
    return history["train_loss"]
