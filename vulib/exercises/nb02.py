"""Checkers for notebook 02 -- receptive fields in space and time."""

from __future__ import annotations

import torch
import torch.nn as nn

from ..fields import receptive_field
from . import agrees_within, check_function, check_scalar, exercise, report_prediction


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
def check_erf_share(fn, prediction=None) -> bool:
    """``fn(layers, k)`` = share of the centre unit's gradient on the middle half of its theoretical field.
    ``prediction``: (the share for 2 layers, for 16 layers) of kernel 3, printed beside the measurement (to 2
    decimals; within 0.05 counts as predicted), not graded."""
    check_function(
        fn,
        _erf_share,
        [(1, 3), (2, 3), (4, 3), (8, 3), (16, 3), (3, 5)],
        "erf_share",
        compare=lambda a, e, n: check_scalar(a, e, n, abs_tol=1e-4),
    )
    report_prediction(
        prediction,
        (round(_erf_share(2, 3), 2), round(_erf_share(16, 3), 2)),
        "share of the gradient on the middle half of the field (2 layers, 16 layers; kernel 3)",
        "a frame's weight counts the paths from it to the centre unit, and most paths run through the middle",
        agrees=agrees_within(0.05),
    )
    return True


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
def check_layers_to_see_clip(fn, prediction=None) -> bool:
    """``fn(T, k)`` = smallest number of temporal-kernel-k convolutions whose field covers T frames.
    ``prediction``: that number for a 16-frame clip and 3 x 3 x 3 convolutions, printed beside the measurement, not
    graded."""
    check_function(
        fn,
        _layers_to_see,
        [(16, 3), (20, 3), (8, 5), (3, 3), (6, 5), (12, 4)],
        "layers_to_see_clip",
        compare=check_scalar,
    )
    report_prediction(
        prediction,
        _layers_to_see(16, 3),
        "3 x 3 x 3 convolutions for one unit to see 16 frames",
        "each layer adds k - 1 frames to the field, not k (section 1's recurrence)",
        agrees=agrees_within(0),
    )
    return True


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
def check_frames_reached(fn, prediction=None) -> bool:
    """``fn(dilations, k)`` = number of input frames with a nonzero gradient at the centre unit. ``prediction``:
    (frames reached with dilations 2, 2, 2; with 1, 2, 4), kernel 3, printed beside the measurement, not graded."""
    check_function(
        lambda ds, k: fn(list(ds), k),
        _frames_reached,
        [((1, 1, 1), 3), ((2, 2, 2), 3), ((1, 2, 4), 3), ((2, 4, 8), 3), ((3, 3), 3), ((1, 3), 2), ((4, 2, 1), 3)],
        "frames_reached",
        compare=check_scalar,
    )
    report_prediction(
        prediction,
        (_frames_reached((2, 2, 2), 3), _frames_reached((1, 2, 4), 3)),
        "frames that reach the centre unit (dilations 2, 2, 2 of 13; 1, 2, 4 of 15)",
        "with every dilation even, every offset a unit can reach is even (section 3 warned the box is an outer bound)",
        agrees=agrees_within(0),
    )
    return True
