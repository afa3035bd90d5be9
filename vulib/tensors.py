"""Video tensors: the layouts, conversions between them, and input checks.

Layouts used in the suite:

* ``(T, H, W, C)`` uint8 -- what decoders produce and what images are drawn from;
* ``(C, T, H, W)`` float -- one clip, as models and datasets hold it;
* ``(B, C, T, H, W)`` float -- a batch of clips, what every vulib model takes.

Every public function in vulib checks its input with the helpers below and raises a
``ValueError`` that names what it expected and what it got.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

__all__ = [
    "check_video",
    "check_tensor",
    "to_model_layout",
    "to_display_layout",
    "video_bytes",
]

_LAYOUT_AXES = {
    "BCTHW": ("B", "C", "T", "H", "W"),
    "CTHW": ("C", "T", "H", "W"),
    "THWC": ("T", "H", "W", "C"),
    "BCHW": ("B", "C", "H", "W"),
}


def _shape_str(shape: Sequence[int]) -> str:
    return "(" + ", ".join(str(int(s)) for s in shape) + ")"


def check_tensor(
    x: object, name: str = "input", *, ndim: int | None = None, floating: bool | None = None
) -> torch.Tensor:
    """Check that ``x`` is a tensor of the given rank (and float-ness); return it."""
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"expected {name} to be a torch.Tensor, got {type(x).__name__}")
    if ndim is not None and x.ndim != ndim:
        raise ValueError(f"expected {name} with {ndim} dimensions, got shape {_shape_str(x.shape)}")
    if floating is True and not x.is_floating_point():
        raise ValueError(f"expected {name} of a floating dtype, got {x.dtype}")
    return x


def check_video(
    x: object,
    layout: str = "BCTHW",
    *,
    channels: int | None = None,
    frames: int | None = None,
    name: str = "video",
    floating: bool = True,
) -> torch.Tensor:
    """Check that ``x`` is a video tensor in ``layout``; return it unchanged.

    Args:
        x: the tensor to check.
        layout: ``"BCTHW"``, ``"CTHW"`` or ``"THWC"``.
        channels: required number of channels, if any.
        frames: required number of frames T, if any.
        name: what to call the tensor in the error message.
        floating: require a floating dtype (models need float input).

    Raises:
        ValueError: e.g. ``expected video of shape (B, C, T, H, W), got (2, 16, 3, 64, 64)``.
    """
    axes = _LAYOUT_AXES.get(layout)
    if axes is None:
        raise ValueError(f"unknown layout {layout!r}; expected one of {sorted(_LAYOUT_AXES)}")
    want = "(" + ", ".join(axes) + ")"
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"expected {name} as a torch.Tensor of shape {want}, got {type(x).__name__}")
    got = _shape_str(x.shape)
    if x.ndim != len(axes):
        raise ValueError(f"expected {name} of shape {want}, got {got}")
    if floating and not x.is_floating_point():
        raise ValueError(
            f"expected {name} of a floating dtype (e.g. float32 in [0, 1]), got {x.dtype}; "
            "convert uint8 frames with vulib.to_model_layout"
        )
    if any(s == 0 for s in x.shape):
        raise ValueError(f"expected a non-empty {name} of shape {want}, got {got}")
    dims = dict(zip(axes, x.shape))
    if channels is not None and dims["C"] != channels:
        raise ValueError(
            f"expected {name} of shape {want} with C={channels}, got {got} "
            f"(C={dims['C']}; is the channel axis in the right place?)"
        )
    if frames is not None and dims["T"] != frames:
        raise ValueError(f"expected {name} of shape {want} with T={frames}, got {got} (T={dims['T']})")
    return x


def to_model_layout(frames: torch.Tensor | np.ndarray) -> torch.Tensor:
    """Convert decoder frames ``(T, H, W, C)`` uint8 to a model clip ``(C, T, H, W)`` float in [0, 1].

    A batch ``(B, T, H, W, C)`` becomes ``(B, C, T, H, W)``.
    """
    if isinstance(frames, np.ndarray):
        frames = torch.from_numpy(np.ascontiguousarray(frames))
    if not isinstance(frames, torch.Tensor):
        raise ValueError(f"expected frames as a tensor or array of shape (T, H, W, C), got {type(frames).__name__}")
    if frames.ndim not in (4, 5):
        raise ValueError(f"expected frames of shape (T, H, W, C) or (B, T, H, W, C), got {_shape_str(frames.shape)}")
    if frames.shape[-1] not in (1, 3, 4):
        raise ValueError(f"expected frames with 1, 3 or 4 channels last, got shape {_shape_str(frames.shape)}")
    if frames.dtype == torch.uint8:
        x = frames.float() / 255.0
    elif frames.is_floating_point():
        x = frames.float()
    else:
        raise ValueError(f"expected uint8 or float frames, got {frames.dtype}")
    if frames.ndim == 4:
        return x.permute(3, 0, 1, 2).contiguous()  # (T, H, W, C) -> (C, T, H, W)
    return x.permute(0, 4, 1, 2, 3).contiguous()  # (B, T, H, W, C) -> (B, C, T, H, W)


def to_display_layout(clip: torch.Tensor) -> np.ndarray:
    """Convert a clip ``(C, T, H, W)`` float in [0, 1] to frames ``(T, H, W, C)`` uint8 for drawing or encoding."""
    check_video(clip, "CTHW", name="clip")
    if clip.shape[0] not in (1, 3):
        raise ValueError(f"expected clip of shape (C, T, H, W) with C in (1, 3), got {_shape_str(clip.shape)}")
    x = clip.detach().float().clamp(0, 1).mul(255).round().to(torch.uint8)
    return x.permute(1, 2, 3, 0).cpu().numpy()  # (T, H, W, C)


_DTYPE_BYTES = {"uint8": 1, "float16": 2, "bfloat16": 2, "float32": 4, "float64": 8}


def video_bytes(height: int, width: int, fps: float, seconds: float, channels: int = 3, dtype: str = "uint8") -> int:
    """Bytes needed to hold a decoded video as a dense tensor ``(T, H, W, C)``.

    ``T = round(fps * seconds)``; each element takes the size of ``dtype``.
    """
    for nm, v in (("height", height), ("width", width), ("channels", channels)):
        if int(v) != v or v < 1:
            raise ValueError(f"expected a positive integer {nm}, got {v!r}")
    if fps <= 0 or seconds < 0:
        raise ValueError(f"expected fps > 0 and seconds >= 0, got fps={fps!r}, seconds={seconds!r}")
    if dtype not in _DTYPE_BYTES:
        raise ValueError(f"expected dtype in {sorted(_DTYPE_BYTES)}, got {dtype!r}")
    frames = round(fps * seconds)
    return int(frames * height * width * channels * _DTYPE_BYTES[dtype])
