"""Sound as data: waveforms, spectrograms and log-mel "images", in plain PyTorch.

A sound track is a *waveform*: ``S`` samples of air pressure per channel, taken ``rate``
times a second (16 kHz mono in the suite: ``(1, S)`` per clip, ``(B, 1, S)`` per batch).
A network could read it directly, but the classic input is a picture of it:

1. :func:`spectrogram` -- cut the wave into short overlapping windows (``n_fft`` samples,
   one every ``hop`` samples), take each window's Fourier transform and keep its power:
   ``(..., n_fft // 2 + 1, frames)``, frequency bins of ``rate / n_fft`` Hz each.
2. :func:`mel_filter_bank` -- ``n_mels`` triangular filters, evenly spaced on the *mel*
   scale (:func:`hz_to_mel`), which is how pitch is heard: 100 Hz -> 200 Hz sounds as far
   apart as 1000 Hz -> 2000 Hz, so the filters get wider with frequency.
3. :func:`log_mel` -- the power through those filters, in decibels: ``(..., n_mels, frames)``,
   a small image a 2D CNN can read (:class:`vulib.models.AudioCNN`).

Shapes follow torchaudio's convention (frequency, then time, last). torchaudio itself is not
used: its releases must match torch's version exactly, and ``torch.stft`` plus a filter bank
is a few dozen lines.

:func:`correspondence_pairs` builds the batches of audio-visual correspondence
(notebook 10): each clip with its own sound (label 1) or with a wrong one (label 0).
"""

from __future__ import annotations

import math

import torch
from torch.utils.data import Dataset

__all__ = [
    "hz_to_mel",
    "mel_to_hz",
    "mel_filter_bank",
    "spectrogram",
    "log_mel",
    "num_frames",
    "correspondence_pairs",
    "AudioVisualDataset",
]


def hz_to_mel(hz):
    """Frequency in Hz to mels (HTK formula): ``2595 * log10(1 + hz / 700)``.

    Works on numbers and tensors alike. 1000 Hz is about 1000 mel; above it, doubling the
    frequency adds less and less.
    """
    if isinstance(hz, torch.Tensor):
        return 2595.0 * torch.log10(1.0 + hz / 700.0)
    return 2595.0 * math.log10(1.0 + hz / 700.0)


def mel_to_hz(mel):
    """Mels to Hz, the inverse of :func:`hz_to_mel`: ``700 * (10 ** (mel / 2595) - 1)``."""
    if isinstance(mel, torch.Tensor):
        return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)
    return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)


def mel_filter_bank(
    n_freqs: int, rate: int, n_mels: int = 64, *, f_min: float = 0.0, f_max: float | None = None
) -> torch.Tensor:
    """Triangular mel filters, as a matrix ``(n_freqs, n_mels)`` (torchaudio's ``melscale_fbanks`` layout).

    Filter ``m`` rises linearly from 0 at centre ``m - 1`` to 1 at centre ``m`` and falls back to 0 at
    centre ``m + 1``, where the ``n_mels + 2`` centres are evenly spaced in mels from ``f_min`` to
    ``f_max`` (default ``rate / 2``, the highest frequency a wave sampled at ``rate`` can hold).
    Bin ``k`` of a spectrogram with ``n_freqs = n_fft // 2 + 1`` bins is at ``k * rate / n_fft`` Hz.
    ``spec.transpose(-1, -2) @ bank`` gives the mel spectrogram.

    Raises:
        ValueError: ``n_freqs < 2``, ``n_mels < 1``, ``rate <= 0`` or ``not 0 <= f_min < f_max <= rate / 2``.
    """
    for name, value, low in (("n_freqs", n_freqs, 2), ("n_mels", n_mels, 1), ("rate", rate, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"expected {name} to be an integer >= {low}, got {value!r}")
    f_max = rate / 2 if f_max is None else float(f_max)
    if not 0 <= f_min < f_max <= rate / 2:
        raise ValueError(f"expected 0 <= f_min < f_max <= rate / 2 = {rate / 2:g} Hz, got f_min={f_min}, f_max={f_max}")
    freqs = torch.linspace(0, rate / 2, n_freqs, dtype=torch.float64)  # (n_freqs,) Hz of each bin
    centres = mel_to_hz(
        torch.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2, dtype=torch.float64)
    )  # (n_mels + 2,) Hz
    lo, mid, hi = centres[:-2], centres[1:-1], centres[2:]  # each (n_mels,)
    rising = (freqs[:, None] - lo) / (mid - lo)  # (n_freqs, n_mels)
    falling = (hi - freqs[:, None]) / (hi - mid)
    return torch.minimum(rising, falling).clamp(min=0).float()  # (n_freqs, n_mels)


