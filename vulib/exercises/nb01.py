"""Checkers for notebook 01 -- fusion: single-frame, late fusion (FC, pooling), early fusion, 3D CNN."""

from __future__ import annotations

import torch

from ..models import CNN3D, EarlyFusion, LateFusionFC, LateFusionPool, SingleFrame
from . import ExerciseError, check_equal, check_function, check_scalar, exercise

_CASES_FC = [(8, 16, 3, 3, 64), (16, 512, 7, 7, 4096), (1, 1, 1, 1, 1), (4, 32, 2, 5, 10)]


def _first_fc_params(T: int, channels: int, height: int, width: int, hidden: int) -> int:
    layer = torch.nn.Linear(T * channels * height * width, hidden, device="meta")  # shapes only, no memory
    return sum(p.numel() for p in layer.parameters())


@exercise(
    notebook="01",
    reference=_first_fc_params,
    wrong=[
        lambda T, c, h, w, n: T * c * h * w * n,  # forgot the biases
        lambda T, c, h, w, n: c * h * w * n + n,  # one frame instead of T
        lambda T, c, h, w, n: (T + c + h + w) * n + n,  # added the sizes instead of multiplying
    ],
)
def check_first_fc_params(fn) -> bool:
    """``fn(T, channels, height, width, hidden)`` = parameters of a linear layer from T flattened maps to ``hidden``."""
    return check_function(fn, _first_fc_params, _CASES_FC, "first_fc_params", compare=check_scalar)


def _fold(x: torch.Tensor) -> torch.Tensor:
    B, C, T, H, W = x.shape
    return x.reshape(B, C * T, H, W)


_CLIPS = [
    (torch.arange(2 * 3 * 4 * 2 * 2, dtype=torch.float32).view(2, 3, 4, 2, 2),),
    (torch.rand(1, 3, 8, 5, 6, generator=torch.Generator().manual_seed(0)),),
]


@exercise(
    notebook="01",
    reference=_fold,
    wrong=[
        lambda x: x.transpose(1, 2).reshape(x.shape[0], -1, x.shape[3], x.shape[4]),  # time-major channel order
        lambda x: x.flatten(1, 2).transpose(1, 1).mean(1, keepdim=True),  # averaged the frames away
        lambda x: x[:, :, 0],  # kept only the first frame
    ],
)
def check_fold_time_into_channels(fn) -> bool:
    """``fn(x (B, C, T, H, W))`` must return ``(B, C*T, H, W)`` with channel ``c*T + t`` = colour c of frame t."""
    return check_function(fn, _fold, _CLIPS, "fold_time_into_channels")


_NAMES = {
    "SingleFrame": lambda: SingleFrame(classes=3, width=4),
    "LateFusionFC": lambda: LateFusionFC(frames=6, classes=3, width=4, size=16),
    "LateFusionPool": lambda: LateFusionPool(classes=3, width=4),
    "EarlyFusion": lambda: EarlyFusion(frames=6, classes=3, width=4),
    "CNN3D": lambda: CNN3D(classes=3, width=4),
}


@torch.no_grad()
def _order_blind_models() -> set[str]:
    """Measured: the models whose output does not change when the frames are reversed or shuffled."""
    g = torch.Generator().manual_seed(0)
    x = torch.rand(3, 3, 6, 16, 16, generator=g)
    blind = set()
    for name, make in _NAMES.items():
        torch.manual_seed(0)
        m = make().eval()
        same = all(
            torch.allclose(m(x), m(x[:, :, p]), atol=1e-5)
            for p in (torch.arange(5, -1, -1), torch.randperm(6, generator=g))
        )
        if same:
            blind.add(name)
    return blind


@exercise(
    notebook="01",
    reference={"SingleFrame", "LateFusionPool"},
    wrong=[
        {"SingleFrame"},
        {"SingleFrame", "LateFusionPool", "LateFusionFC"},
        {"EarlyFusion"},
    ],
)
def check_order_blind(answer) -> bool:
    """``answer``: the set of model names whose prediction cannot depend on frame order (tested on the models)."""
    if not isinstance(answer, (set, frozenset, list, tuple)):
        raise ExerciseError(f"order_blind: expected a set of model names, got {type(answer).__name__}")
    unknown = set(answer) - set(_NAMES)
    if unknown:
        raise ExerciseError(f"order_blind: unknown model names {sorted(unknown)}; use names from {sorted(_NAMES)}")
    measured = _order_blind_models()
    missing, extra = measured - set(answer), set(answer) - measured
    if missing or extra:  # names only the learner's own wrong picks, never the missing ones
        parts = []
        if extra:
            parts.append(f"{sorted(extra)} change their output when the frames are shuffled, so they can use order")
        if missing:
            one = len(missing) == 1
            parts.append(
                f"{len(missing)} more model{'' if one else 's'} give{'s' if one else ''} the same output "
                f"for shuffled frames and belong{'s' if one else ''} in the set "
                f"(which models never compare frames?)"
            )
        raise ExerciseError("order_blind: " + "; ".join(parts))
    return check_equal(sorted(answer), sorted(measured), "order_blind")


def _weight_shape(T: int, channels: int, width: int) -> tuple:
    return tuple(EarlyFusion(channels=channels, frames=T, width=width).backbone.layers[0].weight.shape)


@exercise(
    notebook="01",
    reference=_weight_shape,
    wrong=[
        lambda T, c, w: (w, c, 3, 3),  # forgot the frames
        lambda T, c, w: (c * T, w, 3, 3),  # in and out swapped
        lambda T, c, w: (w, c, T, 3, 3),  # a 3D kernel: that is the 3D CNN, not early fusion
    ],
)
def check_early_first_weight_shape(fn) -> bool:
    """``fn(T, channels, width)`` = shape of early fusion's first conv weight."""
    return check_function(
        lambda *a: tuple(fn(*a)),
        _weight_shape,
        [(8, 3, 8), (16, 3, 64), (4, 1, 2)],
        "early_first_weight_shape",
        compare=check_equal,
    )
