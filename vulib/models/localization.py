"""Temporal action localization models (notebook 09): snippet features, a sliding-window baseline,
and an anchor-free head in the spirit of ActionFormer (Zhang, Wu & Li 2022).

The pipeline, for long videos ``(B, C, T, H, W)``:

1. **Snippets.** Cut the video every ``stride`` frames into short clips of ``snippet`` frames
   (:func:`snippet_clips`): snippet ``j`` is centred on frame ``j * stride + stride / 2``.
   A small 3D CNN (:class:`SnippetEncoder`, a :class:`~vulib.models.CNN3D`) trained on such clips --
   label = the action at the clip's centre, or background -- gives one feature vector per snippet
   (:func:`encode_snippets`): the video becomes a sequence ``(B, N, D)``, ``N = T / stride``.
2. **Baseline** (:func:`sliding_window_segments`): classify every snippet on its own, keep those whose
   class is an action with probability above a threshold, merge runs of the same class into segments.
3. **Anchor-free head** (:class:`LocalizationHead`): a 1D temporal network over the sequence predicts,
   per time step, a score for every class and the distances to the action's start and end; every
   confident step proposes a segment (:func:`decode_segments`), and NMS or Soft-NMS removes the
   duplicates (:func:`vulib.localization.suppress`). The head is trained by :func:`vulib.train.fit_head`.

Segments are ``(start, end, label, score)`` in frames, the rows :mod:`vulib.localization` scores.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..device import get_device
from ..tensors import check_video
from .backbones import CNN3D

__all__ = [
    "snippet_clips",
    "snippet_labels",
    "SnippetEncoder",
    "encode_snippets",
    "sliding_window_segments",
    "LocalizationHead",
    "head_targets",
    "head_loss",
    "decode_segments",
]


# ----------------------------------------------------------------------------------------
# Snippets
# ----------------------------------------------------------------------------------------
def snippet_clips(video: torch.Tensor, snippet: int = 8, stride: int = 4) -> torch.Tensor:
    """Cut videos ``(B, C, T, H, W)`` into ``N = T // stride`` clips ``(B, N, C, snippet, H, W)``.

    Clip ``j`` covers frames ``j*stride + stride/2 - snippet/2`` up to (excluding) ``... + snippet``, i.e. it
    is centred on the middle of its ``stride`` frames; the video is padded in time by repeating its first
    and last frames so that every clip has ``snippet`` frames.
    """
    check_video(video, "BCTHW")
    if stride < 1 or snippet < stride or (snippet - stride) % 2:
        raise ValueError(
            f"expected snippet >= stride >= 1 with an even difference, got snippet={snippet}, stride={stride}"
        )
    T = video.shape[2]
    if T < stride:
        raise ValueError(f"a video of {T} frames is shorter than one stride ({stride})")
    pad = (snippet - stride) // 2
    x = torch.cat([video[:, :, :1]] * pad + [video] + [video[:, :, -1:]] * pad, dim=2)  # (B, C, T + 2 pad, H, W)
    n = T // stride
    return torch.stack([x[:, :, j * stride : j * stride + snippet] for j in range(n)], dim=1)  # (B, N, C, S, H, W)


def snippet_labels(frame_labels: torch.Tensor, stride: int = 4) -> torch.Tensor:
    """Per-snippet targets ``(B, N)`` from per-frame classes ``(B, T)`` (``-1`` = none): the class at the
    snippet's centre frame **plus one**, so ``0`` is background and ``k + 1`` is class ``k``."""
    if frame_labels.ndim != 2:
        raise ValueError(f"expected frame labels (B, T), got shape {tuple(frame_labels.shape)}")
    n = frame_labels.shape[1] // stride
    centre = torch.arange(n) * stride + stride // 2  # (N,)
    return frame_labels[:, centre] + 1


class SnippetEncoder(CNN3D):
    """The snippet classifier and feature extractor: a :class:`~vulib.models.CNN3D` over
    ``classes + 1`` outputs (background first).

    ``model(clips (B, C, S, H, W))`` -> logits ``(B, classes + 1)``; ``model.embed(clips)`` -> features
    ``(B, 2 * width)`` (the globally max-pooled last convolution, what the logits are computed from).
    """

    def __init__(self, channels: int = 3, classes: int = 2, *, width: int = 8) -> None:
        super().__init__(channels, classes + 1, width=width)
        self.classes, self.dim = classes, 2 * width