def num_frames(length: int, n_fft: int = 512, hop: int = 160, center: bool = True) -> int:
    """How many time frames :func:`spectrogram` gives for a wave of ``length`` samples.

    ``center=True`` (the default, as torchaudio): the wave is padded by ``n_fft // 2`` at both ends
    so that frame ``j`` is centred on sample ``j * hop``: ``1 + length // hop`` frames.
    ``center=False``: only whole windows inside the wave: ``1 + (length - n_fft) // hop``.
    """
    if center:
        return 1 + length // hop
    return 1 + (length - n_fft) // hop


def _check_wave(wave: object, n_fft: int, hop: int) -> torch.Tensor:
    if not isinstance(wave, torch.Tensor):
        raise ValueError(f"expected wave as a torch.Tensor of shape (..., S), got {type(wave).__name__}")
    if wave.ndim < 1 or wave.ndim > 4:
        raise ValueError(
            f"expected wave of shape (S,), (C, S), (B, C, S) or (B, C, 1, S), got shape {tuple(wave.shape)}"
        )
    if not wave.is_floating_point():
        raise ValueError(f"expected a floating-point wave (e.g. float32 in [-1, 1]), got {wave.dtype}")
    for name, value in (("n_fft", n_fft), ("hop", hop)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"expected {name} to be a positive integer, got {value!r}")
    if n_fft < 2:
        raise ValueError(f"expected n_fft >= 2, got {n_fft}")
    if n_fft > wave.shape[-1]:
        raise ValueError(
            f"n_fft={n_fft} is larger than the signal ({wave.shape[-1]} samples): use a shorter window or a longer wave"
        )
    if not torch.isfinite(wave).all():
        raise ValueError("the wave has non-finite values (NaN or inf)")
    return wave


def spectrogram(
    wave: torch.Tensor, *, n_fft: int = 512, hop: int = 160, power: float = 2.0, center: bool = True
) -> torch.Tensor:
    """Power spectrogram ``(..., n_fft // 2 + 1, frames)`` of a wave ``(..., S)``.

    Each frame is the ``|FFT|**power`` of ``n_fft`` samples under a Hann window; frames start every
    ``hop`` samples (16 kHz, hop 160: 100 frames a second; n_fft 512: 32 ms windows, bins of
    31.25 Hz). ``center=True`` pads the wave by reflection so frame ``j`` is centred on sample
    ``j * hop`` (see :func:`num_frames`).

    Raises:
        ValueError: not a float tensor of 1 to 4 dimensions, non-finite values, or ``n_fft`` larger
            than the signal.
    """
    wave = _check_wave(wave, n_fft, hop)
    lead, S = wave.shape[:-1], wave.shape[-1]
    flat = wave.reshape(-1, S)  # (N, S)
    window = torch.hann_window(n_fft, device=wave.device, dtype=wave.dtype)
    spec = torch.stft(
        flat, n_fft, hop_length=hop, window=window, center=center, pad_mode="reflect", return_complex=True
    )  # (N, n_fft//2+1, frames)
    spec = spec.abs() ** power
    return spec.reshape(*lead, *spec.shape[-2:])  # (..., freq, frames)


