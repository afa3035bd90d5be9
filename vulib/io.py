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

    x = read_video(sample_video("bunny"), start=1.0, end=2.0)   # a real clip shipped with vulib

Long files: :func:`read_video` reads the packets' time stamps first (no decoding), then
seeks to the keyframe before each wanted frame and decodes forward from there, so 16 frames
from the middle of an hour cost about 16 frames (plus the few since the last keyframe), in
time and in memory -- not the whole video. Learners' own files (phone videos turned
sideways, odd sizes, 10-bit, audio tracks, truncated downloads) are read as a player would
show them, or refused with an error that names the file and says what is wrong.
"""

from __future__ import annotations

import bisect
import math
import os
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Iterator, Sequence, Union

import av
import numpy as np
import torch
import torch.nn.functional as F

from .tensors import check_video, to_display_layout

__all__ = [
    "write_video",
    "read_video",
    "read_audio",
    "video_info",
    "sample_video",
    "SAMPLE_VIDEOS",
    "DamagedVideoWarning",
]

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
            raise ValueError(
                f"expected a NumPy array of frames (T, H, W, C) with dtype uint8, got dtype "
                f"{clip.dtype}; pass float clips as a torch.Tensor (C, T, H, W) in [0, 1]"
            )
        clip = torch.from_numpy(np.ascontiguousarray(clip))
    if not isinstance(clip, torch.Tensor):
        raise ValueError(
            "expected a clip (C, T, H, W) float tensor in [0, 1] or frames (T, H, W, C) uint8, "
            f"got {type(clip).__name__}"
        )
    if clip.ndim != 4:
        raise ValueError(
            "expected a clip (C, T, H, W) float tensor in [0, 1] or frames (T, H, W, C) uint8, "
            f"got shape {_shape(clip)}"
        )

    if clip.is_floating_point():
        # A float clip: (C, T, H, W) in [0, 1].
        if clip.shape[0] not in (1, 3) and clip.shape[-1] in (1, 3):
            raise ValueError(
                f"expected a float clip of shape (C, T, H, W), got {_shape(clip)}, which looks like "
                "(T, H, W, C): use clip.permute(3, 0, 1, 2)"
            )
        check_video(clip, "CTHW", name="clip")
        top = float(clip.detach().max())
        if top > 2.0:
            raise ValueError(
                f"expected a float clip with values in [0, 1], got values up to {top:g}; "
                "it looks like the 0-255 scale: divide by 255"
            )
        frames = to_display_layout(clip)  # (T, H, W, C) uint8; clamps to [0, 1]
    elif clip.dtype == torch.uint8:
        # Decoder-style frames: (T, H, W, C) uint8.
        if clip.shape[-1] not in (1, 3):
            hint = " -- it looks like (C, T, H, W): use frames.permute(1, 2, 3, 0)" if clip.shape[0] in (1, 3) else ""
            raise ValueError(f"expected uint8 frames of shape (T, H, W, C) with C in (1, 3), got {_shape(clip)}{hint}")
        if any(s == 0 for s in clip.shape):
            raise ValueError(f"expected non-empty frames (T, H, W, C), got {_shape(clip)}")
        frames = clip.detach().cpu().numpy()
    else:
        raise ValueError(
            f"expected a float clip (C, T, H, W) in [0, 1] or uint8 frames (T, H, W, C), got dtype {clip.dtype}"
        )

    if frames.shape[-1] == 1:  # grey: repeat into R, G and B
        frames = np.repeat(frames, 3, axis=-1)
    return np.ascontiguousarray(frames)


def write_video(
    path: PathLike,
    clip: torch.Tensor | np.ndarray,
    fps: float = 8.0,
    *,
    codec: str = "libx264",
    audio: torch.Tensor | np.ndarray | None = None,
    audio_rate: int | None = None,
) -> Path:
    """Write a clip to a video file (an mp4 with H.264 by default) and return its path.

    Args:
        path: where to write; the container format comes from the suffix (``.mp4``).
            An existing file is overwritten.
        clip: either a clip ``(C, T, H, W)`` float tensor in [0, 1] (values are clamped to
            [0, 1]), or frames ``(T, H, W, C)`` uint8 (a tensor or a NumPy array).
            ``C`` is 3 (RGB) or 1 (grey, written as RGB).
        fps: frames per second, > 0 (may be fractional, e.g. 29.97).
        codec: FFmpeg encoder name; ``"libx264"`` (H.264) plays everywhere.
        audio: optional mono sound track ``(S,)`` or ``(1, S)`` float in [-1, 1] (clamped), sample
            ``j`` played at ``j / audio_rate`` seconds after the first frame; muxed as AAC beside the
            video. AAC is lossy and pads the track (encoder delay, whole 1024-sample blocks): read it
            back with :func:`read_audio` / ``read_video(..., audio=True)``, which align it by time stamps.
        audio_rate: samples per second of ``audio`` (required with it), e.g. 16000.

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
    frames = _frames_for_encoding(clip)  # (T, H, W, 3) uint8
    T, H, W, _ = frames.shape
    if H % 2 or W % 2:
        raise ValueError(
            f"H.264 needs even frame sizes, got {H}x{W} (yuv420p stores colour at half "
            "resolution); crop or pad the clip to an even height and width"
        )
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not math.isfinite(fps) or fps <= 0:
        raise ValueError(f"expected fps to be a positive number, got {fps!r}")
    rate = Fraction(fps).limit_denominator(1001)  # e.g. 29.97 -> 2997/100, 8.0 -> 8

    path = Path(path)
    if not path.parent.is_dir():
        # PyAV would only notice when the first packet is written, with a vaguer message.
        raise FileNotFoundError(f"cannot write {path}: folder {path.parent} does not exist")
    if path.suffix == "":
        raise ValueError(f"cannot tell the container format of {path}: give it a suffix such as .mp4")

    wave = _wave_for_encoding(audio, audio_rate)  # (1, S) float32, or None

    existed = path.exists()
    try:
        with av.open(str(path), mode="w") as container:
            stream = container.add_stream(codec, rate=rate)
            stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
            if codec in ("libx264", "libx265"):
                stream.options = {"crf": str(H264_CRF)}
            if wave is not None:  # every stream is declared before muxing
                sound = container.add_stream("aac", rate=int(audio_rate))
                sound.layout = "mono"
            for frame in frames:  # frame: (H, W, 3) uint8
                video_frame = av.VideoFrame.from_ndarray(frame, format="rgb24")
                for packet in stream.encode(video_frame):  # 0, 1 or more packets
                    container.mux(packet)
            for packet in stream.encode():  # flush the encoder
                container.mux(packet)
            if wave is not None:  # the sound track: AAC, mono
                audio_frame = av.AudioFrame.from_ndarray(wave, format="flt", layout="mono")
                audio_frame.sample_rate, audio_frame.pts = int(audio_rate), 0
                for packet in sound.encode(audio_frame):  # PyAV cuts it into codec-sized blocks
                    container.mux(packet)
                for packet in sound.encode(None):
                    container.mux(packet)
    except (av.FFmpegError, ValueError) as err:  # ValueError: e.g. av's UnknownCodecError
        if not existed:
            path.unlink(missing_ok=True)  # no half-written file
        raise ValueError(f"could not write {path} with codec {codec!r}: {err}") from err
    return path


