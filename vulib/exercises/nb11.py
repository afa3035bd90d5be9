"""Checkers for notebook 11 -- efficient video understanding."""

from __future__ import annotations

import torch

from . import check_equal, check_function, exercise

# ---------------------------------------------------------------- exercise 1: the shifted tensor


def _shift(x: torch.Tensor, fold_div: int) -> torch.Tensor:
    f = x.shape[1] // fold_div
    out = torch.zeros_like(x)
    out[:, :f, :-1] = x[:, :f, 1:]
    out[:, f : 2 * f, 1:] = x[:, f : 2 * f, :-1]
    out[:, 2 * f :] = x[:, 2 * f :]
    return out


def _roll(x, fold_div):  # wraps around the clip instead of padding with zeros
    f = x.shape[1] // fold_div
    out = x.clone()
    out[:, :f] = x[:, :f].roll(-1, dims=2)
    out[:, f : 2 * f] = x[:, f : 2 * f].roll(1, dims=2)
    return out


def _swapped(x, fold_div):  # the two directions swapped
    f = x.shape[1] // fold_div
    out = x.clone()
    out[:, :f] = 0
    out[:, f : 2 * f] = 0
    out[:, :f, 1:] = x[:, :f, :-1]
    out[:, f : 2 * f, :-1] = x[:, f : 2 * f, 1:]
    return out


def _wrong_axis(x, fold_div):  # shifted along height, not time
    return _shift(x.transpose(2, 3), fold_div).transpose(2, 3)


_g = torch.Generator().manual_seed(11)
_SHIFT_CASES = [
    (torch.arange(1, 1 + 8 * 4, dtype=torch.float32).view(1, 8, 4, 1, 1), 4),
    (torch.randn(2, 16, 5, 2, 3, generator=_g), 8),
    (torch.randn(1, 6, 3, 2, 2, generator=_g), 3),
]


@exercise(notebook="11", reference=_shift, wrong=[_roll, _swapped, _wrong_axis, lambda x, d: x.clone()])
def check_temporal_shift(fn) -> bool:
    """``fn(x (B, C, T, H, W), fold_div)``: channels ``[0, f)`` from frame t+1, ``[f, 2f)`` from t-1, zeros
    where the clip ends, the rest unchanged (``f = C // fold_div``)."""
    return check_function(fn, _shift, _SHIFT_CASES, "temporal_shift")


# ---------------------------------------------------------------- exercise 2: multiply-adds of 3D vs (2+1)D


def _macs(c_in: int, c_out: int, T: int, H: int, W: int, k: int = 3) -> tuple[int, int]:
    mid = (k * k * k * c_in * c_out) // (k * k * c_in + k * c_out)
    full = T * H * W * c_out * c_in * k * k * k
    factorised = T * H * W * (mid * c_in * k * k + c_out * mid * k)
    return full, factorised


def _macs_no_floor(c_in, c_out, T, H, W, k=3):  # a fractional number of middle channels
    mid = (k * k * k * c_in * c_out) / (k * k * c_in + k * c_out)
    return T * H * W * c_out * c_in * k**3, round(T * H * W * (mid * c_in * k * k + c_out * mid * k))


def _macs_mid_is_out(c_in, c_out, T, H, W, k=3):  # middle width = output width
    return T * H * W * c_out * c_in * k**3, T * H * W * (c_out * c_in * k * k + c_out * c_out * k)


def _macs_per_frame(c_in, c_out, T, H, W, k=3):  # forgot the T output frames
    full, fac = _macs(c_in, c_out, T, H, W, k)
    return full // T, fac // T


_MAC_CASES = [(16, 32, 8, 12, 12), (3, 16, 16, 32, 32), (64, 64, 4, 7, 7), (32, 64, 8, 14, 14, 5)]


@exercise(notebook="11", reference=_macs, wrong=[_macs_no_floor, _macs_mid_is_out, _macs_per_frame])
def check_macs_3d_vs_2plus1d(fn) -> bool:
    """``fn(c_in, c_out, T, H, W, k=3)`` = ``(multiply-adds of the full k x k x k conv, of its (2+1)D
    factorisation with R(2+1)D's middle width)``, "same" padding, stride 1, no biases."""
    return check_function(
        fn,
        lambda *a: tuple(int(v) for v in _macs(*a)),
        _MAC_CASES,
        "macs_3d_vs_2plus1d",
        compare=lambda answer, expected, name: check_equal(
            tuple(int(v) for v in answer) if isinstance(answer, (tuple, list)) else answer, expected, name
        ),
    )


# ---------------------------------------------------------------- exercise 3: which clips the sampler picks


def _pick(scores, k: int) -> list[int]:
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    return sorted(order[:k])


_PICK_CASES = [
    ([0.1, 0.9, 0.3, 0.8, 0.2], 2),
    ([5.0, 1.0, 4.0, 3.0], 3),
    ([0.2, 0.7, 0.1], 1),
    ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 2),
]


@exercise(
    notebook="11",
    reference=_pick,
    wrong=[
        lambda s, k: sorted(sorted(range(len(s)), key=lambda i: s[i])[:k]),  # the k *least* salient clips
        lambda s, k: list(range(k)),  # the first k clips
        lambda s, k: sorted(range(len(s)), key=lambda i: -s[i])[:k],  # right clips, not in time order
    ],
)
def check_pick_clips(fn) -> bool:
    """``fn(scores, k)`` = indices of the ``k`` highest-scoring clips, in time order (ascending)."""
    return check_function(
        fn,
        _pick,
        _PICK_CASES,
        "pick_clips",
        compare=lambda answer, expected, name: check_equal(
            [int(i) for i in answer] if isinstance(answer, (list, tuple, torch.Tensor)) else answer, expected, name
        ),
    )
