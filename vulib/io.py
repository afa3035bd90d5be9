"""Real video files: write a clip to an mp4, read it back as a clip, ask what a file holds.

Everything here goes through PyAV (FFmpeg's libraries, bundled in the ``av`` wheel), so it
works offline and needs no ``ffmpeg`` program on the PATH.

Layouts (see :mod:`vulib.tensors`):

* a *clip* is ``(C, T, H, W)`` float32 in [0, 1] -- what :func:`read_video` returns and what
  :func:`write_video` takes;
* *frames* are ``(T, H, W, C)`` uint8 -- what decoders produce; :func:`write_video` takes
  them too.

What a video file is, in three lines: a *container* (mp4) holds *streams* (video, audio);
a video stream is a sequence of compressed *packets*; decoding a packet gives a *frame*
whose presentation time is ``frame.pts * stream.time_base`` seconds.

Typical use::

    from vulib.io import write_video, read_video, video_info

    write_video("clip.mp4", clip, fps=8)              # clip: (3, 20, 32, 48) float in [0, 1]
    video_info("clip.mp4")                            # {'fps': 8.0, 'num_frames': 20, ...}
    x = read_video("clip.mp4", num_frames=8, size=112)   # (3, 8, 112, 168) float32

Memory: :func:`read_video` decodes one frame at a time and keeps only the frames it
returns, so reading 8 frames of a long video costs 8 frames of memory, not the whole video.
"""
from __future__ import annotations

import math
import os
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Iterator, Sequence, Union

import av
import numpy as np
import torch
import torch.nn.functional as F

from .tensors import check_video, to_display_layout, to_model_layout

__all__ = ["write_video", "read_video", "video_info"]

PathLike = Union[str, "os.PathLike[str]"]

#: x264's constant-quality setting used by :func:`write_video` (0 = lossless, 23 = FFmpeg's
#: default, 51 = worst). 18 is "visually lossless": round trips of smooth synthetic clips
#: come back within about 1% per pixel.
H264_CRF = 18


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------

def _shape(x: torch.Tensor | np.ndarray) -> str:
    return "(" + ", ".join(str(int(s)) for s in x.shape) + ")"


def _frames_for_encoding(clip: torch.Tensor | np.ndarray) -> np.ndarray:
    """Turn what :func:`write_video` accepts into frames ``(T, H, W, 3)`` uint8 (a NumPy array)."""
    if isinstance(clip, np.ndarray):
        if clip.dtype != np.uint8:
            raise ValueError(f"expected a NumPy array of frames (T, H, W, C) with dtype uint8, got dtype "
                             f"{clip.dtype}; pass float clips as a torch.Tensor (C, T, H, W) in [0, 1]")
        clip = torch.from_numpy(np.ascontiguousarray(clip))
    if not isinstance(clip, torch.Tensor):
        raise ValueError("expected a clip (C, T, H, W) float tensor in [0, 1] or frames (T, H, W, C) uint8, "
                         f"got {type(clip).__name__}")
    if clip.ndim != 4:
        raise ValueError("expected a clip (C, T, H, W) float tensor in [0, 1] or frames (T, H, W, C) uint8, "
                         f"got shape {_shape(clip)}")

    if clip.is_floating_point():
        # A float clip: (C, T, H, W) in [0, 1].
        if clip.shape[0] not in (1, 3) and clip.shape[-1] in (1, 3):
            raise ValueError(f"expected a float clip of shape (C, T, H, W), got {_shape(clip)}, which looks like "
                             "(T, H, W, C): use clip.permute(3, 0, 1, 2)")
        check_video(clip, "CTHW", name="clip")
        top = float(clip.detach().max())
        if top > 2.0:
            raise ValueError(f"expected a float clip with values in [0, 1], got values up to {top:g}; "
                             "it looks like the 0-255 scale: divide by 255")
        frames = to_display_layout(clip)            # (T, H, W, C) uint8; clamps to [0, 1]
    elif clip.dtype == torch.uint8:
        # Decoder-style frames: (T, H, W, C) uint8.
        if clip.shape[-1] not in (1, 3):
            hint = (" -- it looks like (C, T, H, W): use frames.permute(1, 2, 3, 0)"
                    if clip.shape[0] in (1, 3) else "")
            raise ValueError(f"expected uint8 frames of shape (T, H, W, C) with C in (1, 3), "
                             f"got {_shape(clip)}{hint}")
        if any(s == 0 for s in clip.shape):
            raise ValueError(f"expected non-empty frames (T, H, W, C), got {_shape(clip)}")
        frames = clip.detach().cpu().numpy()
    else:
        raise ValueError(f"expected a float clip (C, T, H, W) in [0, 1] or uint8 frames (T, H, W, C), "
                         f"got dtype {clip.dtype}")

    if frames.shape[-1] == 1:                       # grey: repeat into R, G and B
        frames = np.repeat(frames, 3, axis=-1)
    return np.ascontiguousarray(frames)


