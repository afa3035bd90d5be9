"""Inflation: turn a trained 2D image network into a 3D video network ("I3D"), taught in notebook 07.

Every 2D layer gets a temporal axis; the weights are chosen so that the new network, shown a
*boring* video (one image repeated T times), gives exactly the image network's answer:

* ``Conv2d (C_out, C_in, kH, kW)`` -> :class:`InflatedConv3d` ``(C_out, C_in, kT, kH, kW)``:

  - ``mode="mean"``: the 2D kernel is repeated ``kT`` times along time and divided by ``kT``. On a
    boring video the ``kT`` slices see the same frame, so their sum is the 2D response;
  - ``mode="center"``: the 2D kernel goes in the middle slice ``kT // 2`` (for an even ``kT`` the later
    of the two middle slices) and the other slices are zero. The network then *is* the image
    network applied frame by frame, for any video -- training has to grow the temporal part;

* ``BatchNorm2d`` -> ``BatchNorm3d`` with the same statistics and affine parameters;
* ``MaxPool2d`` / ``AvgPool2d`` -> 3D pooling with temporal size ``time_pool`` (default 1: time is
  not pooled, so T is kept);
* ``AdaptiveAvgPool2d((oH, oW))`` / ``AdaptiveMaxPool2d`` -> 3D adaptive pooling to ``(1, oH, oW)``: time
  is pooled away, so a following ``Flatten`` / ``Linear`` head sees the same number of features;
* ``Dropout2d`` -> ``Dropout3d``; pointwise and global layers (activations, ``Linear``, ``Flatten``,
  ``Dropout``, ``Softmax``, ...) are kept as they are.

**Why the temporal padding repeats the edge frames.** The 2D network pads space with zeros and the
inflated convs keep doing so. In *time*, zero padding would let the first and last frames of a boring
video see ``kT // 2`` black frames: with ``mode="mean"`` their response would be dimmed (roughly by
``(kT - kT//2) / kT``) and the error would grow layer by layer. :class:`InflatedConv3d` therefore pads
time with copies of the edge frames (``F.pad(..., mode="replicate")``) and convolves with temporal
padding 0. A boring video stays boring after padding, every output frame equals the 2D output, and
the clip length T is preserved (``kT // 2`` frames before, ``kT - 1 - kT // 2`` after).

Shape conventions: images ``(B, C, H, W)``, videos ``(B, C, T, H, W)``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ["InflatedConv3d", "inflate_conv2d", "inflate_weight", "inflate_model", "MODES"]

MODES = ("mean", "center")

# Layers that work unchanged on (B, C, T, H, W): they act on each value, on the channel axis, or on
# features that a global pooling has already flattened.
_UNCHANGED = (
    nn.Identity,
    nn.Linear,
    nn.Flatten,
    nn.Dropout,
    nn.AlphaDropout,
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
    nn.Sigmoid,
    nn.Tanh,
    nn.Hardtanh,
    nn.Hardswish,
    nn.Hardsigmoid,
    nn.Softplus,
    nn.Softmax,
    nn.LogSoftmax,
)


def _pair(v: int | tuple[int, ...]) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def _check_time_size(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    return value


class InflatedConv3d(nn.Conv3d):
    """A ``Conv3d`` that pads time by repeating the first and last frames, then convolves.

    Shapes: ``(B, C_in, T, H, W) -> (B, C_out, T', H', W')``; with temporal stride 1, ``T' = T``.
    Build it like a ``Conv3d`` but with temporal padding 0: the temporal padding,
    ``time_padding = (before, after) = (d*(kT//2), d*(kT-1) - before)`` for temporal dilation ``d``,
    is added in :meth:`forward` with ``F.pad(..., mode="replicate")``. The split puts the kernel's
    middle slice ``kT // 2`` on the current frame. Spatial padding is the ordinary ``Conv3d`` padding.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if isinstance(self.padding, str) or self.padding[0] != 0:
            raise ValueError(
                f"InflatedConv3d pads time itself (by replicating edge frames): give a temporal "
                f"padding of 0 and integer spatial padding, got padding={self.padding!r}"
            )
        total = self.dilation[0] * (self.kernel_size[0] - 1)
        before = self.dilation[0] * (self.kernel_size[0] // 2)
        self.time_padding: tuple[int, int] = (before, total - before)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        before, after = self.time_padding
        if before or after:
            x = F.pad(x, (0, 0, 0, 0, before, after), mode="replicate")  # (B, C_in, T + kT - 1, H, W)
        return super().forward(x)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", time_padding={self.time_padding} (replicate)"


def _spatial_padding(conv: nn.Conv2d) -> tuple[int, int]:
    """The 2D conv's padding as two ints (``"valid"`` and symmetric ``"same"`` are converted)."""
    if not isinstance(conv.padding, str):
        return _pair(conv.padding)
    if conv.padding == "valid":
        return (0, 0)
    totals = [d * (k - 1) for d, k in zip(conv.dilation, conv.kernel_size)]
    if any(t % 2 for t in totals):
        raise ValueError(
            f"cannot inflate a Conv2d with padding='same' and an even kernel extent "
            f"(kernel {conv.kernel_size}, dilation {conv.dilation}): its padding is asymmetric"
        )
    return (totals[0] // 2, totals[1] // 2)


def inflate_weight(weight: torch.Tensor, time_kernel: int, mode: str = "mean") -> torch.Tensor:
    """A 2D kernel ``(C_out, C_in, kH, kW)`` -> a 3D kernel ``(C_out, C_in, kT, kH, kW)``.

    ``"mean"``: every time slice is ``weight / kT``; ``"center"``: slice ``kT // 2`` is ``weight``, the rest zero.
    Either way, the sum over the time axis is the 2D kernel.
    """
    kt = _check_time_size(time_kernel, "time_kernel")
    if mode == "mean":
        return weight.unsqueeze(2).repeat(1, 1, kt, 1, 1) / kt
    if mode == "center":
        w3 = weight.new_zeros(weight.shape[0], weight.shape[1], kt, *weight.shape[2:])
        w3[:, :, kt // 2] = weight
        return w3
    raise ValueError(f"mode must be one of {MODES}, got {mode!r}")


def inflate_conv2d(conv: nn.Conv2d, time_kernel: int = 3, mode: str = "mean") -> InflatedConv3d:
    """One ``Conv2d`` -> an :class:`InflatedConv3d` with temporal kernel ``time_kernel``.

    Shapes: weight ``(C_out, C_in/groups, kH, kW) -> (C_out, C_in/groups, kT, kH, kW)``; bias copied.
    Stride ``(1, sH, sW)``, dilation ``(1, dH, dW)``, spatial padding, padding mode and groups are kept.
    On a boring video ``(B, C_in, T, H, W)`` (one image repeated) every output frame equals ``conv(image)``.
    """
    if type(conv) is not nn.Conv2d:
        raise ValueError(f"inflate_conv2d expects an nn.Conv2d, got {type(conv).__name__}")
    kt = _check_time_size(time_kernel, "time_kernel")
    weight = inflate_weight(conv.weight.detach(), kt, mode)
    new = InflatedConv3d(
        conv.in_channels,
        conv.out_channels,
        (kt, *conv.kernel_size),
        stride=(1, *conv.stride),
        padding=(0, *_spatial_padding(conv)),
        dilation=(1, *conv.dilation),
        groups=conv.groups,
        bias=conv.bias is not None,
        padding_mode=conv.padding_mode,
        device=conv.weight.device,
        dtype=conv.weight.dtype,
    )
    with torch.no_grad():
        new.weight.copy_(weight)
        if conv.bias is not None:
            new.bias.copy_(conv.bias)
    new.weight.requires_grad_(conv.weight.requires_grad)
    if conv.bias is not None:
        new.bias.requires_grad_(conv.bias.requires_grad)
    return new


def _inflate_batchnorm(bn: nn.BatchNorm2d) -> nn.BatchNorm3d:
    """``BatchNorm2d -> BatchNorm3d`` with the same statistics, affine parameters and settings."""
    tensor = next(iter(bn.state_dict().values()), None)
    new = nn.BatchNorm3d(
        bn.num_features,
        eps=bn.eps,
        momentum=bn.momentum,
        affine=bn.affine,
        track_running_stats=bn.track_running_stats,
        device=None if tensor is None else tensor.device,
        dtype=None if tensor is None or not tensor.is_floating_point() else tensor.dtype,
    )
    new.load_state_dict(bn.state_dict())
    return new


def _inflate_pool(pool: nn.MaxPool2d | nn.AvgPool2d, time_pool: int) -> nn.MaxPool3d | nn.AvgPool3d:
    """2D pooling -> 3D pooling with temporal kernel and stride ``time_pool`` and temporal padding 0."""
    kernel = (time_pool, *_pair(pool.kernel_size))
    stride = (time_pool, *_pair(pool.stride))
    padding = (0, *_pair(pool.padding))
    if isinstance(pool, nn.MaxPool2d):
        return nn.MaxPool3d(
            kernel,
            stride,
            padding,
            dilation=(1, *_pair(pool.dilation)),
            return_indices=pool.return_indices,
            ceil_mode=pool.ceil_mode,
        )
    divisor = None if pool.divisor_override is None else pool.divisor_override * time_pool
    return nn.AvgPool3d(
        kernel,
        stride,
        padding,
        ceil_mode=pool.ceil_mode,
        count_include_pad=pool.count_include_pad,
        divisor_override=divisor,
    )


def _inflate_adaptive(pool: nn.AdaptiveAvgPool2d | nn.AdaptiveMaxPool2d) -> nn.Module:
    """Adaptive 2D pooling to ``(oH, oW)`` -> adaptive 3D pooling to ``(1, oH, oW)`` (time pooled away)."""
    out = pool.output_size
    out = (out, out) if out is None or isinstance(out, int) else tuple(out)
    if isinstance(pool, nn.AdaptiveMaxPool2d):
        return nn.AdaptiveMaxPool3d((1, *out), return_indices=pool.return_indices)
    return nn.AdaptiveAvgPool3d((1, *out))


def _inflate_leaf(module: nn.Module, path: str, time_kernel: int, mode: str, time_pool: int) -> nn.Module:
    """The 3D replacement of one leaf layer, or ``ValueError`` if the layer is not known."""
    kind = type(module)
    if kind is nn.Conv2d:
        new = inflate_conv2d(module, time_kernel, mode)
    elif kind is nn.BatchNorm2d:
        new = _inflate_batchnorm(module)
    elif kind in (nn.MaxPool2d, nn.AvgPool2d):
        new = _inflate_pool(module, time_pool)
    elif kind in (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d):
        new = _inflate_adaptive(module)
    elif kind is nn.Dropout2d:
        new = nn.Dropout3d(module.p, module.inplace)
    elif kind in _UNCHANGED:
        return module
    else:
        raise ValueError(
            f"inflate_model cannot inflate layer {path!r} ({kind.__name__}): only Conv2d, "
            f"BatchNorm2d, 2D pooling, Dropout2d and pointwise/global layers are known"
        )
    return new.train(module.training)


def _has_own_state(module: nn.Module) -> bool:
    return any(True for _ in module.parameters(recurse=False)) or any(True for _ in module.buffers(recurse=False))


def _time_kernel_for(time_kernel: int | Mapping[str, int], path: str) -> int:
    if isinstance(time_kernel, Mapping):
        return _check_time_size(time_kernel.get(path, 1), f"time_kernel[{path!r}]")
    return time_kernel


def _inflate_tree(
    module: nn.Module,
    path: str,
    time_kernel: int | Mapping[str, int],
    mode: str,
    time_pool: int,
    done: dict[int, nn.Module],
) -> nn.Module:
    """Inflate ``module`` (found at ``path``): leaves are replaced, containers are changed in place."""
    if id(module) in done:  # a layer used twice stays one shared layer
        return done[id(module)]
    # not named_children(): it skips a child registered twice (one layer used at two places)
    children = [(name, child) for name, child in module._modules.items() if child is not None]
    if not children:
        new = _inflate_leaf(module, path or "<model>", _time_kernel_for(time_kernel, path), mode, time_pool)
    elif _has_own_state(module):
        raise ValueError(
            f"inflate_model cannot inflate layer {path or '<model>'!r} ({type(module).__name__}): "
            f"it has parameters or buffers of its own besides its children"
        )
    else:
        for name, child in children:
            setattr(
                module,
                name,
                _inflate_tree(child, f"{path}.{name}" if path else name, time_kernel, mode, time_pool, done),
            )
        new = module
    done[id(module)] = new
    return new


def inflate_model(
    model2d: nn.Module, time_kernel: int | Mapping[str, int] = 3, mode: str = "mean", time_pool: int = 1
) -> nn.Module:
    """A new 3D video network made from the 2D image network ``model2d`` (which is left unchanged).

    Shapes: if ``model2d`` maps ``(B, C, H, W) -> out``, the result maps ``(B, C, T, H, W)`` to

    * ``out`` if the network ends in a global (adaptive) pooling + ``Flatten`` / ``Linear`` head;
    * ``(B, C', T', H', W')`` with ``T' = T`` (``time_pool=1``) if it is fully convolutional, where
      ``out = (B, C', H', W')``.

    Args:
        model2d: any ``nn.Module`` built from ``Conv2d``, ``BatchNorm2d``, 2D pooling, ``Dropout2d`` and
            pointwise/global layers, nested in containers (``Sequential`` or custom modules whose only
            parameters are their children's). Custom containers keep their class and ``forward``.
        time_kernel: the temporal kernel size ``kT`` of every conv, or a dict ``{layer name: kT}``
            (names as in ``model2d.named_modules()``, e.g. ``{"features.0": 3}``); convs not named get 1.
        mode: ``"mean"`` (kernel repeated over time, divided by ``kT``) or ``"center"`` (kernel in
            slice ``kT // 2``, zeros elsewhere).
        time_pool: temporal kernel and stride of every ``MaxPool2d`` / ``AvgPool2d`` (1: time not pooled).

    In ``eval()`` mode, a boring video (one image repeated T times) gives exactly the 2D network's
    output (at every frame, for a fully convolutional network). ``forward`` code is not rewritten:
    a ``forward`` that calls functional ops tied to 4D inputs (``F.max_pool2d``, ``x.view(B, C*H*W)``,
    ``x.mean((2, 3))``) must be adapted by hand; ``F.relu`` and ``torch.flatten(x, 1)`` after a global
    pooling work as they are. Raises ``ValueError`` naming the first layer it does not know.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    _check_time_size(time_pool, "time_pool")
    if isinstance(time_kernel, Mapping):
        convs = {name for name, m in model2d.named_modules() if type(m) is nn.Conv2d}
        unknown = sorted(set(time_kernel) - convs)
        if unknown:
            raise ValueError(
                f"time_kernel names layers that are not Conv2d layers of the model: {unknown}; "
                f"the Conv2d layers are {sorted(convs)}"
            )
        for name, kt in time_kernel.items():
            _check_time_size(kt, f"time_kernel[{name!r}]")
    else:
        _check_time_size(time_kernel, "time_kernel")
    model3d = copy.deepcopy(model2d)
    return _inflate_tree(model3d, "", time_kernel, mode, time_pool, {})