# ---------------------------------------------------------------------------
# Opening files for reading, with clear errors
# ---------------------------------------------------------------------------


def _wave_for_encoding(audio, audio_rate) -> np.ndarray | None:
    """Check a mono sound track for :func:`write_video`; return it as ``(1, S)`` float32 in [-1, 1]."""
    if audio is None:
        if audio_rate is not None:
            raise ValueError("audio_rate was given without audio: pass audio=wave (S,) too, or drop audio_rate")
        return None
    if (
        isinstance(audio_rate, bool)
        or not isinstance(audio_rate, (int, np.integer))
        or not 1000 <= audio_rate <= 192000
    ):
        raise ValueError(
            f"expected audio_rate as an integer number of samples per second (e.g. 16000), got {audio_rate!r}"
        )
    if isinstance(audio, torch.Tensor):
        audio = audio.detach().cpu().numpy()
    if not isinstance(audio, np.ndarray) or not np.issubdtype(audio.dtype, np.floating):
        raise ValueError(
            f"expected audio as a float tensor or array (S,) or (1, S) in [-1, 1], got "
            f"{type(audio).__name__}{'' if not isinstance(audio, np.ndarray) else ' of dtype ' + str(audio.dtype)}"
        )
    if audio.ndim == 2 and audio.shape[0] == 1:
        audio = audio[0]
    if audio.ndim != 1 or audio.shape[0] == 0:
        raise ValueError(f"expected a mono sound track of shape (S,) or (1, S), got {_shape(audio)}")
    if not np.isfinite(audio).all():
        raise ValueError("the audio has non-finite values (NaN or inf)")
    return np.ascontiguousarray(np.clip(audio, -1.0, 1.0), dtype=np.float32)[None]  # (1, S)


class DamagedVideoWarning(UserWarning):
    """A video file is truncated or damaged; the frames that could be decoded were returned."""


class _ReadInOrder(Exception):
    """Internal: this file cannot be read by timestamps and seeking; decode it front to back instead."""


def _check_readable(path: PathLike) -> Path:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such video file: {path}")
    if not path.is_file():
        raise ValueError(f"{path} is not a file")
    if path.stat().st_size == 0:
        raise ValueError(f"video file {path} is empty (0 bytes)")
    return path


