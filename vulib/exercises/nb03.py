"""Checkers for notebook 03 -- 3D convolution, C3D, temporal shift-invariance."""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import ExerciseError, agrees_within, check_equal, check_function, exercise, report_prediction

# --------------------------------------------------------------------------- 1 · equivariant, invariant, neither
_SHIFT_T = 12


def _layers() -> dict[str, torch.nn.Module]:
    """The layers of the exercise, each taking clips (1, 1, 12, 4, 4), with fixed random weights."""
    with torch.random.fork_rng():  # fixed weights without touching the lesson's random state
        torch.manual_seed(3)
        layers = {
            "conv, stride 1": nn.Conv3d(1, 1, (3, 1, 1), padding=(1, 0, 0)),
            "conv, stride 2": nn.Conv3d(1, 1, (2, 1, 1), stride=(2, 1, 1)),
            "max-pool 2 in time": nn.MaxPool3d((2, 1, 1)),
            "global max-pool": nn.AdaptiveMaxPool3d(1),
            "early fusion's first layer": nn.Conv3d(1, 1, (_SHIFT_T, 1, 1)),
            "conv, ReLU, global max-pool": nn.Sequential(
                nn.Conv3d(1, 2, (3, 1, 1)), nn.ReLU(), nn.AdaptiveMaxPool3d(1)
            ),
        }
    return {name: layer.eval() for name, layer in layers.items()}


@torch.no_grad()
def _shift_behaviour(layer: nn.Module, shift: int) -> str:
    """Measured on a clip whose event sits in the middle (zeros at both ends, so a roll is a shift):
    ``"unchanged"`` (same output), ``"shifts"`` (the output moved by a whole number of its own steps) or
    ``"changes"`` (neither)."""
    x = torch.zeros(1, 1, _SHIFT_T, 4, 4)
    x[:, :, 4:7] = torch.rand(1, 1, 3, 4, 4, generator=torch.Generator().manual_seed(0))
    return _classify_roll(layer, x, shift)


def _classify_roll(layer: nn.Module, x: torch.Tensor, shift: int) -> str:
    """``layer``'s output for ``x`` rolled by ``shift`` frames: unchanged, shifted by whole steps, or changed."""
    y0, y1 = layer(x), layer(x.roll(shift, 2))
    if torch.allclose(y0, y1, atol=1e-6):
        return "unchanged"
    if any(torch.allclose(y1, y0.roll(s, 2), atol=1e-6) for s in range(1, y0.shape[2])):
        return "shifts"
    return "changes"


@torch.no_grad()
def _same_shift_only(layer: nn.Module, shift: int) -> str:  # the output must move by the input's shift
    x = torch.zeros(1, 1, _SHIFT_T, 4, 4)
    x[:, :, 4:7] = torch.rand(1, 1, 3, 4, 4, generator=torch.Generator().manual_seed(0))
    y0, y1 = layer(x), layer(x.roll(shift, 2))
    if torch.allclose(y0, y1, atol=1e-6):
        return "unchanged"
    return "shifts" if torch.allclose(y1, y0.roll(shift, 2), atol=1e-6) else "changes"


@torch.no_grad()
def _no_shift_test(layer: nn.Module, shift: int) -> str:  # never looks for a shifted output
    x = torch.rand(1, 1, _SHIFT_T, 4, 4, generator=torch.Generator().manual_seed(0))
    return "unchanged" if torch.allclose(layer(x), layer(x.roll(shift, 2)), atol=1e-6) else "changes"


@torch.no_grad()
def _full_clip_roll(layer: nn.Module, shift: int) -> str:  # content up to the ends: a roll wraps it around
    x = torch.rand(1, 1, _SHIFT_T, 4, 4, generator=torch.Generator().manual_seed(0))
    return _classify_roll(layer, x, shift)


