"""Checkers for notebook 05 -- CNN + RNN and recurrent convolution."""

from __future__ import annotations

import torch

from ..models import CNNRNN, ConvGRUCell
from . import check_equal, check_function, check_scalar, check_tensor, exercise, report_prediction


@torch.no_grad()
def _measured_informed_steps(model: torch.nn.Module, T: int, onset: int) -> int:
    """Measured: how many of ``model``'s ``T`` per-frame predictions ``(1, T, K)`` change when frames
    ``onset`` .. ``T - 1`` of a random clip ``(1, 3, T, 8, 8)`` change (what an event at ``onset`` can reach)."""
    g = torch.Generator().manual_seed(50 + T + onset)
    x = torch.rand(1, 3, T, 8, 8, generator=g)  # (1, C, T, H, W)
    changed = x.clone()
    changed[:, :, onset:] = torch.rand(1, 3, T - onset, 8, 8, generator=g)
    diff = (model(x) - model(changed)).abs().amax(-1)[0]  # (T,): change of each step's logits
    return int((diff > 0).sum())


def _per_frame_model(seed: int) -> CNNRNN:
    torch.manual_seed(seed)
    return CNNRNN(classes=2, width=4, hidden=8, per_frame=True).eval()


def _onset_cases():
    return [(_per_frame_model(5), T, onset) for T, onset in [(12, 3), (12, 11), (20, 8), (8, 0), (32, 20)]]


@exercise(
    notebook="05",
    reference=_measured_informed_steps,
    wrong=[
        lambda m, T, onset: T - onset - 1,  # the prediction at the onset frame itself already sees it
        lambda m, T, onset: onset,  # counted the steps before the flash (those that did not move)
        lambda m, T, onset: T,  # "a recurrent network sees the whole clip at every step"
        lambda m, T, onset: 1,  # only the last state
    ],
)
def check_informed_steps(fn, prediction=None) -> bool:
    """``fn(model, T, onset)``: measured, how many of the ``T`` per-frame predictions of a (one-directional)
    ``CNNRNN(per_frame=True)`` change when the frames from ``onset`` on change. ``prediction``: the learner's guess
    for ``T = 32``, ``onset = 20`` (printed, not graded)."""
    with torch.no_grad():
        check_function(fn, _measured_informed_steps, _onset_cases(), "informed_steps", compare=check_scalar)
    report_prediction(
        prediction,
        _measured_informed_steps(_per_frame_model(5), 32, 20),
        "per-frame predictions that can know a flash at frame 20 of 32",
        "the prediction at step t has read frames 0 .. t only (section 3's model reads them in order)",
    )
    return True


def _frame_gradients(gru: torch.nn.GRU, x: torch.Tensor, last_only: bool = True) -> torch.Tensor:
    """The size of the gradient of the last state (or, ``last_only=False``, of every step's state), summed over its
    units, with respect to each frame's input: ``gru`` (``batch_first``), ``x (1, T, D)`` -> ``(T,)``."""
    x = x.detach().clone().requires_grad_(True)
    out, _ = gru(x)  # (1, T, hidden): the state after every frame
    (grad,) = torch.autograd.grad((out[0, -1] if last_only else out).sum(), x)  # (1, T, D)
    return grad[0].norm(dim=-1)  # (T,)


def _gradient_by_frame(gru: torch.nn.GRU, x: torch.Tensor) -> torch.Tensor:
    """Measured: the size of the gradient of the last state (summed over its units) with respect to each frame's
    input, divided by the last frame's: ``gru`` (``batch_first``), ``x (1, T, D)`` -> ``(T,)``."""
    norms = _frame_gradients(gru, x)  # (T,)
    return norms / norms[-1]


def _gru(seed: int, inputs: int = 8, hidden: int = 16) -> torch.nn.GRU:
    torch.manual_seed(seed)
    return torch.nn.GRU(inputs, hidden, batch_first=True)


def _gru_cases():
    g = torch.Generator().manual_seed(56)
    return [
        (_gru(57), torch.randn(1, 32, 8, generator=g)),
        (_gru(58), torch.randn(1, 12, 8, generator=g)),
        (_gru(59, 4, 32), torch.randn(1, 20, 4, generator=g)),
        (_gru(60, 8, 4), torch.randn(1, 16, 8, generator=g)),
    ]


def _log_close(answer, expected, name):
    """Compared as orders of magnitude: the ratios span ten of them."""
    answer = torch.as_tensor(answer).detach().double().flatten()
    if answer.shape != expected.shape:
        return check_tensor(answer, expected, name)
    return check_tensor(
        answer.abs().clamp(min=1e-30).log10(), expected.double().clamp(min=1e-30).log10(), f"log10 of {name}", atol=0.01
    )


