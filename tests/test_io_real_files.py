"""vulib.io on the files learners bring: long, odd and damaged. Every file is written (or cut)
here, with PyAV directly where vulib's writer would not make it (free time stamps, rotation
metadata, 10-bit, 4:4:4, odd sizes, an audio stream first, keyframes every few frames).

Frame t of each test video shows a grey band on its left whose brightness encodes t, so a
test can tell *which* frames it got back (:func:`frame_ids`), not just how many.
"""

from __future__ import annotations

import threading
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import psutil
import pytest
import torch

import vulib.io as vio
from vulib.io import DamagedVideoWarning, read_video, sample_video, video_info

LEVEL0, LEVEL_STEP, BAND = 16, 6, 16  # frame t's band has grey level 16 + 6 t (t < 40)


def numbered_frames(T: int, H: int, W: int) -> np.ndarray:
    """(T, H, W, 3) uint8: a textured background, a square moving right, and the frame-number band."""
    ys, xs = np.mgrid[0:H, 0:W]
    background = np.stack([60 + 40 * np.sin(xs / 9.0), 90 + 40 * np.sin(ys / 7.0), 120 + 0 * xs], -1)
    frames = np.repeat(background[None], T, 0)
    for t in range(T):
        x0 = BAND + (3 * t) % max(1, W - BAND - 24)
        frames[t, H // 3 : H // 3 + 20, x0 : x0 + 20] = 230
        frames[t, :, :BAND] = LEVEL0 + LEVEL_STEP * t
    return frames.clip(0, 255).astype(np.uint8)


def frame_ids(clip: torch.Tensor) -> list[int]:
    """Which frame each of ``clip``'s frames ``(3, T, H, W)`` is, read from the band."""
    band = clip[..., 2 : BAND - 2].mean(dim=(0, 2, 3)) * 255  # (T,)
    return ((band - LEVEL0) / LEVEL_STEP).round().long().tolist()


def write_frames(
    path: Path,
    frames: np.ndarray,
    *,
    fps: float = 25,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    options: dict | None = None,
    times_ms: list[int] | None = None,
    rotation: int | None = None,
    audio_first: bool = False,
    container_options: dict | None = None,
) -> Path:
    """Write frames (T, H, W, 3) uint8 with PyAV, with the knobs vulib's writer does not expose."""
    with av.open(str(path), "w", options=container_options or {}) as c:
        if audio_first:
            audio = c.add_stream("aac", rate=16000)
            audio.layout = "mono"
        stream = c.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], pix_fmt
        stream.options = {"crf": "18", **(options or {})} if codec == "libx264" else (options or {})
        if times_ms is not None:
            stream.codec_context.time_base = Fraction(1, 1000)
        if rotation is not None:
            stream.set_display_rotation(rotation)
        for t, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            if times_ms is not None:
                frame.pts, frame.time_base = times_ms[t], Fraction(1, 1000)
            for packet in stream.encode(frame):
                c.mux(packet)
        for packet in stream.encode():
            c.mux(packet)
        if audio_first:  # a second of a 440 Hz tone
            wave = (0.3 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000)).astype(np.float32)
            sound = av.AudioFrame.from_ndarray(wave[None], format="flt", layout="mono")
            sound.sample_rate = 16000
            for packet in audio.encode(sound):
                c.mux(packet)
            for packet in audio.encode():
                c.mux(packet)
    return path


# Keyframes every 10 frames and B-frames: seeking and decode order both matter.
SEEKABLE = dict(g="10", bf="2", sc_threshold="0")


@pytest.fixture(scope="module")
def gop_video(tmp_path_factory) -> Path:
    """40 frames (1.6 s at 25 fps), 64x96, a keyframe every 10 frames, B-frames."""
    return write_frames(tmp_path_factory.mktemp("gop") / "gop.mp4", numbered_frames(40, 64, 96), options=SEEKABLE)


@pytest.fixture(scope="module")
def gop_full(gop_video: Path) -> torch.Tensor:
    return read_video(gop_video)


# --- seeking -----------------------------------------------------------------------------


def test_frames_are_numbered(gop_full: torch.Tensor) -> None:
    assert frame_ids(gop_full) == list(range(40))


