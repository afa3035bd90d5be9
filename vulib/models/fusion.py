"""The five classic ways to classify a clip, taught in notebook 01 (fusion).

All five take clips ``(B, C, T, H, W)`` and return class logits ``(B, K)``. They differ only
in *where* the frames are combined ("fused"):

* :class:`SingleFrame`   -- never: each frame is classified alone; probabilities are averaged;
* :class:`LateFusionFC`  -- at the end, by concatenating per-frame feature maps into an MLP;
* :class:`LateFusionPool` -- at the end, by average-pooling per-frame features over space and time;
* :class:`EarlyFusion`   -- at the start: time is folded into channels, so the first 2D conv sees all frames;
* :class:`CNN3D`         -- slowly, throughout: 3D convolutions and 3D pooling ("slow fusion").

To keep the comparison fair, the four 2D models share one small backbone,
:class:`FrameCNN` (conv - pool - conv), and :class:`CNN3D` is the same stack with 3D kernels.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from ..tensors import check_video
from .attention import NonLocalBlock

__all__ = ["FrameCNN", "SingleFrame", "LateFusionFC", "LateFusionPool", "EarlyFusion", "CNN3D"]


def _size2(size: int | tuple[int, int]) -> tuple[int, int]:
    return (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))


class FrameCNN(nn.Module):
    """The shared 2D backbone: ``(N, C_in, H, W) -> (N, 2*width, H/4, W/4)``.

    conv 3x3 (C_in -> w) - ReLU - max-pool 2 - conv 3x3 (w -> 2w) - ReLU - max-pool 2 - conv 3x3 (2w -> 2w) - ReLU.
    Each output unit sees 18 x 18 input pixels: a whole object of the synthetic tasks.
    """

    def __init__(self, in_channels: int = 3, width: int = 16) -> None:
        super().__init__()
        self.out_channels = 2 * width
        self.layers = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.BatchNorm2d(2 * width), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(2 * width, 2 * width, 3, padding=1), nn.BatchNorm2d(2 * width), nn.ReLU(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


def _per_frame(backbone: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Apply a 2D network to every frame: ``(B, C, T, H, W) -> (B, T, C', H', W')``."""
    B, C, T, H, W = x.shape
    frames = x.transpose(1, 2).reshape(B * T, C, H, W)            # (B*T, C, H, W)
    f = backbone(frames)                                          # (B*T, C', H', W')
    return f.view(B, T, *f.shape[1:])                             # (B, T, C', H', W')


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

    def __init__(self, channels: int = 3, classes: int = 2, width: int = 16) -> None:
        super().__init__()
        self.channels = channels
        self.backbone = FrameCNN(channels, width)
        self.head = nn.Linear(self.backbone.out_channels, classes)

    def frame_logits(self, x: torch.Tensor) -> torch.Tensor:
        """Per-frame class logits ``(B, T, K)``."""
        check_video(x, channels=self.channels)
        f = _per_frame(self.backbone, x).amax(dim=(3, 4))          # (B, T, 2w)
        return self.head(f)                                       # (B, T, K)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            check_video(x, channels=self.channels)
            t = torch.randint(0, x.shape[2], (x.shape[0],), device=x.device)
            frames = x[torch.arange(x.shape[0], device=x.device), :, t]   # (B, C, H, W)
            return self.frame_logits(frames.unsqueeze(2))[:, 0]          # (B, K)
        probs = self.frame_logits(x).float().softmax(-1).mean(1)         # (B, K)
        return probs.clamp_min(1e-12).log()