def _mp4_without_index(path: Path) -> bool:
    """True when ``path`` starts like an mp4/mov file (an ``ftyp`` box) but holds no ``moov`` box.

    An mp4 is a list of boxes, each ``[size (4 bytes), type (4 bytes), data]``. The ``moov`` box is
    the index: where each frame lies, its time, the codec's settings. A plain mp4 writer appends it
    after the last frame, so a file cut off early (an interrupted recording, download or copy)
    keeps its frames but loses the index -- and without it no frame can be found.
    """
    size = path.stat().st_size
    with open(path, "rb") as f:
        if f.read(8)[4:8] != b"ftyp":
            return False
        pos = 0
        while pos + 8 <= size:  # walk the top-level boxes
            f.seek(pos)
            head = f.read(16)
            length, kind = int.from_bytes(head[:4], "big"), head[4:8]
            if kind == b"moov":
                return False
            if length == 1 and len(head) == 16:  # a 64-bit size follows the type
                length = int.from_bytes(head[8:16], "big")
            if length < 8:  # 0 = "to the end of the file", or garbage
                break
            pos += length
    return True


def _video_stream(container: av.container.InputContainer, path: Path) -> av.video.stream.VideoStream:
    """The file's first video stream, skipping cover pictures; audio or subtitle streams are ignored."""
    videos = [s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic]
    if not videos:
        kinds = [s.type if s.type != "video" else "video (a cover picture)" for s in container.streams]
        raise ValueError(f"{path} has no video stream (streams: {', '.join(kinds) or 'none'})")
    return videos[0]


@contextmanager
def _open_video(path: PathLike) -> Iterator[tuple[av.container.InputContainer, av.video.stream.VideoStream]]:
    """Open ``path`` and yield ``(container, video stream)``; close it afterwards."""
    path = _check_readable(path)
    try:
        container = av.open(str(path))
    except av.FFmpegError as err:
        if _mp4_without_index(path):
            raise ValueError(
                f"could not decode {path}: it is an mp4/mov file without its index (the 'moov' box, "
                "which the writer adds after the last frame), so the file was cut off -- an "
                "interrupted recording, download or copy; no frame can be found without the "
                "index: copy or export the file again"
            ) from err
        raise ValueError(f"could not decode {path}: not a video file FFmpeg can read, or corrupt ({err})") from err
    with container:
        yield container, _video_stream(container, path)


# ---------------------------------------------------------------------------
# Time stamps, decoding and seeking
# ---------------------------------------------------------------------------
# Each frame carries a presentation time stamp ``pts``: an integer in units of the stream's
# ``time_base`` (a Fraction of a second). Frame times below count from the stream's start.


def _fps(stream: av.video.stream.VideoStream) -> float | None:
    rate = stream.average_rate or stream.guessed_rate
    return float(rate) if rate else None


def _origin(stream: av.video.stream.VideoStream) -> int:
    """The pts that counts as time 0."""
    return stream.start_time if stream.start_time is not None else 0


def _seconds(pts: int, stream: av.video.stream.VideoStream) -> float:
    # Exact arithmetic (Fraction), then one rounding: 3 frames at 30 fps is exactly 0.1 s.
    return float((pts - _origin(stream)) * stream.time_base)


def _decode(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream, problems: list[str]
) -> Iterator[av.VideoFrame]:
    """Decode from where the container stands, frame by frame, in presentation order.

    A damaged stretch does not end the read: a packet cut short (the end of a truncated file) or
    one the decoder rejects is skipped, a read error stops reading; each is noted in
    ``problems``, and the frames still inside the decoder are flushed out.
    """
    try:
        for packet in container.demux(stream):
            if packet.is_corrupt:
                problems.append(f"a damaged packet near {_seconds(packet.pts or 0, stream):.2f} s")
                continue
            try:
                frames = packet.decode()  # an empty packet at the end flushes the decoder
            except av.FFmpegError as err:
                problems.append(f"a packet the decoder rejects ({err})")
                continue
            yield from frames
        return
    except av.FFmpegError as err:  # reading stopped (e.g. the bytes ran out)
        problems.append(f"reading stopped ({err})")
    try:
        yield from stream.codec_context.decode(None)  # flush what the decoder still holds
    except av.FFmpegError:
        pass


@dataclass
class _Index:
    """What the packets say, read without decoding anything (a fast pass over the file's bytes)."""

    pts: list[int]  # time stamps of the frames, sorted
    keyframes: list[int]  # time stamps of the keyframes (where decoding can start), sorted
    last_duration: int  # how long the last frame is shown, in time_base units (0: unknown)
    problems: list[str] = field(default_factory=list)