@pytest.mark.parametrize(
    "kwargs, want",
    [
        (dict(start=0.8, end=1.0), slice(20, 25)),  # a window starting on a keyframe
        (dict(start=0.52, end=0.68), slice(13, 17)),  # one starting between keyframes
        (dict(start=1.5), slice(38, 40)),
        (dict(start=0.3, end=1.3, every=3), slice(8, 33, 3)),
    ],
)
def test_seeking_gives_exactly_the_frames_of_a_full_read(gop_video, gop_full, kwargs, want) -> None:
    assert torch.equal(read_video(gop_video, **kwargs), gop_full[:, want])


def test_seeking_num_frames_matches_a_full_read(gop_video, gop_full) -> None:
    for n in (1, 4, 7, 40, 50):
        idx = torch.linspace(0, 39, n).round().long()
        assert torch.equal(read_video(gop_video, num_frames=n), gop_full[:, idx]), n
    assert frame_ids(read_video(gop_video, start=0.4, end=1.2, num_frames=3)) == [10, 20, 29]


def count_decoded(monkeypatch) -> list[int]:
    """Patch vulib.io's decoder so every decoded frame's pts is recorded in the returned list."""
    seen: list[int] = []
    decode = vio._decode

    def counting(*args, **kwargs):
        for frame in decode(*args, **kwargs):
            seen.append(frame.pts)
            yield frame

    monkeypatch.setattr(vio, "_decode", counting)
    return seen


def test_a_short_window_decodes_only_its_group_of_pictures(gop_video, monkeypatch) -> None:
    seen = count_decoded(monkeypatch)
    x = read_video(gop_video, start=1.24, end=1.36)  # frames 31..33
    assert frame_ids(x) == [31, 32, 33]
    assert len(seen) <= 10, f"decoded {len(seen)} frames for 3 (keyframe at 30)"


def test_evenly_spread_frames_skip_what_lies_between(gop_video, monkeypatch) -> None:
    seen = count_decoded(monkeypatch)
    x = read_video(gop_video, num_frames=4)  # frames 0, 13, 26, 39
    assert frame_ids(x) == [0, 13, 26, 39]
    # From keyframes 0, 10, 20, 30: 1 + 4 + 7 + 10 frames at most, not 40 (let alone 80).
    assert len(seen) <= 22, len(seen)


def peak_memory_growth(fn):
    """``(fn(), how far this process's resident memory rose above its start while fn ran)``."""
    proc = psutil.Process()
    before = proc.memory_info().rss
    top, stop = [before], threading.Event()

    def watch() -> None:
        while not stop.is_set():
            top[0] = max(top[0], proc.memory_info().rss)
            time.sleep(0.002)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        out = fn()
    finally:
        stop.set()
        watcher.join()
    return out, max(top[0], proc.memory_info().rss) - before


