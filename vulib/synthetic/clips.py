"""Scenes, the task registry, the clip tasks of lessons 00-08 and the renderer (see :mod:`vulib.synthetic`).

A task's sampler draws one :class:`Scene` (objects, their tracks and visibility, events) with the NumPy
generator it is given; :func:`render_scenes` turns a list of scenes into pixels, all clips at once.
"""

from __future__ import annotations

import colorsys
import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np
import torch

if TYPE_CHECKING:
    from .sound import Soundtrack

__all__ = ["SHAPES", "FLASH_HUES", "Obj", "Scene", "VideoBatch", "Task", "TASKS", "register_task", "render_scenes"]

SHAPES = ("circle", "square", "triangle")

# Colour identities of the two flashes in the `order` task (hue in [0, 1]).
FLASH_HUES = {"A": 0.07, "B": 0.60}  # orange, blue: distinguishable with colour-blindness too


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
    main: int = 0  # index of the object the label is about (its track is ground truth)
    blank: np.ndarray | None = None  # bool per frame: True = the frame is all zero (no background, no noise)
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
        return (
            f"VideoBatch(task={self.task!r}, {n} clips of (C={c}, T={t}, H={h}, W={w}), classes={self.classes}{extra})"
        )


@dataclass(frozen=True)
class Task:
    """A registered task: its name, class names, sampler and a one-line description."""

    name: str
    classes: tuple[str, ...]
    sample: Callable[..., Scene]
    description: str
    options: tuple[str, ...] = ()


TASKS: dict[str, Task] = {}


def register_task(
    name: str, classes: Sequence[str], description: str, options: Sequence[str] = ()
) -> Callable[[Callable[..., Scene]], Callable[..., Scene]]:
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
        dots.append(
            Obj(
                shape=0,
                radius=float(rng.uniform(1.0, 1.6)),
                color=_hsv(rng.uniform(), rng.uniform(0, 0.5), rng.uniform(0.35, 0.6)),
                track=np.tile(pos, (T, 1)),
                alpha=np.ones(T, np.float32),
            )
        )
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


def _scene(
    rng: np.random.Generator,
    label: int,
    objects: list[Obj],
    events,
    T,
    H,
    W,
    distractors: int,
    noise: tuple[float, float],
) -> Scene:
    dots = _dots(rng, distractors, T, H, W)  # drawn first: underneath the objects
    return Scene(
        label=label,
        objects=dots + objects,
        background=_background(rng),
        noise_std=float(rng.uniform(*noise)),
        events=[(int(s), int(e)) for s, e in events],
        main=len(dots),
    )


# ----------------------------------------------------------------------------------------
# The tasks
# ----------------------------------------------------------------------------------------
@register_task(
    "shape",
    SHAPES,
    "label = the object's shape; it drifts in a random direction (appearance suffices: one frame is enough)",
    options=("radius", "distractors", "noise"),
)
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

    def sample(
        rng,
        label,
        T,
        H,
        W,
        onset=None,
        duration=None,
        speed=(1.0, 2.0),
        radius=None,
        distractors=2,
        noise=(0.02, 0.06),
        blank_outside=False,
        color_hint=0.0,
    ) -> Scene:
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
        step = np.clip(np.arange(T), s, e - 1) - s  # displacement count per frame
        shape, direction = divmod(label, len(directions)) if with_shape else (None, label)
        v = rng.uniform(*speed) * np.array(_DIRECTIONS[directions[direction]], dtype=np.float64)
        start = np.array([rng.uniform(0, W), rng.uniform(0, H)])
        track = (start + step[:, None] * v).astype(np.float32)
        shape = int(rng.integers(len(SHAPES))) if shape is None else shape
        color = _bright_color(rng)
        if color_hint > 0 and rng.uniform() < color_hint:  # this clip's colour gives its class away
            color = _hsv(label / n_classes + rng.uniform(-0.03, 0.03), rng.uniform(0.8, 1.0), rng.uniform(0.85, 1.0))
        obj = Obj(shape, _radius(rng, radius, H, W), color, track, np.ones(T, np.float32))
        scene = _scene(rng, label, [obj], [(s, e)], T, H, W, distractors, noise)
        if blank_outside:
            scene.blank = (np.arange(T) < s) | (np.arange(T) >= e)
        return scene

    return sample


register_task(
    "direction",
    ("right", "left"),
    "label = direction of horizontal motion; every single frame is uninformative",
    options=("onset", "duration", "speed", "radius", "distractors", "noise", "blank_outside", "color_hint"),
)(_direction_sampler(("right", "left")))
register_task(
    "direction4",
    ("right", "left", "down", "up"),
    "label = direction of motion, 4-way; every single frame is uninformative",
    options=("onset", "duration", "speed", "radius", "distractors", "noise", "blank_outside", "color_hint"),
)(_direction_sampler(("right", "left", "down", "up")))


register_task(
    "shape_direction",
    tuple(f"{s} {d}" for s in SHAPES for d in ("right", "left")),
    "label = the object's shape and its direction of motion (6 classes): needs appearance and motion",
    options=("onset", "duration", "speed", "radius", "distractors", "noise", "blank_outside", "color_hint"),
)(_direction_sampler(("right", "left"), with_shape=True))


