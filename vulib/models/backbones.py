"""The backbones most lessons build on: a small 2D CNN for frames and the same stack in 3D.

* :class:`FrameCNN` -- conv - pool - conv - pool - conv, one image at a time: ``(N, C, H, W) -> (N, 2w, H/4, W/4)``;
  :func:`per_frame` runs it (or any 2D network) on every frame of a clip;
* :class:`CNN3D` -- the same stack with 3D kernels and 3D pooling ("slow fusion"), a classifier of clips;
  :meth:`CNN3D.embed` is its clip embedding ``(B, 2w)``, what its head (and every model that reuses it) reads.

:class:`~vulib.models.R2Plus1D` is :class:`CNN3D` with factorised convolutions and :class:`~vulib.models.AudioCNN`
is :func:`frame_stack` on log-mel images: the same layers, so the same parameter names.
Taught in ``notebooks/01_fusion.ipynb`` and ``notebooks/03_3d_convolution.ipynb``.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from ..tensors import check_video
from .attention import NonLocalBlock

__all__ = ["FrameCNN", "frame_stack", "per_frame", "CNN3D", "global_max"]


def frame_stack(channels: int, width: int, *, input_norm: bool = False) -> nn.Sequential:
    """The layers of :class:`FrameCNN`: ``(N, channels, H, W) -> (N, 2 * width, H/4, W/4)``.

    conv 3x3 (C -> w) - BN - ReLU - max-pool 2 - conv 3x3 (w -> 2w) - BN - ReLU - max-pool 2 -
    conv 3x3 (2w -> 2w) - BN - ReLU. ``input_norm`` puts a batch norm of the input first (it learns the
    offset and scale of inputs that are not images in [0, 1], such as decibels).
    """
    first = [nn.BatchNorm2d(channels)] if input_norm else []
    return nn.Sequential(
        *first,
        nn.Conv2d(channels, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(width, 2 * width, 3, padding=1), nn.BatchNorm2d(2 * width), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(2 * width, 2 * width, 3, padding=1), nn.BatchNorm2d(2 * width), nn.ReLU(),
    )  # fmt: skip


class FrameCNN(nn.Module):
    """The shared 2D backbone: ``(N, C, H, W) -> (N, 2*width, H/4, W/4)``.

    conv 3x3 (C -> w) - ReLU - max-pool 2 - conv 3x3 (w -> 2w) - ReLU - max-pool 2 - conv 3x3 (2w -> 2w) - ReLU
    (:func:`frame_stack`, each conv followed by batch norm). Each output unit sees 18 x 18 input pixels: a whole
    object of the synthetic tasks.
    """

    def __init__(self, channels: int = 3, *, width: int = 16) -> None:
        super().__init__()
        self.channels, self.out_channels = channels, 2 * width
        self.layers = frame_stack(channels, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)  # (N, 2w, H/4, W/4)


def per_frame(backbone: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Apply a 2D network to every frame: ``(B, C, T, H, W) -> (B, T, C', H', W')``."""
    B, C, T, H, W = x.shape
    frames = x.transpose(1, 2).reshape(B * T, C, H, W)  # (B*T, C, H, W)
    f = backbone(frames)  # (B*T, C', H', W')
    return f.view(B, T, *f.shape[1:])  # (B, T, C', H', W')


def global_max(features: torch.Tensor) -> torch.Tensor:
    """One vector per clip: a feature map ``(B, D, T, H, W)`` max-pooled over time and space, ``(B, D)``."""
    return features.amax(dim=(2, 3, 4))


class CNN3D(nn.Module):
    """A 3D CNN ("slow fusion"): the :class:`FrameCNN` stack with 3D kernels and 3D pooling.

    Shapes: ``(B, C, T, H, W)`` -> conv 3x3x3 ``(B, w, T, H, W)`` - ReLU - max-pool 2x2x2
    ``(B, w, T/2, H/2, W/2)`` - conv 3x3x3 ``(B, 2w, ...)`` - ReLU - max-pool 2x2x2 ``(B, 2w, T/4, H/4, W/4)`` -
    conv 3x3x3 - ReLU (:attr:`features`) -> global max-pool ``(B, 2w)`` (:meth:`embed`) -> linear ``(B, K)``.
    Works for any clip length >= 4.

    ``time_kernel`` (temporal size of every kernel), ``time_stride`` (temporal stride of the two
    poolings) and ``time_padding`` (zero frames added at each end by every conv; default
    ``time_kernel // 2``; 0 means no unit can tell where it is in the clip) let later notebooks vary
    how time is handled. ``nonlocal_after`` lists the conv blocks (0, 1, 2) after which a
    :class:`~vulib.models.NonLocalBlock` is inserted (notebook 06), with a learned bias per
    frame offset for clips up to ``nonlocal_relative_time`` frames (0: none).
    A subclass changes the convolution by overriding :meth:`conv` (:class:`~vulib.models.R2Plus1D`).
    Taught in ``notebooks/01_fusion.ipynb`` and ``notebooks/03_3d_convolution.ipynb``.
    """

    def __init__(
        self,
        channels: int = 3,
        classes: int = 2,
        *,
        width: int = 16,
        time_kernel: int = 3,
        time_stride: int = 2,
        time_padding: int | None = None,
        nonlocal_after: tuple[int, ...] = (),
        nonlocal_relative_time: int = 0,
    ) -> None:
        super().__init__()
        self.channels, self.classes = channels, classes
        pt = time_kernel // 2 if time_padding is None else time_padding
        k, p = (time_kernel, 3, 3), (pt, 1, 1)
        if any(i not in (0, 1, 2) for i in nonlocal_after):
            raise ValueError(f"nonlocal_after lists conv blocks 0, 1 or 2, got {nonlocal_after}")
        widths = [width, 2 * width, 2 * width]
        layers: list[nn.Module] = []
        for i, (c_in, c_out) in enumerate(zip([channels] + widths[:2], widths)):
            if i > 0:
                layers.append(nn.MaxPool3d((time_stride, 2, 2)))
            layers += [self.conv(c_in, c_out, k, p), nn.BatchNorm3d(c_out), nn.ReLU()]
            if i in nonlocal_after:
                layers.append(NonLocalBlock(c_out, relative_time=nonlocal_relative_time))
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(2 * width, classes)

    def conv(self, c_in: int, c_out: int, kernel: tuple[int, int, int], padding: tuple[int, int, int]) -> nn.Module:
        """One convolution of the stack, ``(B, c_in, T, H, W) -> (B, c_out, T, H, W)``: here a plain ``Conv3d``."""
        return nn.Conv3d(c_in, c_out, kernel, padding=padding)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The clip embedding ``(B, 2w)``: the last feature map max-pooled over time and space."""
        check_video(x, channels=self.channels)
        return global_max(self.features(x))  # (B, 2w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(x))  # (B, K)
