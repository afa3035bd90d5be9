"""X3D (Feichtenhofer, 2020): a tiny 3D network, expanded one axis at a time.

X3D starts from a small base network -- a 2D-like ResNet whose blocks are **bottlenecks with a channel-wise
(depthwise) 3 x 3 x 3 convolution**: ``1x1x1`` expand -> depthwise ``3x3x3`` -> ``1x1x1`` project, plus a
shortcut -- and grows it along one axis at a time: frames, frame rate, resolution (the input's business) and
width, bottleneck width, depth (the network's). At each step it keeps the expansion that buys the most accuracy
per multiply-add. :class:`X3D` exposes the network's axes (``width``, ``bottleneck``, ``depth``); the lesson
varies the input's.

A depthwise convolution gives each channel its own ``3 x 3 x 3`` filter (``groups = channels``): ``27 * c``
weights instead of ``27 * c * c``. ``depthwise=False`` swaps in the dense convolution for comparison.
Taught in ``notebooks/13_slowfast_x3d.ipynb``.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from ..tensors import check_video

__all__ = ["X3D", "X3DBlock"]


class X3DBlock(nn.Module):
    """One residual bottleneck: ``(B, channels, T, H, W) -> (B, out_channels, T, H/s, W/s)``.

    conv ``1x1x1`` (channels -> b) - BN - ReLU - conv ``3x3x3`` (b -> b, depthwise, spatial stride ``s``) - BN - ReLU -
    conv ``1x1x1`` (b -> out_channels) - BN; plus the input (through a strided ``1x1x1`` conv - BN where the shape
    changes); then ReLU. (The paper also puts squeeze-and-excitation in every other block and uses swish: left
    out here.)
    """

    def __init__(
        self, channels: int, out_channels: int, *, bottleneck: int, stride: int = 1, depthwise: bool = True
    ) -> None:
        super().__init__()
        c_in, c_out = channels, out_channels
        b = bottleneck
        self.layers = nn.Sequential(
            nn.Conv3d(c_in, b, 1, bias=False),
            nn.BatchNorm3d(b),
            nn.ReLU(),
            nn.Conv3d(b, b, 3, stride=(1, stride, stride), padding=1, groups=b if depthwise else 1, bias=False),
            nn.BatchNorm3d(b),
            nn.ReLU(),
            nn.Conv3d(b, c_out, 1, bias=False),
            nn.BatchNorm3d(c_out),
        )
        self.shortcut = (
            nn.Identity()
            if (c_in == c_out and stride == 1)
            else nn.Sequential(nn.Conv3d(c_in, c_out, 1, stride=(1, stride, stride), bias=False), nn.BatchNorm3d(c_out))
        )
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.layers(x) + self.shortcut(x))  # (B, out_channels, T, H/s, W/s)


class X3D(nn.Module):
    """A small X3D: ``(B, C, T, H, W) -> (B, classes)``, for any ``T`` and ``H, W`` divisible by 4.

    Shapes for ``width = w``: stem conv ``1x3x3`` then depthwise ``5x1x1`` ``(B, w, T, H, W)`` -> stage 1:
    ``depth`` blocks ``(B, w, T, H, W)`` -> stage 2: ``depth`` blocks, the first with spatial stride 2,
    ``(B, 2w, T, H/2, W/2)`` -> stage 3 likewise ``(B, 4w, T, H/4, W/4)`` -> conv ``1x1x1`` to ``8w`` - BN - ReLU ->
    average over time and space ``(B, 8w)`` (:meth:`embed`) -> linear. Time is never strided (X3D keeps the
    input's frames to the end). Each block's bottleneck has ``round(bottleneck * c)`` channels for its output
    width ``c`` (the paper: 2.25).

    Args:
        channels: input channels; classes: outputs.
        width: channels of the first stage (X3D's ``gamma_w`` scales it); bottleneck: inner width as a multiple
            of the block's width (``gamma_b``); depth: blocks per stage (``gamma_d``).
        depthwise: channel-wise 3D convolutions (X3D's) or dense ones (for comparison).
    """

    def __init__(
        self,
        channels: int = 3,
        classes: int = 2,
        *,
        width: int = 8,
        bottleneck: float = 2.25,
        depth: int = 1,
        depthwise: bool = True,
    ) -> None:
        super().__init__()
        if depth < 1 or width < 1 or bottleneck <= 0:
            raise ValueError(
                f"expected width >= 1, depth >= 1 and bottleneck > 0, got width={width}, "
                f"depth={depth}, bottleneck={bottleneck}"
            )
        self.channels, self.classes = channels, classes
        w = width
        self.stem = nn.Sequential(
            nn.Conv3d(channels, w, (1, 3, 3), padding=(0, 1, 1), bias=False),
            nn.Conv3d(w, w, (5, 1, 1), padding=(2, 0, 0), groups=w, bias=False),  # depthwise in time
            nn.BatchNorm3d(w),
            nn.ReLU(),
        )
        blocks: list[nn.Module] = []
        c_in = w
        for stage, c_out in enumerate((w, 2 * w, 4 * w)):
            for i in range(depth):
                stride = 2 if (stage > 0 and i == 0) else 1
                blocks.append(
                    X3DBlock(
                        c_in, c_out, bottleneck=max(1, round(bottleneck * c_out)), stride=stride, depthwise=depthwise
                    )
                )
                c_in = c_out
        self.blocks = nn.Sequential(*blocks)
        self.expand = nn.Sequential(nn.Conv3d(4 * w, 8 * w, 1, bias=False), nn.BatchNorm3d(8 * w), nn.ReLU())
        self.head = nn.Linear(8 * w, classes)
        # channels-last memory (C innermost): the CPU's 3D convolutions train about 1.5x faster this way
        self.to(memory_format=torch.channels_last_3d)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The clip embedding ``(B, 8w)``: the last feature map averaged over time and space."""
        check_video(x, channels=self.channels)
        if x.shape[-1] % 4 or x.shape[-2] % 4:
            raise ValueError(f"expected frames whose height and width are multiples of 4, got {tuple(x.shape[-2:])}")
        x = x.contiguous(memory_format=torch.channels_last_3d)  # same values, channels stored innermost
        return self.expand(self.blocks(self.stem(x))).mean(dim=(2, 3, 4))  # (B, 8w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(x))  # (B, classes)
