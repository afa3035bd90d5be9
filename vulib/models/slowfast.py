"""SlowFast (Feichtenhofer et al., 2019): two pathways over one clip, joined by lateral connections.

* the **slow pathway** reads every ``alpha``-th frame with many channels (appearance: what is there);
* the **fast pathway** reads every frame with ``beta`` times the channels (motion: how it moves), and never
  pools time, so it keeps its fine temporal resolution to the end;
* after each of the first two stages a **lateral connection** -- a ``5 x 1 x 1`` convolution with temporal stride
  ``alpha`` -- brings the fast features down to the slow frame rate and concatenates them to the slow features.

The paper's choices kept here, at toy size: ``alpha = 8``, ``beta = 1/8`` by default in the paper (here
``alpha = 4`` for 16-frame clips), temporal kernels only in the slow pathway's last stage (its early stages are
per-frame, ``1 x 3 x 3``), time-strided convolution for the lateral fusion, global pooling of each pathway and one
classifier on the two vectors concatenated. ``pathways="slow"`` or ``"fast"`` builds one pathway alone (the
paper's Slow-only and Fast-only baselines) with exactly the same layers.
Taught in ``notebooks/13_slowfast_x3d.ipynb``.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from ..tensors import check_video

__all__ = ["SlowFast", "lateral_connection"]

PATHWAYS = ("slowfast", "slow", "fast")


def _stage(c_in: int, c_out: int, time_kernel: int) -> nn.Sequential:
    """conv ``time_kernel x 3 x 3`` - BN - ReLU: ``(B, c_in, T, H, W) -> (B, c_out, T, H, W)``."""
    return nn.Sequential(
        nn.Conv3d(c_in, c_out, (time_kernel, 3, 3), padding=(time_kernel // 2, 1, 1)), nn.BatchNorm3d(c_out), nn.ReLU()
    )


def lateral_connection(fast_channels: int, alpha: int) -> nn.Conv3d:
    """Fast -> slow: ``(B, c, T, H, W) -> (B, 2c, T / alpha, H, W)``, a ``5 x 1 x 1`` convolution with
    temporal stride ``alpha`` and padding 2. Output frame ``t`` is centred on fast frame ``alpha * t``: the
    frame the slow pathway sampled as its frame ``t`` (time-strided convolution, the paper's best fusion)."""
    return nn.Conv3d(fast_channels, 2 * fast_channels, (5, 1, 1), stride=(alpha, 1, 1), padding=(2, 0, 0))


class SlowFast(nn.Module):
    """A three-stage SlowFast network: ``(B, C, T, H, W) -> (B, classes)``.

    Shapes, for ``width = w``, ``beta * w = f`` and ``T`` a multiple of ``alpha``:

    * slow: ``x[:, :, ::alpha]`` ``(B, C, T/a, H, W)`` -> stage 0 ``(B, w, T/a, H, W)`` (+ lateral ``2f``) ->
      max-pool space -> stage 1 ``(B, 2w, T/a, H/2, W/2)`` (+ lateral ``4f``) -> max-pool space -> stage 2
      ``(B, 2w, T/a, H/4, W/4)``;
    * fast: ``x`` ``(B, C, T, H, W)`` -> stage 0 ``(B, f, T, H, W)`` -> stage 1 ``(B, 2f, T, H/2, W/2)`` ->
      stage 2 ``(B, 2f, T, H/4, W/4)``;
    * each pathway max-pooled over time and space, concatenated ``(B, 2w + 2f)`` (:meth:`embed`) -> linear.

    Args:
        channels: input channels ``C``; classes: outputs.
        width: slow channels of the first stage ``w``; beta: fast channels as a fraction of the slow ones
            (``f = max(1, round(beta * w))``); alpha: frames of the fast pathway per slow frame.
        pathways: ``"slowfast"``, or ``"slow"`` / ``"fast"`` for one pathway alone (no lateral connections).
        slow_time_kernel: the slow pathway's temporal kernel per stage (the paper: 1 early, 3 in the last stages).
    """

    def __init__(
        self,
        channels: int = 3,
        classes: int = 2,
        *,
        width: int = 16,
        alpha: int = 4,
        beta: float = 0.25,
        pathways: str = "slowfast",
        slow_time_kernel: tuple[int, int, int] = (1, 1, 3),
    ) -> None:
        super().__init__()
        if pathways not in PATHWAYS:
            raise ValueError(f"pathways must be one of {PATHWAYS}, got {pathways!r}")
        if not (isinstance(alpha, int) and alpha >= 1):
            raise ValueError(f"alpha (fast frames per slow frame) must be a positive int, got {alpha!r}")
        if not 0 < beta <= 1:
            raise ValueError(f"beta (fast channels / slow channels) must be in (0, 1], got {beta!r}")
        self.channels, self.classes, self.alpha, self.pathways = channels, classes, alpha, pathways
        w, f = width, max(1, round(beta * width))
        self.slow_width, self.fast_width = w, f
        use_slow, use_fast = pathways != "fast", pathways != "slow"
        lateral = pathways == "slowfast"
        self.pool = nn.MaxPool3d((1, 2, 2))  # space only: time is never pooled
        if use_slow:
            extra = (2 * f, 4 * f) if lateral else (0, 0)  # channels the laterals add
            self.slow = nn.ModuleList(
                [
                    _stage(channels, w, slow_time_kernel[0]),
                    _stage(w + extra[0], 2 * w, slow_time_kernel[1]),
                    _stage(2 * w + extra[1], 2 * w, slow_time_kernel[2]),
                ]
            )
        if use_fast:
            self.fast = nn.ModuleList([_stage(channels, f, 3), _stage(f, 2 * f, 3), _stage(2 * f, 2 * f, 3)])
        if lateral:
            self.lateral = nn.ModuleList([lateral_connection(f, alpha), lateral_connection(2 * f, alpha)])
        self.embed_dim = (2 * w if use_slow else 0) + (2 * f if use_fast else 0)
        self.head = nn.Linear(self.embed_dim, classes)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The clip embedding ``(B, 2w + 2f)`` (one pathway: ``2w`` or ``2f``), each pathway max-pooled."""
        check_video(x, channels=self.channels)
        if x.shape[2] % self.alpha:
            raise ValueError(
                f"expected a clip whose frames T are a multiple of alpha = {self.alpha}, got T = {x.shape[2]}"
            )
        s = x[:, :, :: self.alpha] if hasattr(self, "slow") else None  # (B, C, T/a, H, W)
        fa = x if hasattr(self, "fast") else None  # (B, C, T, H, W)
        for i in range(3):
            if i > 0:
                s = self.pool(s) if s is not None else None
                fa = self.pool(fa) if fa is not None else None
            fa = self.fast[i](fa) if fa is not None else None  # (B, f_i, T, H_i, W_i)
            if s is not None:
                s = self.slow[i](s)  # (B, w_i, T/a, H_i, W_i)
                if hasattr(self, "lateral") and i < 2:
                    s = torch.cat([s, self.lateral[i](fa)], dim=1)  # (B, w_i + 2 f_i, T/a, H_i, W_i)
        parts = [p.amax(dim=(2, 3, 4)) for p in (s, fa) if p is not None]
        return torch.cat(parts, dim=1)  # (B, 2w + 2f)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(x))  # (B, classes)
