"""Build any of the suite's clip models by name -- what ``python -m vulib.train_video --model`` uses.

:data:`MODELS` is the whole story: one row per name, saying which class builds the model and which of
the clip's sizes its layers depend on (``frames``, ``size``); every model also takes ``classes``, and
any extra keyword arguments are passed on::

    build_model("cnn3d", classes=101, frames=16, size=112)          # CNN3D(classes=101)
    build_model("c3d_small", classes=2, frames=16, size=32, dropout=0.0)
    build_model("my_package.models:MyNet", classes=10)              # your own nn.Module class

Every model maps clips ``(B, 3, T, H, W)`` to class logits ``(B, K)``. A new model is one row here
(see CONTRIBUTING.md, "How to add a model").
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from typing import Callable

import torch.nn as nn

from .backbones import CNN3D
from .c3d import C3D
from .efficient import TSM, R2Plus1D
from .fusion import EarlyFusion, LateFusionFC, LateFusionPool, SingleFrame
from .recurrent import CNNRNN, RCN
from .slowfast import SlowFast
from .video_vit import VideoViT
from .x3d import X3D

__all__ = ["ModelEntry", "MODELS", "available_models", "build_model"]


@dataclass(frozen=True)
class ModelEntry:
    """One row of :data:`MODELS`: what builds the model, which clip sizes it takes, what it is."""

    build: Callable[..., nn.Module]  # called as build(classes=K, **{name: value for name in takes}, **kwargs)
    takes: tuple[str, ...]  # of "frames", "size": the clip sizes its layers depend on
    about: str


#: name -> how to build it. ``takes`` lists the clip sizes a model's layers depend on.
MODELS: dict[str, ModelEntry] = {
    "single_frame": ModelEntry(SingleFrame, (), "one frame at a time, probabilities averaged (notebook 01)"),
    "late_fusion_pool": ModelEntry(LateFusionPool, (), "per-frame 2D CNN, features averaged over time (notebook 01)"),
    "late_fusion_fc": ModelEntry(
        LateFusionFC, ("frames", "size"), "per-frame 2D CNN, features concatenated (notebook 01)"
    ),
    "early_fusion": ModelEntry(EarlyFusion, ("frames",), "time folded into channels, a 2D CNN (notebook 01)"),
    "cnn3d": ModelEntry(CNN3D, (), "a small 3D CNN with batch norm (notebooks 01, 03)"),
    "c3d": ModelEntry(C3D, ("frames", "size"), "C3D as published, for 16 x 112 x 112 clips (notebook 03)"),
    "c3d_small": ModelEntry(
        C3D.small, ("frames", "size"), "C3D at 1/8 of the channels, 128-wide FC layers (notebook 03)"
    ),
    "cnn_rnn": ModelEntry(CNNRNN, (), "per-frame 2D CNN then a GRU (notebook 05)"),
    "rcn": ModelEntry(RCN, (), "recurrent convolutional network, conv-GRU layers (notebook 05)"),
    "tsm": ModelEntry(TSM, (), "temporal shift module on a 2D CNN (notebook 11)"),
    "r2plus1d": ModelEntry(R2Plus1D, (), "the small 3D CNN with (2+1)D convolutions (notebook 11)"),
    "video_vit": ModelEntry(
        VideoViT, ("frames", "size"), "a video transformer on tubelet tokens, joint attention by default (notebook 08)"
    ),
    "slowfast": ModelEntry(
        SlowFast,
        (),
        "slow (every alpha-th frame, wide) and fast (every frame, narrow) pathways, laterals (notebook 13)",
    ),
    "x3d": ModelEntry(X3D, (), "a small X3D: bottleneck blocks with depthwise 3D convolutions (notebook 13)"),
}


def available_models() -> list[str]:
    """The names :func:`build_model` accepts, sorted."""
    return sorted(MODELS)


def _own_model(name: str) -> tuple[Callable[..., nn.Module], tuple[str, ...]]:
    """A class of your own, ``"module.path:ClassName"``, and which of frames/size its constructor names."""
    module_name, _, attr = name.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as err:
        raise ValueError(f"could not import the model {name!r} ({err}); expected 'module.path:ClassName'") from err
    params = inspect.signature(factory).parameters
    if "classes" not in params:
        raise ValueError(f"model {name!r} does not take a 'classes' argument, so its number of outputs cannot be set")
    return factory, tuple(k for k in ("frames", "size") if k in params)


def build_model(name: str, *, classes: int, frames: int | None = None, size: int | None = None, **kwargs) -> nn.Module:
    """A fresh model for clips ``(B, 3, frames, size, size)`` with ``classes`` outputs.

    Args:
        name: one of :func:`available_models`, or ``"module.path:ClassName"`` for a class of your
            own (built with ``classes=...`` and, if its constructor names them, ``frames``/``size``).
        classes: number of classes ``K``.
        frames, size: the clip shape, passed to the models whose layers depend on it (``MODELS[name].takes``).
        **kwargs: more constructor arguments (e.g. ``width=32``, ``dropout=0.0``).

    Raises:
        ValueError: unknown name (the message lists the available ones).
    """
    if ":" in name:
        factory, takes = _own_model(name)
    elif name in MODELS:
        factory, takes = MODELS[name].build, MODELS[name].takes
    else:
        raise ValueError(
            f"unknown model {name!r}; available: {', '.join(available_models())} "
            "(or 'module.path:ClassName' for your own)"
        )
    shape = {"frames": frames, "size": size}
    model = factory(classes=classes, **{k: shape[k] for k in takes if shape[k] is not None}, **kwargs)
    if not isinstance(model, nn.Module):
        raise ValueError(f"model {name!r} built a {type(model).__name__}, not a torch.nn.Module")
    return model