def _index(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    lo_pts: int | None = None,
    hi_pts: int | None = None,
) -> _Index | None:
    """Time stamps of the frames from ``lo_pts`` (seeking there first) up to ``hi_pts`` (or the end).

    The index may hold some frames outside ``[lo_pts, hi_pts)``. Returns ``None`` when the packets
    carry no time stamps (then the file can only be read front to back).
    """
    for attempt in ("window", "whole file"):
        if lo_pts is not None:
            try:  # to the keyframe before the window, or the very start
                container.seek(
                    lo_pts if attempt == "window" else _origin(stream), stream=stream, backward=True, any_frame=False
                )
            except av.FFmpegError:
                raise _ReadInOrder from None
        pts: list[int] = []
        keyframes: list[int] = []
        max_pts, last_duration, problems = None, 0, []
        try:
            for packet in container.demux(stream):
                if packet.size == 0:  # the end-of-stream marker
                    continue
                if packet.is_corrupt:  # cut short: the end of a truncated file
                    problems.append(f"a damaged packet near {_seconds(packet.pts or 0, stream):.2f} s")
                    continue
                if packet.pts is None:
                    return None
                if (
                    attempt == "window"
                    and lo_pts is not None
                    and not pts
                    and not (
                        packet.is_keyframe
                        and min(packet.pts, packet.dts if packet.dts is not None else packet.pts) <= lo_pts
                    )
                ):
                    break  # the seek did not land where it should: start over
                if max_pts is None or packet.pts > max_pts:
                    max_pts, last_duration = packet.pts, packet.duration or 0
                pts.append(packet.pts)
                if packet.is_keyframe:
                    keyframes.append(packet.pts)
                if hi_pts is not None and packet.dts is not None and packet.dts >= hi_pts:
                    break  # decode order: every later frame is later still
        except av.FFmpegError as err:
            problems.append(f"reading stopped ({err})")
        if pts or lo_pts is None:
            break
    pts.sort()
    keyframes.sort()
    if pts and last_duration == 0 and len(pts) > 1:  # not in the file: take the typical gap
        last_duration = int(np.median(np.diff(pts)))
    if pts and lo_pts is None and hi_pts is None:  # the whole file: compare with its header
        problems += _header_disagreements(container, stream, pts, last_duration)
    return _Index(pts, keyframes, last_duration, problems)


def _header_disagreements(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream, pts: list[int], last_duration: int
) -> list[str]:
    """Signs that a file was cut short: fewer frames, or a shorter video, than its header says."""
    out = []
    if stream.frames and len(pts) < stream.frames:
        out.append(f"its header lists {stream.frames} frames but only {len(pts)} are in the file")
    header = _header_duration(container, stream)
    end = float((pts[-1] + last_duration - pts[0]) * stream.time_base)
    if header is not None and end < header - max(0.5, 0.05 * header):
        out.append(f"its header says {header:.2f} s but the video ends after {end:.2f} s")
    return out


def _header_duration(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> float | None:
    if stream.duration is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base  # container.duration is in microseconds
    return None


def _keyframe_before(keyframes: list[int], pts: int) -> int | None:
    i = bisect.bisect_right(keyframes, pts)
    return keyframes[i - 1] if i else None


def _decode_from(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    target: int,
    keyframes: list[int],
    problems: list[str],
) -> Iterator[av.VideoFrame]:
    """Seek to the keyframe at or before ``target`` and decode forward from there."""
    seek_to = target
    for attempt in range(2):
        try:
            container.seek(seek_to, stream=stream, backward=True, any_frame=False)
        except av.FFmpegError:
            raise _ReadInOrder from None
        frames = _decode(container, stream, problems)
        first = next(frames, None)
        if first is None:
            return
        if first.pts is None:
            raise _ReadInOrder
        earlier = _keyframe_before(keyframes, first.pts - 1)
        if first.pts <= target or earlier is None or attempt == 1:
            break
        seek_to = earlier  # landed past the target: try the keyframe before
    yield first
    yield from frames


def _decode_at(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    targets: list[int],
    keyframes: list[int],
    problems: list[str],
) -> Iterator[av.VideoFrame]:
    """Yield the frames whose time stamps are in ``targets`` (sorted), in that order.

    Between two wanted frames the decoder either keeps going or, when a keyframe lies between
    them, seeks to it: the frames between are never decoded. A target that cannot be decoded is
    skipped (the caller notices).
    """
    i, jumps, position = 0, True, None
    while i < len(targets):
        landed = None
        for frame in _decode_from(container, stream, targets[i], keyframes, problems):
            if frame.pts is None:
                raise _ReadInOrder
            if landed is None:
                landed = frame.pts
                if position is not None and landed <= position:
                    jumps = False  # the seek went back, not ahead: stop jumping
            while i < len(targets) and targets[i] < frame.pts:
                i += 1  # went past it: it did not decode
            if i == len(targets):
                return
            if frame.pts == targets[i]:
                yield frame
                i += 1
                if i == len(targets):
                    return
            k = _keyframe_before(keyframes, targets[i])
            if jumps and k is not None and k > frame.pts:
                position = frame.pts
                break  # seek ahead to k instead of decoding up to it
        else:
            return  # the end of the file


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------


def _check_args(
    num_frames: int | None, every: int, start: float | None, end: float | None, size: int | Sequence[int] | None
) -> None:
    def is_int(v: object) -> bool:
        return isinstance(v, (int, np.integer)) and not isinstance(v, bool)

    def is_number(v: object) -> bool:
        return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) and math.isfinite(v)

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
            raise ValueError(
                f"expected size to be a positive int (shorter side) or a pair (H, W) of positive ints, got {size!r}"
            )


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


