"""Checkers for notebook 02 -- receptive fields in space and time."""

from __future__ import annotations

import torch
import torch.nn as nn

from ..fields import receptive_field
from . import check_function, check_scalar, exercise


def _centre_gradient(dilations, k: int) -> torch.Tensor:
    """Gradient of the centre output unit with respect to each input frame, for a stack of 1-D (temporal)
    convolutions with kernel ``k``, these dilations, stride 1, no padding, every weight 1, no bias: ``(n,)``
    over the ``n = 1 + sum(d (k - 1))`` frames of its theoretical field."""
    net = nn.Sequential(*[nn.Conv1d(1, 1, k, dilation=d, bias=False) for d in dilations]).double()
    for conv in net:
        nn.init.constant_(conv.weight, 1.0)
    n = 1 + sum(d * (k - 1) for d in dilations)
    x = torch.zeros(1, 1, n, dtype=torch.float64, requires_grad=True)
    net(x)[0, 0, 0].backward()  # the input is exactly one field long: one output unit
    return x.grad[0, 0]


def _erf_share(layers: int, k: int) -> float:
    """Share of the centre unit's gradient on the middle half of its field: the frames within ``(n - 1) // 4`` of
    the centre, ``n = 1 + layers (k - 1)`` (measured by back-propagation)."""
    g = _centre_gradient([1] * layers, k)
    c, r = len(g) // 2, (len(g) - 1) // 4
    return (g[c - r : c + r + 1].sum() / g.sum()).item()


def _erf_uniform(layers: int, k: int) -> float:  # as if every frame of the field counted the same
    n = 1 + layers * (k - 1)
    return (2 * ((n - 1) // 4) + 1) / n


@exercise(
    notebook="02",
    reference=_erf_share,
    wrong=[
        _erf_uniform,
        lambda L, k: 1.0,  # everything inside the field
        lambda L, k: (
            _centre_gradient([1] * L, k).max().item() / _centre_gradient([1] * L, k).sum().item()
        ),  # centre frame
    ],
)
def check_erf_share(fn) -> bool:
    """``fn(layers, k)`` = share of the centre unit's gradient on the middle half of its theoretical field."""
    return check_function(
        fn,
        _erf_share,
        [(1, 3), (2, 3), (4, 3), (8, 3), (16, 3), (3, 5)],
        "erf_share",
        compare=lambda a, e, n: check_scalar(a, e, n, abs_tol=1e-4),
    )


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


def _frames_reached(dilations, k: int) -> int:
    """How many input frames reach the centre unit of a dilated temporal stack (a nonzero gradient)."""
    return int((_centre_gradient(list(dilations), k) > 0).sum())


@exercise(
    notebook="02",
    reference=_frames_reached,
    wrong=[
        lambda ds, k: 1 + sum(d * (k - 1) for d in ds),  # the recurrence's box: every frame inside it
        lambda ds, k: 1 + len(ds) * (k - 1),  # ignored the dilation
        lambda ds, k: k ** len(ds),  # counted paths, not frames
    ],
)
def check_frames_reached(fn) -> bool:
    """``fn(dilations, k)`` = number of input frames with a nonzero gradient at the centre unit."""
    return check_function(
        lambda ds, k: fn(list(ds), k),
        _frames_reached,
        [((1, 1, 1), 3), ((2, 2, 2), 3), ((1, 2, 4), 3), ((2, 4, 8), 3), ((3, 3), 3), ((1, 3), 2), ((4, 2, 1), 3)],
        "frames_reached",
        compare=check_scalar,
    )
