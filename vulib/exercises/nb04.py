"""Checkers for notebook 04 -- optical flow and two-stream networks."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..flow import lucas_kanade, moving_stripes, shifted_texture, spatial_gradients
from . import ExerciseError, check_function, check_tensor, exercise, report_prediction


def _structure_parts(frame: torch.Tensor, window: int = 7) -> list[torch.Tensor]:
    """Lucas--Kanade's matrix at every pixel: the window means of Ix², Ix·Iy, Iy² (replicate borders), each
    ``(N, 1, H, W)`` for grey frames ``(N, 1, H, W)``."""
    ix, iy = spatial_gradients(frame)  # each (N, 1, H, W)
    return [
        F.avg_pool2d(F.pad(x, [window // 2] * 4, mode="replicate"), window, stride=1)
        for x in (ix * ix, ix * iy, iy * iy)
    ]


def _min_eigenvalue(frame: torch.Tensor, window: int = 7) -> torch.Tensor:
    """The smaller eigenvalue of Lucas--Kanade's 2 x 2 matrix at every pixel: grey frames ``(N, 1, H, W)`` ->
    ``(N, 1, H, W)``."""
    sxx, sxy, syy = _structure_parts(frame, window)
    return ((sxx + syy) / 2 - (((sxx - syy) / 2) ** 2 + sxy**2).sqrt()).clamp(min=0)


def _max_eigenvalue(frame: torch.Tensor, window: int = 7) -> torch.Tensor:
    sxx, _, syy = _structure_parts(frame, window)
    return sxx + syy - _min_eigenvalue(frame, window)  # the trace is the sum of both eigenvalues


def _determinant(frame, window=7):  # λ1·λ2: also large at corners, but it mixes both eigenvalues
    sxx, sxy, syy = _structure_parts(frame, window)
    return sxx * syy - sxy**2


def _trace(frame, window=7):  # λ1 + λ2: the gradient energy, large on edges too
    sxx, _, syy = _structure_parts(frame, window)
    return sxx + syy


def _per_pixel(frame, window=7):  # no window: one pixel's matrix has rank 1, so its smaller eigenvalue is 0
    ix, iy = spatial_gradients(frame)
    return torch.zeros_like(ix)


def _square(size: int = 40, lo: int = 10, hi: int = 30) -> torch.Tensor:
    frame = torch.zeros(1, 1, size, size)
    frame[..., lo:hi, lo:hi] = 0.9  # a bright square on black: (1, 1, size, size)
    return frame


def _eigen_cases():
    g = torch.Generator().manual_seed(41)
    disk = ((torch.arange(36.0) - 17.5)[:, None] ** 2 + (torch.arange(36.0) - 17.5)[None] ** 2 < 100).float()
    texture = shifted_texture(2, 32, 32, seed=42)[:, :1]  # (2, 1, 32, 32)
    return [
        (_square(), 7),
        (_square(48, 8, 36), 5),
        (disk.view(1, 1, 36, 36), 7),
        (texture, 7),
        (torch.rand(1, 1, 24, 24, generator=g), 3),
    ]


def _compare_shapes(answer, expected, name):
    """Equal up to one positive factor (window sums or means), away from the borders (padding may differ)."""
    answer = torch.as_tensor(answer).detach().double()
    expected = expected.double()
    if answer.shape != expected.shape:
        return check_tensor(answer, expected, name)  # says what is wrong with the shape
    m = 5  # pixels near the border depend on the padding
    a, e = answer[..., m:-m, m:-m], expected[..., m:-m, m:-m]
    if not torch.isfinite(a).all():
        raise ExerciseError(f"{name}: the map holds NaN or inf (a square root of a tiny negative number?)")
    if float(a.abs().max()) < 1e-12:
        raise ExerciseError(
            f"{name}: the map is zero everywhere inside the frame; one pixel's gradient gives a matrix of rank one, "
            "whose smaller eigenvalue is always 0. Sum (or average) the products over the window first"
        )
    return check_tensor(a / a.abs().max(), e / e.abs().max(), f"{name} (each map divided by its maximum)", atol=2e-3)


def _where_largest(fn) -> str:
    """Where the learner's map is largest on the 40 x 40 square with corners at 10 and 29."""
    lam = torch.as_tensor(fn(_square(), 7)).detach()[0, 0]
    y, x = divmod(int(lam.argmax()), lam.shape[-1])
    near = lambda c: min(abs(c - 10), abs(c - 29)) <= 4  # within a window of an edge line
    inside = 10 <= y <= 29 and 10 <= x <= 29
    if near(y) and near(x):
        return "corner"
    if (near(y) and 6 <= x <= 33) or (near(x) and 6 <= y <= 33):
        return "edge"
    return "inside" if inside else "outside"


@exercise(
    notebook="04",
    reference=_min_eigenvalue,
    wrong=[_max_eigenvalue, _determinant, _trace, _per_pixel],
)
def check_min_eigenvalue(fn, prediction=None) -> bool:
    """``fn(frame (N, 1, H, W), window)`` = the smaller eigenvalue ``(N, 1, H, W)`` of Lucas--Kanade's matrix of
    window means of ``Ix², Ix·Iy, Iy²`` (any positive scale accepted: sums or means). ``prediction``: where the
    learner expected it to be largest on a bright square ("inside", "edge" or "corner"; printed, not graded)."""
    check_function(fn, _min_eigenvalue, _eigen_cases(), "min_eigenvalue", compare=_compare_shapes)
    report_prediction(
        prediction,
        _where_largest(fn),
        "where the smaller eigenvalue is largest on a bright square",
        "a window needs gradients in two directions; on a straight edge they all point one way "
        "(section 1's aperture problem)",
    )
    return True


