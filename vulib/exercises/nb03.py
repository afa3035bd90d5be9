"""Checkers for notebook 03 -- 3D convolution, C3D, temporal shift-invariance."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..cost import layer_table
from . import ExerciseError, check_equal, check_function, check_scalar, exercise

_g = torch.Generator().manual_seed(3)
_X = torch.randn(2, 5, 6, 7, generator=_g)  # (C, T, H, W)
_W = torch.randn(2, 3, 2, 3, generator=_g)  # (C, kt, kh, kw)
_CASES_OUT = [(_X, _W, 0, 0, 0), (_X, _W, 2, 4, 4), (_X, _W, 1, 3, 2)]


def _conv3d_output(x: torch.Tensor, weight: torch.Tensor, t: int, h: int, w: int) -> torch.Tensor:
    return F.conv3d(x[None], weight[None])[0, 0, t, h, w]


@exercise(
    notebook="03",
    reference=_conv3d_output,
    wrong=[
        lambda x, k, t, h, w: (x[:, t : t + 3, h : h + 3, w : w + 3] * k[:, :3, :3, :3].mean()).sum(),  # wrong block
        lambda x, k, t, h, w: (x[:, t, h : h + k.shape[2], w : w + k.shape[3]] * k[:, 0]).sum(),  # one frame only
        lambda x, k, t, h, w: (
            x[:, t : t + k.shape[1], w : w + k.shape[3], h : h + k.shape[2]].transpose(2, 3) * k
        ).sum(),  # h, w swapped
    ],
)
def check_conv3d_output(fn) -> bool:
    """``fn(x (C, T, H, W), weight (C, kt, kh, kw), t, h, w)`` = one output value of the 3D convolution."""
    return check_function(
        lambda *a: torch.as_tensor(fn(*a), dtype=torch.float32),
        _conv3d_output,
        _CASES_OUT,
        "conv3d_output",
        compare=lambda a, e, n: check_scalar(float(a), float(e), n, rel_tol=1e-4),
    )


def _conv3d_macs(c_in: int, c_out: int, k: tuple, out_shape: tuple) -> int:
    # measured with PyTorch's FLOP counter on a convolution that produces exactly out_shape (no padding)
    conv = torch.nn.Conv3d(c_in, c_out, k, device="meta")
    size = tuple(o + kk - 1 for o, kk in zip(out_shape, k))
    return layer_table(torch.nn.Sequential(conv), (c_in, *size))[0].macs


_CASES_MACS = [(3, 64, (3, 3, 3), (16, 112, 112)), (64, 128, (3, 3, 3), (16, 56, 56)), (2, 5, (1, 3, 2), (4, 6, 7))]


@exercise(
    notebook="03",
    reference=_conv3d_macs,
    wrong=[
        lambda ci, co, k, o: co * o[0] * o[1] * o[2] * k[0] * k[1] * k[2],  # forgot the input channels
        lambda ci, co, k, o: 2 * co * o[0] * o[1] * o[2] * ci * k[0] * k[1] * k[2],  # FLOPs, not multiply-adds
        lambda ci, co, k, o: co * o[1] * o[2] * ci * k[1] * k[2],  # a 2D count: forgot time
    ],
)
def check_conv3d_macs(fn) -> bool:
    """``fn(c_in, c_out, k, out_shape)`` = multiply-adds of a 3D convolution (checked with torch's FLOP counter)."""
    return check_function(fn, _conv3d_macs, _CASES_MACS, "conv3d_macs", compare=check_scalar)


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