def write_video(path: PathLike, clip: torch.Tensor | np.ndarray, fps: float = 8.0, *,
                codec: str = "libx264") -> Path:
    """Write a clip to a video file (an mp4 with H.264 by default) and return its path.

    Args:
        path: where to write; the container format comes from the suffix (``.mp4``).
            An existing file is overwritten.
        clip: either a clip ``(C, T, H, W)`` float tensor in [0, 1] (values are clamped to
            [0, 1]), or frames ``(T, H, W, C)`` uint8 (a tensor or a NumPy array).
            ``C`` is 3 (RGB) or 1 (grey, written as RGB).
        fps: frames per second, > 0 (may be fractional, e.g. 29.97).
        codec: FFmpeg encoder name; ``"libx264"`` (H.264) plays everywhere.

    Frames are stored as ``yuv420p``: colour at half the resolution of brightness, which is
    what H.264 players expect. So ``H`` and ``W`` must be even; an odd size raises a
    ``ValueError`` rather than being padded or resized behind your back (crop with
    ``clip[..., :H // 2 * 2, :W // 2 * 2]``). H.264 is lossy: reading the file back gives
    values close to, not equal to, the input (constant quality ``crf`` = :data:`H264_CRF`).

    Returns:
        the path written, as a :class:`pathlib.Path`.

    Raises:
        ValueError: wrong shape, dtype or value range; odd frame size; bad ``fps``; unknown
            codec or suffix.
        FileNotFoundError: the folder to write into does not exist.
    """
    frames = _frames_for_encoding(clip)             # (T, H, W, 3) uint8
    T, H, W, _ = frames.shape
    if H % 2 or W % 2:
        raise ValueError(f"H.264 needs even frame sizes, got {H}x{W} (yuv420p stores colour at half "
                         "resolution); crop or pad the clip to an even height and width")
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not math.isfinite(fps) or fps <= 0:
        raise ValueError(f"expected fps to be a positive number, got {fps!r}")
    rate = Fraction(fps).limit_denominator(1001)    # e.g. 29.97 -> 2997/100, 8.0 -> 8

    path = Path(path)
    if not path.parent.is_dir():
        # PyAV would only notice when the first packet is written, with a vaguer message.
        raise FileNotFoundError(f"cannot write {path}: folder {path.parent} does not exist")
    if path.suffix == "":
        raise ValueError(f"cannot tell the container format of {path}: give it a suffix such as .mp4")

    existed = path.exists()
    try:
        with av.open(str(path), mode="w") as container:
            stream = container.add_stream(codec, rate=rate)
            stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
            if codec in ("libx264", "libx265"):
                stream.options = {"crf": str(H264_CRF)}
            for frame in frames:                                      # frame: (H, W, 3) uint8
                video_frame = av.VideoFrame.from_ndarray(frame, format="rgb24")
                for packet in stream.encode(video_frame):             # 0, 1 or more packets
                    container.mux(packet)
            for packet in stream.encode():                            # flush the encoder
                container.mux(packet)
    except (av.FFmpegError, ValueError) as err:      # ValueError: e.g. av's UnknownCodecError
        if not existed:
            path.unlink(missing_ok=True)                              # no half-written file
        raise ValueError(f"could not write {path} with codec {codec!r}: {err}") from err
    return path


# ---------------------------------------------------------------------------
# Opening files for reading, with clear errors
# ---------------------------------------------------------------------------

def _check_readable(path: PathLike) -> Path:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such video file: {path}")
    if not path.is_file():
        raise ValueError(f"{path} is not a file")
    if path.stat().st_size == 0:
        raise ValueError(f"video file {path} is empty (0 bytes)")
    return path


@contextmanager
def _open_video(path: PathLike) -> Iterator[tuple[av.container.InputContainer, av.video.stream.VideoStream]]:
    """Open ``path`` and yield ``(container, first video stream)``; close it afterwards."""
    path = _check_readable(path)
    try:
        container = av.open(str(path))
    except av.FFmpegError as err:
        raise ValueError(f"could not decode {path}: not a video file FFmpeg can read, or corrupt ({err})") from err
    with container:
        if not container.streams.video:
            kinds = sorted({s.type for s in container.streams}) or ["none"]
            raise ValueError(f"{path} has no video stream (streams: {', '.join(kinds)})")
        yield container, container.streams.video[0]


