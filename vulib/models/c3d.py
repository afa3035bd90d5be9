"""C3D (Tran et al. 2015): "the VGG of 3D CNNs", taught in notebook 03.

Eight 3x3x3 convolutions in five blocks, each block followed by max-pooling: the first
pooling is 1x2x2 (keep time early on), the other four 2x2x2; then two 4096-wide fully
connected layers and the classifier. Built from a small config, so a reduced variant
(fewer channels, smaller frames, narrower FC layers) trains on a CPU in seconds.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from ..tensors import check_video

__all__ = ["C3D", "C3D_BLOCKS"]

# channels of the convolutions in each of the five blocks (the original network)
C3D_BLOCKS: tuple[tuple[int, ...], ...] = ((64,), (128,), (256, 256), (512, 512), (512, 512))


class C3D(nn.Module):
    """C3D for clips ``(B, C, T, H, W)``; the default configuration is the original one for
    ``3 x 16 x 112 x 112`` clips.

    Shapes (original): ``(B, 3, 16, 112, 112)`` -> block 1 + pool 1x2x2 ``(B, 64, 16, 56, 56)`` ->
    block 2 + pool ``(B, 128, 8, 28, 28)`` -> block 3 ``(B, 256, 4, 14, 14)`` -> block 4 ``(B, 512, 2, 7, 7)`` ->
    block 5 + pool (spatial padding 1) ``(B, 512, 1, 4, 4)`` -> flatten 8192 -> fc 4096 -> fc 4096 -> ``(B, K)``.

    Args:
        channels: input channels; classes: number of classes (487 for Sports-1M in the paper).
        frames, size: the clip shape the network is built for; the flattened feature
            size is computed from it (no hard-coded 8192).
        blocks: conv channels per block, e.g. ``((8,), (16,), (32, 32), (64, 64), (64, 64))`` for a small variant.
        fc: width of the two fully connected layers; dropout: their dropout.
    """

    def __init__(
        self,
        channels: int = 3,
        classes: int = 487,
        *,
        frames: int = 16,
        size: int = 112,
        blocks: tuple[tuple[int, ...], ...] = C3D_BLOCKS,
        fc: int = 4096,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        self.classes = classes
        if len(blocks) != 5:
            raise ValueError(f"C3D has five blocks of convolutions, got {len(blocks)}")
        self.channels, self.frames, self.size = channels, frames, size
        layers: list[nn.Module] = []
        c_in = channels
        for b, widths in enumerate(blocks):
            for c_out in widths:
                layers += [nn.Conv3d(c_in, c_out, 3, padding=1), nn.ReLU(inplace=True)]
                c_in = c_out
            if b == 0:
                layers.append(nn.MaxPool3d((1, 2, 2)))  # keep time in the first block
            elif b == 4:
                layers.append(nn.MaxPool3d(2, padding=(0, 1, 1)))  # as in the original pool5
            else:
                layers.append(nn.MaxPool3d(2))
        self.features = nn.Sequential(*layers)
        if frames < 16 or size < 16:
            raise ValueError(
                f"C3D pools time 4 times and space 5 times by 2: it needs clips of at least 16 frames "
                f"of 16x16, got frames={frames}, size={size}"
            )
        with torch.device("meta"):  # compute the flattened size
            n_flat = self.features(torch.empty(1, channels, frames, size, size)).numel()
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(n_flat, fc),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(fc, fc),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(fc, classes),
        )

    @classmethod
    def small(
        cls,
        channels: int = 3,
        classes: int = 2,
        *,
        frames: int = 16,
        size: int = 32,
        width: int = 8,
        dropout: float = 0.2,
    ) -> "C3D":
        """The same architecture at 1/(64/width) of the channels, small frames and 128-wide FC layers."""
        w = width
        return cls(
            channels,
            classes,
            frames=frames,
            size=size,
            blocks=((w,), (2 * w,), (4 * w, 4 * w), (8 * w, 8 * w), (8 * w, 8 * w)),
            fc=128,
            dropout=dropout,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_video(x, channels=self.channels, frames=self.frames)
        if tuple(x.shape[3:]) != (self.size, self.size):
            raise ValueError(f"this C3D was built for {self.size}x{self.size} frames, got {x.shape[3]}x{x.shape[4]}")
        return self.classifier(self.features(x))  # (B, K)
