"""Talking mouths and their voices: short spoken words, synthesised, for audio-visual speech (notebook 10).

A *word* is a consonant, a vowel and a final /t/ (``bat``, ``pat``, ``mat``, ``fat``, ``vat``, ``sat``,
``beet``, ``boot``: :data:`WORDS`). Each clip of a word has two streams on one time axis:

* **the voice** (:func:`speak`), a source-filter synthesiser in the spirit of Klatt (1980): a glottal
  pulse train at the speaker's pitch (voicing) and white noise (aspiration, frication, bursts), shaped frame
  by frame in the short-time Fourier domain by three formant resonators. The vowels' formants are the
  averages for men of Peterson & Barney (1952) (:data:`VOWEL_FORMANTS`), scaled per speaker. Consonants are
  what their manner makes them: /b/ a closure with a faint voice bar and a weak release, /p/ a silent
  closure, a burst and 60 ms of aspiration before voicing starts (a long voice onset time), /m/ a nasal
  murmur, /f/ weak broad noise, /v/ weaker noise with voicing, /s/ strong high-frequency hiss, final /t/ a
  silent closure and a burst;
* **the mouth** (:func:`mouth_frames`), a grey 16 x 16 picture per video frame: skin, lips, the dark inside
  of the mouth and, when they show, the upper teeth. Its shape follows the *viseme* of the sound being made
  (:data:`VISEMES`): lips pressed shut for /b p m/, lower lip under the upper teeth for /f v/, teeth
  together for /s t/, wide open for /ae/, spread for /i/, small and round for /u/. Sounds of one viseme
  look the same: with the same timing, ``bat``, ``pat`` and ``mat`` give the very same frames (and so do
  ``fat`` and ``vat``): :data:`VISEME_GROUPS`.

Every clip draws its own speaker and timing from a ``torch.Generator`` (pitch, vocal-tract length,
speaking rate, onset, loudness, where the mouth sits and how big it is, the skin's shade), always with the
same draws whatever the word, so that words differ only by what they say and how they look.
:func:`add_noise` mixes white noise or *babble* (other synthetic voices, each saying a random word of
:data:`WORDS`) at a chosen signal-to-noise ratio in decibels (:func:`mix_at_snr` mixes noise drawn beforehand).
:func:`make_speech` makes a labelled batch.

The sound is :data:`RATE` = 16 kHz mono like the rest of notebook 10 (:mod:`vulib.synthetic.sound`), so
:func:`vulib.audio.log_mel` reads it; the mouth is filmed at :data:`FPS` = 20 frames a second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

__all__ = [
    "WORDS",
    "PHONEMES",
    "VISEMES",
    "VISEME_GROUPS",
    "VOWEL_FORMANTS",
    "RATE",
    "FPS",
    "SECONDS",
    "Speaker",
    "SpeechBatch",
    "draw_speaker",
    "speak",
    "speak_many",
    "mouth_frames",
    "add_noise",
    "mix_at_snr",
    "babble",
    "make_speech",
]

RATE = 16000  # samples a second, as the sound tracks of vulib.synthetic.sound
FPS = 20.0  # mouth frames a second
SECONDS = 0.6  # every clip: 0.6 s = 9600 samples = 12 frames

WORDS = ("bat", "pat", "mat", "fat", "vat", "sat", "beet", "boot")
PHONEMES = {  # word -> (first consonant, vowel); every word ends in /t/
    "bat": ("b", "ae"),
    "pat": ("p", "ae"),
    "mat": ("m", "ae"),
    "fat": ("f", "ae"),
    "vat": ("v", "ae"),
    "sat": ("s", "ae"),
    "beet": ("b", "i"),
    "boot": ("b", "u"),
}
# Peterson & Barney (1952), Table II, averages of 33 men: F1, F2, F3 in Hz
VOWEL_FORMANTS = {"ae": (660.0, 1720.0, 2410.0), "i": (270.0, 2290.0, 3010.0), "u": (300.0, 870.0, 2240.0)}
# The mouth's shape per sound: (opening, width, teeth showing, lip thickness), opening and width as
# fractions of the mouth's size; one shape per viseme, shared by the sounds that look alike.
VISEMES = {
    "rest": (0.12, 0.55, 0.0, 0.22),
    "bilabial": (0.0, 0.50, 0.0, 0.16),  # /b p m/: lips pressed together
    "labiodental": (0.06, 0.48, 1.0, 0.14),  # /f v/: lower lip tucked under the upper teeth
    "alveolar": (0.20, 0.74, 1.0, 0.18),  # /s t/: teeth together, lips apart and spread
    "ae": (0.62, 0.62, 0.4, 0.20),  # open
    "i": (0.24, 0.86, 1.0, 0.16),  # spread
    "u": (0.30, 0.28, 0.0, 0.32),  # rounded, protruded
}
VISEME_OF = {"b": "bilabial", "p": "bilabial", "m": "bilabial", "f": "labiodental", "v": "labiodental"}
VISEME_OF |= {"s": "alveolar", "t": "alveolar", "ae": "ae", "i": "i", "u": "u", "sil": "rest"}
VISEME_GROUPS = (("bat", "pat", "mat"), ("fat", "vat"), ("sat",), ("beet",), ("boot",))

_HOP, _NFFT = 128, 256  # the synthesiser's STFT: 8 ms hop, 16 ms window


@dataclass
class Speaker:
    """One clip's speaker and timing (all drawn by :func:`draw_speaker`).

    ``pitch`` Hz; ``tract`` scales every formant (a shorter vocal tract has higher formants); ``rate``
    scales every duration; ``onset`` seconds of silence before the word; ``durations`` (consonant, vowel,
    /t/ closure) in seconds before ``rate``; ``loudness`` the peak amplitude; ``shift`` (dy, dx) pixels and
    ``size`` (a scale) place the mouth; ``skin`` its grey level.
    """

    pitch: float
    tract: float
    rate: float
    onset: float
    durations: tuple[float, float, float]
    loudness: float
    shift: tuple[float, float]
    size: float
    skin: float


def draw_speaker(generator: torch.Generator) -> Speaker:
    """A random speaker and timing, with the same ten draws from ``generator`` for any word."""
    u = torch.rand(10, generator=generator, dtype=torch.float64).tolist()
    return Speaker(
        pitch=90.0 + 130.0 * u[0],  # 90-220 Hz: low men's to women's voices
        tract=0.92 + 0.16 * u[1],
        rate=0.88 + 0.24 * u[2],
        onset=0.03 + 0.05 * u[3],
        durations=(0.085 + 0.03 * u[4], 0.19 + 0.05 * u[5], 0.05),
        loudness=0.5 + 0.4 * u[6],
        shift=(2.0 * u[7] - 1.0, 2.0 * u[8] - 1.0),
        size=0.9 + 0.2 * u[9],
        skin=0.62,
    )


def _segments(word: str, sp: Speaker) -> list[tuple[str, float, float]]:
    """The word as (sound, start, end) in seconds: silence, consonant, vowel, /t/ closure, /t/ burst, silence."""
    if word not in PHONEMES:
        raise ValueError(f"unknown word {word!r}; expected one of {WORDS}")
    c, v = PHONEMES[word]
    dc, dv, dt = (d * sp.rate for d in sp.durations)
    t0 = sp.onset
    marks = [0.0, t0, t0 + dc, t0 + dc + dv, t0 + dc + dv + dt, t0 + dc + dv + dt + 0.02, SECONDS + 1.0]
    names = ["sil", c, v, "t", "t_burst", "sil"]
    return [(n, a, b) for n, a, b in zip(names, marks[:-1], marks[1:])]


def _resonance(freqs: torch.Tensor, f: torch.Tensor, bw: torch.Tensor) -> torch.Tensor:
    """Magnitude response of a two-pole resonator at ``f`` Hz, bandwidth ``bw`` Hz, unit gain at 0 Hz.

    ``freqs`` ``(F,)`` Hz; ``f``, ``bw`` ``(N,)`` (one per STFT frame) -> ``(N, F)``:
    ``|1 - 2 r cos(theta) + r^2| / |1 - 2 r cos(theta) e^{-jw} + r^2 e^{-2jw}|`` with ``r = exp(-pi bw / rate)``,
    ``theta = 2 pi f / rate``, ``w = 2 pi freqs / rate`` (written out in real numbers)."""
    r = torch.exp(-math.pi * bw / RATE)[:, None]  # (N, 1)
    c = 2 * r * torch.cos(2 * math.pi * f / RATE)[:, None]  # (N, 1)
    w = 2 * math.pi * freqs / RATE  # (F,)
    re = 1 - c * torch.cos(w) + r**2 * torch.cos(2 * w)  # (N, F)
    im = c * torch.sin(w) - r**2 * torch.sin(2 * w)
    return (1 - c + r**2) * torch.rsqrt(re**2 + im**2)


def _tracks(word: str, sp: Speaker, n: int) -> dict[str, torch.Tensor]:
    """Per STFT frame (``n`` frames, one every ``_HOP`` samples): voicing, aspiration, frication and burst
    amplitudes, frication centre, and formants F1-F3, smoothed so sounds glide into each other."""
    t = torch.arange(n, dtype=torch.float64) * _HOP / RATE  # (n,) seconds
    keys = ("voice", "asp", "fric", "fric_hz", "fric_bw", "f1", "f2", "f3", "nasal")
    tr = {k: torch.zeros(n, dtype=torch.float64) for k in keys}
    c, v = PHONEMES[word]
    vf = VOWEL_FORMANTS[v]
    for name, a, b in _segments(word, sp):
        m = (t >= a) & (t < b)
        f = vf  # formants default to the vowel's (the tract is already shaped for it)
        voice = fric = nasal = 0.0
        fric_hz, fric_bw = 4000.0, 6000.0
        if name in VOWEL_FORMANTS:
            voice = 1.0
        elif name == "b":
            voice, f = 0.06, (180.0, 900.0, 2200.0)  # voice bar under the closure
        elif name == "m":
            voice, nasal, f = 0.35, 1.0, (250.0, 1100.0, 2300.0)  # nasal murmur
        elif name == "f":
            fric, fric_hz, fric_bw = 0.10, 4500.0, 7000.0
        elif name == "v":
            voice, fric, fric_hz, fric_bw, f = 0.25, 0.06, 4500.0, 7000.0, (250.0, 1300.0, 2400.0)
        elif name == "s":
            fric, fric_hz, fric_bw = 0.45, 6000.0, 2500.0
        elif name == "t_burst":
            fric, fric_hz, fric_bw = 0.5, 4000.0, 3000.0
        tr["voice"][m], tr["fric"][m], tr["nasal"][m] = voice, fric, nasal
        tr["fric_hz"][m], tr["fric_bw"][m] = fric_hz, fric_bw
        for k, fk in zip(("f1", "f2", "f3"), f):
            tr[k][m] = fk * sp.tract
        if name in VOWEL_FORMANTS and c == "p":  # the first 60 ms of the vowel are breath, not voice (long VOT)
            early = m & (t < a + 0.06 * sp.rate)
            tr["asp"][early], tr["voice"][early] = 0.35, 0.0
        if name in ("b", "p"):  # the release: a short burst as the lips open (weak for /b/, strong for /p/)
            rel = (t >= b) & (t < b + 0.01)
            tr["fric"][rel] = 0.08 if name == "b" else 0.45
            tr["fric_hz"][rel], tr["fric_bw"][rel] = 1500.0, 6000.0
    if c in ("b", "p", "m"):  # labial closures pull F2 down: it rises into the vowel
        tr["f2"][(t >= _segments(word, sp)[1][1]) & (t < _segments(word, sp)[2][1] + 0.04)] *= 0.75

    def smooth(x: torch.Tensor, ms: float) -> torch.Tensor:
        k = max(1, int(round(ms / 1000 * RATE / _HOP)))
        pad = torch.nn.functional.pad(x[None, None], (k, k), mode="replicate")
        return torch.nn.functional.avg_pool1d(pad, 2 * k + 1, stride=1)[0, 0]

    for k in ("f1", "f2", "f3"):
        tr[k] = smooth(tr[k], 20.0)
    for k in ("voice", "asp", "nasal"):
        tr[k] = smooth(tr[k], 6.0)
    return tr


def speak(word: str, speaker: Speaker, generator: torch.Generator) -> torch.Tensor:
    """The voice of ``speaker`` saying ``word``: a wave ``(S,)`` float32, ``S = SECONDS * RATE`` = 9600.

    Source: glottal pulses at ``speaker.pitch`` (with a slight fall over the word) plus white noise from
    ``generator``; filter: per STFT frame (8 ms hop), voiced and aspirated sound through the three formant
    resonators (and a -6 dB/octave tilt: the glottal source's -12, the lips' radiation +6), frication
    through a band around the sound's centre. Scaled so its peak is ``speaker.loudness``.
    """
    return speak_many([word], [speaker], generator)[0]


def speak_many(words, speakers, generator: torch.Generator) -> torch.Tensor:
    """:func:`speak` for many clips at once: ``(N, S)`` float32 (the noise of all clips drawn in one go)."""
    S, N = int(round(SECONDS * RATE)), len(words)
    unknown = [w for w in words if w not in PHONEMES]
    if unknown or len(words) != len(speakers):
        raise ValueError(f"unknown word(s) {unknown}; expected one of {WORDS}, one speaker per word")
    t = torch.arange(S, dtype=torch.float64) / RATE
    pitch = torch.tensor([sp.pitch for sp in speakers], dtype=torch.float64)[:, None]  # (N, 1)
    f0 = pitch * (1.05 - 0.1 * t / SECONDS)  # (N, S) a falling intonation
    phase = torch.cumsum(f0 / RATE, 1)
    pulses = (torch.floor(phase[:, 1:]) > torch.floor(phase[:, :-1])).double()  # (N, S - 1): one per period
    pulses = (torch.cat([torch.zeros(N, 1, dtype=torch.float64), pulses], 1) * pitch**0.5).float()
    noise = torch.randn(N, S, generator=generator) * 0.05
    window = torch.hann_window(_NFFT)
    P = torch.stft(pulses, _NFFT, _HOP, window=window, return_complex=True)  # (N, F, n)
    Nz = torch.stft(noise, _NFFT, _HOP, window=window, return_complex=True)
    n = P.shape[-1]
    trs = [_tracks(w, sp, n) for w, sp in zip(words, speakers)]
    tr = {k: torch.stack([x[k] for x in trs]).reshape(-1).float() for k in trs[0]}  # (N * n,) each
    freqs = torch.linspace(0, RATE / 2, _NFFT // 2 + 1)
    vocal = torch.ones(N * n, len(freqs))
    for k, bw in (("f1", 80.0), ("f2", 110.0), ("f3", 160.0)):
        vocal = vocal * _resonance(freqs, tr[k], bw * (1 + 2 * tr["nasal"]))  # nasals: broad, damped formants
    tilt = 1.0 / torch.sqrt(1.0 + (freqs / 150.0) ** 2)
    band = torch.exp(-0.5 * ((freqs[None, :] - tr["fric_hz"][:, None]) / (tr["fric_bw"][:, None] / 2)) ** 2)
    shape = lambda x: x.reshape(N, n, -1).transpose(1, 2)  # noqa: E731 (N * n, F) -> (N, F, n)
    spec = (
        P * shape(vocal * tilt * tr["voice"][:, None])
        + Nz * shape(vocal * tr["asp"][:, None] * 0.02)
        + Nz * shape(band * tr["fric"][:, None])
    )  # (N, F, n)
    wave = torch.istft(spec, _NFFT, _HOP, window=window, length=S)  # (N, S)
    loud = torch.tensor([sp.loudness for sp in speakers])[:, None]
    return (wave / wave.abs().amax(1, keepdim=True).clamp_min(1e-9) * loud).float()


def _viseme_track(word: str, sp: Speaker, times: torch.Tensor) -> torch.Tensor:
    """The mouth's shape ``(len(times), 4)`` at ``times`` seconds: each sound's viseme, blended over 30 ms
    at the boundaries (the lips move, they do not jump)."""
    segs = [(VISEME_OF["t" if n == "t_burst" else n], a, b) for n, a, b in _segments(word, sp)]
    fine = torch.arange(0, SECONDS, 0.002, dtype=torch.float64)  # 2 ms steps
    shape = torch.zeros(len(fine), 4, dtype=torch.float64)
    for vis, a, b in segs:
        shape[(fine >= a) & (fine < b)] = torch.tensor(VISEMES[vis], dtype=torch.float64)
    k = 7  # +-14 ms moving average
    pad = torch.nn.functional.pad(shape.T[None], (k, k), mode="replicate")
    shape = torch.nn.functional.avg_pool1d(pad, 2 * k + 1, stride=1)[0].T
    idx = (times / 0.002).round().long().clamp(0, len(fine) - 1)
    return shape[idx]


def mouth_frames(word: str, speaker: Speaker, *, frames: int | None = None, size: int = 16) -> torch.Tensor:
    """The mouth saying ``word``: ``(T, size, size)`` float32 grey frames in [0, 1], ``T = SECONDS * FPS`` = 12.

    Frame ``k`` shows the mouth at ``(k + 0.5) / FPS`` seconds. Drawn with soft edges: skin, the lips (a
    darker ring whose thickness is the viseme's), the dark inside of the mouth (an ellipse of the viseme's
    opening and width) and the upper teeth (a bright band at the top of the opening, or over the lower lip
    for /f v/). Only the viseme enters the picture, never the sound: look-alike words give equal frames.
    """
    T = int(round(SECONDS * FPS)) if frames is None else frames
    times = (torch.arange(T, dtype=torch.float64) + 0.5) / FPS * (SECONDS * FPS / T)
    shape = _viseme_track(word, speaker, times)  # (T, 4): opening, width, teeth, lips
    c = (size - 1) / 2
    y = torch.arange(size, dtype=torch.float64)[:, None] - c - speaker.shift[0]  # (size, 1) pixels
    x = torch.arange(size, dtype=torch.float64)[None, :] - c - speaker.shift[1]  # (1, size)
    scale = 0.42 * size * speaker.size  # the mouth's half-width at width 1, in pixels
    soft = lambda d: torch.sigmoid(-d * 3.0)  # noqa: E731 inside (d < 0) -> 1, 1/3-pixel edges
    opening, width, teeth, lips = (v[:, None, None] for v in shape.T)  # each (T, 1, 1)
    a, b = width * scale, opening * scale * 0.75  # the opening's half-width, half-height (pixels)
    la, lb = a + lips * scale * 0.5, b + lips * scale * 0.9 + 0.6  # the lips' outer ellipse
    outer = soft((torch.sqrt((x / la) ** 2 + (y / lb) ** 2) - 1) * torch.minimum(la, lb))  # (T, size, size)
    ai, bi = a.clamp_min(1e-3), b.clamp_min(1e-3)
    inner = soft((torch.sqrt((x / ai) ** 2 + (y / bi) ** 2) - 1) * torch.minimum(ai, bi).clamp_min(0.3))
    inner = inner * (b > 0.05)
    img = speaker.skin * (1 - outer) + 0.3 * outer  # skin, then lips
    img = img * (1 - inner) + 0.06 * inner  # the dark inside
    top = soft(y + b - b.clamp_min(1.0) * 0.6) * soft(-(y + b + 0.6))  # a band at the opening's top edge
    teeth_band = top * soft(x.abs() - a * 0.8) * teeth
    out = img * (1 - teeth_band) + 0.95 * teeth_band  # (T, size, size)
    return out.clamp(0, 1).float()


def babble(generator: torch.Generator, *, clips: int = 1, voices: int = 4, pool: int | None = None) -> torch.Tensor:
    """Babble ``(clips, S)``: per clip, ``voices`` other speakers saying random words, each delayed by a
    random time (circularly), summed -- the noise of a crowded room.

    ``pool=None`` synthesises ``clips * voices`` new voices; ``pool=k`` synthesises ``k`` voices once and
    draws each clip's ``voices`` from them (with its own delays): much cheaper for many clips, at the cost of
    hearing the same ``k`` people again and again.
    """
    S, k = int(round(SECONDS * RATE)), clips * voices
    n = k if pool is None else pool
    said = [WORDS[int(i)] for i in torch.randint(len(WORDS), (n,), generator=generator)]
    speakers = [draw_speaker(generator) for _ in range(n)]
    if pool is None:
        shifts = torch.randint(S, (k,), generator=generator).tolist()
        waves = speak_many(said, speakers, generator)  # (k, S)
    else:
        who = torch.randint(pool, (k,), generator=generator)
        shifts = torch.randint(S, (k,), generator=generator).tolist()
        waves = speak_many(said, speakers, generator)[who]  # (pool, S) -> (k, S)
    waves = torch.stack([torch.roll(w, s) for w, s in zip(waves, shifts)])
    return waves.reshape(clips, voices, S).sum(1)


def add_noise(
    wave: torch.Tensor, snr_db: float | None, *, kind: str = "white", generator: torch.Generator
) -> torch.Tensor:
    """``wave`` ``(..., S)`` plus noise at ``snr_db`` decibels: ``10 log10(P_signal / P_noise)``, each power the
    mean square over the clip (per clip). ``snr_db=None`` (or ``inf``) returns the wave unchanged.

    ``kind``: ``"white"`` (Gaussian) or ``"babble"`` (:func:`babble`: other synthetic voices). Lower SNR,
    louder noise: 0 dB is as loud as the word, -10 dB ten times its power.
    """
    if snr_db is None or math.isinf(snr_db):
        return wave.clone()
    if kind not in ("white", "babble"):
        raise ValueError(f"expected kind 'white' or 'babble', got {kind!r}")
    flat = wave.reshape(-1, wave.shape[-1])  # (N, S)
    if kind == "white":
        noise = torch.randn(flat.shape, generator=generator)
    else:
        noise = babble(generator, clips=len(flat))
    return mix_at_snr(wave, noise.reshape(wave.shape), snr_db)


def mix_at_snr(wave: torch.Tensor, noise: torch.Tensor, snr_db: float | None) -> torch.Tensor:
    """``wave`` ``(..., S)`` plus ``noise`` (same shape) scaled per clip so that the mix has ``snr_db`` decibels:
    ``10 log10(P_signal / P_noise)``, each power the mean square over the clip. ``snr_db=None`` (or ``inf``)
    returns the wave unchanged.

    What :func:`add_noise` does with noise it draws itself; given the noise, one draw (e.g. one babble per
    clip, which costs a synthesis of several voices) serves every SNR.
    """
    if snr_db is None or math.isinf(snr_db):
        return wave.clone()
    if noise.shape != wave.shape:
        raise ValueError(f"noise {tuple(noise.shape)} must have the wave's shape {tuple(wave.shape)}")
    flat, noise = wave.reshape(-1, wave.shape[-1]), noise.reshape(-1, wave.shape[-1])  # (N, S) each
    p_sig = flat.pow(2).mean(-1, keepdim=True)
    p_noise = noise.pow(2).mean(-1, keepdim=True).clamp_min(1e-12)
    gain = torch.sqrt(p_sig / p_noise / 10 ** (snr_db / 10))
    return (flat + gain * noise).reshape(wave.shape)


@dataclass
class SpeechBatch:
    """Clips of spoken words: ``audio`` ``(N, 1, S)`` clean voices, ``video`` ``(N, 1, T, H, W)`` mouths,
    ``labels`` ``(N,)`` indices into ``classes`` (= :data:`WORDS`), ``speakers`` one :class:`Speaker` each."""

    audio: torch.Tensor
    video: torch.Tensor
    labels: torch.Tensor
    speakers: list[Speaker]
    classes: tuple[str, ...] = WORDS

    def __len__(self) -> int:
        return len(self.labels)


def make_speech(n: int, *, seed: int, size: int = 16, words: tuple[str, ...] = WORDS) -> SpeechBatch:
    """``n`` clean clips, word ``i % len(words)`` for clip ``i`` (class-balanced), from a generator seeded ``seed``.

    Returns a :class:`SpeechBatch`: ``audio (n, 1, 9600)``, ``video (n, 1, 12, size, size)``. Add noise
    with :func:`add_noise`.
    """
    g = torch.Generator().manual_seed(seed)
    said = [words[i % len(words)] for i in range(n)]
    speakers = [draw_speaker(g) for _ in range(n)]
    audio = speak_many(said, speakers, g)  # (n, S)
    video = torch.stack([mouth_frames(w, sp, size=size) for w, sp in zip(said, speakers)])  # (n, T, H, W)
    labels = [WORDS.index(w) for w in said]
    return SpeechBatch(audio[:, None], video[:, None], torch.tensor(labels), speakers, WORDS)
