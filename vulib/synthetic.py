"""Synthetic videos whose label depends on exactly what a lesson needs.

No data is ever downloaded: every "dataset" in the suite is drawn here, in a few
milliseconds per clip, with its ground truth (labels, exact optical flow, event
start/end frames). Each task fixes its label by one factor -- appearance, direction of motion,
order of events -- or by a stated combination of them (shape and direction, say), and draws everything
else (position, colour, size, speed, start time, background, distractor dots, noise) the same way for every
class, so that a model can only succeed by using the thing the lesson is about.

How it is built, so new tasks slot in without rewrites:

1. A task is a function ``sample(rng, label, T, H, W, **options) -> Scene`` that draws
   the parameters of *one* clip (objects, their tracks and visibility, events) with
   the NumPy generator it is given. It is registered with :func:`register_task`.
2. :func:`make_clips` draws the scenes for a batch and renders all of them at once
   with :func:`render_scenes` (vectorized PyTorch), optionally with exact flow.

Sample ``i`` of a batch made with ``seed=s`` uses the generator
``numpy.random.default_rng([s, i])`` and has label ``i % num_classes``, so any
sample can be regenerated on its own (``make_clips(..., n=1, seed=s, start_index=i)``)
and every batch is class-balanced.

The world is a torus: an object leaving on the right comes back on the left. This is
what makes single frames of the ``direction`` task carry *no* information about the
label: at every frame the object's position is uniform over the image for every class.
"""
from __future__ import annotations

import colorsys
import math
from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

import numpy as np
import torch

from .seed import fresh_seed

__all__ = [
    "SHAPES",
    "Obj",
    "Scene",
    "VideoBatch",
    "Task",
    "TASKS",
    "register_task",
    "make_clips",
    "render_scenes",
    "make_untrimmed",
    "UntrimmedBatch",
]

SHAPES = ("circle", "square", "triangle")

# Colour identities of the two flashes in the `order` task (hue in [0, 1]).
FLASH_HUES = {"A": 0.07, "B": 0.60}   # orange, blue: distinguishable with colour-blindness too


# ----------------------------------------------------------------------------------------
# Scene description (one clip) -- what a task's sampler returns
# ----------------------------------------------------------------------------------------
@dataclass
class Obj:
    """One object in a clip.

    Attributes:
        shape: index into :data:`SHAPES`.
        radius: size in pixels (objects of every shape have the area of a disc of this radius).
        color: RGB in [0, 1], shape ``(3,)``.
        track: centre ``(x, y)`` in pixels for every frame, shape ``(T, 2)``; may leave the
            image, positions are taken modulo the image size (the world is a torus).
        alpha: opacity per frame in [0, 1], shape ``(T,)`` (0 = invisible).
    """

    shape: int
    radius: float
    color: np.ndarray
    track: np.ndarray
    alpha: np.ndarray


@dataclass
class Scene:
    """Everything needed to render one clip and to know its ground truth.

    ``objects`` are drawn in order (later ones on top). ``events`` lists the
    ``(start, end)`` frames (end exclusive) of what the label is about, in time order.
    """

    label: int
    objects: list[Obj]
    background: np.ndarray
    noise_std: float
    events: list[tuple[int, int]]
    main: int = 0          # index of the object the label is about (its track is ground truth)
    blank: np.ndarray | None = None   # bool per frame: True = the frame is all zero (no background, no noise)
    sound: "Soundtrack | None" = None  # the clip's sound track, if the task has one (see "10: sound tracks")


@dataclass
class VideoBatch:
    """A batch of synthetic clips with their ground truth.

    Attributes:
        video: ``(N, 3, T, H, W)`` float32 in [0, 1].
        labels: ``(N,)`` int64.
        classes: the class names, ``classes[label]``.
        task: the task's name.
        events: ``(N, E, 2)`` int64 start/end frame (end exclusive) of each labelled event.
        tracks: ``(N, 2, T)`` float32 centre ``(x, y)`` of the main object (the first labelled one), in pixels,
            wrapped into the image.
        flow: ``(N, 2, T-1, H, W)`` float32 exact forward optical flow in pixels (x then y) from
            frame t to t+1, or ``None`` if not requested.
        seed: the seed the batch was drawn from; ``start_index``: index of its first sample.
        audio: ``(N, 1, S)`` float32 mono sound tracks aligned with the frames (sample ``j`` is at
            ``j / audio_rate`` s, frame ``t`` at ``t / fps`` s), or ``None`` for silent tasks.
        audio_rate: samples per second of ``audio`` (0 when there is none).
    """

    video: torch.Tensor
    labels: torch.Tensor
    classes: tuple[str, ...]
    task: str
    events: torch.Tensor
    tracks: torch.Tensor
    flow: torch.Tensor | None = None
    seed: int = 0
    start_index: int = 0
    options: dict = field(default_factory=dict)
    audio: torch.Tensor | None = None
    audio_rate: int = 0

    def __len__(self) -> int:
        return self.video.shape[0]

    def __getitem__(self, idx) -> "VideoBatch":
        """Index or slice the batch (returns a smaller ``VideoBatch``)."""
        if isinstance(idx, int):
            idx = slice(idx, idx + 1) if idx != -1 else slice(-1, None)
        return replace(
            self,
            video=self.video[idx],
            labels=self.labels[idx],
            events=self.events[idx],
            tracks=self.tracks[idx],
            flow=None if self.flow is None else self.flow[idx],
            audio=None if self.audio is None else self.audio[idx],
        )

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def to(self, device: torch.device | str) -> "VideoBatch":
        """Move every tensor to ``device``."""
        return replace(
            self,
            video=self.video.to(device),
            labels=self.labels.to(device),
            events=self.events.to(device),
            tracks=self.tracks.to(device),
            flow=None if self.flow is None else self.flow.to(device),
            audio=None if self.audio is None else self.audio.to(device),
        )

    def __repr__(self) -> str:
        n, c, t, h, w = self.video.shape
        extra = ", with flow" if self.flow is not None else ""
        if self.audio is not None:
            extra += f", with sound ({self.audio.shape[-1]} samples at {self.audio_rate} Hz)"
        return (f"VideoBatch(task={self.task!r}, {n} clips of (C={c}, T={t}, H={h}, W={w}), "
                f"classes={self.classes}{extra})")