def _all_outputs(gru, x):  # the sum of every step's state, not the last one's: each frame's own step dominates
    norms = _frame_gradients(gru, x, last_only=False)
    return norms / norms[-1]


def _unscaled(gru, x):  # not divided by the last frame's gradient
    return _frame_gradients(gru, x)


def _reach(ratios: torch.Tensor) -> int:
    return int((ratios >= 0.01).sum())


@exercise(
    notebook="05",
    reference=_gradient_by_frame,
    wrong=[
        _all_outputs,
        _unscaled,
        lambda gru, x: _gradient_by_frame(gru, x).flip(0),  # frames counted from the end
        lambda gru, x: torch.ones(x.shape[1]),  # "the state carries every frame alike"
    ],
)
def check_gradient_by_frame(fn, prediction=None) -> bool:
    """``fn(gru, x)``: measured, the size of the gradient of an ``nn.GRU``'s last state (summed over its units) with
    respect to each frame of ``x (1, T, D)``, divided by the last frame's: ``(T,)``. ``prediction``: the learner's
    guess of how many of 32 frames get at least 1 % of the last frame's gradient (printed, not graded)."""
    check_function(fn, _gradient_by_frame, _gru_cases(), "gradient_by_frame", compare=_log_close)
    g = torch.Generator().manual_seed(61)
    report_prediction(
        prediction,
        _reach(_gradient_by_frame(_gru(57), torch.randn(1, 32, 8, generator=g))),
        "frames of 32 that get at least 1 % of the last frame's gradient, untrained GRU",
        "each step multiplies the gradient by the state's Jacobian, here well below 1, so it shrinks geometrically; "
        "training has to learn to copy the state (an update gate near 1) before an early frame can count "
        "(section 5's gap experiment)",
        agrees=lambda p, m: abs(p - m) <= 3,
    )
    return True


def _convgru(seed: int, channels: int, kernel_size: int) -> ConvGRUCell:
    torch.manual_seed(seed)
    return ConvGRUCell(channels, 4, kernel_size=kernel_size).eval()


def _steps_to_corner(cell: ConvGRUCell, size: int):
    """Measured: the first step t (the state after frame t, from 0) at which the hidden state at pixel
    (size - 1, size - 1) depends on pixel (0, 0) of frame 0 (a non-zero gradient); ``None`` if not within ``size``
    frames. A gradient, not a perturbation: the influence shrinks at every step, and a changed pixel's effect on a
    far corner falls below float32 rounding long before the gradient does."""
    g = torch.Generator().manual_seed(55 + size)
    frames = torch.rand(size, 1, cell.channels, size, size, generator=g)  # (T, 1, C, H, W), frame by frame
    first = frames[0].clone().requires_grad_(True)  # frame 0: (1, C, H, W)
    h = None
    for t in range(size):
        h = cell(first if t == 0 else frames[t], h)  # (1, C_h, H, W)
        (grad,) = torch.autograd.grad(h[0, :, -1, -1].sum(), first, retain_graph=True)
        if grad[0, :, 0, 0].abs().sum() > 0:
            return t
    return None


def _corner_cases():
    return [(_convgru(51, 3, 3), 16), (_convgru(52, 3, 5), 16), (_convgru(53, 1, 3), 8), (_convgru(54, 2, 5), 11)]


def _no_input_step(cell, size):  # forgot that the input convolution spreads the change too
    return -(-(size - 1) // (cell.kernel_size // 2))


@exercise(
    notebook="05",
    reference=_steps_to_corner,
    wrong=[
        _no_input_step,
        lambda cell, size: _steps_to_corner(cell, size) + 1,  # counted the steps from 1
        lambda cell, size: size - 2,  # one pixel per step, whatever the kernel
        lambda cell, size: 0,  # "the state sees the whole frame at once"
        lambda cell, size: None,  # "each pixel's state only remembers its own pixel"
    ],
)
def check_steps_to_corner(fn, prediction=None) -> bool:
    """``fn(cell, size)``: measured, the first step ``t`` (state after frame ``t``, from 0) at which a
    ``ConvGRUCell``'s hidden state at the far corner of ``size x size`` frames first
    depends on pixel (0, 0) of frame 0 (``None``: not within ``size`` frames). ``prediction``: the learner's
    guess for a ``3 x 3`` cell on 16 x 16 frames (printed, not graded)."""
    check_function(fn, _steps_to_corner, _corner_cases(), "steps_to_corner", compare=_same_step)
    report_prediction(
        prediction,
        _steps_to_corner(_convgru(51, 3, 3), 16),
        "first step at which the far corner of a 16 x 16 map hears of pixel (0, 0), 3 x 3 kernels",
        "each step's k x k convolutions reach k // 2 pixels further, the input convolution included",
    )
    return True


def _same_step(answer, expected, name):
    if expected is None or answer is None:
        return check_equal(answer, expected, name)
    return check_scalar(answer, expected, name)
