"""Checkers for notebook 07 -- inflating 2D networks to 3D."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from . import check_function, exercise

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


def _boring_outputs(pad_fn, kt: int) -> torch.Tensor:
    """Max |3D - 2D| over frames when a boring video is padded by ``pad_fn`` and mean-inflated-convolved."""
    g = torch.Generator().manual_seed(kt)
    image = torch.rand(1, 2, 6, 6, generator=g)
    w2 = torch.randn(3, 2, 3, 3, generator=g)
    boring = image.unsqueeze(2).expand(1, 2, 5, 6, 6).contiguous()
    padded = pad_fn(boring, kt)
    out3 = F.conv3d(padded, _mean(w2, kt), padding=(0, 1, 1))
    out2 = F.conv2d(image, w2, padding=1)
    if out3.shape[2] != boring.shape[2]:
        return torch.tensor([float("inf"), float(out3.shape[2])])  # wrong number of frames
    return (out3 - out2.unsqueeze(2)).abs().amax(dim=(0, 1, 3, 4))  # error per frame


def _pad_reference(x: torch.Tensor, kt: int) -> torch.Tensor:
    return torch.cat([x[:, :, :1]] * (kt // 2) + [x] + [x[:, :, -1:]] * (kt // 2), dim=2)


@exercise(
    notebook="07",
    reference=_pad_reference,
    wrong=[
        lambda x, kt: F.pad(x, (0, 0, 0, 0, kt // 2, kt // 2)),  # zero padding: dim ends
        lambda x, kt: F.pad(x, (kt // 2, kt // 2, 0, 0, 0, 0), mode="replicate"),  # padded width, not time
        lambda x, kt: x,  # no padding: clip shrinks
    ],
)
def check_pad_time_for_boring(fn) -> bool:
    """``fn(x (B, C, T, H, W), kt)``: after it, a mean-inflated conv gives the 2D answer at every frame."""
    return check_function(
        lambda kt: _boring_outputs(fn, kt),
        lambda kt: torch.zeros(5),
        [(3,), (5,)],
        "pad_time_for_boring (error per frame vs the 2D answer)",
        compare=_per_frame_zero,
    )


def _per_frame_zero(answer, expected, name):
    from . import check_tensor

    return check_tensor(answer, expected, name, atol=1e-5)