@dataclass(frozen=True)
class Task:
    """A registered task: its name, class names, sampler and a one-line description."""

    name: str
    classes: tuple[str, ...]
    sample: Callable[..., Scene]
    description: str
    options: tuple[str, ...] = ()


TASKS: dict[str, Task] = {}


def register_task(name: str, classes: Sequence[str], description: str,
                  options: Sequence[str] = ()) -> Callable[[Callable[..., Scene]], Callable[..., Scene]]:
    """Decorator: register ``sample(rng, label, T, H, W, **options) -> Scene`` as task ``name``."""

    def deco(fn: Callable[..., Scene]) -> Callable[..., Scene]:
        TASKS[name] = Task(name, tuple(classes), fn, description, tuple(options))
        return fn

    return deco


# ----------------------------------------------------------------------------------------
# Small sampling helpers shared by the tasks
# ----------------------------------------------------------------------------------------
def _hsv(h: float, s: float, v: float) -> np.ndarray:
    return np.array(colorsys.hsv_to_rgb(h % 1.0, s, v), dtype=np.float32)


def _bright_color(rng: np.random.Generator) -> np.ndarray:
    return _hsv(rng.uniform(), rng.uniform(0.55, 1.0), rng.uniform(0.8, 1.0))


def _background(rng: np.random.Generator) -> np.ndarray:
    level = rng.uniform(0.0, 0.25)
    tint = rng.uniform(-0.03, 0.03, size=3)
    return np.clip(level + tint, 0, 1).astype(np.float32)


def _dots(rng: np.random.Generator, count: int, T: int, H: int, W: int) -> list[Obj]:
    """Static, dim, small discs: distractors that carry no label information."""
    dots = []
    for _ in range(count):
        pos = np.array([rng.uniform(0, W), rng.uniform(0, H)], dtype=np.float32)
        dots.append(Obj(shape=0, radius=float(rng.uniform(1.0, 1.6)),
                        color=_hsv(rng.uniform(), rng.uniform(0, 0.5), rng.uniform(0.35, 0.6)),
                        track=np.tile(pos, (T, 1)), alpha=np.ones(T, np.float32)))
    return dots


def _radius(rng: np.random.Generator, spec, H: int, W: int) -> float:
    """Object radius in pixels: ``spec`` = (lo, hi) range, or None for 11-17 % of the smaller image side."""
    lo, hi = (0.11 * min(H, W), 0.17 * min(H, W)) if spec is None else spec
    if not 0 < lo <= hi:
        raise ValueError(f"expected radius as a (lo, hi) range with 0 < lo <= hi, got {spec!r}")
    return float(rng.uniform(lo, hi))


def _pick(rng: np.random.Generator, spec, name: str, lo: int, hi: int) -> int:
    """Resolve an option given as ``None`` (uniform in [lo, hi]), an int, an inclusive ``(a, b)`` range,
    or a list / ``range`` of allowed values (drawn uniformly)."""
    if isinstance(spec, (list, range)):
        values = [int(v) for v in spec]
        bad = [v for v in values if not lo <= v <= hi]
        if not values or bad:
            raise ValueError(f"{name} values {bad or spec!r} do not fit in this clip: allowed values are {lo}..{hi}")
        return values[int(rng.integers(len(values)))]
    if spec is None:
        a, b = lo, hi
    elif isinstance(spec, (int, np.integer)):
        a = b = int(spec)
    else:
        try:
            a, b = (int(v) for v in spec)
        except (TypeError, ValueError):
            raise ValueError(f"expected {name} as an int or an (lo, hi) pair, got {spec!r}") from None
    if a > b:
        raise ValueError(f"expected {name} range with lo <= hi, got {spec!r}")
    if a < lo or b > hi:
        raise ValueError(f"{name}={spec!r} does not fit in this clip: allowed values are {lo}..{hi}")
    return int(rng.integers(a, b + 1))


def _scene(rng: np.random.Generator, label: int, objects: list[Obj], events, T, H, W,
           distractors: int, noise: tuple[float, float]) -> Scene:
    dots = _dots(rng, distractors, T, H, W)                 # drawn first: underneath the objects
    return Scene(label=label, objects=dots + objects, background=_background(rng),
                 noise_std=float(rng.uniform(*noise)), events=[(int(s), int(e)) for s, e in events],
                 main=len(dots))


# ----------------------------------------------------------------------------------------
# The tasks
# ----------------------------------------------------------------------------------------
@register_task("shape", SHAPES, "label = the object's shape; it drifts in a random direction "
               "(appearance suffices: one frame is enough)", options=("radius", "distractors", "noise"))
def _shape_task(rng, label, T, H, W, radius=None, distractors=2, noise=(0.02, 0.06)) -> Scene:
    start = np.array([rng.uniform(0, W), rng.uniform(0, H)])
    angle, speed = rng.uniform(0, 2 * math.pi), rng.uniform(0.0, 1.5)
    v = speed * np.array([math.cos(angle), math.sin(angle)])
    track = (start + np.arange(T)[:, None] * v).astype(np.float32)
    obj = Obj(label, _radius(rng, radius, H, W), _bright_color(rng), track, np.ones(T, np.float32))
    return _scene(rng, label, [obj], [(0, T)], T, H, W, distractors, noise)


_DIRECTIONS = {"right": (1, 0), "left": (-1, 0), "down": (0, 1), "up": (0, -1)}