class LateFusionFC(nn.Module):
    """Late fusion with fully connected layers: concatenate every frame's feature map, then an MLP.

    Shapes: ``(B, C, T, H, W)`` -> per frame :class:`FrameCNN` ``(B, T, 2w, H/4, W/4)`` -> max-pool 2x2
    ``(B, T, 2w, H/8, W/8)`` -> flatten ``(B, T*2w*H/8*W/8)`` -> linear ``hidden`` - ReLU - linear ``(B, K)``.

    The first linear layer has ``T * 2w * (H/8) * (W/8) * hidden`` weights: it grows with the clip length
    and the frame area, which is why this design needs ``frames`` and ``size`` up front.
    Taught in ``notebooks/01_fusion.ipynb``.
    """

    def __init__(self, channels: int = 3, frames: int = 8, classes: int = 2, width: int = 16,
                 size: int | tuple[int, int] = 32, hidden: int = 64) -> None:
        super().__init__()
        h, w = _size2(size)
        if h % 8 or w % 8:
            raise ValueError(f"LateFusionFC needs frame sizes divisible by 8, got {h}x{w}")
        self.channels, self.frames, self.size = channels, frames, (h, w)
        self.backbone = FrameCNN(channels, width)
        self.pool = nn.MaxPool2d(2)
        features = frames * self.backbone.out_channels * (h // 8) * (w // 8)
        self.mlp = nn.Sequential(nn.Flatten(), nn.BatchNorm1d(features), nn.Linear(features, hidden), nn.ReLU(),
                                 nn.Linear(hidden, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_video(x, channels=self.channels, frames=self.frames)
        if tuple(x.shape[3:]) != self.size:
            raise ValueError(f"LateFusionFC was built for {self.size[0]}x{self.size[1]} frames, got "
                             f"{x.shape[3]}x{x.shape[4]}: its MLP's input size depends on the frame size")
        f = _per_frame(nn.Sequential(self.backbone, self.pool), x)   # (B, T, 2w, H/8, W/8)
        return self.mlp(f)                                           # (B, K)


class LateFusionPool(nn.Module):
    """Late fusion with pooling: per-frame features averaged over space *and* time, then a small MLP.

    Shapes: ``(B, C, T, H, W)`` -> per frame :class:`FrameCNN` ``(B, T, 2w, H/4, W/4)`` -> mean over
    T, H, W ``(B, 2w)`` -> linear ``hidden`` - ReLU - linear ``(B, K)``. Works for any clip length and frame size.
    Taught in ``notebooks/01_fusion.ipynb``.
    """

    def __init__(self, channels: int = 3, classes: int = 2, width: int = 16, hidden: int = 64) -> None:
        super().__init__()
        self.channels = channels
        self.backbone = FrameCNN(channels, width)
        # The mean over T*H*W positions is dominated by the background; batch-normalizing the pooled
        # vector brings the small object-driven differences back to a trainable scale.
        self.head = nn.Sequential(nn.BatchNorm1d(self.backbone.out_channels),
                                  nn.Linear(self.backbone.out_channels, hidden), nn.ReLU(), nn.Linear(hidden, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_video(x, channels=self.channels)
        f = _per_frame(self.backbone, x).mean(dim=(1, 3, 4))        # (B, 2w)
        return self.head(f)                                        # (B, K)


class EarlyFusion(nn.Module):
    """Early fusion: fold time into channels, ``(B, C*T, H, W)``, then a 2D CNN.

    Shapes: ``(B, C, T, H, W)`` -> ``(B, C*T, H, W)`` -> :class:`FrameCNN` with ``C*T`` input channels
    ``(B, 2w, H/4, W/4)`` -> global max-pool ``(B, 2w)`` -> linear ``(B, K)``.

    Each first-layer filter has a separate weight for every (frame, colour) pair, so it spans the whole
    clip -- and the model only accepts clips of exactly ``frames`` frames.
    Taught in ``notebooks/01_fusion.ipynb``; its lack of temporal shift-invariance in notebook 03.
    """

    def __init__(self, channels: int = 3, frames: int = 8, classes: int = 2, width: int = 16) -> None:
        super().__init__()
        self.channels, self.frames = channels, frames
        self.backbone = FrameCNN(channels * frames, width)
        self.head = nn.Linear(self.backbone.out_channels, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_video(x, channels=self.channels)
        if x.shape[2] != self.frames:
            raise ValueError(
                f"EarlyFusion was built for clips of T={self.frames} frames, got T={x.shape[2]}: its first "
                f"layer has one weight per (frame, colour) input channel ({self.channels}x{self.frames}="
                f"{self.channels * self.frames}), so it cannot take a clip of another length")
        B, C, T, H, W = x.shape
        stacked = x.reshape(B, C * T, H, W)                          # (B, C*T, H, W): time folded into channels
        f = self.backbone(stacked).amax(dim=(2, 3))                  # (B, 2w)
        return self.head(f)                                          # (B, K)


class CNN3D(nn.Module):
    """A 3D CNN ("slow fusion"): the :class:`FrameCNN` stack with 3D kernels and 3D pooling.

    Shapes: ``(B, C, T, H, W)`` -> conv 3x3x3 ``(B, w, T, H, W)`` - ReLU - max-pool 2x2x2
    ``(B, w, T/2, H/2, W/2)`` - conv 3x3x3 ``(B, 2w, ...)`` - ReLU - max-pool 2x2x2 ``(B, 2w, T/4, H/4, W/4)`` -
    conv 3x3x3 - ReLU -> global max-pool ``(B, 2w)`` -> linear ``(B, K)``. Works for any clip length >= 4.

    ``time_kernel`` (temporal size of every kernel), ``time_stride`` (temporal stride of the two
    poolings) and ``time_padding`` (zero frames added at each end by every conv; default
    ``time_kernel // 2``; 0 means no unit can tell where it is in the clip) let later notebooks vary
    how time is handled. ``nonlocal_after`` lists the conv blocks (0, 1, 2) after which a
    :class:`~vulib.models.NonLocalBlock` is inserted (notebook 06), with a learned bias per
    frame offset for clips up to ``nonlocal_relative_time`` frames (0: none).
    Taught in ``notebooks/01_fusion.ipynb`` and ``notebooks/03_3d_convolution.ipynb``.
    """

    def __init__(self, channels: int = 3, classes: int = 2, width: int = 16, time_kernel: int = 3,
                 time_stride: int = 2, time_padding: int | None = None,
                 nonlocal_after: tuple[int, ...] = (), nonlocal_relative_time: int = 0) -> None:
        super().__init__()
        self.channels = channels
        pt = time_kernel // 2 if time_padding is None else time_padding
        k, p = (time_kernel, 3, 3), (pt, 1, 1)
        if any(i not in (0, 1, 2) for i in nonlocal_after):
            raise ValueError(f"nonlocal_after lists conv blocks 0, 1 or 2, got {nonlocal_after}")
        widths = [width, 2 * width, 2 * width]
        layers: list[nn.Module] = []
        for i, (c_in, c_out) in enumerate(zip([channels] + widths[:2], widths)):
            if i > 0:
                layers.append(nn.MaxPool3d((time_stride, 2, 2)))
            layers += [nn.Conv3d(c_in, c_out, k, padding=p), nn.BatchNorm3d(c_out), nn.ReLU()]
            if i in nonlocal_after:
                layers.append(NonLocalBlock(c_out, relative_time=nonlocal_relative_time))
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(2 * width, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_video(x, channels=self.channels)
        f = self.features(x).amax(dim=(2, 3, 4))                     # (B, 2w)
        return self.head(f)                                          # (B, K)
