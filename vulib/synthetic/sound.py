"""Sound tracks: clips with a mono sound track aligned with the frames (notebook 10). See :mod:`vulib.synthetic`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from .clips import SHAPES, Obj, Scene, _hsv, _pick, _radius, _scene, register_task

__all__ = ["TIMBRES", "KIND_HUES", "PITCHES", "Tone", "Soundtrack", "render_sound"]

# ----------------------------------------------------------------------------------------
# --- 10: sound tracks ---
# Clips with a mono sound track aligned with the frames (notebook 10). A scene's events are
# also its sounds: when an object *blinks* (full brightness for a frame or two, dim
# otherwise) it makes a short tone burst. Objects come in three kinds, like instruments:
# a kind has a shape, a colour family (KIND_HUES) and a voice (TIMBRES). What you hear of an object:
#   * its timbre comes from its kind (circle: a pure sine, square: a square wave -- odd
#     harmonics --, triangle: a sawtooth -- all harmonics): sound says *what* is there;
#   * its pitch is low (200-300 Hz) or high (600-900 Hz), a free attribute of the clip;
#   * nothing about *where* it is or which way it moves: the track is mono.
# Plus a faint hiss and distractor noise bursts that belong to no visible event.
# ----------------------------------------------------------------------------------------
TIMBRES = ("sine", "square", "sawtooth")  # TIMBRES[shape]: how each shape sounds
KIND_HUES = (0.10, 0.58, 0.88)  # KIND_HUES[shape]: orange, blue, reddish purple (colour-blind safe)
PITCHES = {"low": (200.0, 300.0), "high": (600.0, 900.0)}  # fundamental frequency ranges, Hz


@dataclass
class Tone:
    """One sound event: ``frames`` video frames long from frame ``frame`` on.

    ``timbre`` is one of :data:`TIMBRES` (a tone of fundamental ``freq`` Hz) or ``"noise"`` (a
    burst of white noise); ``amplitude`` is its peak; ``phase`` its starting phase in radians.
    """

    frame: int
    frames: int
    timbre: str
    freq: float
    amplitude: float
    phase: float = 0.0


@dataclass
class Soundtrack:
    """A clip's sound: tones on a faint noise floor, ``T / fps`` seconds at ``rate`` samples a second.

    ``seed`` seeds the noise, so a sample's sound is reproducible on its own like its frames.
    """

    rate: int
    fps: float
    frames: int
    tones: list[Tone]
    noise_std: float
    seed: int


def _waveform(timbre: str, freq: float, t: np.ndarray, phase: float, rng: np.random.Generator) -> np.ndarray:
    """One unit-peak waveform of ``timbre`` at times ``t`` (seconds)."""
    if timbre == "noise":
        return rng.uniform(-1.0, 1.0, size=t.shape)
    ks = {"sine": [1], "square": [1, 3, 5, 7, 9], "sawtooth": [1, 2, 3, 4, 5, 6]}[timbre]
    w = sum(np.sin(2 * np.pi * k * freq * t + k * phase) / k for k in ks)  # a few harmonics, 1/k each
    return w / np.abs(w).max()


def render_sound(scenes: Sequence[Scene]) -> torch.Tensor:
    """The sound tracks of scenes that have one, ``(N, 1, S)`` float32, ``S = round(T / fps * rate)``.

    Sample ``j`` is at ``j / rate`` seconds and frame ``t`` at ``t / fps`` seconds, so a tone of
    an event at frame ``t`` starts at sample ``round(t / fps * rate)``. Each tone rises in 5 ms and
    decays exponentially (a struck, percussive sound), ending when its frames end.
    """
    if not scenes or any(sc.sound is None for sc in scenes):
        raise ValueError("expected scenes that all have a sound track (scene.sound)")
    rate, fps, T = scenes[0].sound.rate, scenes[0].sound.fps, scenes[0].sound.frames
    S = int(round(T / fps * rate))
    out = np.zeros((len(scenes), 1, S), np.float32)
    for i, sc in enumerate(scenes):
        snd = sc.sound
        if (snd.rate, snd.fps, snd.frames) != (rate, fps, T):
            raise ValueError("expected every scene's sound at the same rate, fps and length")
        rng = np.random.default_rng(snd.seed)
        wave = snd.noise_std * rng.standard_normal(S)  # the hiss
        for tone in snd.tones:
            a, b = int(round(tone.frame / fps * rate)), min(S, int(round((tone.frame + tone.frames) / fps * rate)))
            t = np.arange(b - a) / rate  # seconds since the onset
            envelope = np.minimum(t / 0.005, 1.0) * np.exp(-t / (0.4 * (b - a) / rate))
            wave[a:b] += tone.amplitude * envelope * _waveform(tone.timbre, tone.freq, t, tone.phase, rng)
        out[i, 0] = wave
    return torch.from_numpy(out)


def _blink_frames(rng: np.random.Generator, T: int, count: int, blink: int, taken: set[int]) -> list[int]:
    """``count`` onsets for blinks of ``blink`` frames, apart from each other and from frames in ``taken``."""
    onsets: list[int] = []
    for _ in range(count):
        free = [s for s in range(T - blink + 1) if not any(f in taken for f in range(s - 1, s + blink + 1))]
        if not free:
            break
        s = free[int(rng.integers(len(free)))]
        onsets.append(s)
        taken.update(range(s, s + blink))
    return sorted(onsets)


def _av_scene(
    rng: np.random.Generator,
    label: int,
    T: int,
    H: int,
    W: int,
    *,
    shapes: list[int],
    positions: list[np.ndarray],
    velocity: np.ndarray,
    sounding: list[bool],
    pitch: str,
    fps: float,
    audio_rate: int,
    blinks,
    blink: int,
    distractor_sounds,
    radius,
    distractors: int,
    noise,
) -> Scene:
    """Objects that blink, each blink of a sounding object making a tone of its shape's timbre at ``pitch``."""
    if fps <= 0 or int(audio_rate) < 1000:
        raise ValueError(f"expected fps > 0 and audio_rate >= 1000 Hz, got fps={fps}, audio_rate={audio_rate}")
    if not 1 <= blink <= T // 2:
        raise ValueError(f"blink={blink} frames must be between 1 and T/2={T // 2}")
    objs, tones, events = [], [], []
    taken: set[int] = set()
    f0 = float(rng.uniform(*PITCHES[pitch]))
    r = _radius(rng, radius, H, W)
    for shape, pos, loud in zip(shapes, positions, sounding):
        onsets = _blink_frames(rng, T, _pick(rng, blinks, "blinks", 1, T), blink, taken)
        alpha = np.full(T, 0.45, np.float32)  # dim between blinks: always visible
        for s in onsets:
            alpha[s : s + blink] = 1.0
        track = (pos + np.arange(T)[:, None] * velocity).astype(np.float32)
        color = _hsv(KIND_HUES[shape] + rng.uniform(-0.03, 0.03), rng.uniform(0.75, 1.0), rng.uniform(0.85, 1.0))
        objs.append(Obj(shape, r, color, track, alpha))
        voice = [
            Tone(s, blink, TIMBRES[shape], f0, float(rng.uniform(0.35, 0.6)), float(rng.uniform(0, 2 * np.pi)))
            for s in onsets
        ]  # drawn for silent objects too: same draws for every label
        if loud:
            events += [(s, s + blink) for s in onsets]
            tones += voice
    for _ in range(_pick(rng, distractor_sounds, "distractor_sounds", 0, T)):  # sounds of nothing visible
        tones.append(Tone(int(rng.integers(T)), 1, "noise", 0.0, float(rng.uniform(0.1, 0.3))))
    main = int(np.flatnonzero(sounding)[0]) if any(sounding) else 0
    scene = _scene(rng, label, objs, sorted(events), T, H, W, distractors, noise)
    scene.main += main
    scene.sound = Soundtrack(
        int(audio_rate), float(fps), T, tones, float(rng.uniform(0.003, 0.015)), int(rng.integers(2**62))
    )
    return scene


