"""A model for the training-command tests, imported by name (``--model tiny_models:Tiny3D``).

It has no batch norm and no dropout, so one process with batch 2b and two processes with batch b
each must end with the same parameters (batch norm would normalise over different batches).
"""

import torch
import torch.nn as nn


class Tiny3D(nn.Module):
    """conv 3x3x3 (3 -> w) - ReLU - max-pool 2 - conv 3x3x3 (w -> 2w) - ReLU - global max - linear."""

    def __init__(self, classes: int = 2, width: int = 8) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv3d(3, width, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool3d(2),
            nn.Conv3d(width, 2 * width, 3, padding=1),
            nn.ReLU(),
        )
        self.head = nn.Linear(2 * width, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 3, T, H, W) -> (B, K)
        return self.head(self.features(x).amax(dim=(2, 3, 4)))