@exercise(
    notebook="03",
    reference=_shift_behaviour,
    wrong=[_same_shift_only, _no_shift_test, _full_clip_roll, lambda layer, shift: "shifts"],
)
def check_shift_behaviour(fn, prediction=None) -> bool:
    """``fn(layer, shift)`` = "unchanged", "shifts" or "changes": what shifting the clip by ``shift`` frames
    does to the layer's output; tested on six layers and shifts of 1 and 2 frames. ``prediction``: six pairs
    (shift 1, shift 2), one per layer in the exercise's order, printed layer by layer beside the measurement, not
    graded."""
    for name, layer in _layers().items():
        for shift in (1, 2):
            want = _shift_behaviour(layer, shift)
            try:
                got = fn(layer, shift)
            except NotImplementedError:
                raise
            except Exception as exc:
                raise ExerciseError(
                    f"shift_behaviour: {name}, shift {shift}: raised {type(exc).__name__}: {exc}"
                ) from exc
            if got not in ("unchanged", "shifts", "changes"):
                raise ExerciseError(f'shift_behaviour: expected "unchanged", "shifts" or "changes", got {got!r}')
            if got != want:
                raise ExerciseError(
                    f"shift_behaviour: wrong for the layer '{name}' and a shift of {shift} frame"
                    f"{'s' if shift > 1 else ''}: your test says {got!r} (does your clip leave room to shift, and "
                    f"does it look for the output moved by any whole number of the layer's own steps?)"
                )
    print("✓ shift_behaviour: correct on 6 layers x 2 shifts")
    measured = {name: (_shift_behaviour(layer, 1), _shift_behaviour(layer, 2)) for name, layer in _layers().items()}
    where = "equivariance holds for shifts by whole output steps; only a global pooling forgets where (section 4)"
    if not isinstance(prediction, (list, tuple)) or len(prediction) != len(measured):
        report_prediction(prediction, tuple(measured.values()), "six layers (shift 1, shift 2)", where)
        return True
    for guess, (name, pair) in zip(prediction, measured.items()):
        report_prediction(guess, pair, f"{name} (shift 1, shift 2)", where, agrees=agrees_within(0))
    return True


