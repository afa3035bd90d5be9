"""What a network costs, layer by layer: output shape, parameters and multiply-adds.

Multiply-adds are counted by PyTorch's own FLOP counter (``torch.utils.flop_counter``),
never by hand: a multiply-add is 2 FLOPs, so ``macs = flops / 2``. The model runs on
PyTorch's ``meta`` device, which tracks shapes without allocating or computing anything,
so even a full-size C3D is "run" in milliseconds.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
import torch.nn as nn
from torch.utils.flop_counter import FlopCounterMode

__all__ = ["LayerCost", "layer_table", "format_table", "count_params"]


@dataclass(frozen=True)
class LayerCost:
    """One leaf layer: ``name`` (its path in the model), ``kind`` (class name), ``out_shape``
    (output shape without the batch axis), ``params`` and ``macs`` (multiply-adds for one input)."""

    name: str
    kind: str
    out_shape: tuple[int, ...]
    params: int
    macs: int


def count_params(module: nn.Module) -> int:
    """Number of parameters (weights and biases) of a module."""
    return sum(p.numel() for p in module.parameters())


def layer_table(model: nn.Module, input_shape: tuple[int, ...]) -> list[LayerCost]:
    """Per-layer cost of ``model`` on one input of shape ``input_shape`` (no batch axis),
    e.g. ``(3, 16, 112, 112)`` for a clip ``(C, T, H, W)`` or ``(3, 224, 224)`` for an image.

    Every leaf module (one without children) that runs gets one row, in execution order.
    """
    if not isinstance(input_shape, (tuple, list)) or not all(isinstance(s, int) and s > 0 for s in input_shape):
        raise ValueError(
            f"expected input_shape as a tuple of positive ints without the batch axis, got {input_shape!r}"
        )
    meta = copy.deepcopy(model).to("meta").eval()
    shapes: dict[str, tuple[int, ...]] = {}
    order: list[str] = []
    hooks = []
    for name, mod in meta.named_modules():
        if name and not list(mod.children()):

            def hook(m, inp, out, name=name):
                if name not in shapes:
                    out = out[0] if isinstance(out, (tuple, list)) else out  # RNNs return (output, state)
                    order.append(name)
                    shapes[name] = tuple(out.shape[1:])

            hooks.append(mod.register_forward_hook(hook))
    counter = FlopCounterMode(display=False)
    try:
        with counter, torch.no_grad():
            meta(torch.empty(1, *input_shape, device="meta"))
    finally:
        for h in hooks:
            h.remove()
    flops = {k: sum(v.values()) for k, v in counter.get_flop_counts().items()}
    root = type(meta).__name__
    modules = dict(meta.named_modules())
    return [
        LayerCost(
            name,
            type(modules[name]).__name__,
            shapes[name],
            count_params(modules[name]),
            int(flops.get(f"{root}.{name}", 0)) // 2,
        )
        for name in order
    ]


def format_table(rows: list[LayerCost]) -> str:
    """A plain-text table of :func:`layer_table` rows with totals."""
    lines = [f"{'layer':24s} {'kind':12s} {'output shape':>22s} {'params':>12s} {'multiply-adds':>15s}"]
    for r in rows:
        lines.append(f"{r.name:24s} {r.kind:12s} {str(r.out_shape):>22s} {r.params:12,d} {r.macs:15,d}")
    lines.append(
        f"{'total':24s} {'':12s} {'':>22s} {sum(r.params for r in rows):12,d} {sum(r.macs for r in rows):15,d}"
    )
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# Notebook 08: the cost of attention alone
# --------------------------------------------------------------------------------------------------
__all__ += ["attention_flops"]


def _flop_counts(model: nn.Module, input_shape: tuple[int, ...]) -> dict:
    """FLOPs per aten operator of ``model`` on one input (run on the ``meta`` device: no memory, no time)."""
    if not isinstance(input_shape, (tuple, list)) or not all(isinstance(s, int) and s > 0 for s in input_shape):
        raise ValueError(
            f"expected input_shape as a tuple of positive ints without the batch axis, got {input_shape!r}"
        )
    meta = copy.deepcopy(model).to("meta").eval()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        meta(torch.empty(1, *input_shape, device="meta"))
    return counter.get_flop_counts().get("Global", {})


def attention_flops(model: nn.Module, input_shape: tuple[int, ...]) -> int:
    """FLOPs of the attention products alone (``q @ k^T`` and ``weights @ v``) of ``model`` on one input.

    ``input_shape`` has no batch axis, e.g. ``(3, 8, 32, 32)`` for a clip ``(C, T, H, W)``. The model runs on
    the ``meta`` device, where ``F.scaled_dot_product_attention`` decomposes into two batched matrix products
    (``aten.bmm``) per attention layer; their FLOPs (``2 x`` multiply-adds) are summed. For one sequence of
    ``L`` tokens with ``d`` channels per head and ``h`` heads that is ``2 * 2 * h * L^2 * d``. The linear
    layers (``addmm``) and the tubelet convolution are not included: they grow only linearly with ``L``
    (see :func:`total_flops`).
    """
    return int(sum(v for op, v in _flop_counts(model, input_shape).items() if "bmm" in str(op)))


def total_flops(model: nn.Module, input_shape: tuple[int, ...]) -> int:
    """FLOPs of everything ``torch.utils.flop_counter`` counts in ``model`` on one input (no batch axis):
    convolutions, linear layers (projections, MLPs) and the attention products (2 FLOPs per multiply-add).
    ``total_flops(m, s) - attention_flops(m, s)`` is what attention is *not*: per transformer block of width
    ``D`` about ``24 * D^2`` FLOPs per token (``q, k, v`` and output projections ``4 D^2``, a 4x-wide MLP
    ``8 D^2`` multiply-adds), against ``4 * L * D`` for attention over ``L`` tokens.
    """
    return int(sum(_flop_counts(model, input_shape).values()))


# ---------------------------------------------------------------- notebook 11: one model's totals
def model_cost(model: nn.Module, input_shape: tuple[int, ...]) -> tuple[int, int]:
    """``(params, macs)`` of ``model`` for one input of shape ``input_shape`` (no batch axis), e.g.
    ``(3, 8, 32, 32)``: all its parameters, and the multiply-adds of :func:`layer_table` summed."""
    rows = layer_table(model, input_shape)
    return count_params(model), sum(r.macs for r in rows)


__all__ += ["model_cost"]
