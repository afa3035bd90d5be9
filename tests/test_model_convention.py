"""Every model constructor of vulib.models follows the convention of CONTRIBUTING.md ("How to add a model").

* the modules a model wraps come first (``TwoStream(spatial, temporal)``), each followed by the size of its
  output when the model needs it (``VideoTextModel(video_encoder, video_dim, text_encoder, text_dim)``), then
  the sizes of what goes in and out: ``channels`` (input channels) then ``classes`` (outputs) -- or, for layers
  and token models, ``channels``/``out_channels``/``hidden_channels``, ``dim``, ``vocab_size``, ``<something>_dim``;
* everything else is keyword-only (after ``*``);
* the same names for the same things: never ``in_channels``, ``in_ch``, ``num_classes``, ``n_classes``, ...
"""

import inspect
import typing

import pytest
import torch.nn as nn

import vulib.models
from vulib.models import attention as attention_mod
from vulib.models import audio as audio_mod
from vulib.models import backbones, c3d, efficient, fusion, language, localization, recurrent, two_stream, video_vit

MODULES = [
    vulib.models,
    attention_mod,
    audio_mod,
    backbones,
    c3d,
    efficient,
    fusion,
    language,
    localization,
    recurrent,
    two_stream,
    video_vit,
]
SIZES = {"channels", "classes", "out_channels", "hidden_channels", "dim", "vocab_size"}
FORBIDDEN = {
    "in_channels",
    "in_ch",
    "out_ch",
    "inch",
    "num_classes",
    "n_classes",
    "nclasses",
    "n_class",
    "num_frames",
    "n_frames",
    "input_size",
    "input_channels",
    "hidden_size",
    "width_mult",
}


def constructors() -> dict[str, object]:
    """Every public ``nn.Module`` class of vulib.models, and the class methods that build one (``C3D.small``)."""
    out = {}
    for mod in MODULES:
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if inspect.isclass(obj) and issubclass(obj, nn.Module):
                out[name] = obj.__init__
                for attr, raw in vars(obj).items():
                    if isinstance(raw, classmethod) and typing.get_type_hints(raw.__func__).get("return") is obj:
                        out[f"{name}.{attr}"] = getattr(obj, attr)
    return out


CONSTRUCTORS = constructors()


def test_the_models_are_found() -> None:
    expected = {"CNN3D", "FrameCNN", "C3D", "C3D.small", "VideoViT", "AudioCNN", "TwoStream", "VideoLM", "X3DBlock"}
    assert expected <= set(CONSTRUCTORS)


@pytest.mark.parametrize("name", sorted(CONSTRUCTORS))
def test_constructor_follows_the_convention(name: str) -> None:
    fn = CONSTRUCTORS[name]
    params = [p for p in inspect.signature(fn).parameters.values() if p.name not in ("self", "cls")]
    hints = typing.get_type_hints(fn)
    bad = sorted({p.name for p in params} & FORBIDDEN)
    assert not bad, f"{name}: use the suite's names (channels, classes, frames, size, hidden, ...) instead of {bad}"
    assert all(p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params), f"{name}: no *args / **kwargs"
    positional = [p for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]

    def wrapped(p):
        hint = hints.get(p.name)
        return inspect.isclass(hint) and issubclass(hint, nn.Module)

    kinds = []
    for p in positional:
        if wrapped(p):
            kinds.append("module")
        elif p.name.endswith("_dim") and kinds and kinds[-1] == "module":
            kinds.append("module")  # the size of the wrapped module's output
        else:
            kinds.append("size" if p.name in SIZES or p.name.endswith("_dim") else "other")
    assert "other" not in kinds, (
        f"{name}: only wrapped modules and sizes (channels, classes, ...) may be "
        f"positional; make {[p.name for p, k in zip(positional, kinds) if k == 'other']} "
        "keyword-only (after *)"
    )
    assert kinds == sorted(kinds), f"{name}: the wrapped modules come before the sizes"
    names = [p.name for p in positional]
    if "channels" in names and "classes" in names:
        assert names.index("classes") == names.index("channels") + 1, f"{name}: channels, then classes"
