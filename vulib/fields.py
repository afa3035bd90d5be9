"""Receptive fields of video networks, computed layer by layer and measured with gradients.

Taught in ``notebooks/02_receptive_fields.ipynb``. Conventions:

* the network input is one clip ``(C, T, H, W)``; time is treated exactly like height and width,
  so every per-axis quantity is a ``(t, h, w)`` tuple;
* the *receptive field* of an output unit is the input region it can depend on;
* ``jump`` is the distance, in input pixels (frames), between two neighbouring units of a layer;
* ``start`` is the input index where the field of unit 0 begins (negative where it reaches into padding).

Per axis, a layer with kernel ``k``, stride ``s``, padding ``p`` and dilation ``d`` updates them as::

    k_eff     = d * (k - 1) + 1
    size_out  = size_in + (k_eff - 1) * jump_in
    start_out = start_in - p * jump_in
    jump_out  = jump_in * s

so unit ``i`` sees ``[start + i*jump, start + i*jump + size - 1]``, clipped to the input
(:func:`unit_field`). This "lecture rectangle" is exact for networks that tile their input -- no
dilation, and the last unit of every layer reaching the last input pixel, as in every network of the
course. Otherwise it is an outer bound: a dilated field has holes, and a field hanging over the border
may start or end in one; a layer whose windows skip the last pixels of its input leaves them unseen.

How layers map onto ``(t, h, w)``:

* ``Conv3d``, ``MaxPool3d``, ``AvgPool3d``, ``AdaptiveAvg/MaxPool3d`` act on all three axes;
* the 2D versions act on every frame separately (temporal kernel 1): a plain ``nn.Sequential`` of 2D
  layers is read as a per-frame network;
* the 1D versions act on time only (kernel ``(k, 1, 1)``, as in the temporal half of a (2+1)D block);
* pointwise layers (activations, ``BatchNorm`` with its fixed eval-mode statistics, ``Dropout``,
  ``Identity``) leave the field unchanged;
* ``Flatten`` and ``Linear`` are global: every output sees the whole input;
* adaptive pooling is global when its output size is 1, and a plain pooling when the output size
  divides the input extent evenly (other cases raise).

Nested ``nn.Sequential`` stacks are flattened; the five fusion models of :mod:`vulib.models.fusion`
are read through an explicit *plan* each (see ``_PLANS``). Anything else raises a ``ValueError``
naming the layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, NamedTuple, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from .models import CNN3D, EarlyFusion, FrameCNN, LateFusionFC, LateFusionPool, SingleFrame

__all__ = ["LayerRF", "MeasuredRF", "receptive_field", "empirical_receptive_field", "unit_field", "format_table"]

Axes = tuple[int, int, int]  # one value per (t, h, w) axis
Span = tuple[int, int]  # an inclusive index range (lo, hi)
AXES = "THW"


@dataclass(frozen=True)
class LayerRF:
    """The receptive field of the units of one layer.

    Attributes:
        name: the layer's name in the model (``"features.0"``) or in its plan (``"max over H,W"``).
        out_shape: the layer's output ``(C, T, H, W)`` for one clip.
        size: field of one unit per ``(t, h, w)`` axis, clipped to the input extent (what a layer can actually see).
        jump: distance between neighbouring units, in input pixels (frames), per axis.
        start: input index where the field of unit 0 begins, per axis (negative: it reaches into padding).
        size_unclipped: ``size`` before clipping, as if the padding were input.
        input_extent: the network input's ``(T, H, W)``.
        layer: what the layer is, e.g. ``"Conv2d per frame"``.
    """

    name: str
    out_shape: tuple[int, int, int, int]
    size: Axes
    jump: Axes
    start: Axes
    size_unclipped: Axes
    input_extent: Axes
    layer: str = ""


class MeasuredRF(NamedTuple):
    """What :func:`empirical_receptive_field` measures for one output unit.

    Attributes:
        region: ``((t_lo, t_hi), (h_lo, h_hi), (w_lo, w_hi))``, the inclusive input index ranges that receive
            a nonzero gradient; ``None`` if no input position reaches the unit.
        gradient: the gradient map ``(T, H, W)``, float64 and nonnegative (summed over channels).
    """

    region: tuple[Span, Span, Span] | None
    gradient: torch.Tensor


# --------------------------------------------------------------------------------------------------
# Plans: a model as a list of steps, each a window per (t, h, w) axis.
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Step:
    """One layer of a plan: a sliding window per ``(t, h, w)`` axis, or (``target`` set) an adaptive pooling
    to that output extent per axis (``None``: axis untouched). ``channels``: output channels (``None``: unchanged)."""

    name: str
    layer: str
    kernel: Axes = (1, 1, 1)
    stride: Axes = (1, 1, 1)
    padding: Axes = (0, 0, 0)
    dilation: Axes = (1, 1, 1)
    ceil_mode: bool = False
    target: tuple[int | None, int | None, int | None] | None = None
    channels: int | None = None
    flatten: bool = False  # output channels = C*T*H*W
    in_channels: int | None = None  # checked against the incoming C when given


@dataclass(frozen=True)
class _Window:
    """A step resolved for a concrete input: what it does along each axis."""

    kernel: Axes
    stride: Axes
    padding: Axes
    dilation: Axes
    ceil_mode: bool = False


_CONVS = {nn.Conv1d: 1, nn.Conv2d: 2, nn.Conv3d: 3}
_POOLS = {nn.MaxPool1d: 1, nn.MaxPool2d: 2, nn.MaxPool3d: 3, nn.AvgPool1d: 1, nn.AvgPool2d: 2, nn.AvgPool3d: 3}
_ADAPTIVE = {
    nn.AdaptiveAvgPool1d: 1,
    nn.AdaptiveAvgPool2d: 2,
    nn.AdaptiveAvgPool3d: 3,
    nn.AdaptiveMaxPool1d: 1,
    nn.AdaptiveMaxPool2d: 2,
    nn.AdaptiveMaxPool3d: 3,
}
_POINTWISE = {
    nn.Identity,
    nn.ReLU,
    nn.ReLU6,
    nn.LeakyReLU,
    nn.PReLU,
    nn.ELU,
    nn.SELU,
    nn.CELU,
    nn.GELU,
    nn.SiLU,
    nn.Mish,
    nn.Hardswish,
    nn.Hardsigmoid,
    nn.Sigmoid,
    nn.Tanh,
    nn.Softplus,
    nn.BatchNorm1d,
    nn.BatchNorm2d,
    nn.BatchNorm3d,
    nn.Dropout,
    nn.Dropout1d,
    nn.Dropout2d,
    nn.Dropout3d,
    nn.AlphaDropout,
}
_SCOPE = {1: "over time", 2: "per frame", 3: ""}


def _lift(value: int | Sequence[int] | None, dim: int, fill: int | None) -> tuple:
    """A 1D/2D/3D layer argument as a ``(t, h, w)`` triple: 1D acts on t, 2D on (h, w)."""
    v = (value,) * dim if value is None or isinstance(value, int) else tuple(value)
    v = v * dim if len(v) == 1 else v
    return {1: v + (fill, fill), 2: (fill,) + v, 3: v}[dim]


def _unsupported(module: nn.Module, name: str, why: str = "") -> ValueError:
    return ValueError(
        f"receptive_field cannot handle layer '{name}' ({type(module).__name__}){why}; it knows "
        "Conv1d/2d/3d, Max/AvgPool1d/2d/3d, adaptive pooling, Flatten, Linear, BatchNorm, "
        "Dropout and elementwise activations, in nn.Sequential stacks, and the vulib fusion models"
    )


def _leaf(module: nn.Module, name: str) -> _Step:
    """The step for one supported layer."""
    kind = type(module)
    dim = _CONVS.get(kind) or _POOLS.get(kind) or _ADAPTIVE.get(kind) or 3
    label = f"{kind.__name__} {_SCOPE[dim]}".strip()
    if kind in _POINTWISE:
        return _Step(name, label)
    if kind in _CONVS:
        dim = _CONVS[kind]
        if module.padding_mode != "zeros":
            raise _unsupported(module, name, f" with padding_mode={module.padding_mode!r}")
        padding = module.padding
        if isinstance(padding, str):  # "valid" or "same"
            k_eff = [d * (k - 1) + 1 for k, d in zip(module.kernel_size, module.dilation)]
            if padding == "same" and any(k % 2 == 0 for k in k_eff):
                raise _unsupported(module, name, " with padding='same' and an even kernel (asymmetric padding)")
            padding = tuple(0 if padding == "valid" else (k - 1) // 2 for k in k_eff)
        return _Step(
            name,
            label,
            _lift(module.kernel_size, dim, 1),
            _lift(module.stride, dim, 1),
            _lift(padding, dim, 0),
            _lift(module.dilation, dim, 1),
            channels=module.out_channels,
            in_channels=module.in_channels,
        )
    if kind in _POOLS:
        dim = _POOLS[kind]
        stride = module.stride if module.stride is not None else module.kernel_size
        return _Step(
            name,
            label,
            _lift(module.kernel_size, dim, 1),
            _lift(stride, dim, 1),
            _lift(module.padding, dim, 0),
            _lift(getattr(module, "dilation", 1), dim, 1),
            ceil_mode=bool(module.ceil_mode),
        )
    if kind in _ADAPTIVE:
        return _Step(name, label, target=_lift(module.output_size, _ADAPTIVE[kind], None))
    if kind is nn.Flatten:
        if (module.start_dim, module.end_dim) != (1, -1):
            raise _unsupported(module, name, f" with start_dim={module.start_dim}, end_dim={module.end_dim}")
        return _Step(name, "Flatten (global)", target=(1, 1, 1), flatten=True)
    if kind is nn.Linear:
        return _Step(name, "Linear (global)", target=(1, 1, 1), channels=module.out_features)
    raise _unsupported(module, name)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _layers(module: nn.Module, name: str) -> list[_Step]:
    """The steps of a layer stack: nested ``nn.Sequential`` (and :class:`FrameCNN`) flattened, in order."""
    if isinstance(module, nn.Sequential):
        return [step for child, sub in module.named_children() for step in _layers(sub, _join(name, child))]
    if type(module) is FrameCNN:
        return _layers(module.layers, _join(name, "layers"))
    return [_leaf(module, name or type(module).__name__)]


def _require(
    model: nn.Module,
    shape: tuple[int, ...],
    channels: int,
    frames: int | None = None,
    size: tuple[int, int] | None = None,
) -> None:
    """Refuse the input shapes the model's own ``forward`` refuses, with the same kind of message."""
    C, T, H, W = shape
    name = type(model).__name__
    if C != channels:
        raise ValueError(f"{name} takes clips with C={channels} channels, got input_shape C={C}")
    if frames is not None and T != frames:
        raise ValueError(f"{name} was built for clips of T={frames} frames, got input_shape T={T}")
    if size is not None and (H, W) != tuple(size):
        raise ValueError(f"{name} was built for {size[0]}x{size[1]} frames, got input_shape {H}x{W}")