def _quarter_turns(frame: av.VideoFrame) -> int:
    """How many quarter turns counter-clockwise show ``frame`` upright (its rotation metadata)."""
    degrees = frame.rotation or 0
    return round(degrees / 90) % 4


def _frame_to_clip(frame: av.VideoFrame, size: int | Sequence[int] | None) -> torch.Tensor:
    """A decoded frame as ``(3, H, W)`` float32 in [0, 1]: upright, resized if ``size`` is given."""
    rgb = frame.to_ndarray(format="rgb24")  # (H, W, 3) uint8, whatever the stored format (10-bit, 4:4:4...)
    turns = _quarter_turns(frame)
    if turns:  # phone videos: stored sideways, shown rotated
        rgb = np.rot90(rgb, turns)  # counter-clockwise, as the display matrix says
    x = torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1).float().div_(255)  # (3, H, W)
    if size is not None:
        out_hw = _output_size(rgb.shape[0], rgb.shape[1], size)
        x = F.interpolate(x[None], size=out_hw, mode="bilinear", antialias=True, align_corners=False)[0].clamp_(0, 1)
    return x


def _warn_damaged(path: Path, problems: list[str], detail: str) -> None:
    if problems:
        unique = list(dict.fromkeys(problems))
        warnings.warn(
            f"{path} is truncated or damaged ({'; '.join(unique[:3])}): {detail}", DamagedVideoWarning, stacklevel=4
        )


def read_video(
    path: PathLike,
    *,
    num_frames: int | None = None,
    every: int = 1,
    start: float | None = None,
    end: float | None = None,
    size: int | tuple[int, int] | None = None,
    audio: bool = False,
):
    """Read a video file into a clip ``(C, T, H, W)`` float32 in [0, 1] (C = 3, RGB).

    Which frames, applied in this order:

    1. ``start``, ``end``: a time window in seconds, ``start <= t < end``, where ``t`` is a
       frame's presentation time counted from the video's start (``None``: from the
       beginning / to the end). Times are the file's own, so a variable-frame-rate video
       (a phone's) is cut where a player would cut it.
    2. ``every=k``: keep every k-th frame of the window, starting with its first frame
       (``k = 2`` halves the frame rate).
    3. ``num_frames=N``: pick ``N`` frames evenly spaced over what is left, first and last
       included (``torch.linspace(0, n - 1, N).round()``). If fewer than ``N`` frames are
       left, some are repeated, so the result always has ``T = N``.

    ``size``: resize every frame with ``F.interpolate(mode="bilinear", antialias=True)``;
    ``(H, W)`` gives the exact output size, an int ``s`` sets the shorter side to ``s`` and
    keeps the aspect ratio (as ``torchvision``'s ``Resize(s)``).

    How, so that a long file costs only the frames taken: first the packets' time stamps
    are read without decoding (a fast pass over the bytes of the window only) to find which
    frames are wanted; then the decoder seeks to the keyframe before each wanted frame and
    decodes forward, skipping any stretch that has a keyframe in it. Only the frames
    returned are kept in memory (one extra frame while it is converted).

    Real files: a rotated (phone) video comes back upright; any size and pixel format
    (odd sizes, 10-bit, 4:4:4) comes back as 8-bit RGB; other streams (audio) are ignored.
    A truncated or damaged file gives the frames that decode plus a
    :class:`DamagedVideoWarning` (a wanted frame that does not decode repeats its neighbour).

    ``audio=True``: also return the sound track of the same window, ``start`` (or 0) to ``end``
    (or the end of the last frame), from :func:`read_audio`.

    Returns:
        ``(3, T, H, W)`` float32 in [0, 1]; with ``audio=True`` a triple
        ``(clip, wave (channels, S) float32, audio_rate)``.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file is empty, corrupt, not a video, has no video stream or no frame
            in the window (or, with ``audio=True``, no audio stream); or an argument is invalid.
            The message names the file.
    """
    _check_args(num_frames, every, start, end, size)
    path = Path(path)
    lo = float(start) if start is not None else 0.0
    hi = float(end) if end is not None else None
    if audio:
        clip = read_video(path, num_frames=num_frames, every=every, start=start, end=end, size=size)
        if hi is None:
            hi = video_info(path)["duration"]
        wave, rate = read_audio(path, start=lo, end=hi)
        return clip, wave, rate
    try:
        with _open_video(path) as (container, stream):
            try:
                return _read_by_time_stamps(container, stream, path, lo, hi, every, num_frames, size)
            except _ReadInOrder:
                pass
        return _read_in_order(path, lo, hi, every, num_frames, size)
    except av.FFmpegError as err:  # anything FFmpeg did not like, named with the file
        raise ValueError(f"could not decode {path}: {err}") from err