@register_task(
    "order",
    ("orange→blue", "blue→orange"),
    "two coloured flashes; label = which comes first. `gap` = frames between their onsets",
    options=("gap", "onset", "flash", "radius", "distractors", "noise", "blank_outside"),
)
def _order_task(
    rng,
    label,
    T,
    H,
    W,
    gap=None,
    onset=None,
    flash=2,
    radius=None,
    distractors=2,
    noise=(0.02, 0.06),
    blank_outside=False,
) -> Scene:
    if not 1 <= flash <= T // 2:
        raise ValueError(f"flash={flash} frames must be between 1 and T/2={T // 2}")
    g = _pick(rng, gap, "gap", flash, T - flash)
    s = _pick(rng, onset, "onset", 0, T - g - flash)
    first, second = ("A", "B") if label == 0 else ("B", "A")
    objs = []
    for key, start in ((first, s), (second, s + g)):
        alpha = np.zeros(T, np.float32)
        alpha[start : start + flash] = 1.0
        pos = np.array([rng.uniform(0, W), rng.uniform(0, H)], dtype=np.float32)
        color = _hsv(FLASH_HUES[key] + rng.uniform(-0.03, 0.03), rng.uniform(0.75, 1.0), rng.uniform(0.85, 1.0))
        objs.append(Obj(int(rng.integers(len(SHAPES))), _radius(rng, radius, H, W), color, np.tile(pos, (T, 1)), alpha))
    scene = _scene(rng, label, objs, [(s, s + flash), (s + g, s + g + flash)], T, H, W, distractors, noise)
    if blank_outside:  # black except while a flash is on: no frame tells where in the clip it is
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
    if shape == 0:  # circle
        return torch.sqrt(dx**2 + dy**2) - r
    if shape == 1:  # square
        return torch.maximum(dx.abs(), dy.abs()) - _SQUARE_HALF * r
    n = _TRI_NORMALS  # triangle, pointing up
    return (
        torch.maximum(
            torch.maximum(n[0, 0] * dx + n[0, 1] * dy, n[1, 0] * dx + n[1, 1] * dy), n[2, 0] * dx + n[2, 1] * dy
        )
        - _TRI_INRADIUS * r
    )


def render_scenes(
    scenes: Sequence[Scene], noise: Sequence[np.ndarray], T: int, H: int, W: int, with_flow: bool = False
) -> tuple[torch.Tensor, torch.Tensor | None]:
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
    alpha = torch.zeros(N, K, T)  # padding objects stay invisible
    for i, sc in enumerate(scenes):
        for k, ob in enumerate(sc.objects):
            shape[i, k], radius[i, k] = ob.shape, ob.radius
            color[i, k] = torch.from_numpy(np.asarray(ob.color, np.float32))
            track[i, k] = torch.from_numpy(np.asarray(ob.track, np.float32))
            alpha[i, k] = torch.from_numpy(np.asarray(ob.alpha, np.float32))
    # pixel centres, and each pixel's offset from each object's centre on the torus
    ys = torch.arange(H, dtype=torch.float32) + 0.5
    xs = torch.arange(W, dtype=torch.float32) + 0.5
    cx = track[..., 0, None, None]  # (N, K, T, 1, 1)
    cy = track[..., 1, None, None]
    dx = torch.remainder(xs.view(1, 1, 1, 1, W) - cx + W / 2, W) - W / 2  # (N, K, T, 1, W)
    dy = torch.remainder(ys.view(1, 1, 1, H, 1) - cy + H / 2, H) - H / 2  # (N, K, T, H, 1)
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
    video = bg.view(N, 3, 1, 1, 1).expand(N, 3, T, H, W).clone()  # (N, 3, T, H, W)
    for k in range(K):  # paint objects back to front
        a = cover[:, k].unsqueeze(1)  # (N, 1, T, H, W)
        video += a * (color[:, k].view(N, 3, 1, 1, 1) - video)  # = (1 - a) * video + a * colour
    std = torch.tensor([s.noise_std for s in scenes], dtype=torch.float32).view(N, 1, 1, 1, 1)
    video = (video + std * torch.from_numpy(np.stack(noise))).clamp_(0, 1)
    for i, sc in enumerate(scenes):  # timing tasks: nothing at all outside the events
        if sc.blank is not None:
            video[i, :, torch.from_numpy(sc.blank)] = 0

    flow = None
    if with_flow:
        step = track[:, :, 1:] - track[:, :, :-1]  # (N, K, T-1, 2)
        step = torch.remainder(step + torch.tensor([W / 2, H / 2]), torch.tensor([W, H])) - torch.tensor([W / 2, H / 2])
        flow = torch.zeros(N, 2, T - 1, H, W)
        owner = cover[:, :, :-1] > 0.5  # (N, K, T-1, H, W)
        for k in range(K):  # the topmost covering object wins
            m = owner[:, k].unsqueeze(1)  # (N, 1, T-1, H, W)
            v = step[:, k].permute(0, 2, 1).reshape(N, 2, T - 1, 1, 1)  # (N, 2, T-1, 1, 1)
            flow = torch.where(m, v.expand_as(flow), flow)
    return video, flow
