"""Checkers for notebook 04 -- optical flow and two-stream networks."""

from __future__ import annotations

import colorsys
import math

import torch

from ..flow import flow_to_color, lucas_kanade
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


def _stripes(normal: tuple[float, float], motion: tuple[float, float], size: int = 48, period: float = 8.0):
    """Two frames ``(1, 3, size, size)`` of sinusoidal stripes whose brightness varies along ``normal`` only,
    the second moved by ``motion`` = (u, v) pixels: nothing inside a window shows motion along the stripes."""
    ys, xs = torch.meshgrid(
        torch.arange(size, dtype=torch.float32), torch.arange(size, dtype=torch.float32), indexing="ij"
    )
    n = torch.tensor(normal, dtype=torch.float32)
    n = n / n.norm()

    def frame(dx: float, dy: float) -> torch.Tensor:
        return (0.5 + 0.4 * torch.sin(2 * math.pi * ((xs - dx) * n[0] + (ys - dy) * n[1]) / period)).expand(3, -1, -1)

    return frame(0.0, 0.0)[None], frame(*motion)[None]


def _measured_flow(motion, normal) -> torch.Tensor:
    """What ``vulib.flow.lucas_kanade`` measures on moving stripes: its mean flow away from the borders ``(2,)``."""
    a, b = _stripes(normal, motion)
    return lucas_kanade(a, b)[0, :, 12:-12, 12:-12].mean((1, 2))


def _normal_flow(motion, normal) -> tuple[float, float]:
    n = torch.tensor(normal, dtype=torch.float64)
    n = n / n.norm()
    along = float(torch.tensor(motion, dtype=torch.float64) @ n)
    return (along * float(n[0]), along * float(n[1]))


def _tangent(motion, normal):  # the part along the stripes: exactly what the window cannot see
    u, v = _normal_flow(motion, normal)
    return (motion[0] - u, motion[1] - v)


_STRIPE_CASES = [
    ((0.6, 0.4), (1, 0)),
    ((0.6, 0.4), (0, 1)),
    ((0.5, -0.3), (1, 1)),
    ((0.5, 0.5), (1, 1)),
    ((0.3, 0.5), (1, -1)),
]


@exercise(
    notebook="04",
    reference=_normal_flow,
    wrong=[
        lambda m, n: tuple(m),  # the true motion: the aperture hides part of it
        lambda m, n: (0.0, 0.0),  # "no reliable flow at all"
        _tangent,  # the component along the stripes
        lambda m, n: (m[0] * n[0] + m[1] * n[1]) * torch.tensor(n, dtype=torch.float64),  # n not made unit length
    ],
)
def check_aperture_flow(fn) -> bool:
    """``fn(motion (u, v), normal (nx, ny))``: the flow Lucas--Kanade measures on stripes varying along ``normal``
    that move by ``motion``. Compared with the flow ``vulib.flow.lucas_kanade`` actually measures (to 0.05 px)."""
    return check_function(
        lambda m, n: torch.as_tensor(fn(m, n), dtype=torch.float32).flatten(),
        _measured_flow,
        _STRIPE_CASES,
        "aperture_flow (your prediction vs the flow Lucas–Kanade measures)",
        compare=lambda a, b, name: check_tensor(a, b, name, atol=0.05),
    )