def _spurious_flow(frame: torch.Tensor, gain: float) -> torch.Tensor:
    """What Lucas--Kanade reports between a still frame ``(N, C, H, W)`` and the same frame ``gain`` times brighter:
    the flow ``(N, 2, H, W)``. Nothing moved, so all of it breaks brightness constancy."""
    return lucas_kanade(frame, gain * frame)


def _bright_square() -> torch.Tensor:
    return _square(40, 10, 30).expand(1, 3, 40, 40).contiguous()  # (1, 3, 40, 40): a grey square on black


def _gain_cases():
    disk = ((torch.arange(36.0) - 17.5)[:, None] ** 2 + (torch.arange(36.0) - 17.5)[None] ** 2 < 64).float()
    return [
        (_bright_square(), 1.1),
        (0.95 - _bright_square(), 1.1),  # a dark square on a bright background
        (_bright_square(), 0.8),
        ((0.2 + 0.6 * disk).expand(1, 3, 36, 36).contiguous(), 1.2),
        (0.3 + 0.5 * shifted_texture(2, 32, 32, seed=43)[:1], 1.1),
    ]


def _outward(flow: torch.Tensor, lo: int = 10, hi: int = 29) -> str:
    """The direction of a flow ``(1, 2, H, W)`` at the midpoints of a square's four edges (rows/columns ``lo``,
    ``hi``): "outward", "inward" or "none" (mean outward component under 0.02 px)."""
    f = torch.as_tensor(flow).detach().float()[0]  # (2, H, W)
    mid = (lo + hi) // 2
    out = (-f[0, mid, lo] + f[0, mid, hi] - f[1, lo, mid] + f[1, hi, mid]) / 4  # left, right, top, bottom
    return "none" if abs(float(out)) < 0.02 else ("outward" if out > 0 else "inward")


@exercise(
    notebook="04",
    reference=_spurious_flow,
    wrong=[
        lambda frame, gain: torch.zeros(frame.shape[0], 2, *frame.shape[-2:]),  # "nothing moved, so no flow"
        lambda frame, gain: lucas_kanade(gain * frame, frame),  # the frames in the wrong order
        lambda frame, gain: lucas_kanade(frame, frame + (gain - 1)),  # brightened by adding, not multiplying
        lambda frame, gain: lucas_kanade(frame, frame / gain),  # darkened instead
    ],
)
def check_spurious_flow(fn, prediction=None) -> bool:
    """``fn(frame (N, C, H, W), gain)``: the flow ``(N, 2, H, W)`` Lucas--Kanade measures from a still ``frame`` to
    the same frame ``gain`` times brighter (to 0.01 px). ``prediction``: the learner's guess of its direction at the
    edges of a bright square brightened by 10 % ("none", "inward" or "outward"; printed, not graded)."""
    check_function(
        fn,
        _spurious_flow,
        _gain_cases(),
        "spurious_flow",
        compare=lambda a, b, name: check_tensor(a, b, name, atol=0.01),
    )
    report_prediction(
        prediction,
        _outward(_spurious_flow(_bright_square(), 1.1)),
        "flow at the edges of a still bright square brightened by 10 %",
        "brighter edges look like edges that moved outwards: Ix u + Iy v = -It has only brightness to go on "
        "(section 2's equation)",
    )
    return True


def _measured_flow(motion, normal) -> torch.Tensor:
    """What ``vulib.flow.lucas_kanade`` measures on moving stripes: its mean flow away from the borders ``(2,)``."""
    a, b = moving_stripes(normal, motion)
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
    reference=lambda m, n: tuple(_measured_flow(m, n).tolist()),
    wrong=[
        lambda m, n: tuple(m),  # the true motion: the aperture hides part of it
        lambda m, n: (0.0, 0.0),  # "no reliable flow at all"
        _tangent,  # the component along the stripes
        lambda m, n: (m[0] * n[0] + m[1] * n[1]) * torch.tensor(n, dtype=torch.float64),  # n not made unit length
    ],
)
def check_aperture_flow(fn, prediction=None) -> bool:
    """``fn(motion (u, v), normal (nx, ny))``: the flow Lucas--Kanade measures on ``vulib.flow.moving_stripes``
    varying along ``normal`` that move by ``motion``, away from the borders. Compared with the checker's own
    measurement (to 0.05 px). ``prediction``: the learner's guess ``(u, v)`` for stripes across ``(1, 1)`` moving by
    ``(0.6, 0)`` (printed, not graded)."""
    check_function(
        lambda m, n: torch.as_tensor(fn(m, n), dtype=torch.float32).flatten(),
        _measured_flow,
        _STRIPE_CASES,
        "aperture_flow (your measurement vs the checker's)",
        compare=lambda a, b, name: check_tensor(a, b, name, atol=0.05),
    )
    measured = tuple(round(float(c), 2) for c in _measured_flow((0.6, 0.0), (1, 1)))
    report_prediction(
        None if prediction is None else tuple(float(c) for c in prediction),
        measured,
        "stripes across (1, 1), moving by (0.6, 0)",
        "each pixel's equation only fixes the motion across the stripes; "
        "least squares with a small penalty returns the shortest flow that fits",
        agrees=lambda p, m: len(p) == 2 and max(abs(p[0] - m[0]), abs(p[1] - m[1])) <= 0.05,
    )
    return True
