"""Tests for vulib.io: write real mp4 files with write_video, read them back with read_video.

Every video here is small (20 frames of 32x48) and made on the fly, so the file runs in a
few seconds. H.264 is lossy, so pixel checks compare with a tolerance; frame selection
(every, num_frames, start/end) is checked *exactly* against slices of the full read,
since decoding the same file twice gives identical frames.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from vulib.io import read_video, video_info, write_video

C, T, H, W = 3, 20, 32, 48
FPS = 8.0
SQUARE = 8  # side of the bright square, in pixels
STEP = 2  # it moves this many pixels right per frame


def square_x(t: int) -> int:
    """Left edge of the square in frame t."""
    return STEP * t


def make_clip() -> torch.Tensor:
    """(3, 20, 32, 48) float in [0, 1]: a white square moving right over a dark, smooth gradient."""
    ys = torch.linspace(0, 1, H)[:, None].expand(H, W)
    xs = torch.linspace(0, 1, W)[None, :].expand(H, W)
    background = torch.stack([0.1 + 0.3 * xs, 0.1 + 0.3 * ys, torch.full((H, W), 0.2)])  # (3, H, W)
    clip = background[:, None].repeat(1, T, 1, 1)  # (3, T, H, W)
    for t in range(T):
        clip[:, t, 12 : 12 + SQUARE, square_x(t) : square_x(t) + SQUARE] = 1.0
    return clip


def square_centre_x(clip: torch.Tensor) -> torch.Tensor:
    """Per frame, the mean x of the bright pixels (brightness > 0.7): shape (T,)."""
    bright = (clip.mean(0) > 0.7).float()  # (T, H, W)
    xs = torch.arange(clip.shape[-1], dtype=torch.float32)
    return (bright.sum(1) * xs).sum(-1) / bright.sum((1, 2))


@pytest.fixture(scope="module")
def clip() -> torch.Tensor:
    return make_clip()


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory, clip: torch.Tensor) -> Path:
    """The clip written once, shared by the read-only tests below."""
    return write_video(tmp_path_factory.mktemp("io") / "square.mp4", clip, fps=FPS)


@pytest.fixture(scope="module")
def full(video: Path) -> torch.Tensor:
    """The whole video read back: (3, 20, 32, 48)."""
    return read_video(video)


# --- round trip -----------------------------------------------------------------------


def test_write_returns_path_of_nonempty_mp4(video: Path) -> None:
    assert isinstance(video, Path)
    assert video.suffix == ".mp4" and video.stat().st_size > 0


def test_read_shape_dtype_range(full: torch.Tensor) -> None:
    assert full.shape == (C, T, H, W)
    assert full.dtype == torch.float32
    assert 0.0 <= float(full.min()) and float(full.max()) <= 1.0


def test_round_trip_pixels_close(full: torch.Tensor, clip: torch.Tensor) -> None:
    err = (full - clip).abs()
    assert float(err.mean()) < 0.02, float(err.mean())
    # The smooth background (far from the square) comes back even closer.
    assert float(err[:, :, :8].mean()) < 0.01


def test_round_trip_preserves_motion(full: torch.Tensor, clip: torch.Tensor) -> None:
    want = torch.tensor([square_x(t) + (SQUARE - 1) / 2 for t in range(T)])
    assert torch.allclose(square_centre_x(clip), want)
    assert torch.allclose(square_centre_x(full), want, atol=0.5)


def test_reading_twice_gives_identical_frames(video: Path, full: torch.Tensor) -> None:
    assert torch.equal(read_video(video), full)


def test_video_info(video: Path) -> None:
    info = video_info(video)
    assert info["fps"] == pytest.approx(FPS)
    assert info["num_frames"] == T
    assert info["duration"] == pytest.approx(T / FPS)
    assert (info["height"], info["width"]) == (H, W)
    assert info["codec"] == "h264"


def test_fractional_fps(tmp_path: Path, clip: torch.Tensor) -> None:
    path = write_video(tmp_path / "slow.mp4", clip[:, :6], fps=7.5)
    info = video_info(path)
    assert info["fps"] == pytest.approx(7.5)
    assert info["num_frames"] == 6
    assert info["duration"] == pytest.approx(6 / 7.5)


# --- other inputs to write_video -----------------------------------------------------


@pytest.mark.parametrize("as_numpy", [True, False])
def test_uint8_thwc_input(tmp_path: Path, clip: torch.Tensor, as_numpy: bool) -> None:
    frames = clip.permute(1, 2, 3, 0).mul(255).round().to(torch.uint8)  # (T, H, W, C) uint8
    path = write_video(tmp_path / "frames.mp4", frames.numpy() if as_numpy else frames, fps=FPS)
    back = read_video(path)  # (C, T, H, W) float
    assert back.shape == (C, T, H, W)
    assert float((back - frames.permute(3, 0, 1, 2).float() / 255).abs().mean()) < 0.02


def test_grey_clip_comes_back_as_three_equal_channels(tmp_path: Path, clip: torch.Tensor) -> None:
    grey = clip.mean(0, keepdim=True)  # (1, T, H, W)
    back = read_video(write_video(tmp_path / "grey.mp4", grey))
    assert back.shape == (3, T, H, W)
    assert float((back - grey).abs().mean()) < 0.02
    assert float((back[0] - back[2]).abs().max()) < 0.05


# --- choosing frames -------------------------------------------------------------------


@pytest.mark.parametrize("every", [1, 2, 3, 25])
def test_every(video: Path, full: torch.Tensor, every: int) -> None:
    x = read_video(video, every=every)
    assert torch.equal(x, full[:, ::every])


def test_num_frames_evenly_spaced(video: Path, full: torch.Tensor) -> None:
    x = read_video(video, num_frames=5)
    assert torch.equal(x, full[:, [0, 5, 10, 14, 19]])  # round(linspace(0, 19, 5))
    assert torch.equal(read_video(video, num_frames=1), full[:, :1])
    assert torch.equal(read_video(video, num_frames=T), full)


def test_num_frames_more_than_video_repeats_frames(video: Path, full: torch.Tensor) -> None:
    x = read_video(video, num_frames=2 * T)
    assert x.shape == (C, 2 * T, H, W)
    assert torch.equal(x[:, 0], full[:, 0]) and torch.equal(x[:, -1], full[:, -1])
    # Every frame of the video appears, in order.
    idx = torch.linspace(0, T - 1, 2 * T).round().long()
    assert torch.equal(x, full[:, idx])


def test_time_window(video: Path, full: torch.Tensor) -> None:
    # At 8 fps frame t is shown at t / 8 s; the window is start <= time < end.
    assert torch.equal(read_video(video, start=0.5, end=1.0), full[:, 4:8])
    assert torch.equal(read_video(video, start=2.0), full[:, 16:])
    assert torch.equal(read_video(video, end=0.25), full[:, :2])
    assert torch.equal(read_video(video, start=0.3, end=0.4), full[:, 3:4])


def test_window_then_every_then_num_frames(video: Path, full: torch.Tensor) -> None:
    window = full[:, 4:18]  # start=0.5 s, end=2.25 s
    assert torch.equal(read_video(video, start=0.5, end=2.25, every=2), window[:, ::2])
    x = read_video(video, start=0.5, end=2.25, every=2, num_frames=3)
    assert torch.equal(x, window[:, ::2][:, [0, 3, 6]])


def test_window_with_no_frames(video: Path) -> None:
    with pytest.raises(ValueError, match="no frame"):
        read_video(video, start=10.0)
    with pytest.raises(ValueError, match="no frame"):
        read_video(video, start=10.0, num_frames=4)


# --- resizing --------------------------------------------------------------------------


def test_size_pair(video: Path, full: torch.Tensor) -> None:
    x = read_video(video, size=(16, 24))
    assert x.shape == (C, T, 16, 24)
    want = F.interpolate(full.permute(1, 0, 2, 3), size=(16, 24), mode="bilinear", antialias=True)
    assert torch.allclose(x, want.permute(1, 0, 2, 3).clamp(0, 1), atol=1e-5)


def test_size_int_sets_shorter_side(video: Path) -> None:
    assert read_video(video, size=16).shape == (C, T, 16, 24)
    assert read_video(video, size=64, num_frames=2).shape == (C, 2, 64, 96)


def test_resizing_keeps_motion(video: Path) -> None:
    x = read_video(video, size=(16, 24))  # half size: the square moves 1 px/frame
    want = torch.tensor([(square_x(t) + (SQUARE - 1) / 2) / 2 - 0.25 for t in range(T)])
    assert torch.allclose(square_centre_x(x), want, atol=0.5)


# --- errors when reading -------------------------------------------------------------


@pytest.mark.parametrize("reader", [read_video, video_info])
def test_missing_file(tmp_path: Path, reader) -> None:
    with pytest.raises(FileNotFoundError, match="nothere.mp4"):
        reader(tmp_path / "nothere.mp4")


@pytest.mark.parametrize("reader", [read_video, video_info])
def test_empty_file(tmp_path: Path, reader) -> None:
    path = tmp_path / "empty.mp4"
    path.touch()
    with pytest.raises(ValueError, match="is empty"):
        reader(path)


@pytest.mark.parametrize("reader", [read_video, video_info])
def test_random_bytes(tmp_path: Path, reader) -> None:
    path = tmp_path / "noise.mp4"
    path.write_bytes(np.random.default_rng(0).bytes(4000))
    with pytest.raises(ValueError, match="could not decode"):
        reader(path)


def test_truncated_mp4(tmp_path: Path, video: Path) -> None:
    # An mp4 written in one go keeps its index (the 'moov' box) at the end: cut it off.
    data = video.read_bytes()
    path = tmp_path / "cut.mp4"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="could not decode"):
        read_video(path)


def test_text_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_text("not a video\n" * 50)
    with pytest.raises(ValueError, match="could not decode"):
        read_video(path)


@pytest.mark.parametrize("reader", [read_video, video_info])
def test_audio_only_file_has_no_video_stream(tmp_path: Path, reader) -> None:
    path = tmp_path / "beep.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(np.zeros(800, np.int16).tobytes())
    with pytest.raises(ValueError, match="no video stream"):
        reader(path)


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a file"):
        read_video(tmp_path)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(every=0), "every"),
        (dict(every=1.5), "every"),
        (dict(num_frames=0), "num_frames"),
        (dict(num_frames=2.0), "num_frames"),
        (dict(start=-1.0), "start"),
        (dict(end=0), "end"),
        (dict(start=1.0, end=0.5), "end > start"),
        (dict(start=float("nan")), "start"),
        (dict(size=0), "size"),
        (dict(size=(16,)), "size"),
        (dict(size=(16, 24, 3)), "size"),
        (dict(size=16.0), "size"),
    ],
)
def test_bad_read_arguments(video: Path, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        read_video(video, **kwargs)


# --- errors when writing -------------------------------------------------------------


@pytest.mark.parametrize(
    "bad, match",
    [
        (torch.rand(C, T, H), r"got shape \(3, 20, 32\)"),  # 3-D
        (torch.rand(T, H, W, C), r"looks like \(T, H, W, C\)"),  # float, channels last
        (torch.zeros(C, T, H, W, dtype=torch.uint8), r"looks like \(C, T, H, W\)"),  # uint8, channels first
        (torch.rand(5, T, H, W), r"C in \(1, 3\)"),  # 5 channels
        (torch.zeros(T, H, W, C, dtype=torch.int64), "dtype torch.int64"),
        (np.zeros((T, H, W, C), np.float32), "dtype uint8"),  # float NumPy array
        (torch.rand(C, T, H, W) * 255, "0-255"),  # wrong scale
        (torch.rand(C, 0, H, W), "non-empty"),  # no frames
        ([[0.5]], "got list"),
        (torch.rand(C, T, 31, W), "even frame sizes, got 31x48"),
        (torch.zeros(T, H, 47, C, dtype=torch.uint8), "even frame sizes, got 32x47"),
    ],
)
def test_write_rejects_bad_clips(tmp_path: Path, bad, match: str) -> None:
    path = tmp_path / "bad.mp4"
    with pytest.raises(ValueError, match=match):
        write_video(path, bad)
    assert not path.exists()


@pytest.mark.parametrize("fps", [0, -8, float("inf"), "8"])
def test_write_rejects_bad_fps(tmp_path: Path, clip: torch.Tensor, fps) -> None:
    with pytest.raises(ValueError, match="fps"):
        write_video(tmp_path / "x.mp4", clip, fps=fps)


def test_write_into_missing_folder(tmp_path: Path, clip: torch.Tensor) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_video(tmp_path / "nowhere" / "x.mp4", clip)


def test_write_unknown_codec_leaves_no_file(tmp_path: Path, clip: torch.Tensor) -> None:
    path = tmp_path / "x.mp4"
    with pytest.raises(ValueError, match="could not write"):
        write_video(path, clip, codec="no-such-codec")
    assert not path.exists()


def test_write_without_suffix(tmp_path: Path, clip: torch.Tensor) -> None:
    with pytest.raises(ValueError, match="suffix"):
        write_video(tmp_path / "clip", clip)
