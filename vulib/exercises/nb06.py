"""Checkers for notebook 06 -- spatio-temporal self-attention (the non-local block)."""

from __future__ import annotations

import copy

import torch
import torch.nn as nn

from ..models import CNN3D, NonLocalBlock
from . import ExerciseError, check_function, check_scalar, check_tensor, exercise, report_prediction


def _attention_entries(T: int, H: int, W: int, subsample: bool) -> int:
    """Measured: the number of entries of one clip's attention map in a NonLocalBlock."""
    block = NonLocalBlock(2, subsample=subsample)
    with torch.no_grad():
        _, attn = block(torch.zeros(1, 2, T, H, W), return_attention=True)
    return attn.numel()


@exercise(
    notebook="06",
    reference=_attention_entries,
    wrong=[
        lambda T, H, W, s: T * H * W,  # one number per position, not per pair
        lambda T, H, W, s: (T * H * W) ** 2,  # forgot the subsampled keys
        lambda T, H, W, s: (T * H * W) * (T * (H // 2) * (W // 2)),  # subsampled keys even when told not to
        lambda T, H, W, s: (H * W) ** 2 // (4 if s else 1),  # attention inside one frame only
    ],
)
def check_attention_entries(fn) -> bool:
    """``fn(T, H, W, subsample)`` = entries of the attention map of one clip (queries x keys)."""
    return check_function(
        fn,
        _attention_entries,
        [(8, 4, 4, False), (8, 4, 4, True), (4, 14, 14, True), (16, 6, 10, False), (1, 2, 2, True)],
        "attention_entries",
        compare=check_scalar,
    )


@torch.no_grad()
def _reverse_error(bias: torch.Tensor, T: int) -> float:
    """Max |block(reversed clip) - reversed block(clip)| for a trained-looking non-local block whose time bias
    ``b[Δt]`` (``Δt = -(T-1) .. T-1``) is ``bias``: 0 means the block cannot tell a clip from its reverse."""
    torch.manual_seed(61)
    block = NonLocalBlock(8, relative_time=T).eval()
    block.out[1].weight.fill_(1.0)  # as if trained: a fresh block is the identity
    block.time_bias.copy_(bias / block.TIME_BIAS_SCALE)
    x = torch.randn(2, 8, T, 4, 4, generator=torch.Generator().manual_seed(62))  # (B, C, T, H, W)
    r = torch.arange(T - 1, -1, -1)
    return (block(x[:, :, r]) - block(x)[:, :, r]).abs().max().item()


def _symmetric_bias(T: int) -> torch.Tensor:
    return -torch.arange(-(T - 1), T, dtype=torch.float32).abs() / 2  # favours near frames, before = after


@exercise(
    notebook="06",
    reference=_symmetric_bias,
    wrong=[
        lambda T: torch.zeros(2 * T - 1),  # order-blind, but not a bias at all
        lambda T: torch.arange(-(T - 1), T, dtype=torch.float32) / T,  # a ramp: prefers later keys
        lambda T: (torch.arange(-(T - 1), T) > 0).float(),  # only "after" favoured
        lambda T: -torch.arange(0, T, dtype=torch.float32).abs(),  # only the offsets 0 .. T-1: wrong length
    ],
)
def check_order_blind_bias(fn, prediction=None) -> bool:
    """``fn(T)``: a *non-constant* time bias ``(2T - 1,)`` under which a non-local block still cannot tell a clip
    from its time-reversed copy (tested on a block for T = 4 and T = 7). ``prediction``: which biases the learner
    expected to keep it blind ("any", "symmetric", "antisymmetric" or "none"; printed, not graded)."""
    for T in (4, 7):
        try:
            bias = torch.as_tensor(fn(T), dtype=torch.float32)
        except NotImplementedError:
            raise
        except Exception as exc:
            raise ExerciseError(f"order_blind_bias: fn({T}) raised {type(exc).__name__}: {exc}") from exc
        if bias.shape != (2 * T - 1,):
            raise ExerciseError(
                f"order_blind_bias: for T = {T} the bias needs one value per offset Δt = -{T - 1} .. {T - 1}, "
                f"shape ({2 * T - 1},); got {tuple(bias.shape)}"
            )
        if float(bias.max() - bias.min()) < 0.1:
            raise ExerciseError(
                f"order_blind_bias: for T = {T} the bias is (nearly) constant: a constant adds the same to every "
                "score and changes nothing. Find one that does change the weights"
            )
        err = _reverse_error(bias, T)
        if err > 1e-4:
            raise ExerciseError(
                f"order_blind_bias: for T = {T} the block's output on the reversed clip differs from its reversed "
                f"output by up to {err:.3g}: this bias lets the block tell before from after"
            )
    print("✓ order_blind_bias: non-constant, and the block still cannot tell a clip from its reverse (T = 4, 7)")
    bias = torch.as_tensor(fn(7), dtype=torch.float32)
    ramp = torch.arange(-6, 7, dtype=torch.float32) / 7  # a non-constant bias that is not symmetric
    any_blind = _reverse_error(ramp, 7) <= 1e-4
    report_prediction(
        prediction,
        "any" if any_blind else ("symmetric" if torch.allclose(bias, bias.flip(0), atol=1e-6) else "other"),
        "which time biases leave the block blind to reversal (yours, and a ramp that is not)",
        "reversing a clip turns every offset Δt into -Δt (section 3's bias, read backwards)",
    )
    return True


def _pretrained() -> CNN3D:
    torch.manual_seed(61)
    model = CNN3D(classes=3, width=4, time_stride=1)
    for m in model.modules():  # a "trained" model: non-trivial batch-norm statistics
        if isinstance(m, nn.BatchNorm3d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 2.0)
            nn.init.uniform_(m.weight, 0.5, 1.5)
    return model.eval()


def _with_nonlocal(model: CNN3D, after: int) -> CNN3D:
    new = copy.deepcopy(model)
    layers = list(new.features)
    relus = [i for i, layer in enumerate(layers) if isinstance(layer, nn.ReLU)]
    layers.insert(relus[after] + 1, NonLocalBlock(layers[relus[after] - 2].out_channels))
    new.features = nn.Sequential(*layers)
    return new


def _fresh_with_nonlocal(model, after):  # a new network: the trained weights are gone
    return CNN3D(classes=3, width=4, time_stride=1, nonlocal_after=(after,)).eval()


def _unit_gain(model, after):  # "initialized" the block's output norm to one
    new = _with_nonlocal(model, after)
    block = next(m for m in new.modules() if isinstance(m, NonLocalBlock))
    nn.init.ones_(block.out[1].weight)
    return new


@exercise(
    notebook="06",
    reference=_with_nonlocal,
    wrong=[
        _fresh_with_nonlocal,
        _unit_gain,
        lambda model, after: copy.deepcopy(model),  # no block inserted
    ],
)
def check_with_nonlocal(fn) -> bool:
    """``fn(model, after)``: a copy of a trained ``CNN3D`` with a new ``NonLocalBlock`` after conv block
    ``after``, that computes exactly what the trained model computed."""
    g = torch.Generator().manual_seed(62)
    x = torch.rand(2, 3, 8, 16, 16, generator=g)
    for after in (0, 1, 2):
        model = _pretrained()
        before = model(x).detach()
        new = fn(model, after)
        if not isinstance(new, nn.Module):
            raise ExerciseError(f"with_nonlocal(model, {after}) should return a network, got {type(new).__name__}")
        blocks = [m for m in new.modules() if isinstance(m, NonLocalBlock)]
        if len(blocks) != 1:
            raise ExerciseError(
                f"with_nonlocal(model, {after}): expected exactly one NonLocalBlock in the new "
                f"network, found {len(blocks)}"
            )
        if not torch.equal(model(x).detach(), before):
            raise ExerciseError(f"with_nonlocal(model, {after}) changed the trained model it was given: copy it first")
        check_tensor(
            new.eval()(x).detach(), before, f"the new network's logits (block after conv block {after})", atol=1e-6
        )
    print("✓ with_nonlocal: one new block, and the trained network's answers are unchanged")
    return True
