"""Checkers for notebook 13 -- SlowFast and X3D."""

from __future__ import annotations

import math

from . import ExerciseError, _as_number, agrees_within, check_equal, check_function, exercise, report_prediction

# ---------------------------------------------------------------- exercise 1: the fast pathway's cost against beta

_CHOICES = ("2", "between 2 and 4", "4", "more than 4")


def _fast_macs(f: int, T: int = 16, S: int = 24, classes: int = 6) -> int:
    """Multiply-adds of ``SlowFast(3, classes, width=16, pathways="fast")`` with ``f`` fast channels on a
    ``(3, T, S, S)`` clip: three ``3x3x3`` stages (3 -> f at S, f -> 2f at S/2, 2f -> 2f at S/4) and the linear
    head on ``2f`` features (what ``vulib.cost.model_cost`` counts; checked in tests/test_models_slowfast_x3d.py)."""
    s0, s1, s2 = T * S * S, T * (S // 2) ** 2, T * (S // 4) ** 2
    return 27 * (3 * f * s0 + f * 2 * f * s1 + 2 * f * 2 * f * s2) + 2 * f * classes


_FACTOR = _fast_macs(4) / _fast_macs(2)  # beta 1/4 and 1/8 of width 16: 4 and 2 fast channels


def _choice(factor: float) -> str:
    if abs(factor - 2) < 1e-9:
        return "2"
    if abs(factor - 4) < 1e-9:
        return "4"
    return "between 2 and 4" if 2 < factor < 4 else "more than 4"


@exercise(
    notebook="13",
    reference=_FACTOR,
    wrong=[
        4.0,  # beta squared everywhere: forgets the first layer (3 colour channels)
        2.0,  # channels counted once, not in and out
        1 / _FACTOR,  # the ratio upside down
    ],
)
def check_beta_factor(factor, prediction=None) -> bool:
    """``factor``: the measured growth of the fast pathway's multiply-adds from beta = 1/8 to 1/4 (width 16,
    alpha 4, 16 x 24 x 24 clips). ``prediction``: one of ``_CHOICES``, printed beside the measurement, not graded.
    (The old call, ``check_beta_factor({"prediction": ..., "factor": ...})``, still works.)"""
    if isinstance(factor, dict) and set(factor) == {"prediction", "factor"}:
        factor, prediction = factor["factor"], factor["prediction"]
    got = _as_number(factor)
    if got is None:
        raise ExerciseError(f"factor: expected a number (a ratio of two multiply-add counts), got {factor!r}")
    if not math.isclose(got, _FACTOR, rel_tol=1e-6):  # says which way, never the measured value
        raise ExerciseError(
            f"factor: {got:g} is too {'high' if got > _FACTOR else 'low'} (the multiply-adds at beta = 1/4 divided by "
            "those at beta = 1/8, each from model_cost of a fast-only SlowFast)"
        )
    print("✓ factor: correct")
    report_prediction(
        prediction,
        _choice(_FACTOR),
        f"growth of the fast pathway's multiply-adds (measured {_FACTOR:.2f}), one of {list(_CHOICES)}",
        "the layers between two fast stages grow with beta squared, but the first one reads only 3 colour channels",
        agrees=agrees_within(0),
    )
    return True


# ---------------------------------------------------------------- exercise 2: one greedy expansion step


def _greedy(current, candidates):
    macs, acc = current
    return max(candidates, key=lambda axis: (candidates[axis][1] - acc) / (candidates[axis][0] - macs))


_STEP_CASES = [
    ((1.0, 0.5), {"frames": (2.0, 0.8), "size": (1.8, 0.6), "width": (3.0, 0.9)}),  # the gain per extra MAC: frames
    ((1.0, 0.6), {"frames": (2.0, 0.65), "size": (1.5, 0.62), "width": (4.0, 0.95)}),  # size: cheapest gain
    ((2.0, 0.7), {"frames": (4.0, 0.9), "size": (3.6, 0.75), "width": (2.5, 0.74), "depth": (5.0, 0.97)}),
]


@exercise(
    notebook="13",
    reference=_greedy,
    wrong=[
        lambda cur, c: max(c, key=lambda a: c[a][1]),  # the most accurate candidate, whatever it costs
        lambda cur, c: min(c, key=lambda a: c[a][0]),  # the cheapest candidate
        lambda cur, c: max(c, key=lambda a: c[a][1] / c[a][0]),  # accuracy per MAC of the whole model, not the step
        lambda cur, c: max(c, key=lambda a: c[a][1] - cur[1]),  # the largest gain, ignoring its cost
    ],
)
def check_greedy_step(fn) -> bool:
    """``fn(current, candidates)``: the axis with the largest accuracy gain per extra multiply-add."""
    return check_function(fn, _greedy, _STEP_CASES, "greedy_step", compare=check_equal)


# ---------------------------------------------------------------- exercise 3: dense vs depthwise multiply-adds


def _conv3d_macs(channels: int, T: int, H: int, W: int, k: int = 3, depthwise: bool = False) -> int:
    return T * H * W * channels * (1 if depthwise else channels) * k**3


_MAC_CASES = [
    (48, 8, 16, 16, 3, False),
    (48, 8, 16, 16, 3, True),
    (18, 4, 12, 12, 3, True),
    (8, 16, 24, 24, 5, False),
    (8, 16, 24, 24, 5, True),
]


@exercise(
    notebook="13",
    reference=_conv3d_macs,
    wrong=[
        lambda c, T, H, W, k=3, depthwise=False: T * H * W * (1 if depthwise else c) * k**3,  # output channels dropped
        lambda c, T, H, W, k=3, depthwise=False: T * H * W * c * (1 if depthwise else c) * k**2,  # a 2D kernel
        lambda c, T, H, W, k=3, depthwise=False: H * W * c * (1 if depthwise else c) * k**3,  # one frame only
        lambda c, T, H, W, k=3, depthwise=False: T * H * W * c * c * k**3,  # depthwise ignored
    ],
)
def check_conv_macs_depthwise(fn, prediction=None) -> bool:
    """``fn(channels, T, H, W, k=3, depthwise=False)``: multiply-adds of a same-padded stride-1 ``k^3``
    convolution from ``channels`` to ``channels``, dense or one filter per channel. ``prediction``: how many times
    fewer multiply-adds the depthwise convolution does on 48 channels, printed beside the measurement, not graded."""
    check_function(fn, _conv3d_macs, _MAC_CASES, "conv3d_macs", compare=check_equal)
    report_prediction(
        prediction,
        _conv3d_macs(*_MAC_CASES[0]) // _conv3d_macs(*_MAC_CASES[1]),
        "dense over depthwise multiply-adds, 3 x 3 x 3 on 48 channels",
        "a dense filter reads every input channel, a depthwise one reads one: section 6 weighs what that saves",
        agrees=agrees_within(0),
    )
    return True
