"""Checkers for notebook 02 -- receptive fields in space and time."""

from __future__ import annotations

import torch.nn as nn

from ..fields import receptive_field
from . import check_function, check_scalar, exercise


def _field_size(kernels, strides) -> int:
    """Measured with vulib.receptive_field on a Conv1d/MaxPool1d stack along time."""
    layers = [nn.Conv1d(1, 1, k, stride=s) for k, s in zip(kernels, strides)]
    length = 1
    for k, s in reversed(list(zip(kernels, strides))):  # an input just long enough for one output unit
        length = (length - 1) * s + k
    return receptive_field(nn.Sequential(*layers), (1, length, 1, 1))[-1].size_unclipped[0]


_CASES_FIELD = [
    ([3, 3, 3], [1, 1, 1]),
    ([3, 2, 3], [1, 2, 1]),
    ([7, 3, 3, 3], [2, 2, 1, 2]),
    ([1], [1]),
    ([5, 5], [3, 1]),
]


@exercise(
    notebook="02",
    reference=_field_size,
    wrong=[
        lambda ks, ss: sum(ks) - len(ks) + 1,  # ignored the strides (jump)
        lambda ks, ss: max(ks),  # only the largest kernel
        lambda ks, ss: sum(k * s for k, s in zip(ks, ss)),  # multiplied each kernel by its own stride
    ],
)
def check_field_size(fn) -> bool:
    """``fn(kernels, strides)`` = unclipped receptive-field size of the stack along one axis."""
    return check_function(fn, _field_size, _CASES_FIELD, "field_size", compare=check_scalar)


def _layers_to_see(T: int, k: int) -> int:
    """Smallest L such that L stacked temporal convolutions of kernel k see all T frames (measured)."""
    L = 0
    while True:
        L += 1
        net = nn.Sequential(*[nn.Conv3d(1, 1, (k, 1, 1), padding=(k // 2, 0, 0)) for _ in range(L)])
        if receptive_field(net, (1, T, 1, 1))[-1].size_unclipped[0] >= T:
            return L


@exercise(
    notebook="02",
    reference=_layers_to_see,
    wrong=[
        lambda T, k: T // (k - 1),  # right for k = 3, off by one for other kernels
        lambda T, k: -(-T // k),  # T / k: forgot that layers overlap by one frame
        lambda T, k: T - 1,  # one frame per layer
    ],
)
def check_layers_to_see_clip(fn) -> bool:
    """``fn(T, k)`` = smallest number of temporal-kernel-k convolutions whose field covers T frames."""
    return check_function(
        fn,
        _layers_to_see,
        [(16, 3), (20, 3), (8, 5), (3, 3), (6, 5), (12, 4)],
        "layers_to_see_clip",
        compare=check_scalar,
    )


def _early_t(T: int, layer: int) -> int:
    net = nn.Sequential(
        nn.Conv3d(1, 1, (T, 3, 3), padding=(0, 1, 1)),
        *[nn.Conv3d(1, 1, (1, 3, 3), padding=(0, 1, 1)) for _ in range(layer - 1)],
    )
    return receptive_field(net, (1, T, 8, 8))[layer - 1].size[0]


@exercise(
    notebook="02",
    reference=_early_t,
    wrong=[
        lambda T, layer: 3 * layer,  # as if it were a 3D CNN
        lambda T, layer: 1,  # as if it were late fusion
        lambda T, layer: T if layer == 1 else 1,  # thought time is lost after layer 1
    ],
)
def check_early_fusion_temporal_field(fn) -> bool:
    """``fn(T, layer)`` = temporal field (frames) of early fusion's layer ``layer``."""
    return check_function(
        fn, _early_t, [(16, 1), (16, 3), (8, 2), (20, 4)], "early_fusion_temporal_field", compare=check_scalar
    )
