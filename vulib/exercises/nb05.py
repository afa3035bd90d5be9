"""Checkers for notebook 05 -- CNN + RNN and recurrent convolution."""

from __future__ import annotations

import torch

from ..models import RCN, ConvGRUCell, sequential_steps
from . import check_function, check_scalar, exercise


def _cells():
    torch.manual_seed(5)
    return [ConvGRUCell(3, 4, kernel_size=3), ConvGRUCell(2, 5, kernel_size=1)]


def _inputs():
    g = torch.Generator().manual_seed(6)
    c1, c2 = _cells()
    return [
        (c1, torch.randn(2, 3, 6, 7, generator=g), torch.randn(2, 4, 6, 7, generator=g)),
        (c2, torch.randn(1, 2, 3, 3, generator=g), torch.randn(1, 5, 3, 3, generator=g)),
    ]


def _reference_step(cell: ConvGRUCell, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    return cell(x, h)


def _swapped_gates(cell, x, h):  # keeps the new state where it should keep the old one
    xr, xz, xn = cell.conv_x(x).chunk(3, 1)
    hr, hz, hn = cell.conv_h(h).chunk(3, 1)
    r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
    return z * torch.tanh(xn + r * hn) + (1 - z) * h


def _no_reset(cell, x, h):  # forgot the reset gate
    xr, xz, xn = cell.conv_x(x).chunk(3, 1)
    hr, hz, hn = cell.conv_h(h).chunk(3, 1)
    z = torch.sigmoid(xz + hz)
    return (1 - z) * torch.tanh(xn + hn) + z * h


@exercise(
    notebook="05",
    reference=_reference_step,
    wrong=[
        _swapped_gates,
        _no_reset,
        lambda cell, x, h: torch.tanh(cell.conv_x(x).chunk(3, 1)[2]),  # ignored the hidden state
    ],
)
def check_convgru_step(fn) -> bool:
    """``fn(cell, x, h)`` must compute ``ConvGRUCell.forward`` from ``cell.conv_x`` and ``cell.conv_h``."""
    with torch.no_grad():
        return check_function(fn, _reference_step, _inputs(), "convgru_step")


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