def _read_by_time_stamps(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    path: Path,
    lo: float,
    hi: float | None,
    every: int,
    num_frames: int | None,
    size: int | Sequence[int] | None,
) -> torch.Tensor:
    """:func:`read_video` for files whose packets carry time stamps (nearly all): index, then seek."""
    tb = stream.time_base
    lo_pts = _origin(stream) + math.floor(Fraction(lo) / tb) if lo > 0 else None
    hi_pts = _origin(stream) + math.ceil(Fraction(hi) / tb) if hi is not None else None
    index = _index(container, stream, lo_pts, hi_pts)
    if index is None:
        raise _ReadInOrder
    window = [p for p in index.pts if lo <= _seconds(p, stream) and (hi is None or _seconds(p, stream) < hi)]
    window = window[::every]
    if not window:
        if index.problems:
            raise ValueError(f"could not decode any frame of {path}: {'; '.join(index.problems[:3])}")
        raise _no_frames(path, lo if lo > 0 else None, hi)
    chosen = window if num_frames is None else [window[j] for j in _evenly_spaced(len(window), num_frames)]
    slots: dict[int, list[int]] = {}  # pts -> positions in the clip (repeats when N > count)
    for j, p in enumerate(chosen):
        slots.setdefault(p, []).append(j)

    problems = list(index.problems)
    clip: torch.Tensor | None = None  # (3, T, H, W), allocated at the first frame
    done: set[int] = set()
    for frame in _decode_at(container, stream, sorted(slots), index.keyframes, problems):
        x = _frame_to_clip(frame, size)  # (3, H, W)
        if clip is None:
            clip = torch.empty((3, len(chosen)) + tuple(x.shape[1:]), dtype=torch.float32)
        elif x.shape[1:] != clip.shape[2:]:  # the stream changed size mid-way: match the first frame
            x = F.interpolate(x[None], size=tuple(clip.shape[2:]), mode="bilinear", antialias=True)[0].clamp_(0, 1)
        for j in slots[frame.pts]:
            clip[:, j] = x
        done.add(frame.pts)
    missing = len(slots) - len(done)
    if missing and not problems:
        raise _ReadInOrder  # time stamps and frames disagree: read front to back
    if clip is None:
        raise ValueError(f"could not decode any frame of {path}: {'; '.join(problems[:3]) or 'no frame decoded'}")
    if missing:  # damaged: each lost frame repeats its nearest decoded one
        have = sorted(done)
        for p in set(slots) - set(done):
            k = min(bisect.bisect_left(have, p), len(have) - 1)
            near = have[k] if k == 0 or abs(have[k] - p) < abs(have[k - 1] - p) else have[k - 1]
            for j in slots[p]:
                clip[:, j] = clip[:, slots[near][0]]
    _warn_damaged(
        path,
        problems,
        f"returning the {len(done)} wanted frames that decode"
        + (f"; {missing} that do not repeat their neighbours" if missing else ""),
    )
    return clip


def _read_in_order(
    path: Path, lo: float, hi: float | None, every: int, num_frames: int | None, size: int | Sequence[int] | None
) -> torch.Tensor:
    """:func:`read_video` for files without usable time stamps: decode from the start, counting frames.

    With ``num_frames`` the window is decoded twice (the first pass only counts).
    """
    problems: list[str] = []

    def window() -> Iterator[av.VideoFrame]:
        with _open_video(path) as (container, stream):
            fps = _fps(stream) or 1.0
            kept = 0
            for i, frame in enumerate(_decode(container, stream, problems)):
                t = _seconds(frame.pts, stream) if frame.pts is not None else i / fps
                if t < lo:
                    continue
                if hi is not None and t >= hi:
                    break
                if kept % every == 0:
                    yield frame
                kept += 1

    wanted: dict[int, int] | None = None  # index in the window -> how many copies
    if num_frames is not None:
        count = sum(1 for _ in window())
        if count == 0:
            raise _no_frames(path, lo if lo > 0 else None, hi)
        wanted = {}
        for j in _evenly_spaced(count, num_frames):
            wanted[j] = wanted.get(j, 0) + 1
    pieces: list[torch.Tensor] = []  # each (3, 1, H, W)
    for j, frame in enumerate(window()):
        if wanted is not None and j not in wanted:
            continue
        pieces.extend([_frame_to_clip(frame, size)[:, None]] * (wanted[j] if wanted is not None else 1))
        if wanted is not None and len(pieces) == num_frames:
            break
    if not pieces:
        raise _no_frames(path, lo if lo > 0 else None, hi)
    _warn_damaged(path, problems, f"returning the {len(pieces)} frames that decode")
    return torch.cat(pieces, dim=1).contiguous()  # (3, T, H, W)


