"""Checkers for notebook 06 -- spatio-temporal self-attention (the non-local block)."""

from __future__ import annotations

import copy
import math

import torch
import torch.nn as nn

from ..models import CNN3D, NonLocalBlock
from . import ExerciseError, check_function, check_scalar, check_tensor, exercise


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


def _attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]), dim=-1) @ v


def _attend_cases():
    g = torch.Generator().manual_seed(60)
    return [
        (torch.randn(5, 4, generator=g), torch.randn(7, 4, generator=g), torch.randn(7, 3, generator=g)),
        (torch.randn(2, 6, 8, generator=g) * 3, torch.randn(2, 6, 8, generator=g), torch.randn(2, 6, 2, generator=g)),
        (torch.randn(1, 3, generator=g), torch.randn(3, 3, generator=g), torch.randn(3, 5, generator=g)),
    ]


@exercise(
    notebook="06",
    reference=_attend,
    wrong=[
        lambda q, k, v: torch.softmax(q @ k.transpose(-1, -2), -1) @ v,  # no 1/sqrt(d)
        lambda q, k, v: torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]), -2) @ v,  # softmax over queries
        lambda q, k, v: (q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])) @ v,  # no softmax
        lambda q, k, v: torch.softmax(q @ k.transpose(-1, -2) / q.shape[-1], -1) @ v,  # divided by d
    ],
)
def check_attend(fn) -> bool:
    """``fn(q (.., N, d), k (.., M, d), v (.., M, e))`` = softmax(q k^T / sqrt(d)) v, shape ``(.., N, e)``."""
    with torch.no_grad():
        return check_function(fn, _attend, _attend_cases(), "attend")


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
