"""The five classic ways to classify a clip, taught in notebook 01 (fusion).

All five take clips ``(B, C, T, H, W)`` and return class logits ``(B, K)``. They differ only
in *where* the frames are combined ("fused"):

* :class:`SingleFrame`   -- never: each frame is classified alone; probabilities are averaged;
* :class:`LateFusionFC`  -- at the end, by concatenating per-frame feature maps into an MLP;
* :class:`LateFusionPool` -- at the end, by average-pooling per-frame features over space and time;
* :class:`EarlyFusion`   -- at the start: time is folded into channels, so the first 2D conv sees all frames;
* :class:`CNN3D`         -- slowly, throughout: 3D convolutions and 3D pooling ("slow fusion").

To keep the comparison fair, the four 2D models share one small backbone,
:class:`~vulib.models.FrameCNN` (conv - pool - conv), and :class:`~vulib.models.CNN3D` is the same stack with
3D kernels; both live in :mod:`vulib.models.backbones`, because most later lessons build on them.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from ..tensors import check_video
from .backbones import FrameCNN, per_frame

__all__ = ["SingleFrame", "LateFusionFC", "LateFusionPool", "EarlyFusion"]


def _size2(size: int | tuple[int, int]) -> tuple[int, int]:
    return (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))


class SingleFrame(nn.Module):
    """Single-frame CNN: classify each frame alone, average the class probabilities.

    Shapes: ``(B, C, T, H, W)`` -> per frame :class:`FrameCNN` ``(B, T, 2w, H/4, W/4)`` -> global
    max-pool over space ``(B, T, 2w)`` -> linear ``(B, T, K)`` per-frame logits.

    * training (``model.train()``): one random frame per clip is classified, i.e. the network is
      trained as an ordinary image classifier on frames carrying their clip's label;
    * evaluation (``model.eval()``): all frames are classified and their softmax probabilities
      averaged; the output is the *log* of that average (so ``argmax`` and cross-entropy work as usual).

    Taught in ``notebooks/01_fusion.ipynb``.
    """

    def __init__(self, channels: int = 3, classes: int = 2, *, width: int = 16) -> None:
        super().__init__()
        self.channels, self.classes = channels, classes
        self.backbone = FrameCNN(channels, width=width)
        self.head = nn.Linear(self.backbone.out_channels, classes)

    def frame_logits(self, x: torch.Tensor) -> torch.Tensor:
        """Per-frame class logits ``(B, T, K)``."""
        check_video(x, channels=self.channels)
        f = per_frame(self.backbone, x).amax(dim=(3, 4))  # (B, T, 2w)
        return self.head(f)  # (B, T, K)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            check_video(x, channels=self.channels)
            t = torch.randint(0, x.shape[2], (x.shape[0],), device=x.device)
            frames = x[torch.arange(x.shape[0], device=x.device), :, t]  # (B, C, H, W)
            return self.frame_logits(frames.unsqueeze(2))[:, 0]  # (B, K)
        probs = self.frame_logits(x).float().softmax(-1).mean(1)  # (B, K)
        return probs.clamp_min(1e-12).log()


class LateFusionFC(nn.Module):
    """Late fusion with fully connected layers: concatenate every frame's feature map, then an MLP.

    Shapes: ``(B, C, T, H, W)`` -> per frame :class:`FrameCNN` ``(B, T, 2w, H/4, W/4)`` -> max-pool 2x2
    ``(B, T, 2w, H/8, W/8)`` -> flatten ``(B, T*2w*H/8*W/8)`` -> linear ``hidden`` - ReLU - linear ``(B, K)``.

    The first linear layer has ``T * 2w * (H/8) * (W/8) * hidden`` weights: it grows with the clip length
    and the frame area, which is why this design needs ``frames`` and ``size`` up front.
    Taught in ``notebooks/01_fusion.ipynb``.
    """

    def __init__(
        self,
        channels: int = 3,
        classes: int = 2,
        *,
        frames: int = 8,
        size: int | tuple[int, int] = 32,
        width: int = 16,
        hidden: int = 64,
    ) -> None:
        super().__init__()
        self.classes = classes
        h, w = _size2(size)
        if h % 8 or w % 8:
            raise ValueError(f"LateFusionFC needs frame sizes divisible by 8, got {h}x{w}")
        self.channels, self.frames, self.size = channels, frames, (h, w)
        self.backbone = FrameCNN(channels, width=width)
        self.pool = nn.MaxPool2d(2)
        features = frames * self.backbone.out_channels * (h // 8) * (w // 8)
        self.mlp = nn.Sequential(
            nn.Flatten(), nn.BatchNorm1d(features), nn.Linear(features, hidden), nn.ReLU(), nn.Linear(hidden, classes)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_video(x, channels=self.channels, frames=self.frames)
        if tuple(x.shape[3:]) != self.size:
            raise ValueError(
                f"LateFusionFC was built for {self.size[0]}x{self.size[1]} frames, got "
                f"{x.shape[3]}x{x.shape[4]}: its MLP's input size depends on the frame size"
            )
        f = per_frame(nn.Sequential(self.backbone, self.pool), x)  # (B, T, 2w, H/8, W/8)
        return self.mlp(f)  # (B, K)


class LateFusionPool(nn.Module):
    """Late fusion with pooling: per-frame features averaged over space *and* time, then a small MLP.

    Shapes: ``(B, C, T, H, W)`` -> per frame :class:`FrameCNN` ``(B, T, 2w, H/4, W/4)`` -> mean over
    T, H, W ``(B, 2w)`` -> linear ``hidden`` - ReLU - linear ``(B, K)``. Works for any clip length and frame size.
    Taught in ``notebooks/01_fusion.ipynb``.
    """

    def __init__(self, channels: int = 3, classes: int = 2, *, width: int = 16, hidden: int = 64) -> None:
        super().__init__()
        self.channels, self.classes = channels, classes
        self.backbone = FrameCNN(channels, width=width)
        # The mean over T*H*W positions is dominated by the background; batch-normalizing the pooled
        # vector brings the small object-driven differences back to a trainable scale.
        self.head = nn.Sequential(
            nn.BatchNorm1d(self.backbone.out_channels),
            nn.Linear(self.backbone.out_channels, hidden),
            nn.ReLU(),
            nn.Linear(hidden, classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_video(x, channels=self.channels)
        f = per_frame(self.backbone, x).mean(dim=(1, 3, 4))  # (B, 2w)
        return self.head(f)  # (B, K)


class EarlyFusion(nn.Module):
    """Early fusion: fold time into channels, ``(B, C*T, H, W)``, then a 2D CNN.

    Shapes: ``(B, C, T, H, W)`` -> ``(B, C*T, H, W)`` -> :class:`FrameCNN` with ``C*T`` input channels
    ``(B, 2w, H/4, W/4)`` -> global max-pool ``(B, 2w)`` -> linear ``(B, K)``.

    Each first-layer filter has a separate weight for every (frame, colour) pair, so it spans the whole
    clip -- and the model only accepts clips of exactly ``frames`` frames.
    Taught in ``notebooks/01_fusion.ipynb``; its lack of temporal shift-invariance in notebook 03.
    """

    def __init__(self, channels: int = 3, classes: int = 2, *, frames: int = 8, width: int = 16) -> None:
        super().__init__()
        self.channels, self.classes, self.frames = channels, classes, frames
        self.backbone = FrameCNN(channels * frames, width=width)
        self.head = nn.Linear(self.backbone.out_channels, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_video(x, channels=self.channels)
        if x.shape[2] != self.frames:
            raise ValueError(
                f"EarlyFusion was built for clips of T={self.frames} frames, got T={x.shape[2]}: its first "
                f"layer has one weight per (frame, colour) input channel ({self.channels}x{self.frames}="
                f"{self.channels * self.frames}), so it cannot take a clip of another length"
            )
        B, C, T, H, W = x.shape
        stacked = x.reshape(B, C * T, H, W)  # (B, C*T, H, W): time folded into channels
        f = self.backbone(stacked).amax(dim=(2, 3))  # (B, 2w)
        return self.head(f)  # (B, K)