@torch.no_grad()
def encode_snippets(
    encoder: SnippetEncoder,
    video: torch.Tensor,
    snippet: int = 8,
    stride: int = 4,
    batch_size: int = 256,
    device: torch.device | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Features and class probabilities of every snippet of long videos.

    Args:
        encoder: a trained :class:`SnippetEncoder`.
        video: ``(B, C, T, H, W)``; it is cut one video at a time, so only one video's clips exist at once.

    Returns:
        ``features (B, N, D)`` and ``probs (B, N, classes + 1)`` (background first), on the CPU.
    """
    device = device or get_device()
    encoder.to(device).eval()
    feats, probs = [], []
    for b in range(video.shape[0]):
        clips = snippet_clips(video[b : b + 1], snippet, stride)[0]  # (N, C, S, H, W)
        f_v, p_v = [], []
        for i in range(0, clips.shape[0], batch_size):
            f = encoder.embed(clips[i : i + batch_size].to(device))  # (n, D)
            f_v.append(f.float().cpu())
            p_v.append(encoder.head(f).float().softmax(-1).cpu())  # (n, K + 1)
        feats.append(torch.cat(f_v))
        probs.append(torch.cat(p_v))
    return torch.stack(feats), torch.stack(probs)


# ----------------------------------------------------------------------------------------
# (a) The sliding-window baseline
# ----------------------------------------------------------------------------------------
def sliding_window_segments(
    probs: torch.Tensor | np.ndarray, stride: int = 4, threshold: float = 0.5
) -> list[tuple[float, float, int, float]]:
    """Segments from per-snippet class probabilities of one video.

    Each snippet gets its most likely class; snippets whose class is an action (not background, index 0)
    with probability at least ``threshold`` are kept, and each run of consecutive kept snippets of the same
    class becomes one segment, scored by the run's mean probability.

    Args:
        probs: ``(N, K + 1)``, background first.
        stride: frames per snippet.

    Returns:
        ``[(start, end, label, score), ...]`` in frames (``label`` in ``0..K-1``).
    """
    p = torch.as_tensor(probs, dtype=torch.float32)
    if p.ndim != 2 or p.shape[1] < 2:
        raise ValueError(f"expected probabilities (N, K + 1) with background first, got shape {tuple(p.shape)}")
    conf, cls = p.max(1)  # (N,), (N,)
    keep = (cls > 0) & (conf >= threshold)
    out, j, n = [], 0, p.shape[0]
    while j < n:
        if not keep[j]:
            j += 1
            continue
        k = j
        while k + 1 < n and keep[k + 1] and cls[k + 1] == cls[j]:
            k += 1
        out.append((float(j * stride), float((k + 1) * stride), int(cls[j]) - 1, float(conf[j : k + 1].mean())))
        j = k + 1
    return out


# ----------------------------------------------------------------------------------------
# (b) The anchor-free head
# ----------------------------------------------------------------------------------------
class LocalizationHead(nn.Module):
    """An ActionFormer-like anchor-free head on a snippet-feature sequence.

    Shapes: features ``(B, N, D)`` -> transpose ``(B, D, N)`` -> 1D conv ``(B, h, N)`` -> residual dilated
    1D convs (dilations 1, 2, 4, 8: each step sees ``1 + 2 * 15 = 31`` snippets, 33 with the heads' own
    kernel-3 convolutions) -> two small heads:
    class logits ``(B, K, N)`` (one sigmoid score per class, as in ActionFormer) and distances to the start
    and the end ``(B, 2, N)`` in snippets (non-negative, via ReLU).

    Args:
        dim: D, the feature size; classes: K; hidden: h; dilations: of the residual blocks.
    """

    def __init__(
        self, dim: int, classes: int, *, hidden: int = 32, dilations: Sequence[int] = (1, 2, 4, 8), dropout: float = 0.1
    ) -> None:
        super().__init__()
        self.dim, self.classes = dim, classes
        self.stem = nn.Sequential(nn.Conv1d(dim, hidden, 1), nn.ReLU())
        self.blocks = nn.ModuleList(
            nn.Sequential(
                nn.Conv1d(hidden, hidden, 3, padding=d, dilation=d),
                nn.GroupNorm(1, hidden),
                nn.ReLU(),
                nn.Dropout(dropout),
            )
            for d in dilations
        )
        self.cls = nn.Conv1d(hidden, classes, 3, padding=1)
        self.reg = nn.Conv1d(hidden, 2, 3, padding=1)
        nn.init.constant_(self.cls.bias, -math.log(99.0))  # start at score 0.01: most steps are background

    def forward(self, feats: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if feats.ndim != 3 or feats.shape[2] != self.dim:
            raise ValueError(f"expected snippet features (B, N, D={self.dim}), got shape {tuple(feats.shape)}")
        x = self.stem(feats.transpose(1, 2))  # (B, h, N)
        for block in self.blocks:
            x = x + block(x)  # (B, h, N)
        return self.cls(x), F.relu(self.reg(x))  # (B, K, N), (B, 2, N)


def head_targets(
    segments: Sequence[Sequence[tuple]], steps: int, stride: int = 4, classes: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Training targets of the head for videos with ``segments`` (per video ``[(start, end, label), ...]``, frames).

    A step ``j`` (centre ``c = j * stride + stride / 2``) inside a segment is positive: its class target is 1
    for that segment's label, and its distance targets are ``((c - start) / stride, (end - c) / stride)``.

    Returns:
        ``cls (B, K, N)`` float 0/1 and ``dist (B, 2, N)`` float (0 where negative).
    """
    K = classes if classes is not None else 1 + max((c for segs in segments for _, _, c in segs), default=0)
    B = len(segments)
    cls = torch.zeros(B, K, steps)
    dist = torch.zeros(B, 2, steps)
    centre = torch.arange(steps) * stride + stride / 2  # (N,) frames
    for b, segs in enumerate(segments):
        for s, e, c in segs:
            inside = (centre >= s) & (centre < e)
            cls[b, c, inside] = 1.0
            dist[b, 0, inside] = (centre[inside] - s) / stride
            dist[b, 1, inside] = (e - centre[inside]) / stride
    return cls, dist


def head_loss(
    cls_logits: torch.Tensor,
    dist: torch.Tensor,
    cls_target: torch.Tensor,
    dist_target: torch.Tensor,
    gamma: float = 2.0,
    alpha: float = 0.25,
) -> torch.Tensor:
    """An ActionFormer-style loss: sigmoid focal loss (Lin et al. 2017) on the class scores of every step plus a
    1D IoU loss (``1 - tIoU`` of the predicted and true segment; ActionFormer uses its distance-IoU variant) on
    the start/end distances of the positive steps, each normalized by the number of positives.

    Shapes: ``cls_logits, cls_target (B, K, N)``; ``dist, dist_target (B, 2, N)``.
    """
    p = torch.sigmoid(cls_logits)
    ce = F.binary_cross_entropy_with_logits(cls_logits, cls_target, reduction="none")
    p_t = p * cls_target + (1 - p) * (1 - cls_target)
    a_t = alpha * cls_target + (1 - alpha) * (1 - cls_target)
    focal = (a_t * (1 - p_t) ** gamma * ce).sum()
    pos = cls_target.amax(1) > 0  # (B, N)
    n_pos = max(1, int(pos.sum()))
    d, g = dist.permute(0, 2, 1)[pos], dist_target.permute(0, 2, 1)[pos]  # (P, 2)
    inter = torch.minimum(d[:, 0], g[:, 0]) + torch.minimum(d[:, 1], g[:, 1])
    union = torch.maximum(d[:, 0], g[:, 0]) + torch.maximum(d[:, 1], g[:, 1])
    iou_loss = (1 - inter / union.clamp_min(1e-6)).sum()
    return (focal + iou_loss) / n_pos


def decode_segments(
    cls_logits: torch.Tensor,
    dist: torch.Tensor,
    stride: int = 4,
    frames: int | None = None,
    score_threshold: float = 0.05,
    top_k: int = 200,
) -> list[tuple[float, float, int, float]]:
    """Every confident (step, class) of one video as a segment, before any suppression.

    Args:
        cls_logits: ``(K, N)``; dist: ``(2, N)`` distances to start and end in snippets.
        frames: the video's length, to clip the segments (default ``N * stride``).
        score_threshold: keep scores (sigmoid) above it; top_k: at most this many, best first.

    Returns:
        ``[(start, end, label, score), ...]`` in frames, best score first.
    """
    if cls_logits.ndim != 2 or dist.shape != (2, cls_logits.shape[1]):
        raise ValueError(
            f"expected class logits (K, N) and distances (2, N), got {tuple(cls_logits.shape)} and {tuple(dist.shape)}"
        )
    K, N = cls_logits.shape
    T = frames if frames is not None else N * stride
    scores = torch.sigmoid(cls_logits.float()).flatten()  # (K * N,), class-major
    keep = torch.nonzero(scores > score_threshold).squeeze(1)
    keep = keep[scores[keep].argsort(descending=True, stable=True)][:top_k]
    out = []
    for i in keep.tolist():
        c, j = divmod(i, N)
        centre = j * stride + stride / 2
        s = max(0.0, centre - float(dist[0, j]) * stride)
        e = min(float(T), centre + float(dist[1, j]) * stride)
        if e - s < 1e-3:  # a zero-length guess is no segment
            e = min(float(T), s + 1.0)
            s = e - 1.0
        out.append((s, e, c, float(scores[i])))
    return out