def log_mel(
    wave: torch.Tensor,
    rate: int,
    *,
    n_mels: int = 64,
    n_fft: int = 512,
    hop: int = 160,
    f_min: float = 0.0,
    f_max: float | None = None,
    floor_db: float = -100.0,
) -> torch.Tensor:
    """Log-mel spectrogram in decibels, ``(..., n_mels, frames)``, of a wave ``(..., S)`` sampled at ``rate`` Hz.

    :func:`spectrogram` (power), then :func:`mel_filter_bank`, then ``10 * log10`` clamped below at
    ``floor_db`` (silence would otherwise be minus infinity).

    Raises:
        ValueError: as :func:`spectrogram`; or a bad ``rate`` / ``n_mels``.
    """
    spec = spectrogram(wave, n_fft=n_fft, hop=hop)  # (..., F, frames)
    bank = mel_filter_bank(n_fft // 2 + 1, rate, n_mels, f_min=f_min, f_max=f_max).to(spec)  # (F, n_mels)
    mel = (spec.transpose(-1, -2) @ bank).transpose(-1, -2)  # (..., n_mels, frames)
    return (10.0 * torch.log10(mel.clamp_min(1e-20))).clamp_min(floor_db)


def correspondence_pairs(
    video: torch.Tensor,
    audio: torch.Tensor,
    *,
    negatives: str = "other",
    min_shift: int = 1,
    samples_per_frame: int | None = None,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A batch for audio-visual correspondence: every clip twice, once with its own sound, once with a wrong one.

    Args:
        video: clips ``(N, C, T, H, W)``.
        audio: their sound tracks ``(N, ..., S)`` (waves or log-mel images; time is the last axis).
        negatives: ``"other"`` -- the wrong sound is another clip's (clip ``i`` gets the sound of
            clip ``perm[i] != i``); ``"shifted"`` -- it is the clip's *own* sound, rolled in time
            (circularly) by a whole number of frames, between ``min_shift`` and ``T - min_shift``.
        samples_per_frame: audio steps per video frame for ``"shifted"`` (default ``S // T``).
        generator: a torch generator for the random choices (default: torch's global one).

    Returns:
        ``(video (2N, C, T, H, W), audio (2N, ..., S), labels (2N,))``: the first ``N`` rows are the
        positives (label 1, clip ``i`` with its sound), the last ``N`` the negatives (label 0).
    """
    if not isinstance(video, torch.Tensor) or video.ndim != 5:
        raise ValueError(
            f"expected video of shape (N, C, T, H, W), got {getattr(video, 'shape', type(video).__name__)}"
        )
    if not isinstance(audio, torch.Tensor) or audio.ndim < 2 or audio.shape[0] != video.shape[0]:
        raise ValueError(
            f"expected audio of shape (N, ..., S) with N = {video.shape[0]}, "
            f"got {getattr(audio, 'shape', type(audio).__name__)}"
        )
    N, T, S = video.shape[0], video.shape[2], audio.shape[-1]
    if negatives == "other":
        if N < 2:
            raise ValueError("negatives='other' needs at least 2 clips to swap sounds between")
        perm = (torch.arange(N) + torch.randint(1, N, (N,), generator=generator)) % N  # never i itself
        wrong = audio[perm]
    elif negatives == "shifted":
        if not 1 <= min_shift <= T // 2:
            raise ValueError(f"expected 1 <= min_shift <= T // 2 = {T // 2}, got {min_shift}")
        step = S // T if samples_per_frame is None else int(samples_per_frame)
        shifts = torch.randint(min_shift, T - min_shift + 1, (N,), generator=generator)  # in frames
        wrong = torch.stack([torch.roll(a, int(k) * step, dims=-1) for a, k in zip(audio, shifts)])
    else:
        raise ValueError(f"expected negatives='other' or 'shifted', got {negatives!r}")
    labels = torch.cat([torch.ones(N, dtype=torch.long), torch.zeros(N, dtype=torch.long)])
    return torch.cat([video, video]), torch.cat([audio, wrong]), labels


class AudioVisualDataset(Dataset):
    """Clips, their sounds and labels in memory; item ``i`` is ``((clip (C, T, H, W), sound (...)), label)``.

    :func:`vulib.fit`, :func:`vulib.evaluate` and :func:`vulib.predict` accept it and call the model as
    ``model(clips, sounds)`` (a batch of two input streams).

    Args:
        video: ``(N, C, T, H, W)``.
        audio: ``(N, ...)``, e.g. log-mel images ``(N, 1, n_mels, frames)``.
        labels: ``(N,)`` integers.
    """

    def __init__(self, video: torch.Tensor, audio: torch.Tensor, labels: torch.Tensor) -> None:
        if not isinstance(video, torch.Tensor) or video.ndim != 5:
            raise ValueError(
                f"expected video of shape (N, C, T, H, W), got {getattr(video, 'shape', type(video).__name__)}"
            )
        n = video.shape[0]
        for name, x in (("audio", audio), ("labels", labels)):
            if not isinstance(x, torch.Tensor) or x.ndim < 1 or x.shape[0] != n:
                raise ValueError(
                    f"expected {name} with N = {n} rows like the video, got {getattr(x, 'shape', type(x).__name__)}"
                )
        if labels.is_floating_point() or labels.ndim != 1:
            raise ValueError(f"expected integer labels of shape (N,), got {labels.dtype} {tuple(labels.shape)}")
        self.video, self.audio, self.labels = video, audio, labels.long()

    def __len__(self) -> int:
        return self.video.shape[0]

    def __getitem__(self, i: int):
        return (self.video[i], self.audio[i]), self.labels[i]