def _direction_sampler(directions: tuple[str, ...], with_shape: bool = False):
    """Sampler for motion tasks; with ``with_shape`` the label is ``shape * len(directions) + direction``.

    ``color_hint=p``: with probability p a clip's object gets its class's own hue (class k of K: hue k/K),
    so that appearance alone is partly informative (notebook 04's two-stream experiment)."""
    n_classes = len(directions) * (len(SHAPES) if with_shape else 1)
    def sample(rng, label, T, H, W, onset=None, duration=None, speed=(1.0, 2.0), radius=None,
               distractors=2, noise=(0.02, 0.06), blank_outside=False, color_hint=0.0) -> Scene:
        if not 0.0 <= color_hint <= 1.0:
            raise ValueError(f"color_hint is a probability (0 to 1), got {color_hint}")
        # The object rests, moves during the event frames [s, e), then rests again.
        if duration is None:
            s = _pick(rng, onset, "onset", 0, T - 2) if onset is not None else 0
            e = T
        else:
            if not 2 <= int(duration) <= T:
                raise ValueError(f"duration={duration} must be between 2 and T={T} frames")
            s = _pick(rng, onset, "onset", 0, T - int(duration))
            e = s + int(duration)
        step = np.clip(np.arange(T), s, e - 1) - s             # displacement count per frame
        shape, direction = divmod(label, len(directions)) if with_shape else (None, label)
        v = rng.uniform(*speed) * np.array(_DIRECTIONS[directions[direction]], dtype=np.float64)
        start = np.array([rng.uniform(0, W), rng.uniform(0, H)])
        track = (start + step[:, None] * v).astype(np.float32)
        shape = int(rng.integers(len(SHAPES))) if shape is None else shape
        color = _bright_color(rng)
        if color_hint > 0 and rng.uniform() < color_hint:     # this clip's colour gives its class away
            color = _hsv(label / n_classes + rng.uniform(-0.03, 0.03), rng.uniform(0.8, 1.0), rng.uniform(0.85, 1.0))
        obj = Obj(shape, _radius(rng, radius, H, W), color, track, np.ones(T, np.float32))
        scene = _scene(rng, label, [obj], [(s, e)], T, H, W, distractors, noise)
        if blank_outside:
            scene.blank = (np.arange(T) < s) | (np.arange(T) >= e)
        return scene

    return sample


register_task("direction", ("right", "left"),
              "label = direction of horizontal motion; every single frame is uninformative",
              options=("onset", "duration", "speed", "radius", "distractors", "noise", "blank_outside", "color_hint"))(
    _direction_sampler(("right", "left")))
register_task("direction4", ("right", "left", "down", "up"),
              "label = direction of motion, 4-way; every single frame is uninformative",
              options=("onset", "duration", "speed", "radius", "distractors", "noise", "blank_outside", "color_hint"))(
    _direction_sampler(("right", "left", "down", "up")))


register_task("shape_direction", tuple(f"{s} {d}" for s in SHAPES for d in ("right", "left")),
              "label = the object's shape and its direction of motion (6 classes): needs appearance and motion",
              options=("onset", "duration", "speed", "radius", "distractors", "noise", "blank_outside", "color_hint"))(
    _direction_sampler(("right", "left"), with_shape=True))


@register_task("order", ("orange→blue", "blue→orange"),
               "two coloured flashes; label = which comes first. `gap` = frames between their onsets",
               options=("gap", "onset", "flash", "radius", "distractors", "noise", "blank_outside"))
def _order_task(rng, label, T, H, W, gap=None, onset=None, flash=2, radius=None, distractors=2,
                noise=(0.02, 0.06), blank_outside=False) -> Scene:
    if not 1 <= flash <= T // 2:
        raise ValueError(f"flash={flash} frames must be between 1 and T/2={T // 2}")
    g = _pick(rng, gap, "gap", flash, T - flash)
    s = _pick(rng, onset, "onset", 0, T - g - flash)
    first, second = ("A", "B") if label == 0 else ("B", "A")
    objs = []
    for key, start in ((first, s), (second, s + g)):
        alpha = np.zeros(T, np.float32)
        alpha[start:start + flash] = 1.0
        pos = np.array([rng.uniform(0, W), rng.uniform(0, H)], dtype=np.float32)
        color = _hsv(FLASH_HUES[key] + rng.uniform(-0.03, 0.03), rng.uniform(0.75, 1.0), rng.uniform(0.85, 1.0))
        objs.append(Obj(int(rng.integers(len(SHAPES))), _radius(rng, radius, H, W), color,
                        np.tile(pos, (T, 1)), alpha))
    scene = _scene(rng, label, objs, [(s, s + flash), (s + g, s + g + flash)], T, H, W, distractors, noise)
    if blank_outside:            # black except while a flash is on: no frame tells where in the clip it is
        scene.blank = (objs[0].alpha + objs[1].alpha) == 0
    return scene


# ----------------------------------------------------------------------------------------
# Rendering (vectorized over clips, objects and frames)
# ----------------------------------------------------------------------------------------
# Triangle: the intersection of three half-planes; inradius chosen so that its area
# equals that of the disc of the same `radius` (and likewise the square's half-side).
_TRI_NORMALS = torch.tensor([[0.0, 1.0], [-math.sqrt(3) / 2, -0.5], [math.sqrt(3) / 2, -0.5]])
_TRI_INRADIUS = math.sqrt(math.pi / (3 * math.sqrt(3)))
_SQUARE_HALF = math.sqrt(math.pi) / 2


def _signed_distance(dx: torch.Tensor, dy: torch.Tensor, shape: int, r: torch.Tensor) -> torch.Tensor:
    """Signed distance (pixels, negative inside) to one kind of shape. Inputs broadcast together."""
    if shape == 0:                                             # circle
        return torch.sqrt(dx**2 + dy**2) - r
    if shape == 1:                                             # square
        return torch.maximum(dx.abs(), dy.abs()) - _SQUARE_HALF * r
    n = _TRI_NORMALS                                           # triangle, pointing up
    return torch.maximum(torch.maximum(n[0, 0] * dx + n[0, 1] * dy, n[1, 0] * dx + n[1, 1] * dy),
                         n[2, 0] * dx + n[2, 1] * dy) - _TRI_INRADIUS * r