def _no_frames(path: Path, start: float | None, end: float | None) -> ValueError:
    if start is None and end is None:
        return ValueError(f"could not decode any frame of {path}")
    return ValueError(
        f"no frame of {path} falls in the window start={start!r} s, end={end!r} s (see video_info(path)['duration'])"
    )


def read_audio(path: PathLike, *, start: float | None = None, end: float | None = None) -> tuple[torch.Tensor, int]:
    """Read a file's sound track: ``(wave (channels, S) float32, rate)``, on the video's clock.

    Time 0 is the video's first frame (as for :func:`read_video`'s ``start``/``end``), so sample ``j``
    of the result plays at ``start + j / rate`` seconds, together with the frame shown then. Samples
    are placed by their time stamps, not counted from the start of the track: the silence an AAC
    encoder adds in front (priming) and the padding at the end fall outside ``[start, end)``. Parts
    of the window the track does not cover (before it starts, after it ends) are zeros; ``end=None``
    reads to the end of the track. Channels stay separate (a stereo file gives 2 rows).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: no audio stream, a damaged file, or ``start``/``end`` not numbers with ``start < end``.
    """
    path = _check_readable(path)
    lo = 0.0 if start is None else start
    for name, value in (("start", lo), ("end", end)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0
        ):
            raise ValueError(f"expected {name} as a number of seconds >= 0, got {value!r}")
    if end is not None and end <= lo:
        raise ValueError(f"expected start < end, got start={lo}, end={end}")
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                kinds = [s.type for s in container.streams]
                raise ValueError(f"{path} has no audio stream (its streams: {kinds or 'none'})")
            stream = container.streams.audio[0]
            videos = container.streams.video
            if videos and videos[0].start_time is not None:  # the video's clock: time 0 = first frame
                origin = float(videos[0].start_time * videos[0].time_base)
            else:
                origin = float((stream.start_time or 0) * stream.time_base)
            rate = int(stream.rate or stream.codec_context.sample_rate)
            first = int(math.floor(lo * rate))  # sample index (on the video clock) of row 0
            pieces: list[tuple[int, np.ndarray]] = []
            channels, last = 1, first
            resampler = av.AudioResampler(format="fltp")  # planar float, same layout and rate
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    data = out.to_ndarray().astype(np.float32)  # (channels, n)
                    at = (
                        int(round(float(out.pts * out.time_base) * rate - origin * rate))
                        if out.pts is not None
                        else last
                    )
                    channels, last = data.shape[0], at + data.shape[1]
                    if at + data.shape[1] > first and (end is None or at < end * rate):
                        pieces.append((at, data))
    except av.FFmpegError as err:
        raise ValueError(f"could not decode the audio of {path}: {err}") from err
    stop = int(math.ceil(end * rate)) if end is not None else max([first] + [a + d.shape[1] for a, d in pieces])
    wave = np.zeros((channels, max(0, stop - first)), np.float32)
    for at, data in pieces:  # paste each block where its time stamp says
        a, b = max(at, first), min(at + data.shape[1], stop)
        if b > a:
            wave[:, a - first : b - first] = data[:, a - at : b - at]
    return torch.from_numpy(wave), rate


# ---------------------------------------------------------------------------
# Information
# ---------------------------------------------------------------------------


def video_info(path: PathLike, *, exact: bool = False) -> dict:
    """What a video file holds, measured from its frames' time stamps, not taken from its header.

    A header's frame count, frame rate and duration are claims: phones record at a variable
    frame rate, files get cut short, some containers (mkv, webm) do not say at all. So:

    * ``exact=False`` (default, fast): read every packet's time stamp without decoding (a pass
      over the file's bytes; milliseconds for a minute of HD) -- one packet is one frame, so this
      is exact unless a packet is damaged, and then a :class:`DamagedVideoWarning` says so;
    * ``exact=True``: decode every frame and count them (as slow as reading the whole video).

    Returns a dict with:

    * ``num_frames``: how many frames there are -- ``T`` of ``read_video(path)``;
    * ``duration``: seconds from the first frame's start to the last frame's end;
    * ``fps``: ``num_frames / duration``, the average frame rate;
    * ``variable_frame_rate``: ``True`` when the gaps between frames differ (by > 5%);
    * ``counted_by``: ``"packets"`` or ``"decoding"`` -- how the three numbers above were found;
    * ``header``: ``{"num_frames", "fps", "duration"}`` as the file's header states them
      (``None`` where it is silent), to compare;
    * ``width``, ``height``: the frame size ``W``, ``H`` that :func:`read_video` returns
      (upright: after ``rotation``);
    * ``rotation``: the quarter turns (in degrees, counter-clockwise) the file asks players to
      apply -- phones store portrait video sideways; :func:`read_video` applies it;
    * ``codec``, ``pix_fmt``: e.g. ``"h264"``, ``"yuv420p"`` (``"yuv420p10le"`` is 10-bit);
    * ``streams``: the kinds of all streams in the file, in order, e.g. ``["audio", "video"]``;
    * ``damaged``: ``None``, or what is wrong with a truncated or damaged file.

    Raises:
        FileNotFoundError, ValueError: as :func:`read_video`.
    """
    try:
        return _video_info(Path(path), exact)
    except av.FFmpegError as err:  # anything FFmpeg did not like, named with the file
        raise ValueError(f"could not decode {path}: {err}") from err


