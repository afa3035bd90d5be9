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

    Attention by itself is blind to order: permute the frames of ``x`` and the output is permuted the
    same way. ``relative_time=P > 0`` adds a learned bias ``b[t_key - t_query]`` to the attention logits,
    one number per frame offset in ``-(P-1) .. P-1`` (clips of up to P frames): a query can then prefer
    keys that come *after* it, and the block stays shift-equivariant in time (it never learns absolute
    time). The paper's block has no such term. The bias is stored divided by ``TIME_BIAS_SCALE`` so that
    the optimizer, whose steps have a fixed size whatever a parameter's scale, moves it that much faster:
    logits must change by several units before attention shifts.

    Args:
        channels: C. inter_channels: C' (default C // 2).
        subsample: max-pool keys and values 2x2 in space (4x fewer keys, as in the paper).
        relative_time: longest clip (frames) with a learned bias per frame offset (0, the default: none).
    """

    TIME_BIAS_SCALE = 10.0

    def __init__(
        self, channels: int, *, inter_channels: int | None = None, subsample: bool = True, relative_time: int = 0
    ) -> None:
        super().__init__()
        if relative_time < 0:
            raise ValueError(f"relative_time must be >= 0 (0 = no time bias), got {relative_time}")
        ci = inter_channels or max(1, channels // 2)
        self.channels, self.inter_channels = channels, ci
        self.theta = nn.Conv3d(channels, ci, 1)  # queries
        self.phi = nn.Conv3d(channels, ci, 1)  # keys
        self.g = nn.Conv3d(channels, ci, 1)  # values
        self.pool = nn.MaxPool3d((1, 2, 2)) if subsample else nn.Identity()
        self.out = nn.Sequential(nn.Conv3d(ci, channels, 1), nn.BatchNorm3d(channels))
        nn.init.zeros_(self.out[1].weight)  # identity at initialization
        nn.init.zeros_(self.out[1].bias)
        self.relative_time = relative_time
        # small random start (0.5 logits): the block is still the identity (zero batch-norm scale), but its
        # output already depends a little on order, which gives that scale a consistent gradient to grow.
        # From zeros, about 1 training run in 10 stayed stuck at chance on notebook 06's task.
        self.time_bias = nn.Parameter(0.05 * torch.randn(2 * relative_time - 1)) if relative_time else None

    def forward(self, x: torch.Tensor, return_attention: bool = False):
        check_video(x, channels=self.channels, name="feature map")
        B, C, T, H, W = x.shape
        if isinstance(self.pool, nn.MaxPool3d) and (H < 2 or W < 2):
            raise ValueError(f"subsample=True pools keys 2x2 in space: needs H, W >= 2, got {H}x{W}")
        q = self.theta(x).flatten(2).transpose(1, 2)  # (B, N, C')
        k = self.pool(self.phi(x)).flatten(2)  # (B, C', M)
        v = self.pool(self.g(x)).flatten(2).transpose(1, 2)  # (B, M, C')
        logits = q @ k / math.sqrt(self.inter_channels)  # (B, N, M)
        if self.time_bias is not None:
            logits = logits + self.offset_bias(T, H * W, k.shape[-1] // T)
        attn = torch.softmax(logits, dim=-1)  # (B, N, M): rows sum to 1
        y = (attn @ v).transpose(1, 2).reshape(B, self.inter_channels, T, H, W)  # (B, C', T, H, W)
        z = x + self.out(y)  # (B, C, T, H, W)
        return (z, attn) if return_attention else z

    def offset_bias(self, T: int, per_query_frame: int, per_key_frame: int) -> torch.Tensor:
        """The learned time bias laid out as ``(N, M)``: entry (query, key) is ``b[t_key - t_query]``."""
        if T > self.relative_time:
            raise ValueError(f"this block has a time bias for clips of up to {self.relative_time} frames, got T={T}")
        tq = torch.arange(T, device=self.time_bias.device).repeat_interleave(per_query_frame)  # (N,)
        tk = torch.arange(T, device=self.time_bias.device).repeat_interleave(per_key_frame)  # (M,)
        offset = tk[None, :] - tq[:, None] + self.relative_time - 1  # (N, M)
        return self.TIME_BIAS_SCALE * self.time_bias[offset]
