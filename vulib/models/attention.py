"""Spatio-temporal self-attention: the non-local block (Wang et al. 2018), taught in notebook 06.

Every position of a feature map ``(B, C, T, H, W)`` -- every (frame, row, column) -- looks at every
other position and takes a weighted average of their features, the weights given by how well its
query matches their keys. Unlike a convolution, the field of one output is the whole clip at once.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn

from ..tensors import check_video

__all__ = ["NonLocalBlock"]


class NonLocalBlock(nn.Module):
    """Embedded-Gaussian non-local block with a residual connection.

    Shapes: ``x (B, C, T, H, W)`` -> queries ``(B, N, C')``, keys ``(B, C', M)``, values ``(B, M, C')`` with
    ``N = T*H*W`` positions and ``M = N`` (or ``T*(H/2)*(W/2)`` with ``subsample``) -> attention ``(B, N, M)``
    (softmax over the keys of ``q.k / sqrt(C')``) -> ``y (B, C', T, H, W)`` -> 1x1x1 conv + batch norm ->
    ``x + that``: ``(B, C, T, H, W)``.

    The batch norm's scale starts at zero, so a new block is exactly the identity: it can be inserted
    into a trained network without changing what the network computes.

    Args:
        channels: C. inter_channels: C' (default C // 2).
        subsample: max-pool keys and values 2x2 in space (4x fewer keys, as in the paper).
    """

    def __init__(self, channels: int, inter_channels: int | None = None, subsample: bool = True) -> None:
        super().__init__()
        ci = inter_channels or max(1, channels // 2)
        self.channels, self.inter_channels = channels, ci
        self.theta = nn.Conv3d(channels, ci, 1)                    # queries
        self.phi = nn.Conv3d(channels, ci, 1)                      # keys
        self.g = nn.Conv3d(channels, ci, 1)                        # values
        self.pool = nn.MaxPool3d((1, 2, 2)) if subsample else nn.Identity()
        self.out = nn.Sequential(nn.Conv3d(ci, channels, 1), nn.BatchNorm3d(channels))
        nn.init.zeros_(self.out[1].weight)                         # identity at initialization
        nn.init.zeros_(self.out[1].bias)

    def forward(self, x: torch.Tensor, return_attention: bool = False):
        check_video(x, channels=self.channels, name="feature map")
        B, C, T, H, W = x.shape
        if isinstance(self.pool, nn.MaxPool3d) and (H < 2 or W < 2):
            raise ValueError(f"subsample=True pools keys 2x2 in space: needs H, W >= 2, got {H}x{W}")
        q = self.theta(x).flatten(2).transpose(1, 2)               # (B, N, C')
        k = self.pool(self.phi(x)).flatten(2)                      # (B, C', M)
        v = self.pool(self.g(x)).flatten(2).transpose(1, 2)        # (B, M, C')
        attn = torch.softmax(q @ k / math.sqrt(self.inter_channels), dim=-1)   # (B, N, M): rows sum to 1
        y = (attn @ v).transpose(1, 2).reshape(B, self.inter_channels, T, H, W)  # (B, C', T, H, W)
        z = x + self.out(y)                                        # (B, C, T, H, W)
        return (z, attn) if return_attention else z
