"""The synthetic tasks with sound (notebook 10): aligned tracks, and that each label depends only on what it should."""

import numpy as np
import pytest
import torch

from vulib import audio as A
from vulib.synthetic import PITCHES, SHAPES, TASKS, TIMBRES, make_clips, render_scenes, render_sound

AV_TASKS = ["av_pitch", "av_direction", "av_pitch_direction", "av_source"]
T, H, W, FPS, RATE = 8, 24, 24, 8.0, 16000


def scene_pair(task, seed, labels):
    """The scenes a task draws for each of ``labels`` from the *same* random numbers, rendered (no pixel noise)."""
    out = []
    for label in labels:
        sc = TASKS[task].sample(np.random.default_rng([seed, 0]), label, T, H, W, fps=FPS, audio_rate=RATE)
        video, _ = render_scenes([sc], [np.zeros((3, T, H, W), np.float32)], T, H, W)
        out.append((sc, video[0], render_sound([sc])[0]))
    return out


@pytest.mark.parametrize("task", AV_TASKS)
def test_sound_track_shape_and_reproducible(task):
    b = make_clips(task, 8, frames=T, size=H, seed=3, fps=FPS, audio_rate=RATE)
    assert b.audio.shape == (8, 1, RATE) and b.audio.dtype == torch.float32 and b.audio_rate == RATE
    assert torch.isfinite(b.audio).all() and b.audio.abs().max() < 1.5
    alone = make_clips(task, 1, frames=T, size=H, seed=3, start_index=5, fps=FPS, audio_rate=RATE)
    assert torch.equal(alone.audio[0], b.audio[5]) and torch.equal(b[5].audio, alone.audio)
    assert make_clips(task, 2, frames=12, size=H, seed=3, fps=4.0, audio_rate=8000).audio.shape == (2, 1, 24000)
    assert make_clips("shape", 2).audio is None


def test_tones_sound_at_the_blinks_of_the_sounding_object():
    b = make_clips("av_source", 40, frames=T, size=H, seed=0, distractor_sounds=0)
    per = RATE // int(FPS)
    energy = b.audio[:, 0].reshape(40, T, per).pow(2).mean(-1)  # (N, T) per video frame
    for i in range(40):
        on = torch.zeros(T, dtype=torch.bool)
        for s, e in b.events[i].tolist():
            if s >= 0:
                on[s:e] = True
        assert on.any()
        assert energy[i, on].min() > 20 * energy[i, ~on].max(), i  # loud at the events, hiss elsewhere
    # the sounding object (tracks = main object) is the one whose blinks are the events
    for i in range(8):
        x = int(b.tracks[i, 0, 0].round().clamp(0, W - 1))
        y = int(b.tracks[i, 1, 0].round().clamp(0, H - 1))
        s = int(b.events[i, 0, 0])
        before = b.video[i, :, max(0, s - 1) if s > 0 else s + 1, y, x]
        assert b.video[i, :, s, y, x].sum() != before.sum()  # it changes brightness at its event


def test_pitch_and_timbre_of_the_tones():
    for label, pitch in enumerate(("low", "high")):
        b = make_clips("av_pitch", 12, frames=T, size=H, seed=label, distractor_sounds=0)
        spec = A.spectrogram(b.audio[:, 0], n_fft=1024, hop=256).sum(-1)  # (N, 513), bins of 15.6 Hz
        freqs = torch.arange(513) * RATE / 1024
        for i in range(12):
            if b.labels[i] != label:
                continue
            peak = float(freqs[spec[i].argmax()])
            lo, hi = PITCHES[pitch]
            assert lo - 20 <= peak <= hi + 20, (pitch, peak)
    sc, _, wave = scene_pair("av_pitch", 5, [0])[0]
    assert {t.timbre for t in sc.sound.tones} == {TIMBRES[sc.objects[sc.main].shape]}


def test_av_pitch_label_is_invisible():
    """Same random numbers, other label: the frames are identical, only the sound changes."""
    for seed in range(5):
        (_, v0, a0), (_, v1, a1) = scene_pair("av_pitch", seed, [0, 1])
        assert torch.equal(v0, v1) and not torch.equal(a0, a1)


def test_av_direction_label_is_inaudible():
    for seed in range(5):
        (_, v0, a0), (_, v1, a1) = scene_pair("av_direction", seed, [0, 1])
        assert torch.equal(a0, a1) and not torch.equal(v0, v1)


def test_av_pitch_direction_each_stream_sees_half_the_label():
    for seed in range(5):
        pairs = scene_pair("av_pitch_direction", seed, [0, 1, 2, 3])  # low right, low left, high right, high left
        (_, v0, a0), (_, v1, a1), (_, v2, a2), (_, v3, a3) = pairs
        assert torch.equal(a0, a1) and torch.equal(a2, a3) and not torch.equal(a0, a2)  # sound: pitch only
        assert torch.equal(v0, v2) and torch.equal(v1, v3) and not torch.equal(v0, v1)  # frames: direction only


def test_av_source_needs_both_streams():
    """Frames: identical for both labels (both objects blink); sound: the same distribution for both labels."""
    for seed in range(5):
        (_, v0, a0), (_, v1, a1) = scene_pair("av_source", seed, [0, 1])
        assert torch.equal(v0, v1) and not torch.equal(a0, a1)
    timbres = {0: [], 1: []}
    onsets = {0: [], 1: []}
    for i in range(600):
        sc = TASKS["av_source"].sample(np.random.default_rng([9, i]), i % 2, T, H, W)
        tones = [t for t in sc.sound.tones if t.timbre != "noise"]
        timbres[i % 2] += [TIMBRES.index(t.timbre) for t in tones]
        onsets[i % 2] += [t.frame for t in tones]
    for k in range(len(SHAPES)):  # each timbre as often for both labels
        f0, f1 = (np.mean(np.array(timbres[lab]) == k) for lab in (0, 1))
        assert abs(f0 - f1) < 0.08, (k, f0, f1)
    h0, h1 = (np.bincount(onsets[lab], minlength=T) / len(onsets[lab]) for lab in (0, 1))
    assert np.abs(h0 - h1).max() < 0.06  # and at the same times


def test_bad_sound_options():
    with pytest.raises(ValueError, match="audio_rate"):
        make_clips("av_pitch", 2, audio_rate=100)
    with pytest.raises(ValueError, match="blink"):
        make_clips("av_pitch", 2, frames=8, blink=5)
    with pytest.raises(ValueError, match="unknown"):
        make_clips("av_pitch", 2, gap=3)
