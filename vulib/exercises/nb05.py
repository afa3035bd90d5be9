"""Checkers for notebook 05 -- CNN + RNN and recurrent convolution."""

from __future__ import annotations

import torch

from ..models import CNNRNN, RCN, sequential_steps
from . import check_function, check_scalar, exercise


@torch.no_grad()
def _measured_informed_steps(T: int, onset: int) -> int:
    """Measured: how many of a CNN + RNN's ``T`` per-frame predictions change when frames ``onset`` .. ``T - 1``
    change (what a second flash starting at ``onset`` can reach)."""
    g = torch.Generator().manual_seed(50 + T + onset)
    torch.manual_seed(5)
    model = CNNRNN(classes=2, width=4, hidden=8, per_frame=True).eval()
    x = torch.rand(1, 3, T, 8, 8, generator=g)  # (1, C, T, H, W)
    changed = x.clone()
    changed[:, :, onset:] = torch.rand(1, 3, T - onset, 8, 8, generator=g)
    diff = (model(x) - model(changed)).abs().amax(-1)[0]  # (T,): change of each step's logits
    return int((diff > 0).sum())


_ONSETS = [(12, 3), (12, 11), (20, 8), (8, 0), (32, 20)]


@exercise(
    notebook="05",
    reference=lambda T, onset: T - onset,
    wrong=[
        lambda T, onset: T - onset - 1,  # the prediction at the onset frame itself already sees it
        lambda T, onset: onset,  # counted the steps before the flash
        lambda T, onset: T,  # "a recurrent network sees the whole clip at every step"
        lambda T, onset: 1,  # only the last state
    ],
)
def check_informed_steps(fn) -> bool:
    """``fn(T, onset)``: how many of the ``T`` per-frame predictions of a (one-directional) CNN + RNN can depend
    on an event that starts at frame ``onset``. Compared with a measurement on ``CNNRNN(per_frame=True)``."""
    return check_function(
        fn,
        _measured_informed_steps,
        _ONSETS,
        "informed_steps (your prediction vs the measured count)",
        compare=check_scalar,
    )


def _recurrent_steps(T: int, layers: int) -> int:
    return sequential_steps(RCN(hidden=(4,) * layers, pool=1), T)


@exercise(
    notebook="05",
    reference=_recurrent_steps,
    wrong=[
        lambda T, L: T * L,  # layers one after another, no wavefront
        lambda T, L: T,  # forgot the pipeline's start-up
        lambda T, L: T + L,  # one step too many
    ],
)
def check_recurrent_steps(fn) -> bool:
    """``fn(T, layers)`` = sequential steps of a wavefront-run stack of recurrent layers."""
    return check_function(
        fn, _recurrent_steps, [(8, 1), (16, 2), (32, 3), (1, 4)], "recurrent_steps", compare=check_scalar
    )


def _first_failing_gap(field: int, flash: int) -> int:
    """Measured: the smallest onset gap at which no window of `field` frames holds a frame of both flashes."""
    g = 1
    while True:
        a, b = set(range(0, flash)), set(range(g, g + flash))
        if not any(a & set(range(s, s + field)) and b & set(range(s, s + field)) for s in range(-field, g + flash)):
            return g
        g += 1


@exercise(
    notebook="05",
    reference=_first_failing_gap,
    wrong=[
        lambda F, f: F,  # forgot the flashes' own length
        lambda F, f: F + f,  # one too late
        lambda F, f: F - f + 1,  # subtracted the flash length
    ],
)
def check_first_failing_gap(fn) -> bool:
    """``fn(field, flash)`` = smallest onset gap that no window of ``field`` frames can span."""
    return check_function(
        fn, _first_failing_gap, [(7, 2), (3, 1), (16, 4), (5, 3)], "first_failing_gap", compare=check_scalar
    )
