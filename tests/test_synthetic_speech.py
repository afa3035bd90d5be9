"""Spoken words (notebook 10): shapes, determinism, SNR, visemes and the acoustics each word is built from."""

import math

import pytest
import torch

from vulib import audio as A
from vulib.synthetic import VISEME_GROUPS, WORDS, add_noise, make_speech, mouth_frames, speak
from vulib.synthetic import speech as sp

S, T = int(sp.SECONDS * sp.RATE), int(sp.SECONDS * sp.FPS)


def speaker(seed=0):
    return sp.draw_speaker(torch.Generator().manual_seed(seed))


def test_shapes_dtypes_and_labels():
    b = make_speech(16, seed=0)
    assert b.audio.shape == (16, 1, S) == (16, 1, 9600) and b.audio.dtype == torch.float32
    assert b.video.shape == (16, 1, T, 16, 16) == (16, 1, 12, 16, 16) and b.video.dtype == torch.float32
    assert b.labels.tolist() == [i % len(WORDS) for i in range(16)] and b.classes == WORDS and len(b) == 16
    assert torch.isfinite(b.audio).all() and 0.45 < b.audio.abs().amax(-1).min() <= b.audio.abs().max() <= 0.91
    assert b.video.min() >= 0 and b.video.max() <= 1
    assert make_speech(3, seed=0, size=24).video.shape == (3, 1, T, 24, 24)
    assert mouth_frames("bat", speaker(), frames=6).shape == (6, 16, 16)


def test_same_seed_same_clips_other_seed_other_clips():
    a, b, c = make_speech(8, seed=4), make_speech(8, seed=4), make_speech(8, seed=5)
    assert torch.equal(a.audio, b.audio) and torch.equal(a.video, b.video)
    assert not torch.equal(a.audio, c.audio) and not torch.equal(a.video, c.video)
    g1, g2 = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    assert torch.equal(add_noise(a.audio, 0, generator=g1), add_noise(a.audio, 0, generator=g2))


def test_speakers_vary_pitch_timing_and_placement():
    sps = [speaker(s) for s in range(20)]
    assert max(p.pitch for p in sps) - min(p.pitch for p in sps) > 60
    assert len({round(p.onset, 4) for p in sps}) == 20 and len({p.shift for p in sps}) == 20


@pytest.mark.parametrize("snr", [20.0, 10.0, 0.0, -10.0, -20.0, -30.0])
@pytest.mark.parametrize("kind", ["white", "babble"])
def test_noise_is_mixed_at_the_asked_snr(snr, kind):
    clean = make_speech(4, seed=1).audio  # (4, 1, S)
    noisy = add_noise(clean, snr, kind=kind, generator=torch.Generator().manual_seed(2))
    assert noisy.shape == clean.shape
    noise = noisy - clean
    achieved = 10 * torch.log10(clean.pow(2).mean(-1) / noise.pow(2).mean(-1))  # (4, 1) dB, per clip
    assert (achieved - snr).abs().max() < 0.5, achieved


def test_no_noise_when_clean_and_bad_kind_raises():
    clean = make_speech(2, seed=1).audio
    g = torch.Generator().manual_seed(0)
    assert torch.equal(add_noise(clean, None, generator=g), clean)
    assert torch.equal(add_noise(clean, math.inf, generator=g), clean)
    with pytest.raises(ValueError, match="white"):
        add_noise(clean, 0, kind="pink", generator=g)
    with pytest.raises(ValueError, match="unknown word"):
        speak("cat", speaker(), g)


def test_babble_is_made_of_voices():
    bab = sp.babble(torch.Generator().manual_seed(0), clips=3)
    assert bab.shape == (3, S) and torch.isfinite(bab).all()
    # voiced: most of its power below 1 kHz, unlike white noise
    spec = A.spectrogram(bab, n_fft=512, hop=160).sum(-1)  # (3, 257), bins of 31.25 Hz
    assert (spec[:, :32].sum(-1) / spec.sum(-1)).min() > 0.6


def test_look_alike_words_give_identical_mouths():
    for seed in range(5):
        for group in VISEME_GROUPS:
            mouths = [mouth_frames(w, speaker(seed)) for w in group]
            for m in mouths[1:]:
                assert torch.equal(m, mouths[0]), (seed, group)
    # ... including the closure frames, where the lips are shut: a dark line, no dark opening
    sp0 = speaker(0)
    segs = dict((n, (a, b)) for n, a, b in sp._segments("bat", sp0))
    a, b = segs["b"]
    closed = [k for k in range(T) if a + 0.02 < (k + 0.5) / sp.FPS < b - 0.02]
    assert closed, segs
    bat, pat, mat = (mouth_frames(w, sp0) for w in ("bat", "pat", "mat"))
    assert torch.equal(bat[closed], pat[closed]) and torch.equal(bat[closed], mat[closed])