_AV_OPTIONS = ("fps", "audio_rate", "blinks", "blink", "distractor_sounds", "speed", "radius", "distractors", "noise")


def _moving_av_sampler(kind: str):
    """One object moving right or left, blinking with a tone. ``kind`` says what the label is about."""

    def sample(
        rng,
        label,
        T,
        H,
        W,
        fps=8.0,
        audio_rate=16000,
        blinks=(1, 2),
        blink=1,
        distractor_sounds=(0, 2),
        speed=(1.0, 2.0),
        radius=None,
        distractors=2,
        noise=(0.02, 0.06),
    ) -> Scene:
        if kind == "pitch":
            pitch, direction = ("low", "high")[label], int(rng.integers(2))
        elif kind == "direction":
            pitch, direction = ("low", "high")[int(rng.integers(2))], label
        else:  # pitch_direction: label = pitch * 2 + direction
            pitch, direction = ("low", "high")[label // 2], label % 2
        v = np.array([(1.0, -1.0)[direction] * rng.uniform(*speed), 0.0])
        pos = np.array([rng.uniform(0, W), rng.uniform(0, H)])
        return _av_scene(
            rng,
            label,
            T,
            H,
            W,
            shapes=[int(rng.integers(len(SHAPES)))],
            positions=[pos],
            velocity=v,
            sounding=[True],
            pitch=pitch,
            fps=fps,
            audio_rate=audio_rate,
            blinks=blinks,
            blink=blink,
            distractor_sounds=distractor_sounds,
            radius=radius,
            distractors=distractors,
            noise=noise,
        )

    return sample


register_task(
    "av_pitch",
    ("low", "high"),
    "with sound: label = the pitch of the object's tones (sound only: the picture never shows it)",
    options=_AV_OPTIONS,
)(_moving_av_sampler("pitch"))
register_task(
    "av_direction",
    ("right", "left"),
    "with sound: label = which way the object moves (vision only: the mono sound never tells)",
    options=_AV_OPTIONS,
)(_moving_av_sampler("direction"))
register_task(
    "av_pitch_direction",
    ("low right", "low left", "high right", "high left"),
    "with sound: label = pitch of the tones and direction of motion (needs sound and vision)",
    options=_AV_OPTIONS,
)(_moving_av_sampler("pitch_direction"))


@register_task(
    "av_source",
    ("left", "right"),
    "with sound: two still objects of different shapes blink; only one makes the sound. Label = is the "
    "sounding one the left or the right object? (needs both: which one sounds, and where it is)",
    options=_AV_OPTIONS,
)
def _av_source_task(
    rng,
    label,
    T,
    H,
    W,
    fps=8.0,
    audio_rate=16000,
    blinks=(1, 2),
    blink=1,
    distractor_sounds=(0, 2),
    speed=None,
    radius=None,
    distractors=2,
    noise=(0.02, 0.06),
) -> Scene:
    shapes = [int(s) for s in rng.permutation(len(SHAPES))[:2]]  # two different shapes, hence timbres
    left = np.array([rng.uniform(0.18, 0.32) * W, rng.uniform(0.25, 0.75) * H])
    right = np.array([rng.uniform(0.68, 0.82) * W, rng.uniform(0.25, 0.75) * H])
    sounding = [label == 0, label == 1]  # label 0: the left object sounds
    return _av_scene(
        rng,
        label,
        T,
        H,
        W,
        shapes=shapes,
        positions=[left, right],
        velocity=np.zeros(2),
        sounding=sounding,
        pitch=("low", "high")[int(rng.integers(2))],
        fps=fps,
        audio_rate=audio_rate,
        blinks=blinks,
        blink=blink,
        distractor_sounds=distractor_sounds,
        radius=radius,
        distractors=distractors,
        noise=noise,
    )