def _decoded_frames(container: av.container.InputContainer, stream: av.video.stream.VideoStream,
                    path: Path) -> Iterator[av.VideoFrame]:
    """Decode the stream frame by frame, in presentation order; wrap FFmpeg errors."""
    try:
        yield from container.decode(stream)
    except av.FFmpegError as err:
        raise ValueError(f"could not decode {path}: {err}") from err


def _fps(stream: av.video.stream.VideoStream) -> float | None:
    rate = stream.average_rate or stream.guessed_rate
    return float(rate) if rate else None


def _window(container: av.container.InputContainer, stream: av.video.stream.VideoStream, path: Path,
            start: float, end: float | None, every: int) -> Iterator[av.VideoFrame]:
    """Yield every ``every``-th decoded frame whose time ``t`` satisfies ``start <= t < end``.

    Times are in seconds from the stream's first frame. Frames before ``start`` are decoded
    and dropped (no seeking: simple and exact); decoding stops at the first frame past ``end``.
    """
    t0 = stream.start_time or 0
    fps = _fps(stream) or 1.0
    in_window = 0
    for i, frame in enumerate(_decoded_frames(container, stream, path)):
        # Exact arithmetic (Fraction), then one rounding: 3 frames at 30 fps is exactly 0.1 s.
        t = float((frame.pts - t0) * stream.time_base) if frame.pts is not None else i / fps
        if t < start:
            continue
        if end is not None and t >= end:
            break
        if in_window % every == 0:
            yield frame
        in_window += 1


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------

def _check_args(num_frames: int | None, every: int, start: float | None, end: float | None,
                size: int | Sequence[int] | None) -> None:
    def is_int(v: object) -> bool:
        return isinstance(v, (int, np.integer)) and not isinstance(v, bool)

    def is_number(v: object) -> bool:
        return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) \
            and math.isfinite(v)

    if not is_int(every) or every < 1:
        raise ValueError(f"expected every to be an integer >= 1, got {every!r}")
    if num_frames is not None and (not is_int(num_frames) or num_frames < 1):
        raise ValueError(f"expected num_frames to be an integer >= 1 or None, got {num_frames!r}")
    if start is not None and (not is_number(start) or start < 0):
        raise ValueError(f"expected start to be a time in seconds >= 0 or None, got {start!r}")
    if end is not None and (not is_number(end) or end <= 0):
        raise ValueError(f"expected end to be a time in seconds > 0 or None, got {end!r}")
    if start is not None and end is not None and end <= start:
        raise ValueError(f"expected end > start, got start={start!r}, end={end!r}")
    if size is not None:
        pair = isinstance(size, (tuple, list)) and len(size) == 2 and all(is_int(s) and s >= 1 for s in size)
        if not pair and not (is_int(size) and size >= 1):
            raise ValueError(f"expected size to be a positive int (shorter side) or a pair (H, W) of "
                             f"positive ints, got {size!r}")


def _output_size(height: int, width: int, size: int | Sequence[int]) -> tuple[int, int]:
    """``(H, W)`` to resize to: a pair is used as is; an int is the shorter side, aspect kept."""
    if isinstance(size, (tuple, list)):
        return int(size[0]), int(size[1])
    short = int(size)
    if height <= width:
        return short, max(1, round(width * short / height))
    return max(1, round(height * short / width)), short


def _evenly_spaced(count: int, num: int) -> list[int]:
    """``num`` indices spread evenly over ``0 .. count - 1``, first and last included.

    The usual "sample a clip of N frames" of video models. When the video has fewer than
    ``num`` frames, some indices repeat: ``_evenly_spaced(3, 5) == [0, 0, 1, 2, 2]``.
    """
    return torch.linspace(0, count - 1, num).round().long().tolist()