# --------------------------------------------------------------------------- 2 · blur before subsampling
def _blurpool_time(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """(B, C, T, H, W), weight (F, C, kt, kh, kw) -> (B, F, T'', H', W'): convolve with stride 1 (no padding),
    blur every channel along time with [1, 2, 1] / 4 (zero padding 1), keep frames 0, 2, 4, ..."""
    y = F.conv3d(x, weight)  # (B, F, T', H', W')
    blur = torch.tensor([1.0, 2.0, 1.0]).div(4).view(1, 1, 3, 1, 1).repeat(y.shape[1], 1, 1, 1, 1)
    return F.conv3d(y, blur, padding=(1, 0, 0), groups=y.shape[1])[:, :, ::2]


def _subsample_then_blur(x, weight):
    y = F.conv3d(x, weight)[:, :, ::2]
    blur = torch.tensor([1.0, 2.0, 1.0]).div(4).view(1, 1, 3, 1, 1).repeat(y.shape[1], 1, 1, 1, 1)
    return F.conv3d(y, blur, padding=(1, 0, 0), groups=y.shape[1])


_gb = torch.Generator().manual_seed(5)
_CASES_BLUR = [
    (torch.rand(2, 1, 12, 6, 6, generator=_gb), torch.randn(4, 1, 2, 3, 3, generator=_gb)),
    (torch.rand(1, 3, 9, 5, 7, generator=_gb), torch.randn(2, 3, 3, 1, 2, generator=_gb)),
]


def _odd_shift_gap(fn) -> float:
    """Relative change of the globally max-pooled response when a 2-frame event moves by one frame."""
    g = torch.Generator().manual_seed(1)
    w = torch.randn(8, 1, 2, 3, 3, generator=g)
    x = torch.zeros(4, 1, 12, 8, 8)
    x[:, :, 4:6] = torch.rand(4, 1, 2, 8, 8, generator=g)
    a, b = fn(x, w).amax(dim=(2, 3, 4)), fn(x.roll(1, 2), w).amax(dim=(2, 3, 4))
    return ((a - b).norm() / a.norm()).item()


@exercise(
    notebook="03",
    reference=_blurpool_time,
    wrong=[
        lambda x, w: F.conv3d(x, w, stride=(2, 1, 1)),  # a strided convolution, no blur
        _subsample_then_blur,  # blurred after subsampling: the aliasing has already happened
        lambda x, w: 4 * _blurpool_time(x, w),  # the blur not normalised: [1, 2, 1] sums to 4
        lambda x, w: _blurpool_time(x, w)[:, :, :-1],  # lost the last kept frame
    ],
)
def check_blurpool_time(fn, prediction=None) -> bool:
    """``fn(x (B, C, T, H, W), weight (F, C, kt, kh, kw))`` = stride-1 convolution, temporal [1, 2, 1]/4 blur,
    every second frame; then checks that it shrinks (but does not remove) the one-frame-shift gap. ``prediction``:
    ``"same"`` or ``"closer"``, what the blur does to the response to an event moved by one frame (printed beside the
    measurement, not graded)."""
    check_function(fn, _blurpool_time, _CASES_BLUR, "blurpool_time")
    plain = _odd_shift_gap(lambda x, w: F.conv3d(x, w, stride=(2, 1, 1)))
    blurred = _odd_shift_gap(fn)
    if not 0 < blurred < plain:  # holds for the reference: the claim of the exercise, checked each time
        raise ExerciseError(f"blurpool_time: one-frame shift gap {blurred:.3f} with blur vs {plain:.3f} without")
    report_prediction(
        prediction,
        "closer",  # the gap shrank but stayed above zero, as checked just above
        "response to an event moved by one frame, with the blur",
        "the blur only damps what subsampling folds over; anything it lets through still lands between two samples",
        agrees=agrees_within(0),
    )
    return True


_MODELS = {"SingleFrame", "LateFusionFC", "LateFusionPool", "EarlyFusion", "CNN3D"}
_TIED = {"EarlyFusion", "LateFusionFC"}  # one weight per (frame, ...) input in the first layer


@exercise(
    notebook="03",
    reference={"EarlyFusion", "LateFusionFC"},
    wrong=[
        {"EarlyFusion"},
        {"EarlyFusion", "LateFusionFC", "CNN3D"},
        {"EarlyFusion", "LateFusionFC", "LateFusionPool"},
    ],
)
def check_frame_tied(answer) -> bool:
    """``answer``: the set of models with weights tied to absolute frame positions."""
    if not isinstance(answer, (set, frozenset, list, tuple)) or set(answer) - _MODELS:
        raise ExerciseError(f"frame_tied: expected a set of names from {sorted(_MODELS)}, got {answer!r}")
    answer = set(answer)
    notes = {
        "EarlyFusion": "its first layer has one weight per (colour, frame) input channel",
        "LateFusionFC": "its first linear layer has one weight per value of every frame's feature map",
        "CNN3D": "its 3D filters are shared across time (they slide)",
        "LateFusionPool": "it averages over time before any weight sees the frames",
        "SingleFrame": "it applies the same 2D network to every frame",
    }
    extra, missing = sorted(answer - _TIED), _TIED - answer
    if extra or missing:  # names only the learner's own wrong picks, never the missing ones
        parts = [f"{n} does not belong: {notes[n]}" for n in extra]
        if missing:
            parts.append(
                f"{len(missing)} more model{'s belong' if len(missing) > 1 else ' belongs'} in the set "
                f"(which first layers have one weight per frame?)"
            )
        raise ExerciseError("frame_tied: " + "; ".join(parts))
    return check_equal(sorted(answer), sorted(_TIED), "frame_tied")