def test_words_of_different_visemes_look_different():
    sp0 = speaker(3)
    reps = [mouth_frames(group[0], sp0) for group in VISEME_GROUPS]
    for i in range(len(reps)):
        for j in range(i + 1, len(reps)):
            assert (reps[i] - reps[j]).abs().max() > 0.2, (VISEME_GROUPS[i], VISEME_GROUPS[j])


def test_mouth_opening_follows_the_vowel():
    sp0 = speaker(1)
    a, b = dict((n, (a, b)) for n, a, b in sp._segments("bat", sp0))["ae"]
    mid = int((a + b) / 2 * sp.FPS)  # a frame in the middle of the vowel
    dark = {w: (mouth_frames(w, sp0)[mid] < 0.15).sum().item() for w in ("bat", "beet", "boot")}
    assert dark["bat"] > dark["boot"] > 0 and dark["bat"] > dark["beet"], dark  # /ae/ opens widest
    cols = {w: ((mouth_frames(w, sp0)[mid] - sp0.skin).abs() > 0.1).any(0).sum().item() for w in ("beet", "boot")}
    assert cols["beet"] >= cols["boot"] + 4, cols  # /i/ spreads the lips, /u/ rounds them
    shut = [
        k
        for k in range(T)
        if dict((n, (a, b)) for n, a, b in sp._segments("bat", sp0))["b"][0] + 0.02 < (k + 0.5) / sp.FPS < a - 0.02
    ]
    assert all((mouth_frames("bat", sp0)[k] < 0.15).sum() == 0 for k in shut)  # lips shut: no dark opening


def test_vowels_have_their_formants():
    """The vowel's spectrum peaks near its first formant (Peterson & Barney), scaled by the speaker's tract."""
    for w, v in (("bat", "ae"), ("beet", "i"), ("boot", "u")):
        sp0 = speaker(2)
        wave = speak(w, sp0, torch.Generator().manual_seed(0))
        a, b = dict((n, (a, b)) for n, a, b in sp._segments(w, sp0))[v]
        seg = wave[int((a + 0.05) * sp.RATE) : int((b - 0.03) * sp.RATE)]
        spec = torch.fft.rfft(seg * torch.hann_window(len(seg))).abs() ** 2
        freqs = torch.fft.rfftfreq(len(seg), 1 / sp.RATE)
        low = freqs < 1200  # where F1 lives
        peak = freqs[low][spec[low].argmax()].item()
        f1 = sp.VOWEL_FORMANTS[v][0] * sp0.tract
        assert abs(peak - f1) < sp0.pitch + 60, (w, peak, f1)  # within a harmonic of the formant


def test_consonants_sound_like_their_manner():
    sp0 = speaker(4)
    g = torch.Generator().manual_seed(0)

    def energy(word, name, lo=0.0, hi=8000.0):
        wave = speak(word, sp0, g)
        a, b = dict((n, (a, b)) for n, a, b in sp._segments(word, sp0))[name]
        seg = wave[int((a + 0.01) * sp.RATE) : int((b - 0.01) * sp.RATE)]
        spec = torch.fft.rfft(seg).abs() ** 2
        freqs = torch.fft.rfftfreq(len(seg), 1 / sp.RATE)
        return spec[(freqs >= lo) & (freqs < hi)].sum().item() / len(seg)

    assert energy("mat", "m") > 10 * energy("pat", "p")  # a nasal murmur vs a silent closure
    assert energy("bat", "b") > 10 * energy("pat", "p")  # the voice bar of /b/
    assert energy("sat", "s", 4000) > 5 * energy("fat", "f", 4000)  # /s/ hisses louder, high up
    assert energy("vat", "v", 0, 500) > 10 * energy("fat", "f", 0, 500)  # /v/ is voiced, /f/ is not


def test_mix_at_snr_matches_add_noise_and_reuses_one_noise():
    clean = make_speech(3, seed=2).audio  # (3, 1, S)
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    noise = sp.babble(g2, clips=3)[:, None]  # the draw add_noise makes
    assert torch.equal(add_noise(clean, -5.0, kind="babble", generator=g1), sp.mix_at_snr(clean, noise, -5.0))
    for snr in (10.0, 0.0, -20.0):  # one noise, every SNR
        achieved = 10 * torch.log10(clean.pow(2).mean(-1) / (sp.mix_at_snr(clean, noise, snr) - clean).pow(2).mean(-1))
        assert (achieved - snr).abs().max() < 0.01, achieved
    assert torch.equal(sp.mix_at_snr(clean, noise, None), clean)
    with pytest.raises(ValueError, match="shape"):
        sp.mix_at_snr(clean, noise[:2], 0.0)


def test_babble_from_a_pool_of_voices():
    bab = sp.babble(torch.Generator().manual_seed(0), clips=50, pool=8)
    assert bab.shape == (50, S) and torch.isfinite(bab).all()
    again = sp.babble(torch.Generator().manual_seed(0), clips=50, pool=8)
    assert torch.equal(bab, again)
    spec = A.spectrogram(bab, n_fft=512, hop=160).sum(-1)  # voiced, like the unpooled babble
    assert (spec[:, :32].sum(-1) / spec.sum(-1)).min() > 0.6
