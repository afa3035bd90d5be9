"""Checkers for notebook 04 -- optical flow and two-stream networks."""

from __future__ import annotations

import colorsys
import math

import torch

from ..flow import flow_to_color, stack_flow
from . import check_function, check_tensor, exercise


def _windows():
    """(ix, iy, it) windows with a well-defined least-squares flow."""
    g = torch.Generator().manual_seed(40)
    cases = []
    for k, (u, v) in [(5, (0.7, -0.3)), (3, (-1.2, 0.4)), (7, (0.05, 0.9))]:
        ix, iy = (
            torch.randn(k, k, generator=g, dtype=torch.float64),
            torch.randn(k, k, generator=g, dtype=torch.float64),
        )
        it = -(ix * u + iy * v) + 0.05 * torch.randn(k, k, generator=g, dtype=torch.float64)  # nearly constant
        cases.append((ix, iy, it))
    return cases


def _lk_window(ix: torch.Tensor, iy: torch.Tensor, it: torch.Tensor) -> torch.Tensor:
    A = torch.stack([ix.flatten(), iy.flatten()], dim=1)  # (k*k, 2): one equation per pixel
    return torch.linalg.lstsq(A, -it.flatten()[:, None]).solution[:, 0]  # (2,): u, v


@exercise(
    notebook="04",
    reference=_lk_window,
    wrong=[
        lambda ix, iy, it: -_lk_window(ix, iy, it),  # sign of It
        lambda ix, iy, it: _lk_window(ix, iy, it).flip(0),  # v, u
        lambda ix, iy, it: torch.stack(
            [
                -(ix * it).sum() / (ix * ix).sum(),  # ignored the Ix*Iy coupling
                -(iy * it).sum() / (iy * iy).sum(),
            ]
        ),
        lambda ix, iy, it: torch.stack([-(it / ix).mean(), -(it / iy).mean()]),  # per-pixel division
    ],
)
def check_lk_window(fn) -> bool:
    """``fn(ix, iy, it)`` (each ``(k, k)``) = the least-squares ``(u, v)`` of ``ix u + iy v + it = 0``."""
    return check_function(
        fn, _lk_window, _windows(), "lk_window", compare=lambda a, b, name: check_tensor(a, b, name, atol=1e-6)
    )


def _flow_color(u: float, v: float, max_magnitude: float) -> tuple[float, float, float]:
    rgb = flow_to_color(torch.tensor([[[u]], [[v]]], dtype=torch.float32), max_magnitude=max_magnitude)
    return tuple(float(c) for c in rgb[0, 0])


def _as_tensor(fn):
    return lambda u, v, m: torch.tensor(fn(u, v, m), dtype=torch.float64)


def _hsv_colour(hue, sat):
    return colorsys.hsv_to_rgb(hue % 1.0, sat, 1.0)


@exercise(
    notebook="04",
    reference=_flow_color,
    wrong=[
        lambda u, v, m: _hsv_colour(math.atan2(-v, u) / (2 * math.pi), min(math.hypot(u, v) / m, 1)),  # y pointing up
        lambda u, v, m: _hsv_colour(math.atan2(u, v) / (2 * math.pi), min(math.hypot(u, v) / m, 1)),  # u and v swapped
        lambda u, v, m: _hsv_colour(math.atan2(v, u) / (2 * math.pi), 1.0),  # speed ignored
        lambda u, v, m: _hsv_colour(math.atan2(v, u) / (2 * math.pi), min((u * u + v * v) / m, 1)),  # squared speed
    ],
)
def check_flow_color(fn) -> bool:
    """``fn(u, v, max_magnitude)`` = the RGB colour (3 floats in [0, 1]) of one flow vector."""
    cases = [(1.0, 0.0, 2.0), (0.0, 1.5, 2.0), (-0.5, -0.5, 1.0), (0.3, -0.9, 1.0), (3.0, 4.0, 2.0), (0.0, 0.0, 1.0)]
    return check_function(
        _as_tensor(fn),
        _as_tensor(_flow_color),
        cases,
        "flow_color",
        compare=lambda a, b, name: check_tensor(a, b, name, atol=1e-4),
    )


def _flows():
    g = torch.Generator().manual_seed(41)
    return [
        torch.randn(2, 2, 3, 4, 5, generator=g),
        torch.randn(1, 2, 1, 3, 3, generator=g),
        torch.randn(3, 2, 5, 2, 2, generator=g),
    ]


@exercise(
    notebook="04",
    reference=stack_flow,
    wrong=[
        lambda f: f.reshape(f.shape[0], -1, *f.shape[-2:]),  # all u's, then all v's
        lambda f: f.sum(2),  # summed over time: 2 channels
        lambda f: f.permute(0, 2, 1, 3, 4).flip(2).reshape(f.shape[0], -1, *f.shape[-2:]),  # v before u
    ],
)
def check_stack_flow(fn) -> bool:
    """``fn(flows (B, 2, L, H, W))`` = ``(B, 2L, H, W)`` with channels u_0, v_0, u_1, v_1, ..."""
    return check_function(fn, stack_flow, _flows(), "stack")
