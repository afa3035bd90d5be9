"""vulib.io with sound: write_video(..., audio=, audio_rate=) muxes AAC; read_video(audio=True) / read_audio
align it."""

import math

import pytest
import torch

from vulib import audio as A
from vulib.io import read_audio, read_video, video_info, write_video

RATE, FPS, T = 16000, 8.0, 16  # 2 seconds


def make_file(tmp_path, freq=440.0, burst=(0.75, 0.875)):
    t = torch.arange(int(T / FPS * RATE)) / RATE
    wave = 0.3 * torch.sin(2 * math.pi * freq * t)
    wave += 0.5 * torch.sin(2 * math.pi * 2000 * t) * ((t >= burst[0]) & (t < burst[1])).float()
    clip = torch.rand(3, T, 16, 16)
    return write_video(tmp_path / "av.mp4", clip, fps=FPS, audio=wave, audio_rate=RATE), wave


def test_round_trip_duration_rate_and_pitch(tmp_path):
    path, wave = make_file(tmp_path)
    info = video_info(path)
    assert info["streams"].count("audio") == 1 and info["num_frames"] == T
    clip, got, rate = read_video(path, audio=True)
    assert clip.shape == (3, T, 16, 16) and rate == RATE
    assert got.shape == (1, int(T / FPS * RATE))  # exactly the video's 2 s, padding cut off
    spec = A.spectrogram(got[0, :8000], n_fft=1024, hop=512).mean(-1)  # first 0.5 s: the 440 Hz tone alone
    assert abs(int(spec.argmax()) - round(440 / (RATE / 1024))) <= 1
    # the burst comes back where it was written (aligned by time stamps, not by sample counts)
    band = A.spectrogram(got[0], n_fft=256, hop=80)[2000 * 256 // RATE]  # power at 2 kHz over time
    loud = (band > 0.1 * band.max()).nonzero().flatten()
    assert abs(loud[0].item() * 80 / RATE - 0.75) < 0.02 and abs(loud[-1].item() * 80 / RATE - 0.875) < 0.02


def test_window_is_aligned_with_the_frames(tmp_path):
    path, _ = make_file(tmp_path, burst=(1.25, 1.375))
    clip, got, rate = read_video(path, start=1.0, end=1.5, audio=True)
    assert clip.shape[1] == 4 and got.shape == (1, 8000)  # frames 8..11 and their half second
    energy = got[0].reshape(4, 2000).pow(2).mean(1)  # per frame of the window
    assert int(energy.argmax()) == 2  # the burst plays with frame 10 (1.25 s)
    alone, _ = read_audio(path, start=1.0, end=1.5)
    assert torch.equal(alone, got)
    full, _ = read_audio(path)
    assert full.shape[1] >= 32000  # to the end of the track (AAC pads it)


def test_clear_errors(tmp_path):
    clip = torch.rand(3, 4, 16, 16)
    with pytest.raises(ValueError, match="audio_rate"):
        write_video(tmp_path / "a.mp4", clip, audio=torch.zeros(100))
    with pytest.raises(ValueError, match="without audio"):
        write_video(tmp_path / "a.mp4", clip, audio_rate=RATE)
    with pytest.raises(ValueError, match="mono"):
        write_video(tmp_path / "a.mp4", clip, audio=torch.zeros(2, 100), audio_rate=RATE)
    with pytest.raises(ValueError, match="non-finite"):
        write_video(tmp_path / "a.mp4", clip, audio=torch.full((100,), float("nan")), audio_rate=RATE)
    assert not (tmp_path / "a.mp4").exists()  # nothing half-written
    silent = write_video(tmp_path / "silent.mp4", clip)
    with pytest.raises(ValueError, match="no audio stream"):
        read_audio(silent)
    with pytest.raises(ValueError, match="start < end"):
        read_audio(silent, start=1.0, end=0.5)
    with pytest.raises(FileNotFoundError):
        read_audio(tmp_path / "nothing.mp4")
