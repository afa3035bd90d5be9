"""Checkers for notebook 00 -- videos as tensors, and why we train on clips."""

from __future__ import annotations

import torch

from ..clips import clip_starts
from ..tensors import to_model_layout, video_bytes
from . import check_function, check_scalar, exercise

_CASES_BYTES = [(480, 640, 30), (720, 1280, 25), (1080, 1920, 60), (112, 112, 8)]


def _bytes_per_minute(height: int, width: int, fps: float) -> int:
    return video_bytes(height, width, fps, 60.0)


@exercise(
    notebook="00",
    reference=_bytes_per_minute,
    wrong=[
        lambda h, w, fps: h * w * 3 * fps,  # one second, not one minute
        lambda h, w, fps: h * w * fps * 60,  # forgot the 3 colour channels
        lambda h, w, fps: h * w * 3 * fps * 60 * 4,  # counted float32 bytes, not uint8
    ],
)
def check_bytes_per_minute(fn) -> bool:
    """``fn(height, width, fps)`` must return the bytes of one minute of uint8 RGB video."""
    return check_function(fn, _bytes_per_minute, _CASES_BYTES, "bytes_per_minute", compare=check_scalar)


def _thwc_to_cthw(frames: torch.Tensor) -> torch.Tensor:
    return to_model_layout(frames)


_FRAMES = [
    (torch.arange(2 * 3 * 4 * 3, dtype=torch.uint8).view(2, 3, 4, 3),),
    (torch.randint(0, 256, (5, 6, 7, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(0)),),
]


@exercise(
    notebook="00",
    reference=_thwc_to_cthw,
    wrong=[
        lambda f: f.permute(3, 0, 1, 2).float(),  # forgot to scale to [0, 1]
        lambda f: f.reshape(f.shape[3], f.shape[0], f.shape[1], f.shape[2]).float() / 255,  # reshape is not permute
        lambda f: f.permute(3, 1, 2, 0).float() / 255,  # (C, H, W, T): time in the wrong place
    ],
)
def check_thwc_to_cthw(fn) -> bool:
    """``fn(frames)`` must turn uint8 ``(T, H, W, C)`` into float ``(C, T, H, W)`` in [0, 1]."""
    return check_function(fn, _thwc_to_cthw, _FRAMES, "thwc_to_cthw")


_CASES_STARTS = [(16, 8, 4), (40, 8, 4), (10, 10, 3), (9, 4, 5), (30, 1, 7)]


def _starts(num_frames: int, clip_len: int, stride: int) -> torch.Tensor:
    return torch.tensor(clip_starts(num_frames, clip_len, stride))


@exercise(
    notebook="00",
    reference=_starts,
    wrong=[
        lambda n, L, s: torch.arange(0, n, s),  # windows that run off the end
        lambda n, L, s: torch.arange(0, n - L, s),  # misses the last window that fits
        lambda n, L, s: torch.arange(s, n - L + 1, s),  # skips the first window
    ],
)
def check_clip_starts(fn) -> bool:
    """``fn(num_frames, clip_len, stride)`` must return the start frame of every window that fits."""
    return check_function(lambda *a: torch.as_tensor(fn(*a)), _starts, _CASES_STARTS, "clip_starts")


def _average(logits: torch.Tensor) -> torch.Tensor:
    return logits.softmax(-1).mean(0)


_LOGITS = [
    (torch.tensor([[4.0, 0.0], [0.0, 1.0], [0.0, 1.0]]),),
    (torch.randn(7, 5, generator=torch.Generator().manual_seed(1)) * 3,),
]


@exercise(
    notebook="00",
    reference=_average,
    wrong=[
        lambda z: z.mean(0).softmax(-1),  # averaged logits, not probabilities
        lambda z: z.softmax(0).mean(1),  # softmax over the wrong axis
        lambda z: z.softmax(-1).sum(0),  # a sum is not an average
    ],
)
def check_average_clip_predictions(fn) -> bool:
    """``fn(logits (N_clips, K))`` must return the video's class probabilities ``(K,)``: the mean softmax."""
    return check_function(fn, _average, _LOGITS, "average_clip_predictions")