def _plan_single_frame(m: SingleFrame, shape: tuple[int, ...]) -> list[_Step]:
    # Evaluation mode: every frame is classified, then the frame probabilities are averaged.
    _require(m, shape, m.channels)
    return [
        *_layers(m.backbone, "backbone"),
        _Step("max over H,W", "global max per frame", target=(None, 1, 1)),
        _Step("head", "Linear per frame", target=(None, 1, 1), channels=m.head.out_features),
        _Step("mean over T", "average of frame probabilities", target=(1, None, None)),
    ]


def _plan_late_fc(m: LateFusionFC, shape: tuple[int, ...]) -> list[_Step]:
    _require(m, shape, m.channels, m.frames, m.size)
    return [*_layers(m.backbone, "backbone"), *_layers(m.pool, "pool"), *_layers(m.mlp, "mlp")]


def _plan_late_pool(m: LateFusionPool, shape: tuple[int, ...]) -> list[_Step]:
    _require(m, shape, m.channels)
    return [
        *_layers(m.backbone, "backbone"),
        _Step("mean over T,H,W", "global average", target=(1, 1, 1)),
        *_layers(m.head, "head"),
    ]


def _plan_early(m: EarlyFusion, shape: tuple[int, ...]) -> list[_Step]:
    # Time is folded into channels, so the first 2D conv is a conv whose temporal kernel spans all T
    # frames with no temporal padding: its output has temporal extent 1, and the rest is a 2D network.
    _require(m, shape, m.channels, m.frames)
    first, *_ = _layers(m.backbone.layers[:1], "backbone.layers")
    first = _Step(
        first.name,
        "Conv2d over all T frames",
        (m.frames,) + first.kernel[1:],
        first.stride,
        first.padding,
        first.dilation,
        channels=first.channels,
    )
    return [
        first,
        *_layers(m.backbone.layers[1:], "backbone.layers"),
        _Step("max over H,W", "global max", target=(1, 1, 1)),
        *_layers(m.head, "head"),
    ]


