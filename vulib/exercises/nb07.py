"""Checkers for notebook 07 -- inflating 2D networks to 3D."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from . import check_function, check_scalar, exercise

_g = torch.Generator().manual_seed(7)
_KERNELS = [
    (torch.randn(4, 3, 3, 3, generator=_g), 3),
    (torch.randn(2, 5, 1, 3, generator=_g), 5),
    (torch.randn(1, 1, 2, 2, generator=_g), 1),
]


def _mean(w2d: torch.Tensor, kt: int) -> torch.Tensor:
    return torch.stack([w2d / kt] * kt, dim=2)


@exercise(
    notebook="07",
    reference=_mean,
    wrong=[
        lambda w, kt: torch.stack([w] * kt, dim=2),  # forgot to divide: kt times too strong
        lambda w, kt: torch.stack([w / kt] * kt, dim=1),  # time axis in the wrong place
        lambda w, kt: w.unsqueeze(2).repeat(1, 1, kt, 1, 1) / (kt * kt),  # divided twice
    ],
)
def check_inflate_weight_mean(fn) -> bool:
    """``fn(w2d (F, C, k, k), kt)`` = mean-inflated kernel ``(F, C, kt, k, k)``."""
    return check_function(fn, _mean, _KERNELS, "inflate_weight_mean")


def _center(w2d: torch.Tensor, kt: int) -> torch.Tensor:
    slices = [torch.zeros_like(w2d)] * kt
    slices[kt // 2] = w2d
    return torch.stack(slices, dim=2)


@exercise(
    notebook="07",
    reference=_center,
    wrong=[
        lambda w, kt: torch.stack([w] + [torch.zeros_like(w)] * (kt - 1), dim=2),  # first slice, not the middle
        _mean,  # mean, not center
        lambda w, kt: torch.stack([w / kt] + [torch.zeros_like(w)] * (kt - 1), dim=2)[:, :, ::-1].contiguous(),
    ],
)
def check_inflate_weight_center(fn) -> bool:
    """``fn(w2d, kt)`` = center-inflated kernel: ``w2d`` in slice ``kt // 2``, zeros elsewhere."""
    return check_function(fn, _center, _KERNELS, "inflate_weight_center")


@torch.no_grad()
def _measured_damage(depth: int, kt: int, T: int = 24) -> int:
    """Measured: a stack of ``depth`` mean-inflated ``kt x 3 x 3`` convolutions (ReLU after each) with *zero*
    temporal padding, on a boring video of ``T`` frames: how many frames at the start differ from the 2D answer."""
    g = torch.Generator().manual_seed(70 + 10 * depth + kt)
    image = torch.rand(1, 3, 12, 12, generator=g)
    x2, x3 = image, image.unsqueeze(2).expand(1, 3, T, 12, 12)  # (1, C, H, W), (1, C, T, H, W)
    for i in range(depth):
        c = 3 if i == 0 else 4
        w = torch.randn(4, c, 3, 3, generator=g) / (9 * c) ** 0.5
        x2 = F.relu(F.conv2d(x2, w, padding=1))
        x3 = F.relu(F.conv3d(x3, _mean(w, kt), padding=(kt // 2, 1, 1)))  # zeros before and after the clip
    err = (x3 - x2.unsqueeze(2)).abs().amax(dim=(0, 1, 3, 4)) / x2.abs().max()  # (T,) relative error per frame
    off = (err > 1e-5).tolist()
    return off.index(False) if False in off else T


_DEPTHS = [(1, 3), (2, 3), (4, 3), (1, 5), (3, 5), (2, 7)]


@exercise(
    notebook="07",
    reference=lambda depth, kt: depth * (kt // 2),
    wrong=[
        lambda depth, kt: kt // 2,  # only the first layer sees the padding
        lambda depth, kt: depth * (kt - 1),  # both ends counted together
        lambda depth, kt: depth,  # ignores the kernel's length
        lambda depth, kt: 0,  # "mean inflation is exact on boring videos"
    ],
)
def check_zero_padding_damage(fn) -> bool:
    """``fn(depth, kt)``: frames at *each* end of a boring video that a ``depth``-layer mean-inflated network with
    temporal kernel ``kt`` and zero temporal padding gets wrong. Compared with a measurement on such networks."""
    return check_function(
        fn,
        _measured_damage,
        _DEPTHS,
        "zero_padding_damage (your prediction vs the measured count)",
        compare=check_scalar,
    )
