"""vulib.audio: spectrograms, the mel filter bank, log-mel, correspondence batches."""

import math

import pytest
import torch

from vulib import audio

RATE = 16000


def tone(freq, seconds=1.0, rate=RATE, start=0.0, length=None):
    t = torch.arange(int(seconds * rate)) / rate
    wave = torch.sin(2 * math.pi * freq * t)
    if length is not None:
        wave = wave * ((t >= start) & (t < start + length)).float()
    return wave


def test_hz_mel_round_trip_and_known_values():
    assert audio.hz_to_mel(0.0) == 0.0
    assert abs(audio.hz_to_mel(1000.0) - 1000.0) < 1.0  # the scale is anchored near 1 kHz
    f = torch.tensor([50.0, 440.0, 4000.0, 8000.0])
    assert torch.allclose(audio.mel_to_hz(audio.hz_to_mel(f)), f, rtol=1e-5)
    # equal steps in mel are wider steps in Hz at high frequency
    assert audio.mel_to_hz(2000.0) - audio.mel_to_hz(1900.0) > audio.mel_to_hz(600.0) - audio.mel_to_hz(500.0)


def test_filter_bank_is_triangles():
    n_freqs, n_mels = 257, 40
    bank = audio.mel_filter_bank(n_freqs, RATE, n_mels)
    assert bank.shape == (n_freqs, n_mels)
    assert bank.min() >= 0 and bank.max() <= 1 + 1e-6
    freqs = torch.linspace(0, RATE / 2, n_freqs)
    peaks = bank.argmax(0)
    assert (peaks[1:] >= peaks[:-1]).all()  # centres in increasing order
    widths = (bank > 0).sum(0)
    assert widths[-1] > widths[len(widths) // 2] >= widths[2]  # wider with frequency
    for m in range(n_mels):  # each column rises, then falls
        col = bank[:, m]
        nz = col.nonzero().flatten()
        inside = col[nz[0] : nz[-1] + 1]
        p = int(inside.argmax())
        assert (inside[: p + 1].diff() >= -1e-6).all() and (inside[p:].diff() <= 1e-6).all()
        assert (inside > 0).all()  # no gap inside a triangle
    # neighbouring triangles cross at half height: inside the covered range the bank sums to ~1
    mid = (freqs > 200) & (freqs < 7000)
    assert torch.allclose(bank[mid].sum(1), torch.ones(int(mid.sum())), atol=0.06)


@pytest.mark.parametrize("freq", [300.0, 1000.0, 3000.0])
def test_pure_tone_lands_in_the_right_mel_bin(freq):
    n_mels = 64
    lm = audio.log_mel(tone(freq), RATE, n_mels=n_mels)  # (n_mels, frames)
    assert lm.shape == (n_mels, 1 + RATE // 160)
    got = int(lm[:, 10:-10].mean(1).argmax())
    centres = audio.mel_to_hz(torch.linspace(0, audio.hz_to_mel(RATE / 2), n_mels + 2))[1:-1]
    expected = int((centres - freq).abs().argmin())
    assert abs(got - expected) <= 1, (got, expected)


def test_spectrogram_peak_at_the_tone_bin():
    spec = audio.spectrogram(tone(1000.0), n_fft=512, hop=160)  # bins of 31.25 Hz
    assert spec.shape == (257, 101)
    assert int(spec.mean(1).argmax()) == round(1000 / (RATE / 512))


def test_tone_burst_lands_in_the_right_frame():
    hop = 160
    start, length = 0.40, 0.05  # 400 ms to 450 ms
    lm = audio.log_mel(tone(2000.0, start=start, length=length), RATE, n_mels=32, hop=hop)
    energy = lm.amax(0)  # (frames,)
    loud = (energy > energy.max() - 20).nonzero().flatten()
    first, last = start * RATE / hop, (start + length) * RATE / hop
    assert abs(int(loud[0]) - first) <= 2 and abs(int(loud[-1]) - last) <= 2, (loud, first, last)


def test_shapes_and_frame_counts():
    w = torch.randn(2, 1, 8000)
    assert audio.spectrogram(w, n_fft=256, hop=100).shape == (2, 1, 129, 81)
    assert audio.log_mel(w, RATE, n_mels=40).shape == (2, 1, 40, 51)
    assert audio.spectrogram(w[0, 0], n_fft=256, hop=100, center=False).shape == (
        129,
        audio.num_frames(8000, 256, 100, False),
    )
    assert audio.num_frames(16000, 512, 160) == 101 and audio.num_frames(16000, 512, 160, center=False) == 97


def test_clear_errors():
    with pytest.raises(ValueError, match="shape"):
        audio.spectrogram(torch.tensor(1.0))  # rank 0
    with pytest.raises(ValueError, match="shape"):
        audio.spectrogram(torch.zeros(1, 1, 1, 1, 600))  # rank 5
    with pytest.raises(ValueError, match="non-finite"):
        audio.spectrogram(torch.tensor([0.0, float("nan")] * 400))
    with pytest.raises(ValueError, match="larger than the signal"):
        audio.log_mel(torch.zeros(300), RATE)
    with pytest.raises(ValueError, match="floating"):
        audio.spectrogram(torch.zeros(1000, dtype=torch.int16))
    with pytest.raises(ValueError, match="torch.Tensor"):
        audio.spectrogram([0.0] * 1000)
    with pytest.raises(ValueError, match="f_max"):
        audio.mel_filter_bank(257, RATE, 40, f_max=9000)


def test_correspondence_pairs_labels_and_shifts():
    g = torch.Generator().manual_seed(0)
    N, T, S = 6, 8, 80
    video = torch.rand(N, 3, T, 4, 4)
    wave = torch.zeros(N, 1, S)
    for i in range(N):
        wave[i, 0, 10 * i] = i + 1.0  # clip i: one click at frame i, loudness i+1
    v, a, y = audio.correspondence_pairs(video, wave, negatives="other", generator=g)
    assert v.shape == (2 * N, 3, T, 4, 4) and a.shape == (2 * N, 1, S) and y.tolist() == [1] * N + [0] * N
    assert torch.equal(a[:N], wave) and torch.equal(v[N:], video)
    assert all(a[N + i].max() != wave[i].max() for i in range(N))  # another clip's sound
    v, a, y = audio.correspondence_pairs(video, wave, negatives="shifted", min_shift=2, generator=g)
    for i in range(N):
        assert a[N + i].max() == wave[i].max()  # the same sound...
        shift = (int(a[N + i, 0].argmax()) - 10 * i) % S
        assert shift % 10 == 0 and 2 <= shift // 10 <= T - 2  # ...moved by whole frames
    with pytest.raises(ValueError, match="negatives"):
        audio.correspondence_pairs(video, wave, negatives="random")
    with pytest.raises(ValueError, match="N = 6"):
        audio.correspondence_pairs(video, wave[:3])