def read_video(path: PathLike, *, num_frames: int | None = None, every: int = 1,
               start: float | None = None, end: float | None = None,
               size: int | tuple[int, int] | None = None) -> torch.Tensor:
    """Read a video file into a clip ``(C, T, H, W)`` float32 in [0, 1] (C = 3, RGB).

    Which frames, applied in this order:

    1. ``start``, ``end``: a time window in seconds, ``start <= t < end``, where ``t`` is a
       frame's presentation time counted from the video's first frame (``None``: from the
       beginning / to the end).
    2. ``every=k``: keep every k-th frame of the window, starting with its first frame
       (``k = 2`` halves the frame rate).
    3. ``num_frames=N``: pick ``N`` frames evenly spaced over what is left, first and last
       included (``torch.linspace(0, n - 1, N).round()``). If fewer than ``N`` frames are
       left, some are repeated, so the result always has ``T = N``. This needs the number of
       frames first, so the window is decoded twice (the first pass only counts).

    ``size``: resize every frame with ``F.interpolate(mode="bilinear", antialias=True)``;
    ``(H, W)`` gives the exact output size, an int ``s`` sets the shorter side to ``s`` and
    keeps the aspect ratio (as ``torchvision``'s ``Resize(s)``).

    Frames are decoded one at a time; only the frames returned are kept in memory.

    Returns:
        ``(3, T, H, W)`` float32 in [0, 1].

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file is empty, corrupt, not a video, has no video stream or no frame
            in the window; or an argument is invalid.
    """
    _check_args(num_frames, every, start, end, size)
    path = Path(path)
    lo = float(start) if start is not None else 0.0
    hi = float(end) if end is not None else None

    # Which frames of the window to keep, and how many times each (repeats when num_frames > count).
    wanted: dict[int, int] | None = None
    if num_frames is not None:
        with _open_video(path) as (container, stream):
            count = sum(1 for _ in _window(container, stream, path, lo, hi, every))
        if count == 0:
            raise _no_frames(path, start, end)
        wanted = {}
        for j in _evenly_spaced(count, num_frames):
            wanted[j] = wanted.get(j, 0) + 1

    pieces: list[torch.Tensor] = []                  # each (3, 1, h, w) float32
    with _open_video(path) as (container, stream):
        for j, frame in enumerate(_window(container, stream, path, lo, hi, every)):
            if wanted is not None and j not in wanted:
                continue
            rgb = frame.to_ndarray(format="rgb24")   # (H, W, 3) uint8
            x = to_model_layout(rgb[None])           # (3, 1, H, W) float32 in [0, 1]
            if size is not None:
                out_hw = _output_size(rgb.shape[0], rgb.shape[1], size)
                # F.interpolate resizes the last two axes of (N, C, H, W): the frame axis acts as N.
                x = F.interpolate(x.permute(1, 0, 2, 3), size=out_hw, mode="bilinear",
                                  antialias=True, align_corners=False).permute(1, 0, 2, 3).clamp_(0, 1)
            pieces.extend([x] * (wanted[j] if wanted is not None else 1))
            if wanted is not None and len(pieces) == num_frames:
                break                                # nothing further is wanted

    if not pieces:
        raise _no_frames(path, start, end)
    return torch.cat(pieces, dim=1).contiguous()     # (3, T, H, W)


def _no_frames(path: Path, start: float | None, end: float | None) -> ValueError:
    if start is None and end is None:
        return ValueError(f"could not decode any frame of {path}")
    return ValueError(f"no frame of {path} falls in the window start={start!r} s, end={end!r} s "
                      f"(see video_info(path)['duration'])")


# ---------------------------------------------------------------------------
# Information
# ---------------------------------------------------------------------------

def video_info(path: PathLike) -> dict[str, float | int | str | None]:
    """What a video file holds, read from its header (nothing is decoded).

    Returns a dict with:

    * ``fps``: average frames per second (float; ``None`` if unknown);
    * ``num_frames``: number of frames, ``T`` of ``read_video(path)`` (from the header, or by
      counting packets when the header does not say);
    * ``duration``: length in seconds (float; ``None`` if unknown);
    * ``width``, ``height``: frame size in pixels (``W``, ``H``);
    * ``codec``: the codec's name, e.g. ``"h264"``.

    Raises:
        FileNotFoundError, ValueError: as :func:`read_video`.
    """
    path = Path(path)
    with _open_video(path) as (container, stream):
        num_frames = stream.frames
        if not num_frames:                           # header does not say: count packets (no decoding)
            try:
                num_frames = sum(1 for packet in container.demux(stream) if packet.size > 0)
            except av.FFmpegError as err:
                raise ValueError(f"could not decode {path}: {err}") from err
        if stream.duration is not None:
            duration: float | None = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / av.time_base  # container.duration is in microseconds
        else:
            duration = None
        return {
            "fps": _fps(stream),
            "num_frames": int(num_frames),
            "duration": duration,
            "width": stream.codec_context.width,
            "height": stream.codec_context.height,
            "codec": stream.codec_context.name,
        }