def render_scenes(scenes: Sequence[Scene], noise: Sequence[np.ndarray], T: int, H: int, W: int,
                  with_flow: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Render scenes into clips ``(N, 3, T, H, W)`` float32 in [0, 1] (and exact flow ``(N, 2, T-1, H, W)``).

    Args:
        scenes: N scenes (see :class:`Scene`).
        noise: N arrays of standard-normal noise of shape ``(3, T, H, W)``, scaled here by each
            scene's ``noise_std`` (drawn by the caller, so a sample stays reproducible alone).
        T, H, W: clip size.
        with_flow: also return the exact forward flow of the visible, topmost object per pixel.
    """
    N = len(scenes)
    K = max(len(s.objects) for s in scenes)
    shape = torch.zeros(N, K, dtype=torch.long)
    radius = torch.ones(N, K)
    color = torch.zeros(N, K, 3)
    track = torch.zeros(N, K, T, 2)
    alpha = torch.zeros(N, K, T)                    # padding objects stay invisible
    for i, sc in enumerate(scenes):
        for k, ob in enumerate(sc.objects):
            shape[i, k], radius[i, k] = ob.shape, ob.radius
            color[i, k] = torch.from_numpy(np.asarray(ob.color, np.float32))
            track[i, k] = torch.from_numpy(np.asarray(ob.track, np.float32))
            alpha[i, k] = torch.from_numpy(np.asarray(ob.alpha, np.float32))
    # pixel centres, and each pixel's offset from each object's centre on the torus
    ys = torch.arange(H, dtype=torch.float32) + 0.5
    xs = torch.arange(W, dtype=torch.float32) + 0.5
    cx = track[..., 0, None, None]                                  # (N, K, T, 1, 1)
    cy = track[..., 1, None, None]
    dx = torch.remainder(xs.view(1, 1, 1, 1, W) - cx + W / 2, W) - W / 2   # (N, K, T, 1, W)
    dy = torch.remainder(ys.view(1, 1, 1, H, 1) - cy + H / 2, H) - H / 2   # (N, K, T, H, 1)
    # anti-aliased coverage of every pixel by every object, (N, K, T, H, W); each object's
    # distance is computed for its own shape only, and never for invisible (padding) objects
    cover = torch.zeros(N * K, T, H, W)
    dx, dy, r = dx.reshape(N * K, T, 1, W), dy.reshape(N * K, T, H, 1), radius.view(N * K, 1, 1, 1)
    visible = alpha.reshape(N * K, T).amax(1) > 0
    for s in range(len(SHAPES)):
        sel = ((shape.view(-1) == s) & visible).nonzero().squeeze(1)
        if len(sel):
            cover[sel] = (0.5 - _signed_distance(dx[sel], dy[sel], s, r[sel])).clamp_(0, 1)
    cover = cover.view(N, K, T, H, W) * alpha[..., None, None]

    bg = torch.from_numpy(np.stack([s.background for s in scenes]).astype(np.float32))  # (N, 3)
    video = bg.view(N, 3, 1, 1, 1).expand(N, 3, T, H, W).clone()                        # (N, 3, T, H, W)
    for k in range(K):                                   # paint objects back to front
        a = cover[:, k].unsqueeze(1)                     # (N, 1, T, H, W)
        video += a * (color[:, k].view(N, 3, 1, 1, 1) - video)     # = (1 - a) * video + a * colour
    std = torch.tensor([s.noise_std for s in scenes], dtype=torch.float32).view(N, 1, 1, 1, 1)
    video = (video + std * torch.from_numpy(np.stack(noise))).clamp_(0, 1)
    for i, sc in enumerate(scenes):                      # timing tasks: nothing at all outside the events
        if sc.blank is not None:
            video[i, :, torch.from_numpy(sc.blank)] = 0

    flow = None
    if with_flow:
        step = track[:, :, 1:] - track[:, :, :-1]                         # (N, K, T-1, 2)
        step = torch.remainder(step + torch.tensor([W / 2, H / 2]), torch.tensor([W, H])) - torch.tensor([W / 2, H / 2])
        flow = torch.zeros(N, 2, T - 1, H, W)
        owner = cover[:, :, :-1] > 0.5                                    # (N, K, T-1, H, W)
        for k in range(K):                               # the topmost covering object wins
            m = owner[:, k].unsqueeze(1)                                  # (N, 1, T-1, H, W)
            v = step[:, k].permute(0, 2, 1).reshape(N, 2, T - 1, 1, 1)     # (N, 2, T-1, 1, 1)
            flow = torch.where(m, v.expand_as(flow), flow)
    return video, flow


# ----------------------------------------------------------------------------------------
# The public entry point
# ----------------------------------------------------------------------------------------
def make_clips(task: str, n: int, *, frames: int = 16, size: int | tuple[int, int] = 32,
               seed: int | None = None, start_index: int = 0, with_flow: bool = False,
               chunk: int | None = None, **options) -> VideoBatch:
    """Draw ``n`` clips of a synthetic task, with labels and ground truth.

    Args:
        task: one of ``vulib.synthetic.TASKS`` (``"shape"``, ``"direction"``, ``"direction4"``, ``"order"``).
        n: number of clips; labels cycle through the classes, so any ``n`` that is a
            multiple of the class count gives a perfectly balanced batch.
        frames: T, frames per clip (default 16).
        size: H = W (an int) or ``(H, W)``; default 32.
        seed: the batch's seed. ``None`` draws one from torch's global generator, so that the
            data follows :func:`vulib.seed_everything`.
        start_index: index of the first sample (sample ``i`` depends only on ``seed`` and ``i``).
        with_flow: also compute the exact optical flow ``(N, 2, T-1, H, W)``.
        chunk: clips rendered at a time (default: about a million pixels' worth; bounds memory).
        **options: task options, e.g. ``onset``, ``duration``, ``gap``, ``radius``, ``distractors``, ``noise``,
            ``blank_outside``; an int fixes the value, an ``(lo, hi)`` pair draws it uniformly (inclusive),
            a list or ``range`` draws one of its values (e.g. ``onset=range(0, 10, 2)``: even onsets).

    Returns:
        A :class:`VideoBatch` with ``video`` of shape ``(n, 3, T, H, W)``, float32 in [0, 1].
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {sorted(TASKS)}")
    spec = TASKS[task]
    unknown = set(options) - set(spec.options)
    if unknown:
        raise ValueError(f"task {task!r} takes options {list(spec.options)}, got unknown {sorted(unknown)}")
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"expected n >= 1 clips, got {n!r}")
    H, W = (size, size) if isinstance(size, (int, np.integer)) else tuple(size)
    if frames < 2 or H < 8 or W < 8:
        raise ValueError(f"expected frames >= 2 and size >= 8 pixels, got frames={frames}, size=({H}, {W})")
    if seed is None:
        seed = fresh_seed()
    if not 0 <= int(seed) < 2**63:
        raise ValueError(f"expected a non-negative seed, got {seed}")
    K = len(spec.classes)
    if chunk is None:                 # about a million pixels per chunk keeps temporaries to ~100 MB
        chunk = max(1, min(64, 2**20 // (frames * H * W)))
    video = torch.empty(n, 3, frames, H, W)                       # filled chunk by chunk: no copy at the end
    flow = torch.empty(n, 2, frames - 1, H, W) if with_flow else None
    scenes_all = []
    for c0 in range(0, n, chunk):
        c1 = min(n, c0 + chunk)
        scenes, noises = [], []
        for i in range(start_index + c0, start_index + c1):
            rng = np.random.default_rng([int(seed), i])
            scenes.append(spec.sample(rng, i % K, frames, H, W, **options))
            noises.append(rng.standard_normal((3, frames, H, W), dtype=np.float32))
        video[c0:c1], f = render_scenes(scenes, noises, frames, H, W, with_flow=with_flow)
        if with_flow:
            flow[c0:c1] = f
        scenes_all.extend(scenes)
    E = max(len(s.events) for s in scenes_all)
    events = torch.full((n, E, 2), -1, dtype=torch.long)
    for i, s in enumerate(scenes_all):
        events[i, :len(s.events)] = torch.tensor(s.events, dtype=torch.long)
    tracks = torch.from_numpy(np.stack([s.objects[s.main].track for s in scenes_all])).permute(0, 2, 1)
    tracks = torch.remainder(tracks, torch.tensor([W, H], dtype=torch.float32).view(1, 2, 1))
    audio, audio_rate = None, 0
    if scenes_all[0].sound is not None:                # tasks with a sound track (notebook 10)
        audio, audio_rate = render_sound(scenes_all), scenes_all[0].sound.rate
    return VideoBatch(
        video=video,
        labels=torch.tensor([s.label for s in scenes_all], dtype=torch.long),
        classes=spec.classes,
        task=task,
        events=events,
        tracks=tracks.float(),
        flow=flow,
        seed=int(seed),
        start_index=start_index,
        options=dict(options, frames=frames, size=(H, W)),
        audio=audio,
        audio_rate=audio_rate,
    )


# --- 09: untrimmed videos ---------------------------------------------------------------
# A long video holds several actions at unknown times (temporal action localization, notebook 09).
UNTRIMMED_CLASSES = ("left", "right", "flash")
_UNTRIMMED_ACTIONS = {"left": "move", "right": "move", "up": "move", "down": "move", "flash": "blink"}


@dataclass
class UntrimmedBatch:
    """Long synthetic videos with several labelled actions each.

    Attributes:
        video: ``(N, 3, T, H, W)`` float32 in [0, 1].
        segments: per video, a list of ``(start, end, label)`` (frames, end exclusive; ``label`` indexes
            ``classes``), in time order.
        classes: the class names.
        seed: the seed the batch was drawn from.

    ``video, segments = batch`` unpacks it; :meth:`ground_truth` gives the rows ``(video, start, end, label)``
    that :func:`vulib.localization.mean_ap` takes; :meth:`frame_labels` the class per frame.
    """

    video: torch.Tensor
    segments: list[list[tuple[int, int, int]]]
    classes: tuple[str, ...]
    seed: int = 0

    def __len__(self) -> int:
        return self.video.shape[0]

    def __iter__(self):
        return iter((self.video, self.segments))

    def ground_truth(self, offset: int = 0) -> list[tuple[int, int, int, int]]:
        """Rows ``(video index + offset, start, end, label)`` for every segment of every video."""
        return [(i + offset, s, e, c) for i, segs in enumerate(self.segments) for s, e, c in segs]

    def frame_labels(self) -> torch.Tensor:
        """``(N, T)`` int64: the class of the action at each frame, ``-1`` where none is happening."""
        n, _, T = self.video.shape[:3]
        out = torch.full((n, T), -1, dtype=torch.long)
        for i, segs in enumerate(self.segments):
            for s, e, c in segs:
                out[i, s:e] = c
        return out

    def __repr__(self) -> str:
        n, c, t, h, w = self.video.shape
        k = sum(len(s) for s in self.segments)
        return f"UntrimmedBatch({n} videos of (C={c}, T={t}, H={h}, W={w}), {k} actions, classes={self.classes})"


def _place(rng: np.random.Generator, durations: list[int], T: int, gap: int) -> list[int]:
    """Random starts for segments of ``durations`` (in this order) in ``T`` frames, ``gap`` frames apart at least."""
    free = T - sum(durations) - gap * (len(durations) - 1)
    cuts = np.sort(rng.integers(0, free + 1, size=len(durations)))        # stars and bars: random slack
    starts, t = [], 0
    for k, d in enumerate(durations):
        s = t + int(cuts[k]) - (int(cuts[k - 1]) if k else 0)
        starts.append(s)
        t = s + d + gap
    return starts


def _untrimmed_scene(rng: np.random.Generator, T: int, H: int, W: int, classes: tuple[str, ...],
                     instances: tuple[int, int], duration: tuple[int, int]) -> tuple[Scene, list]:
    """One long video: its actions (one actor each), distractor motion and static dots."""
    lo, hi = duration
    k = int(rng.integers(instances[0], instances[1] + 1))
    # log-uniform durations: as many short actions as long ones
    durations = [int(round(math.exp(rng.uniform(math.log(lo - 0.5), math.log(hi + 0.5))))) for _ in range(k)]
    durations = [min(max(d, lo), hi) for d in durations]
    while durations and sum(durations) + 4 * (len(durations) - 1) > T:    # keep what fits
        durations.pop()
    starts = _place(rng, durations, T, gap=4)
    labels = [int(rng.integers(len(classes))) for _ in durations]
    objects, segments = [], []
    radius = None                                    # 11-17 % of the frame side, as in the clip tasks
    for s, d, c in zip(starts, durations, labels):
        e = s + d
        name = classes[c]
        pos = np.array([rng.uniform(0, W), rng.uniform(0, H)])
        if _UNTRIMMED_ACTIONS[name] == "move":       # rests, moves during [s, e), rests again; visible throughout
            v = rng.uniform(1.0, 2.0) * np.array(_DIRECTIONS[name], dtype=np.float64)
            step = np.clip(np.arange(T), s, e - 1) - s
            track = (pos + step[:, None] * v).astype(np.float32)
            alpha = np.ones(T, np.float32)
        else:                                        # blinks (2 frames on, 2 off) during [s, e); invisible otherwise
            track = np.tile(pos.astype(np.float32), (T, 1))
            alpha = np.zeros(T, np.float32)
            alpha[s:e] = ((np.arange(e - s) // 2) % 2 == 0).astype(np.float32)
        objects.append(Obj(int(rng.integers(len(SHAPES))), _radius(rng, radius, H, W), _bright_color(rng),
                           track, alpha))
        segments.append((int(s), int(e), c))
    # distractors: objects that move up or down at random times, and objects that appear and stay a while
    # (motion and change that belong to no class: "anything moving" is not an answer)
    for _ in range(int(rng.integers(1, 4))):
        d = int(rng.integers(lo, hi + 1))
        s = int(rng.integers(0, T - d + 1))
        v = rng.uniform(0.7, 2.0) * np.array(_DIRECTIONS[("up", "down")[int(rng.integers(2))]], dtype=np.float64)
        step = np.clip(np.arange(T), s, s + d - 1) - s
        pos = np.array([rng.uniform(0, W), rng.uniform(0, H)])
        objects.append(Obj(int(rng.integers(len(SHAPES))), _radius(rng, radius, H, W), _bright_color(rng),
                           (pos + step[:, None] * v).astype(np.float32), np.ones(T, np.float32)))
    for _ in range(int(rng.integers(0, 3))):
        d = int(rng.integers(lo, hi + 1))
        s = int(rng.integers(0, T - d + 1))
        alpha = np.zeros(T, np.float32)
        alpha[s:s + d] = 1.0
        pos = np.array([rng.uniform(0, W), rng.uniform(0, H)], dtype=np.float32)
        objects.append(Obj(int(rng.integers(len(SHAPES))), _radius(rng, radius, H, W), _bright_color(rng),
                           np.tile(pos, (T, 1)), alpha))
    order = rng.permutation(len(objects))            # who is drawn on top is random
    scene = _scene(rng, -1, [objects[i] for i in order], [(s, e) for s, e, _ in segments], T, H, W,
                   distractors=int(rng.integers(2, 5)), noise=(0.02, 0.06))
    return scene, segments


def make_untrimmed(n: int, *, frames: int = 256, size: int = 24, classes: Sequence[str] = UNTRIMMED_CLASSES,
                   instances: tuple[int, int] = (1, 5), duration: tuple[int, int] = (6, 48),
                   seed: int | None = None, chunk_frames: int = 64) -> UntrimmedBatch:
    """Draw ``n`` long, untrimmed videos, each holding several actions at random times.

    Every action is done by its own object: ``"left"`` / ``"right"`` -- an object at rest starts moving
    horizontally and stops again; ``"flash"`` -- an object blinks (2 frames on, 2 off). Around them:
    objects that move *up or down* at random times, objects that appear and stay, static dots, noise --
    motion and change that are no action, so that "something moves" is not the answer. Actions never
    overlap in time (at least 4 frames apart); their durations are log-uniform in ``duration``, so
    short and long actions are equally common.

    Video ``i`` of a batch with ``seed=s`` depends only on ``(s, i)``. Frames are rendered ``chunk_frames``
    at a time (by :func:`render_scenes`), so a 256-frame batch never needs more than a chunk's temporaries.

    Args:
        n: number of videos.
        frames: T, frames per video; size: H = W in pixels.
        classes: action names, a subset of ``("left", "right", "up", "down", "flash")`` -- an up/down class
            makes the vertical distractors ambiguous, so the default leaves them out.
        instances: inclusive range of the number of actions per video (fewer if they do not fit).
        duration: inclusive range of an action's length in frames.
        seed: the batch's seed (``None``: follows :func:`vulib.seed_everything`).

    Returns:
        :class:`UntrimmedBatch`: ``video (n, 3, T, H, W)`` and per video its segments ``(start, end, label)``.
    """
    classes = tuple(classes)
    unknown = [c for c in classes if c not in _UNTRIMMED_ACTIONS]
    if not classes or unknown:
        raise ValueError(f"expected classes among {sorted(_UNTRIMMED_ACTIONS)}, got unknown {unknown or 'none'}")
    if any(c in ("up", "down") for c in classes):
        raise ValueError("'up' and 'down' are the distractors' motions; choose classes among left, right, flash")
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"expected n >= 1 videos, got {n!r}")
    lo, hi = (int(v) for v in duration)
    if not 2 <= lo <= hi <= frames:
        raise ValueError(f"expected duration as (lo, hi) with 2 <= lo <= hi <= frames={frames}, got {duration!r}")
    a, b = (int(v) for v in instances)
    if not 0 <= a <= b:
        raise ValueError(f"expected instances as (lo, hi) with 0 <= lo <= hi, got {instances!r}")
    if size < 8:
        raise ValueError(f"expected size >= 8 pixels, got {size}")
    if chunk_frames < 1:
        raise ValueError(f"expected chunk_frames >= 1, got {chunk_frames}")
    if seed is None:
        seed = fresh_seed()
    H = W = int(size)
    T = int(frames)
    video = torch.empty(n, 3, T, H, W)                                    # (N, 3, T, H, W), filled in place
    segments = []
    for i in range(n):
        rng = np.random.default_rng([int(seed), i, 9])                    # 9: this generator's own stream
        scene, segs = _untrimmed_scene(rng, T, H, W, classes, (a, b), (lo, hi))
        segments.append(segs)
        for t0 in range(0, T, chunk_frames):                              # render a window of frames at a time
            t1 = min(T, t0 + chunk_frames)
            part = replace(scene, objects=[replace(o, track=o.track[t0:t1], alpha=o.alpha[t0:t1])
                                           for o in scene.objects])
            # frame-major draws: the same noise whatever the chunk size
            noise = rng.standard_normal((t1 - t0, 3, H, W), dtype=np.float32).transpose(1, 0, 2, 3)
            video[i:i + 1, :, t0:t1] = render_scenes([part], [noise], t1 - t0, H, W)[0]
    return UntrimmedBatch(video=video, segments=segments, classes=classes, seed=int(seed))


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
TIMBRES = ("sine", "square", "sawtooth")          # TIMBRES[shape]: how each shape sounds
KIND_HUES = (0.10, 0.58, 0.88)                     # KIND_HUES[shape]: orange, blue, reddish purple (colour-blind safe)
PITCHES = {"low": (200.0, 300.0), "high": (600.0, 900.0)}   # fundamental frequency ranges, Hz


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
    w = sum(np.sin(2 * np.pi * k * freq * t + k * phase) / k for k in ks)   # a few harmonics, 1/k each
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
        wave = snd.noise_std * rng.standard_normal(S)                       # the hiss
        for tone in snd.tones:
            a, b = int(round(tone.frame / fps * rate)), min(S, int(round((tone.frame + tone.frames) / fps * rate)))
            t = np.arange(b - a) / rate                                    # seconds since the onset
            envelope = np.minimum(t / 0.005, 1.0) * np.exp(-t / (0.4 * (b - a) / rate))
            wave[a:b] += tone.amplitude * envelope * _waveform(tone.timbre, tone.freq, t, tone.phase, rng)
        out[i, 0] = wave
    return torch.from_numpy(out)


def _blink_frames(rng: np.random.Generator, T: int, count: int, blink: int, taken: set[int]) -> list[int]:
    """``count`` onsets for blinks of ``blink`` frames, apart from each other and from frames in ``taken``."""
    onsets: list[int] = []
    for _ in range(count):
        free = [s for s in range(T - blink + 1)
                if not any(f in taken for f in range(s - 1, s + blink + 1))]
        if not free:
            break
        s = free[int(rng.integers(len(free)))]
        onsets.append(s)
        taken.update(range(s, s + blink))
    return sorted(onsets)


def _av_scene(rng: np.random.Generator, label: int, T: int, H: int, W: int, *, shapes: list[int],
              positions: list[np.ndarray], velocity: np.ndarray, sounding: list[bool], pitch: str,
              fps: float, audio_rate: int, blinks, blink: int, distractor_sounds, radius, distractors: int,
              noise) -> Scene:
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
        alpha = np.full(T, 0.45, np.float32)                 # dim between blinks: always visible
        for s in onsets:
            alpha[s:s + blink] = 1.0
        track = (pos + np.arange(T)[:, None] * velocity).astype(np.float32)
        color = _hsv(KIND_HUES[shape] + rng.uniform(-0.03, 0.03), rng.uniform(0.75, 1.0), rng.uniform(0.85, 1.0))
        objs.append(Obj(shape, r, color, track, alpha))
        voice = [Tone(s, blink, TIMBRES[shape], f0, float(rng.uniform(0.35, 0.6)), float(rng.uniform(0, 2 * np.pi)))
                 for s in onsets]                        # drawn for silent objects too: same draws for every label
        if loud:
            events += [(s, s + blink) for s in onsets]
            tones += voice
    for _ in range(_pick(rng, distractor_sounds, "distractor_sounds", 0, T)):   # sounds of nothing visible
        tones.append(Tone(int(rng.integers(T)), 1, "noise", 0.0, float(rng.uniform(0.1, 0.3))))
    main = int(np.flatnonzero(sounding)[0]) if any(sounding) else 0
    scene = _scene(rng, label, objs, sorted(events), T, H, W, distractors, noise)
    scene.main += main
    scene.sound = Soundtrack(int(audio_rate), float(fps), T, tones, float(rng.uniform(0.003, 0.015)),
                             int(rng.integers(2**62)))
    return scene


_AV_OPTIONS = ("fps", "audio_rate", "blinks", "blink", "distractor_sounds", "speed", "radius", "distractors", "noise")


def _moving_av_sampler(kind: str):
    """One object moving right or left, blinking with a tone. ``kind`` says what the label is about."""
    def sample(rng, label, T, H, W, fps=8.0, audio_rate=16000, blinks=(1, 2), blink=1, distractor_sounds=(0, 2),
               speed=(1.0, 2.0), radius=None, distractors=2, noise=(0.02, 0.06)) -> Scene:
        if kind == "pitch":
            pitch, direction = ("low", "high")[label], int(rng.integers(2))
        elif kind == "direction":
            pitch, direction = ("low", "high")[int(rng.integers(2))], label
        else:                                                 # pitch_direction: label = pitch * 2 + direction
            pitch, direction = ("low", "high")[label // 2], label % 2
        v = np.array([(1.0, -1.0)[direction] * rng.uniform(*speed), 0.0])
        pos = np.array([rng.uniform(0, W), rng.uniform(0, H)])
        return _av_scene(rng, label, T, H, W, shapes=[int(rng.integers(len(SHAPES)))], positions=[pos], velocity=v,
                         sounding=[True], pitch=pitch, fps=fps, audio_rate=audio_rate, blinks=blinks, blink=blink,
                         distractor_sounds=distractor_sounds, radius=radius, distractors=distractors, noise=noise)
    return sample


register_task("av_pitch", ("low", "high"),
              "with sound: label = the pitch of the object's tones (sound only: the picture never shows it)",
              options=_AV_OPTIONS)(_moving_av_sampler("pitch"))
register_task("av_direction", ("right", "left"),
              "with sound: label = which way the object moves (vision only: the mono sound never tells)",
              options=_AV_OPTIONS)(_moving_av_sampler("direction"))
register_task("av_pitch_direction", ("low right", "low left", "high right", "high left"),
              "with sound: label = pitch of the tones and direction of motion (needs sound and vision)",
              options=_AV_OPTIONS)(_moving_av_sampler("pitch_direction"))


@register_task("av_source", ("left", "right"),
               "with sound: two still objects of different shapes blink; only one makes the sound. Label = is the "
               "sounding one the left or the right object? (needs both: which one sounds, and where it is)",
               options=_AV_OPTIONS)
def _av_source_task(rng, label, T, H, W, fps=8.0, audio_rate=16000, blinks=(1, 2), blink=1, distractor_sounds=(0, 2),
                    speed=None, radius=None, distractors=2, noise=(0.02, 0.06)) -> Scene:
    shapes = [int(s) for s in rng.permutation(len(SHAPES))[:2]]        # two different shapes, hence timbres
    left = np.array([rng.uniform(0.18, 0.32) * W, rng.uniform(0.25, 0.75) * H])
    right = np.array([rng.uniform(0.68, 0.82) * W, rng.uniform(0.25, 0.75) * H])
    sounding = [label == 0, label == 1]                                 # label 0: the left object sounds
    return _av_scene(rng, label, T, H, W, shapes=shapes, positions=[left, right], velocity=np.zeros(2),
                     sounding=sounding, pitch=("low", "high")[int(rng.integers(2))], fps=fps, audio_rate=audio_rate,
                     blinks=blinks, blink=blink, distractor_sounds=distractor_sounds, radius=radius,
                     distractors=distractors, noise=noise)


__all__ += ["TIMBRES", "KIND_HUES", "PITCHES", "Tone", "Soundtrack", "render_sound"]


# --- 12: captions ---------------------------------------------------------------------------
# One scene with many facts, so that notebook 12 can describe it in words (vulib.language):
# a mover (shape, colour, direction) and a flasher (shape, colour, one or two flashes); one happens in the
# first half of the clip, the other in the second. Label i % 144 fixes every fact a question asks about
# (mover shape, mover colour, direction, which comes first, number of flashes), each factor cycling on its own.
CAPTION_COLORS = {"red": (0.84, 0.37, 0.0), "blue": (0.34, 0.71, 0.91), "yellow": (0.94, 0.89, 0.26)}
CAPTION_DIRECTIONS = ("left", "right", "up", "down")


def caption_facts_of_label(label: int) -> dict:
    """The facts fixed by a ``caption`` label 0..143: mover shape and colour, direction, first event, flashes.

    Shape = label % 3, colour = (label // 3) % 3, direction = label % 4, first = (label // 4) % 2,
    flashes = (label // 8) % 2 + 1: over any 9 (shape, colour) or 16 (direction, first, flashes) consecutive
    labels every value comes equally often, and the 144 labels are the 144 combinations."""
    return {"shape": SHAPES[label % 3], "colour": tuple(CAPTION_COLORS)[(label // 3) % 3],
            "direction": CAPTION_DIRECTIONS[label % 4], "first": ("move", "flash")[(label // 4) % 2],
            "flashes": (label // 8) % 2 + 1}


def _caption_color(rng, name: str) -> np.ndarray:
    return np.clip(np.array(CAPTION_COLORS[name]) + rng.uniform(-0.04, 0.04, 3), 0, 1).astype(np.float32)


@register_task("caption", tuple(f"{f['colour']} {f['shape']} {f['direction']}, {f['first']} first, "
                                f"{f['flashes']} flash{'es' if f['flashes'] > 1 else ''}"
                                for f in map(caption_facts_of_label, range(144))),
               "a mover and a flasher, one in each half of the clip; many facts for captions and questions",
               options=("speed", "radius", "distractors", "noise"))
def _caption_task(rng, label, T, H, W, speed=(1.5, 2.5), radius=None, distractors=1, noise=(0.02, 0.05)) -> Scene:
    if T < 6:
        raise ValueError(f"the caption task needs at least 6 frames (two flashes in half a clip), got {T}")
    f = caption_facts_of_label(label)
    half = T // 2
    move, flash = ((0, half), (half, T)) if f["first"] == "move" else ((half, T), (0, half))
    step = np.clip(np.arange(T), move[0], move[1] - 1) - move[0]          # displacements so far, per frame
    v = rng.uniform(*speed) * np.array(_DIRECTIONS[f["direction"]], dtype=np.float64)
    start = np.array([rng.uniform(0, W), rng.uniform(0, H)])
    mover = Obj(SHAPES.index(f["shape"]), _radius(rng, radius, H, W), _caption_color(rng, f["colour"]),
                (start + step[:, None] * v).astype(np.float32), np.ones(T, np.float32))
    n = flash[1] - flash[0]
    if f["flashes"] == 1:
        on = [int(rng.integers(n))]
    else:                                                   # two one-frame flashes with a dark frame between
        a = int(rng.integers(n - 2))
        on = [a, int(rng.integers(a + 2, n))]
    alpha = np.zeros(T, np.float32)
    alpha[[flash[0] + k for k in on]] = 1.0
    pos = np.array([rng.uniform(0, W), rng.uniform(0, H)], dtype=np.float32)
    flasher = Obj(int(rng.integers(len(SHAPES))), _radius(rng, radius, H, W),
                  _caption_color(rng, tuple(CAPTION_COLORS)[int(rng.integers(len(CAPTION_COLORS)))]),
                  np.tile(pos, (T, 1)), alpha)
    events = sorted([move, (flash[0] + on[0], flash[0] + on[-1] + 1)])
    return _scene(rng, label, [mover, flasher], events, T, H, W, distractors, noise)


def make_scenes(task: str, n: int, *, frames: int = 16, size: int | tuple[int, int] = 32, seed: int,
                start_index: int = 0, **options) -> list[Scene]:
    """The scenes (ground truth, no pixels) of ``make_clips(task, n, frames=..., size=..., seed=seed,
    start_index=...)``: scene ``i`` is drawn from the same generator, so it describes exactly that clip."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {sorted(TASKS)}")
    H, W = (size, size) if isinstance(size, (int, np.integer)) else tuple(size)
    K = len(TASKS[task].classes)
    return [TASKS[task].sample(np.random.default_rng([int(seed), i]), i % K, frames, H, W, **options)
            for i in range(start_index, start_index + n)]
