"""Checkers for notebook 10 -- audio and video: spectrograms, the mel scale, correspondence batches, lip-reading."""

from __future__ import annotations

import contextlib
import io
import math

import torch

from ..audio import spectrogram
from ..synthetic.speech import PHONEMES, WORDS, draw_speaker, mouth_frames
from . import (
    ExerciseError,
    agrees_within,
    check_function,
    check_scalar,
    check_tensor,
    exercise,
    report_prediction,
)


def _frames_measured(length: int, n_fft: int, hop: int, center: bool) -> int:
    """Measured: how many frames ``vulib.audio.spectrogram`` gives for a wave of ``length`` samples."""
    return spectrogram(torch.zeros(length), n_fft=n_fft, hop=hop, center=center).shape[-1]


_FRAME_CASES = [
    (16000, 512, 160, True),
    (16000, 512, 160, False),
    (8000, 400, 100, True),
    (8000, 400, 100, False),
    (1000, 256, 128, False),
    (999, 256, 100, True),
]


@exercise(
    notebook="10",
    reference=_frames_measured,
    wrong=[
        lambda n, f, h, c: n // h,  # forgot the first frame
        lambda n, f, h, c: 1 + (n - f) // h,  # ignored the centre padding
        lambda n, f, h, c: 1 + n // h if not c else 1 + (n - f) // h,  # the two cases swapped
        lambda n, f, h, c: math.ceil(n / h) + (1 if c else 0),  # rounded up
    ],
)
def check_spectrogram_frames(fn, prediction=None) -> bool:
    """``fn(length, n_fft, hop, center)`` = the number of time frames of the spectrogram. ``prediction``: (frames
    with ``center=True``, without) for one second at 16 kHz, ``n_fft=512``, ``hop=160``; printed beside the
    measurement, not graded."""
    check_function(fn, _frames_measured, _FRAME_CASES, "spectrogram_frames", compare=check_scalar)
    report_prediction(
        prediction,
        (_frames_measured(16000, 512, 160, True), _frames_measured(16000, 512, 160, False)),
        "frames of one second at 16 kHz, n_fft 512, hop 160 (centred, not centred)",
        "a window needs n_fft samples from its start, and the centred version pads n_fft // 2 at both ends",
        agrees=agrees_within(0),
    )
    return True


def _hz_to_mel(f: torch.Tensor) -> torch.Tensor:
    return 2595.0 * torch.log10(1.0 + f / 700.0)


_HZ = torch.tensor([0.0, 100.0, 440.0, 1000.0, 4000.0, 8000.0])


@exercise(
    notebook="10",
    reference=_hz_to_mel,
    wrong=[
        lambda f: 2595.0 * torch.log(1.0 + f / 700.0),  # natural log instead of log10
        lambda f: 1127.0 * torch.log10(1.0 + f / 700.0),  # the natural-log constant with log10
        lambda f: 2595.0 * torch.log10(f / 700.0).clamp_min(0),  # forgot the 1 +
        lambda f: f,  # no warping at all
    ],
)
def check_hz_to_mel(fn, prediction=None) -> bool:
    """``fn(f)`` = mels (HTK formula) of frequencies ``f`` in Hz (a tensor). ``prediction``: how many times as many
    mels 8000 Hz has as 1000 Hz, printed beside the measurement (to 2 decimals; within 10 % counts as predicted), not
    graded."""
    check_function(
        fn,
        _hz_to_mel,
        [(_HZ,), (torch.linspace(20, 7000, 9),)],
        "hz_to_mel",
        compare=lambda a, e, name: check_tensor(a, e, name, rtol=1e-4, atol=1e-3),
    )
    mel = _hz_to_mel(torch.tensor([1000.0, 8000.0], dtype=torch.float64))
    ratio = round(float(mel[1] / mel[0]), 2)
    report_prediction(
        prediction,
        ratio,
        "mels of 8000 Hz over mels of 1000 Hz (8 times the frequency)",
        "the scale is roughly linear below about 1 kHz and roughly logarithmic above (section 1, the mel scale)",
        agrees=lambda p, m: agrees_within(0.1 * m)(p, m),
    )
    return True


def _batch(video: torch.Tensor, audio: torch.Tensor, shifts: torch.Tensor, per_frame: int):
    wrong = torch.stack([torch.roll(a, int(k) * per_frame, dims=-1) for a, k in zip(audio, shifts)])
    return (
        torch.cat([video, video]),
        torch.cat([audio, wrong]),
        torch.cat([torch.ones(len(video), dtype=torch.long), torch.zeros(len(video), dtype=torch.long)]),
    )


