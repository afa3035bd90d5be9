"""Checkers for notebook 01 -- fusion: single-frame, late fusion (FC, pooling), early fusion, 3D CNN."""

from __future__ import annotations

import functools

import torch

from ..cost import layer_table
from ..models import CNN3D, EarlyFusion, LateFusionFC, LateFusionPool, SingleFrame
from . import ExerciseError, agrees_within, check_equal, check_function, check_scalar, exercise, report_prediction

# --------------------------------------------------------------------------- 1 · what doubling the clip costs
_COST_FRAMES, _COST_SIZE, _COST_WIDTH = (8, 16), 24, 32
_COST_MODELS = {
    "SingleFrame": lambda T: SingleFrame(width=_COST_WIDTH),
    "LateFusionFC": lambda T: LateFusionFC(frames=T, width=_COST_WIDTH, size=_COST_SIZE),
    "LateFusionPool": lambda T: LateFusionPool(width=_COST_WIDTH),
    "EarlyFusion": lambda T: EarlyFusion(frames=T, width=_COST_WIDTH),
    "CNN3D": lambda T: CNN3D(width=_COST_WIDTH),
}


@functools.lru_cache(maxsize=1)
def _cost_growth() -> dict[str, tuple[float, float]]:
    """Measured: (parameters at T=16 / at T=8, multiply-adds at T=16 / at T=8) of each model, width 32, 24x24."""
    out = {}
    for name, make in _COST_MODELS.items():
        (p8, m8), (p16, m16) = (
            (sum(r.params for r in rows), sum(r.macs for r in rows))
            for rows in (layer_table(make(T), (3, T, _COST_SIZE, _COST_SIZE)) for T in _COST_FRAMES)
        )
        out[name] = (round(p16 / p8, 2), round(m16 / m8, 2))
    return out


_EVERYTHING_DOUBLES = {name: (1.0, 2.0) for name in _COST_MODELS}


@exercise(
    notebook="01",
    reference={
        "SingleFrame": (1.0, 2.0),
        "LateFusionFC": (1.84, 2.0),
        "LateFusionPool": (1.0, 2.0),
        "EarlyFusion": (1.11, 1.5),
        "CNN3D": (1.0, 2.0),
    },
    wrong=[
        _EVERYTHING_DOUBLES,  # "twice the frames, twice everything"
        {**_EVERYTHING_DOUBLES, "LateFusionFC": (2.0, 2.0)},  # right for late fusion, early fusion's cost doubled
        {**_EVERYTHING_DOUBLES, "EarlyFusion": (2.0, 2.0)},  # early fusion's parameters doubled too
        {name: (2.0, 2.0) for name in _COST_MODELS},  # parameters grow with the clip everywhere
    ],
)
def check_cost_growth(answer, prediction=None) -> bool:
    """``answer``: per model, (parameters, multiply-adds) at T=16 divided by the same at T=8, rounded to 2 decimals
    (width 32, 24x24 frames), compared with what ``vulib.cost.layer_table`` measures. ``prediction``: (the model
    whose parameters grow most, the model whose multiply-adds grow least), printed beside the measurement, not
    graded."""
    if not isinstance(answer, dict):
        raise ExerciseError(f"cost_growth: expected a dict from model name to a pair, got {type(answer).__name__}")
    if set(answer) != set(_COST_MODELS):  # names only the learner's own extra keys, never the missing ones
        extra, missing = sorted(set(answer) - set(_COST_MODELS)), len(set(_COST_MODELS) - set(answer))
        raise ExerciseError(
            "cost_growth: expected one entry for each of the five models named in the exercise"
            + (f"; {missing} missing" if missing else "")
            + (f"; unexpected keys {extra}" if extra else "")
        )
    measured, problems = _cost_growth(), []
    for name in _COST_MODELS:
        try:
            got = tuple(float(v) for v in answer[name])
        except (TypeError, ValueError):
            raise ExerciseError(f"cost_growth: {name}: expected a pair of numbers, got {answer[name]!r}") from None
        if len(got) != 2:
            raise ExerciseError(f"cost_growth: {name}: expected a pair (parameters ratio, multiply-adds ratio)")
        for what, g, e in zip(("parameters", "multiply-adds"), got, measured[name]):
            if abs(g - e) > 0.015:
                problems.append(f"{name}'s {what} ratio {g:g} is too {'high' if g > e else 'low'}")
    if problems:
        raise ExerciseError(
            "cost_growth: " + "; ".join(problems) + " (measure each model at both lengths with vulib.cost.layer_table)"
        )
    print("✓ cost_growth: correct")
    report_prediction(
        prediction,
        (max(measured, key=lambda n: measured[n][0]), min(measured, key=lambda n: measured[n][1])),
        "from 8 to 16 frames (parameters grow most, multiply-adds grow least)",
        "look for the layers whose weights or outputs have one entry per frame (section 3's parameter table)",
        agrees=agrees_within(0),
    )
    return True


# --------------------------------------------------------------------------- 2 · two frames far apart
def _apparent_shift(speed: float, gap: int, size: int) -> float:
    """The displacement between two frames ``gap`` apart of an object moving ``speed`` px per frame to the right on
    a torus ``size`` px wide, as the shortest way round: in (-size/2, size/2]; negative = it seems to move left."""
    d = (speed * gap) % size
    return d - size if d > size / 2 else d


_CASES_SHIFT = [(1.5, 1, 24), (1.5, 15, 24), (2.0, 15, 24), (1.0, 15, 24), (3.0, 5, 24), (1.0, 7, 32), (2.5, 20, 32)]


@exercise(
    notebook="01",
    reference=_apparent_shift,
    wrong=[
        lambda v, g, s: v * g,  # forgot the wrap-around
        lambda v, g, s: (v * g) % s,  # wrapped, but not the shortest way round
        lambda v, g, s: -((v * g) % s),  # the sign convention reversed
    ],
)
def check_apparent_shift(fn, prediction=None) -> bool:
    """``fn(speed, gap, size)`` = the signed displacement two frames ``gap`` apart show, on a torus. ``prediction``:
    the direction (``"right"`` or ``"left"``) two frames 15 apart seem to show at 1, 1.5 and 2 pixels per frame on
    24-pixel frames, printed beside the measurement, not graded."""
    check_function(
        fn, _apparent_shift, _CASES_SHIFT, "apparent_shift", compare=lambda a, e, n: check_scalar(a, e, n, abs_tol=1e-6)
    )
    report_prediction(
        prediction,
        tuple("right" if _apparent_shift(v, 15, 24) > 0 else "left" for v in (1, 1.5, 2)),
        "direction two frames 15 apart show (1, 1.5, 2 pixels per frame to the right)",
        "a displacement longer than half the frame is seen the shorter way round, as with a wheel filmed too slowly",
        agrees=agrees_within(0),
    )
    return True


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
