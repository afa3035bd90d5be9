"""Checkers for notebook 11 -- efficient video understanding."""

from __future__ import annotations

import torch

from . import check_equal, check_function, exercise, report_prediction

# ---------------------------------------------------------------- exercise 1 (predict, then measure): a stack's reach


def _reached(net, channels: int, T: int, t: int) -> int:
    x = torch.randn(1, channels, T, 2, 2, generator=torch.Generator().manual_seed(0), requires_grad=True)
    net(x)[0, :, t].sum().backward()
    return int((x.grad[0].abs().sum(dim=(0, 2, 3)) > 0).sum())


def _all_frames(net, channels, T, t):  # the gradient of every output frame, not of frame t alone
    x = torch.randn(1, channels, T, 2, 2, requires_grad=True)
    net(x).sum().backward()
    return int((x.grad[0].abs().sum(dim=(0, 2, 3)) > 0).sum())


def _shift_stack(layers: int, online: bool, channels: int = 8):
    """``layers`` x (temporal shift, then a 1 x 1 x 1 convolution that mixes the channels of each frame)."""
    from ..models.efficient import TemporalShift

    parts = []
    for _ in range(layers):
        parts += [TemporalShift(fold_div=4, online=online), torch.nn.Conv3d(channels, channels, 1)]
    return torch.nn.Sequential(*parts)


def _reach_cases():
    with torch.random.fork_rng():  # the learner's random stream is left as it was
        torch.manual_seed(11)
        return [
            (_shift_stack(2, False), 8, 8, 4),
            (_shift_stack(2, True), 8, 8, 4),
            (_shift_stack(3, False), 8, 6, 1),
            (_shift_stack(1, True), 8, 5, 0),
        ]


@exercise(
    notebook="11",
    reference=_reached,
    wrong=[
        lambda net, C, T, t: min(T, 3),  # one shift's reach, whatever the depth and the direction
        lambda net, C, T, t: T,  # every frame
        _all_frames,
    ],
)
def check_shift_reach(fn, prediction=None) -> bool:
    """``fn(net, channels, T, t)`` = how many input frames of a clip ``(1, channels, T, H, W)`` change output
    frame ``t`` of ``net``, measured by the gradient. ``prediction``: the learner's guess ``(offline, online)`` for
    two shift layers, T = 8, t = 4 (printed beside the measurement, not graded)."""
    cases = _reach_cases()
    check_function(fn, _reached, cases, "shift_reach", compare=check_equal)
    measured = (_reached(*cases[0]), _reached(*cases[1]))
    report_prediction(
        tuple(prediction) if isinstance(prediction, (list, tuple)) else prediction,
        measured,
        "two shift layers (offline, online), frame 4 of 8",
        "each offline shift widens the reach by a frame on each side, the online one only towards the past",
    )
    return True


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