def _plan_cnn3d(m: CNN3D, shape: tuple[int, ...]) -> list[_Step]:
    return [
        *_layers(m.features, "features"),
        _Step("max over T,H,W", "global max", target=(1, 1, 1)),
        *_layers(m.head, "head"),
    ]


_PLANS: dict[type, Callable[[nn.Module, tuple[int, ...]], list[_Step]]] = {
    SingleFrame: _plan_single_frame,
    LateFusionFC: _plan_late_fc,
    LateFusionPool: _plan_late_pool,
    EarlyFusion: _plan_early,
    CNN3D: _plan_cnn3d,
}


# --------------------------------------------------------------------------------------------------
# Walking a plan over a concrete input shape.
# --------------------------------------------------------------------------------------------------


def _check_input_shape(input_shape: object) -> tuple[int, int, int, int]:
    ok = (
        isinstance(input_shape, (tuple, list, torch.Size))
        and len(input_shape) == 4
        and all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in input_shape)
    )
    if not ok:
        raise ValueError(
            f"expected input_shape (C, T, H, W) of four positive integers, e.g. (3, 16, 64, 64), got {input_shape!r}"
        )
    return tuple(input_shape)  # type: ignore[return-value]


def _out_extent(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """Output extent along one axis, as PyTorch computes it for convolution and pooling."""
    out = (n + 2 * p - (d * (k - 1) + 1) + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:  # the last window must start inside the input or left padding
        out -= 1
    return out


def _resolve(step: _Step, shape: tuple[int, ...]) -> tuple[_Window, tuple[int, int, int, int]]:
    """What ``step`` does to an input of ``shape`` ``(C, T, H, W)``: its window and its output shape."""
    C, extent = shape[0], shape[1:]
    if step.in_channels is not None and step.in_channels != C:
        raise ValueError(
            f"layer '{step.name}' ({step.layer}) expects {step.in_channels} input channels, "
            f"got C={C} (input shape {shape})"
        )
    if step.target is None:
        window = _Window(step.kernel, step.stride, step.padding, step.dilation, step.ceil_mode)
    else:
        for axis, n, t in zip(AXES, extent, step.target):
            if t is not None and n % t:
                raise ValueError(
                    f"receptive_field cannot handle layer '{step.name}' ({step.layer}): it pools "
                    f"extent {n} along {axis} to {t}, which does not divide it evenly"
                )
        k = tuple(1 if t is None else n // t for n, t in zip(extent, step.target))
        window = _Window(k, k, (0, 0, 0), (1, 1, 1))
    out = tuple(
        _out_extent(n, *g, window.ceil_mode)
        for n, *g in zip(extent, window.kernel, window.stride, window.padding, window.dilation)
    )
    for axis, n, o in zip(AXES, extent, out):
        if o < 1:
            raise ValueError(
                f"layer '{step.name}' ({step.layer}) leaves no output along {axis}: input extent {n}, "
                f"window {window}; the input is too small for this network"
            )
    channels = C * extent[0] * extent[1] * extent[2] if step.flatten else (step.channels or C)
    return window, (channels, *out)


def _walk(model: nn.Module, input_shape: object) -> list[tuple[_Step, _Window, tuple[int, int, int, int]]]:
    """The model's plan resolved for ``input_shape``: ``(step, window, out_shape)`` per layer."""
    shape = _check_input_shape(input_shape)
    if not isinstance(model, nn.Module):
        raise ValueError(f"expected model to be a torch.nn.Module, got {type(model).__name__}")
    plan = _PLANS.get(type(model))
    steps = plan(model, shape) if plan else _layers(model, "")
    walk = []
    for step in steps:
        window, shape = _resolve(step, shape)
        walk.append((step, window, shape))
    return walk


# --------------------------------------------------------------------------------------------------
# The analytic fields.
# --------------------------------------------------------------------------------------------------


def receptive_field(model: nn.Module, input_shape: Sequence[int]) -> list[LayerRF]:
    """The receptive field of every layer of ``model`` for clips of ``input_shape`` ``(C, T, H, W)``.

    Returns one :class:`LayerRF` per layer, in order; print them with :func:`format_table`.

    Raises:
        ValueError: for a malformed ``input_shape``, an input the model cannot take, or a layer
            this function does not know (the message names it).
    """
    walk = _walk(model, input_shape)
    extent = tuple(input_shape[1:])
    size, jump, start = [1, 1, 1], [1, 1, 1], [0, 0, 0]
    fields = []
    for step, w, out_shape in walk:
        for a in range(3):
            size[a] += w.dilation[a] * (w.kernel[a] - 1) * jump[a]
            start[a] -= w.padding[a] * jump[a]
            jump[a] *= w.stride[a]
        fields.append(
            LayerRF(
                step.name,
                out_shape,
                tuple(min(s, n) for s, n in zip(size, extent)),
                tuple(jump),
                tuple(start),
                tuple(size),
                extent,
                step.layer,
            )
        )
    return fields


def _check_index(extent: Sequence[int], index: object, what: str) -> Axes:
    """``index`` ``(t, h, w)`` checked against ``extent``; negative indices count from the end."""
    if not (isinstance(index, (tuple, list)) and len(index) == 3 and all(isinstance(i, int) for i in index)):
        raise ValueError(f"expected an output index (t, h, w) of three integers, got {index!r}")
    if not all(-n <= i < n for i, n in zip(index, extent)):
        raise ValueError(f"output index {tuple(index)} is outside {what}, whose (T, H, W) extent is {tuple(extent)}")
    return tuple(i % n for i, n in zip(index, extent))  # type: ignore[return-value]


def unit_field(entry: LayerRF, index: Sequence[int]) -> tuple[Span, Span, Span]:
    """The lecture rectangle of output unit ``index`` ``(t, h, w)`` of a layer, per axis ``(lo, hi)`` inclusive.

    ``lo = start + i * jump`` and ``hi = lo + size_unclipped - 1``, each clipped to ``[0, extent - 1]``.
    """
    idx = _check_index(entry.out_shape[1:], index, f"layer '{entry.name}'")
    spans = []
    for i, start, jump, size, n in zip(idx, entry.start, entry.jump, entry.size_unclipped, entry.input_extent):
        lo = start + i * jump
        spans.append((max(lo, 0), min(lo + size - 1, n - 1)))
    return tuple(spans)  # type: ignore[return-value]


def format_table(fields: Sequence[LayerRF]) -> str:
    """The fields as a text table, one row per layer, as in the lecture."""
    x = "\u00d7"
    rows = [("layer", "type", f"output C{x}T{x}H{x}W", f"size t{x}h{x}w", f"jump t{x}h{x}w", "start t,h,w")]
    rows += [
        (
            f.name,
            f.layer,
            x.join(map(str, f.out_shape)),
            x.join(map(str, f.size)),
            x.join(map(str, f.jump)),
            ",".join(map(str, f.start)),
        )
        for f in fields
    ]
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows)


# --------------------------------------------------------------------------------------------------
# The measured fields.
# --------------------------------------------------------------------------------------------------


def _window_sum(x: torch.Tensor, w: _Window) -> torch.Tensor:
    """Sum of every window of ``x`` ``(1, 1, T, H, W)``: a convolution with a kernel of ones.

    This is what any layer becomes for measurement: a conv with positive weights, a max-pool replaced by
    a sum over the same windows, a pointwise layer by the identity. For pooling in ceil mode the output
    extent is taken from ``F.max_pool3d`` itself.
    """
    if w.kernel == w.stride == (1, 1, 1) and w.padding == (0, 0, 0):
        return x
    extra = w.stride if w.ceil_mode else (0, 0, 0)
    pads = [n for a in (2, 1, 0) for n in (w.padding[a], w.padding[a] + extra[a])]  # F.pad: last axis first
    y = F.conv3d(F.pad(x, pads), x.new_ones((1, 1) + w.kernel), stride=w.stride, dilation=w.dilation)
    if w.ceil_mode:
        pooled = F.max_pool3d(torch.zeros(x.shape), w.kernel, w.stride, w.padding, w.dilation, ceil_mode=True)
        T, H, W = pooled.shape[2:]
        y = y[..., :T, :H, :W]
    return y


def empirical_receptive_field(
    model: nn.Module, input_shape: Sequence[int], out_index: Sequence[int], layer: int | str | None = None
) -> MeasuredRF:
    """Measure the receptive field of one output unit by back-propagating a one-hot gradient.

    The model is rebuilt for measurement from the same plan :func:`receptive_field` reads: one channel,
    float64, every conv and linear layer with all weights 1 and no bias, max-pooling replaced by a sum
    over the same windows, pointwise layers by the identity. With only positive weights nothing cancels,
    so an input position gets a nonzero gradient exactly when some path connects it to the unit.

    Args:
        model, input_shape: as for :func:`receptive_field`.
        out_index: the unit ``(t, h, w)`` in the output of ``layer`` (negative indices count from the end).
        layer: stop after this layer: an index into :func:`receptive_field`'s list, or a layer name;
            ``None`` for the whole model.

    Returns:
        :class:`MeasuredRF` with the ``(lo, hi)`` region per ``(t, h, w)`` axis and the gradient map ``(T, H, W)``.
    """
    walk = _walk(model, input_shape)
    names = [step.name for step, _, _ in walk]
    if layer is None:
        stop = len(walk) - 1
    elif isinstance(layer, str):
        if layer not in names:
            raise ValueError(f"no layer named {layer!r}; the layers are {names}")
        stop = names.index(layer)
    elif isinstance(layer, int) and not isinstance(layer, bool) and -len(walk) <= layer < len(walk):
        stop = layer % len(walk)
    else:
        raise ValueError(f"expected layer as a name or an index in [-{len(walk)}, {len(walk) - 1}], got {layer!r}")
    x = torch.zeros((1, 1, *input_shape[1:]), dtype=torch.float64, requires_grad=True)
    y = x
    for _, window, _ in walk[: stop + 1]:
        y = _window_sum(y, window)
    t, h, w = _check_index(y.shape[2:], out_index, f"layer '{names[stop]}'")
    y[0, 0, t, h, w].backward()
    grad = x.grad[0, 0]  # (T, H, W), >= 0
    region = []
    for a in range(3):
        hit = grad.sum(dim=[b for b in range(3) if b != a]).nonzero().flatten()
        region.append((int(hit.min()), int(hit.max())) if len(hit) else None)
    return MeasuredRF(None if None in region else tuple(region), grad)