def test_memory_is_bounded_by_the_frames_returned(tmp_path: Path) -> None:
    """240 frames of 720p: 660 MB decoded (2.7 GB as float); reading 8 of them must cost about 8."""
    T, H, W = 240, 720, 1280
    path = tmp_path / "long720.mp4"
    with av.open(str(path), "w") as c:  # flat frames: quick to encode
        s = c.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = W, H, "yuv420p"
        s.options = {"preset": "ultrafast", "g": "60"}
        yuv = np.full((H * 3 // 2, W), 128, np.uint8)  # Y plane then the U and V planes
        yuv[:H] = 60
        for t in range(T):
            f = yuv.copy()
            f[300:364, 4 * t : 4 * t + 64] = 235
            for packet in s.encode(av.VideoFrame.from_ndarray(f, format="yuv420p")):
                c.mux(packet)
        for packet in s.encode():
            c.mux(packet)
    read_video(path, num_frames=1)  # warm up the decoder's buffers
    for kwargs in (dict(num_frames=8), dict(start=4.0, end=4.32)):
        x, grew = peak_memory_growth(lambda: read_video(path, **kwargs))
        returned = x.numel() * 4
        assert x.shape == (3, 8, H, W)  # 84 MB
        del x
        assert grew < returned + 64 * 2**20, (
            f"{kwargs}: memory grew {grew / 2**20:.0f} MB for {returned / 2**20:.0f} MB"
        )


# --- honest metadata ------------------------------------------------------------------------

VFR_MS = [0, 40, 80, 120, 160, 400, 440, 480, 720, 760, 1000, 1040, 1080, 1120, 1500]


@pytest.fixture(scope="module")
def vfr_video(tmp_path_factory) -> Path:
    """15 frames at irregular times (a stall at 0.16-0.40 s, a pause before 1.5 s)."""
    return write_frames(tmp_path_factory.mktemp("vfr") / "vfr.mp4", numbered_frames(15, 64, 96), times_ms=VFR_MS)


def test_variable_frame_rate_info_comes_from_the_frames(vfr_video: Path) -> None:
    info = video_info(vfr_video)
    assert info["num_frames"] == 15 and info["counted_by"] == "packets"
    assert info["variable_frame_rate"] is True
    assert info["duration"] == pytest.approx(1.54)  # last frame at 1.5 s, shown 40 ms
    assert info["fps"] == pytest.approx(15 / 1.54)
    # The header's claims differ, and are shown apart, labelled as the header's.
    assert info["header"]["fps"] != pytest.approx(info["fps"], rel=0.05)
    exact = video_info(vfr_video, exact=True)
    assert exact["counted_by"] == "decoding"
    assert {k: exact[k] for k in ("num_frames", "duration", "fps")} == {
        k: info[k] for k in ("num_frames", "duration", "fps")
    }


def test_variable_frame_rate_windows_use_real_times(vfr_video: Path) -> None:
    times = np.array(VFR_MS) / 1000
    for start, end in [(0.3, 0.9), (0.1, 0.45), (1.1, 2.0)]:
        want = [t for t, s in enumerate(times) if start <= s < end]
        assert frame_ids(read_video(vfr_video, start=start, end=end)) == want, (start, end)
    with pytest.raises(ValueError, match="no frame"):
        read_video(vfr_video, start=0.2, end=0.35)  # the stall: no frame there


def test_constant_rate_info(gop_video: Path) -> None:
    info = video_info(gop_video)
    assert (info["num_frames"], info["fps"], info["duration"]) == (40, 25.0, 1.6)
    assert info["variable_frame_rate"] is False and info["damaged"] is None
    assert info["header"] == {"num_frames": 40, "fps": 25.0, "duration": 1.6}


def test_mkv_without_a_frame_count_is_counted(tmp_path: Path) -> None:
    path = write_frames(tmp_path / "clip.mkv", numbered_frames(12, 64, 96))
    info = video_info(path)
    assert info["header"]["num_frames"] is None  # Matroska does not store it
    assert info["num_frames"] == 12 and info["fps"] == pytest.approx(25.0)
    assert frame_ids(read_video(path, num_frames=3)) == [0, 6, 11]


# --- odd files --------------------------------------------------------------------------------


def test_rotation_metadata_is_applied(tmp_path: Path) -> None:
    frames = numbered_frames(6, 64, 96)
    frames[:, :8, -8:] = 255  # a white mark in the stored top-right corner
    path = write_frames(tmp_path / "phone.mp4", frames, rotation=90)
    info = video_info(path)
    assert info["rotation"] == 90 and (info["width"], info["height"]) == (64, 96)
    x = read_video(path)
    assert x.shape == (3, 6, 96, 64)  # shown upright: portrait
    # A quarter turn counter-clockwise moves the top-right corner to the top-left.
    assert float(x[:, :, :8, :8].mean()) > 0.95
    stored = torch.from_numpy(frames).permute(3, 0, 1, 2).float() / 255  # (3, T, 64, 96)
    assert float((x - torch.rot90(stored, 1, (2, 3))).abs().mean()) < 0.02
    assert read_video(path, size=32).shape == (3, 6, 48, 32)


@pytest.mark.parametrize(
    "pix_fmt, size", [("yuv444p", (403, 721)), ("yuv420p10le", (64, 96)), ("yuv444p10le", (64, 96))]
)
def test_odd_sizes_and_pixel_formats(tmp_path: Path, pix_fmt: str, size: tuple[int, int]) -> None:
    frames = numbered_frames(8, *size)
    path = write_frames(tmp_path / f"{pix_fmt}.mp4", frames, pix_fmt=pix_fmt)
    info = video_info(path)
    assert (info["height"], info["width"], info["pix_fmt"]) == (*size, pix_fmt)
    x = read_video(path)
    assert x.shape == (3, 8, *size)
    want = torch.from_numpy(frames).permute(3, 0, 1, 2).float() / 255
    assert float((x - want).abs().mean()) < 0.02
    assert frame_ids(x) == list(range(8))
    assert read_video(path, size=(40, 72)).shape == (3, 8, 40, 72)


def test_audio_stream_first(tmp_path: Path) -> None:
    path = write_frames(tmp_path / "talk.mp4", numbered_frames(20, 64, 96), audio_first=True, options=SEEKABLE)
    with av.open(str(path)) as c:
        assert [s.type for s in c.streams] == ["audio", "video"]
    info = video_info(path)
    assert info["streams"] == ["audio", "video"] and info["num_frames"] == 20
    assert frame_ids(read_video(path)) == list(range(20))
    assert frame_ids(read_video(path, start=0.45, end=0.6)) == [12, 13, 14]


def cut(path: Path, fraction: float, suffix: str = "") -> Path:
    data = path.read_bytes()
    out = path.with_name(path.stem + "-cut" + (suffix or path.suffix))
    out.write_bytes(data[: int(len(data) * fraction)])
    return out


@pytest.mark.parametrize("suffix, options", [(".mp4", {"movflags": "faststart"}), (".mkv", {})])
def test_truncated_file_gives_the_frames_before_the_cut(tmp_path: Path, suffix: str, options: dict) -> None:
    """An mp4 with its index first (as phones and the web write them) or an mkv, cut at 60%."""
    whole = write_frames(
        tmp_path / f"whole{suffix}", numbered_frames(40, 64, 96), options=SEEKABLE, container_options=options
    )
    full = read_video(whole)
    path = cut(whole, 0.6)
    with pytest.warns(DamagedVideoWarning, match=rf"{path.name} is truncated or damaged"):
        info = video_info(path)
    assert 10 <= info["num_frames"] < 40 and info["damaged"]
    with pytest.warns(DamagedVideoWarning, match=path.name):
        x = read_video(path)
    n = x.shape[1]
    assert 10 <= n < 40
    assert torch.equal(x, full[:, :n])  # the frames before the cut, intact
    with pytest.warns(DamagedVideoWarning):
        assert read_video(path, num_frames=4).shape == (3, 4, 64, 96)
    # A window before the cut reads cleanly, without a warning.
    assert frame_ids(read_video(path, start=0.2, end=0.4)) == [5, 6, 7, 8, 9]


def test_truncated_mp4_without_its_index(tmp_path: Path, gop_video: Path) -> None:
    path = cut(gop_video, 0.7)  # the 'moov' index is at the end: lost
    for reader in (read_video, video_info):
        with pytest.raises(ValueError, match=rf"could not decode .*{path.name}.*without its index"):
            reader(path)


@pytest.mark.parametrize("content", [b"just some notes\n" * 100, b"\x89PNG\r\n\x1a\n" + bytes(200)])
def test_not_a_video(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "holiday.mp4"
    path.write_bytes(content)
    for reader in (read_video, video_info):
        with pytest.raises(ValueError, match=r"could not decode .*holiday\.mp4"):
            reader(path)


# --- the bundled clip ---------------------------------------------------------------------


def test_sample_video() -> None:
    path = sample_video()
    assert path == sample_video("bunny") and path.is_file() and path.stat().st_size < 600_000
    assert (path.parent / "NOTICE").read_text().count("CC BY 3.0") >= 1
    info = video_info(path)
    assert (info["num_frames"], info["fps"], info["width"], info["height"]) == (132, 25.0, 320, 180)
    x = read_video(path, start=2.0, end=2.4, size=(90, 160))
    assert x.shape == (3, 10, 90, 160)
    assert float((x[:, 1:] - x[:, :-1]).abs().mean()) > 0.005  # real footage moves


@pytest.mark.parametrize("name", ["bunnny", "", None, 3])
def test_sample_video_unknown_name_lists_the_names(name) -> None:
    with pytest.raises(ValueError, match=r"no sample video called .*the sample videos are: bunny"):
        sample_video(name)
