"""Build any of the suite's clip models by name -- what ``python -m vulib.train_video --model`` uses.

Each name maps to a class of :mod:`vulib.models` (looked up when asked for, so a model that a
later lesson adds is one line here) and is built with the arguments it takes among
``classes``, ``frames`` and ``size``, plus any extra keyword arguments::

    build_model("cnn3d", classes=101, frames=16, size=112)          # CNN3D(classes=101)
    build_model("c3d_small", classes=2, frames=16, size=32, dropout=0.0)
    build_model("my_package.models:MyNet", classes=10)              # your own nn.Module class

Every model maps clips ``(B, 3, T, H, W)`` to class logits ``(B, K)``.
"""
from __future__ import annotations

import importlib
import inspect

import torch.nn as nn

__all__ = ["MODEL_NAMES", "available_models", "build_model"]

#: name -> (what to call in vulib.models: a class or "Class.constructor", what the model is)
MODEL_NAMES: dict[str, tuple[str, str]] = {
    "single_frame": ("SingleFrame", "one frame at a time, probabilities averaged (notebook 01)"),
    "late_fusion_pool": ("LateFusionPool", "per-frame 2D CNN, features averaged over time (notebook 01)"),
    "late_fusion_fc": ("LateFusionFC", "per-frame 2D CNN, features concatenated (notebook 01)"),
    "early_fusion": ("EarlyFusion", "time folded into channels, a 2D CNN (notebook 01)"),
    "cnn3d": ("CNN3D", "a small 3D CNN with batch norm (notebooks 01, 03)"),
    "c3d": ("C3D", "C3D as published, for 16 x 112 x 112 clips (notebook 03)"),
    "c3d_small": ("C3D.small", "C3D at 1/8 of the channels, 128-wide FC layers (notebook 03)"),
    "cnn_rnn": ("CNNRNN", "per-frame 2D CNN then a GRU (notebook 05)"),
    "rcn": ("RCN", "recurrent convolutional network, conv-GRU layers (notebook 05)"),
    "tsm": ("TSM", "temporal shift module on a 2D CNN (notebook 11)"),
    "r2plus1d": ("R2Plus1D", "the small 3D CNN with (2+1)D convolutions (notebook 11)"),
    "video_vit": ("VideoViT", "a video transformer on tubelet tokens, joint attention by default (notebook 08)"),
}


def _resolve(target: str):
    """The callable a ``MODEL_NAMES`` entry names, or ``None`` when this vulib does not have it."""
    from vulib import models

    obj = models
    for part in target.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def available_models() -> list[str]:
    """The names :func:`build_model` accepts in this installation, sorted."""
    return sorted(name for name, (target, _) in MODEL_NAMES.items() if _resolve(target) is not None)


def build_model(name: str, *, classes: int, frames: int | None = None, size: int | None = None,
                **kwargs) -> nn.Module:
    """A fresh model for clips ``(B, 3, frames, size, size)`` with ``classes`` outputs.

    Args:
        name: one of :func:`available_models`, or ``"module.path:ClassName"`` for a class of your
            own (built with ``classes=...`` and, if it takes them, ``frames``/``size``).
        classes: number of classes ``K``.
        frames, size: the clip shape, passed to models whose layers depend on it.
        **kwargs: more constructor arguments (e.g. ``width=32``, ``dropout=0.0``).

    Raises:
        ValueError: unknown name (the message lists the available ones), or a model that this
            version of vulib does not have.
    """
    if ":" in name:
        module_name, _, attr = name.partition(":")
        try:
            factory = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as err:
            raise ValueError(f"could not import the model {name!r} ({err}); expected 'module.path:ClassName'") from err
    elif name in MODEL_NAMES:
        target = MODEL_NAMES[name][0]
        factory = _resolve(target)
        if factory is None:
            raise ValueError(f"model {name!r} needs vulib.models.{target}, which this version of vulib does not have; "
                             f"available: {', '.join(available_models())}")
    else:
        raise ValueError(f"unknown model {name!r}; available: {', '.join(available_models())} "
                         "(or 'module.path:ClassName' for your own)")
    params = inspect.signature(factory).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    shape = {"classes": classes, "frames": frames, "size": size}
    args = {k: v for k, v in shape.items() if v is not None and (k in params or takes_any)}
    if "classes" not in args:
        raise ValueError(f"model {name!r} does not take a 'classes' argument, so its number of outputs cannot be set")
    model = factory(**args, **kwargs)
    if not isinstance(model, nn.Module):
        raise ValueError(f"model {name!r} built a {type(model).__name__}, not a torch.nn.Module")
    return model