def _batch_cases():
    g = torch.Generator().manual_seed(10)
    out = []
    for N, T, S in ((3, 4, 40), (5, 8, 80)):
        video = torch.rand(N, 3, T, 2, 2, generator=g)
        audio = torch.randn(N, 1, S, generator=g)
        shifts = torch.randint(1, T, (N,), generator=g)
        out.append((video, audio, shifts, S // T))
    return out


def _compare_batch(answer, expected, name):
    if not isinstance(answer, (tuple, list)) or len(answer) != 3:
        raise ExerciseError(
            f"{name}: expected a triple (video, audio, labels), got {type(answer).__name__}"
            + (f" of length {len(answer)}" if isinstance(answer, (tuple, list)) else "")
        )
    with contextlib.redirect_stdout(io.StringIO()):  # one ✓ line for the whole triple, not three
        for a, e, part in zip(answer, expected, ("video", "audio", "labels")):
            check_tensor(a, e, f"{name}: {part}", atol=1e-6)
    return True


@exercise(
    notebook="10",
    reference=_batch,
    wrong=[
        lambda v, a, k, p: (
            torch.cat([v, v]),
            torch.cat([a, a]),
            torch.cat([torch.ones(len(v)), torch.zeros(len(v))]).long(),
        ),
        lambda v, a, k, p: (
            torch.cat([v, v]),
            torch.cat([a, torch.stack([torch.roll(x, int(s), -1) for x, s in zip(a, k)])]),
            torch.cat([torch.ones(len(v)), torch.zeros(len(v))]).long(),
        ),  # shifted by samples
        lambda v, a, k, p: (
            torch.cat([v, v]),
            torch.cat([a, torch.stack([torch.roll(x, int(s) * p, -1) for x, s in zip(a, k)])]),
            torch.cat([torch.zeros(len(v)), torch.ones(len(v))]).long(),
        ),  # labels swapped
        lambda v, a, k, p: (
            torch.cat([v, v]),
            torch.cat([a, torch.stack([torch.roll(x, int(s) * p, 0) for x, s in zip(a, k)])]),
            torch.cat([torch.ones(len(v)), torch.zeros(len(v))]).long(),
        ),  # rolled the wrong axis
    ],
)
def check_correspondence_batch(fn) -> bool:
    """``fn(video (N, C, T, H, W), audio (N, 1, S), shifts (N,), samples_per_frame)`` = positives then shifted
    negatives."""
    return check_function(fn, _batch, _batch_cases(), "correspondence_batch", compare=_compare_batch)


EXERCISE_WORDS = ("bat", "pat", "mat", "fat", "sat", "boot")  # the vocabulary the learner predicts for


def _lips_ceiling(words, speaker) -> float:
    """The best a lip-reader can do on ``words`` (equally many clips each): distinct mouths / words."""
    mouths = [mouth_frames(w, speaker) for w in words]
    distinct = [m for i, m in enumerate(mouths) if not any(torch.equal(m, o) for o in mouths[:i])]
    return len(distinct) / len(words)


def _ceiling_cases():
    speakers = [draw_speaker(torch.Generator().manual_seed(s)) for s in (0, 7)]
    vocabularies = [
        ("bat", "pat", "mat", "fat", "sat", "boot"),
        WORDS,
        ("fat", "vat"),
        ("beet", "boot", "sat"),
        ("bat", "beet", "boot", "pat"),
    ]
    return [(v, sp) for v in vocabularies for sp in speakers]


@exercise(
    notebook="10",
    reference=_lips_ceiling,
    wrong=[
        lambda w, s: 1 / len(w),  # chance: as if every word looked alike
        lambda w, s: len({x[0] for x in w}) / len(w),  # grouped by spelling, not by the mouth
        lambda w, s: len({PHONEMES[x][1] for x in w}) / len(w),  # only the vowel seen
        lambda w, s: float(len({x[0] for x in w} | {PHONEMES[x][1] for x in w})),  # a count, not an accuracy
        lambda w, s: 1.0,  # every word told apart
    ],
)
def check_lips_ceiling(fn, prediction=None) -> bool:
    """``fn(words, speaker)`` = the best accuracy of a lip-reader on ``words``: distinct mouths / number of words.

    ``prediction``: the learner's number for :data:`EXERCISE_WORDS`, written before the code; shown beside the
    measured value (a prediction is not graded: being surprised is the point).
    """
    check_function(
        fn,
        _lips_ceiling,
        _ceiling_cases(),
        "lips_ceiling",
        compare=lambda a, e, name: check_scalar(a, e, name, rel_tol=1e-6),
    )
    speaker = draw_speaker(torch.Generator().manual_seed(0))
    report_prediction(
        prediction,
        round(_lips_ceiling(EXERCISE_WORDS, speaker), 2),
        f"best lip-reading accuracy on {', '.join(EXERCISE_WORDS)} (to 2 decimals)",
        "words whose sounds share one mouth shape look alike: section 5's viseme groups",
        agrees=agrees_within(0.02),
    )
    return True