def _video_info(path: Path, exact: bool) -> dict:
    problems: list[str] = []
    with _open_video(path) as (container, stream):
        header = {
            "num_frames": stream.frames or None,
            "fps": _fps(stream),
            "duration": _header_duration(container, stream),
        }
        first = None
        if exact:
            pts, last_duration = [], 0
            for frame in _decode(container, stream, problems):
                first = first or frame
                if frame.pts is None:
                    raise ValueError(f"{path}: its frames carry no time stamps, so their times are unknown")
                if not pts or frame.pts > pts[-1]:
                    last_duration = frame.duration or 0
                pts.append(frame.pts)
            pts.sort()
            if len(pts) > 1 and not last_duration:
                last_duration = int(np.median(np.diff(pts)))
            if pts:
                problems += _header_disagreements(container, stream, pts, last_duration)
        else:
            index = _index(container, stream)
            if index is None:  # no time stamps in the packets: count by decoding
                return _video_info(path, exact=True)
            pts, last_duration, problems = index.pts, index.last_duration, index.problems
            with _open_video(path) as (again, its_stream):  # the first frame tells the rotation
                first = next(_decode(again, its_stream, problems), None)
        if first is None or not pts:
            raise ValueError(
                f"could not decode any frame of {path}" + (f": {'; '.join(problems[:3])}" if problems else "")
            )
        if last_duration == 0 and header["fps"]:  # a single frame: the header's rate is all there is
            last_duration = round(1 / (header["fps"] * stream.time_base))
        duration = (pts[-1] + last_duration - pts[0]) * stream.time_base  # a Fraction of a second
        gaps = np.diff(pts)
        turns = _quarter_turns(first)
        width, height = (first.height, first.width) if turns % 2 else (first.width, first.height)
        info = {
            "fps": float(len(pts) / duration) if duration > 0 else None,
            "num_frames": len(pts),
            "duration": float(duration),
            "variable_frame_rate": bool(len(gaps) > 1 and gaps.max() - gaps.min() > 0.05 * np.median(gaps)),
            "counted_by": "decoding" if exact else "packets",
            "header": header,
            "width": width,
            "height": height,
            "rotation": 90 * turns,
            "codec": stream.codec_context.name,
            "pix_fmt": stream.codec_context.pix_fmt,
            "streams": [s.type for s in container.streams],
            "damaged": "; ".join(dict.fromkeys(problems)) or None,
        }
    _warn_damaged(path, problems, f"{info['num_frames']} frames can be read")
    return info


# ---------------------------------------------------------------------------
# Sample videos shipped with vulib
# ---------------------------------------------------------------------------

#: Real clips installed with vulib (in ``vulib/media``; sources and licences in ``vulib/media/NOTICE``).
SAMPLE_VIDEOS = {
    "bunny": "bunny.mp4",  # Big Buck Bunny (Blender Foundation, CC-BY 3.0): 5.28 s, 320x180, 25 fps
}


def sample_video(name: str = "bunny") -> Path:
    """The installed path of a real sample clip, e.g. ``read_video(sample_video())``.

    ``"bunny"``: 132 frames (5.28 s at 25 fps, 320x180, H.264, no audio) from the Blender
    Foundation's *Big Buck Bunny* (CC-BY 3.0, www.bigbuckbunny.org) -- a static camera, a large
    character waking up and moving, grass and trees. See ``vulib/media/NOTICE`` for the licence
    and exactly how the excerpt was made.

    Raises:
        ValueError: ``name`` is not one of :data:`SAMPLE_VIDEOS` (the message lists them).
        FileNotFoundError: the file is missing from the installation.
    """
    if not isinstance(name, str) or name not in SAMPLE_VIDEOS:
        raise ValueError(f"no sample video called {name!r}; the sample videos are: {', '.join(sorted(SAMPLE_VIDEOS))}")
    path = Path(__file__).resolve().parent / "media" / SAMPLE_VIDEOS[name]
    if not path.is_file():
        raise FileNotFoundError(
            f"sample video {name!r} is missing from this installation ({path}); reinstall vulib (pip install -e .)"
        )
    return path
