"""Untrimmed videos: a long video holds several actions at unknown times (temporal action localization,
notebook 09). See :mod:`vulib.synthetic`."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np
import torch

from ..seed import fresh_seed
from .clips import _DIRECTIONS, SHAPES, Obj, Scene, _bright_color, _radius, _scene, render_scenes

__all__ = ["UNTRIMMED_CLASSES", "UntrimmedBatch", "make_untrimmed"]

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
    cuts = np.sort(rng.integers(0, free + 1, size=len(durations)))  # stars and bars: random slack
    starts, t = [], 0
    for k, d in enumerate(durations):
        s = t + int(cuts[k]) - (int(cuts[k - 1]) if k else 0)
        starts.append(s)
        t = s + d + gap
    return starts


def _untrimmed_scene(
    rng: np.random.Generator,
    T: int,
    H: int,
    W: int,
    classes: tuple[str, ...],
    instances: tuple[int, int],
    duration: tuple[int, int],
) -> tuple[Scene, list]:
    """One long video: its actions (one actor each), distractor motion and static dots."""
    lo, hi = duration
    k = int(rng.integers(instances[0], instances[1] + 1))
    # log-uniform durations: as many short actions as long ones
    durations = [int(round(math.exp(rng.uniform(math.log(lo - 0.5), math.log(hi + 0.5))))) for _ in range(k)]
    durations = [min(max(d, lo), hi) for d in durations]
    while durations and sum(durations) + 4 * (len(durations) - 1) > T:  # keep what fits
        durations.pop()
    starts = _place(rng, durations, T, gap=4)
    labels = [int(rng.integers(len(classes))) for _ in durations]
    objects, segments = [], []
    radius = None  # 11-17 % of the frame side, as in the clip tasks
    for s, d, c in zip(starts, durations, labels):
        e = s + d
        name = classes[c]
        pos = np.array([rng.uniform(0, W), rng.uniform(0, H)])
        if _UNTRIMMED_ACTIONS[name] == "move":  # rests, moves during [s, e), rests again; visible throughout
            v = rng.uniform(1.0, 2.0) * np.array(_DIRECTIONS[name], dtype=np.float64)
            step = np.clip(np.arange(T), s, e - 1) - s
            track = (pos + step[:, None] * v).astype(np.float32)
            alpha = np.ones(T, np.float32)
        else:  # blinks (2 frames on, 2 off) during [s, e); invisible otherwise
            track = np.tile(pos.astype(np.float32), (T, 1))
            alpha = np.zeros(T, np.float32)
            alpha[s:e] = ((np.arange(e - s) // 2) % 2 == 0).astype(np.float32)
        objects.append(
            Obj(int(rng.integers(len(SHAPES))), _radius(rng, radius, H, W), _bright_color(rng), track, alpha)
        )
        segments.append((int(s), int(e), c))
    # distractors: objects that move up or down at random times, and objects that appear and stay a while
    # (motion and change that belong to no class: "anything moving" is not an answer)
    for _ in range(int(rng.integers(1, 4))):
        d = int(rng.integers(lo, hi + 1))
        s = int(rng.integers(0, T - d + 1))
        v = rng.uniform(0.7, 2.0) * np.array(_DIRECTIONS[("up", "down")[int(rng.integers(2))]], dtype=np.float64)
        step = np.clip(np.arange(T), s, s + d - 1) - s
        pos = np.array([rng.uniform(0, W), rng.uniform(0, H)])
        objects.append(
            Obj(
                int(rng.integers(len(SHAPES))),
                _radius(rng, radius, H, W),
                _bright_color(rng),
                (pos + step[:, None] * v).astype(np.float32),
                np.ones(T, np.float32),
            )
        )
    for _ in range(int(rng.integers(0, 3))):
        d = int(rng.integers(lo, hi + 1))
        s = int(rng.integers(0, T - d + 1))
        alpha = np.zeros(T, np.float32)
        alpha[s : s + d] = 1.0
        pos = np.array([rng.uniform(0, W), rng.uniform(0, H)], dtype=np.float32)
        objects.append(
            Obj(
                int(rng.integers(len(SHAPES))),
                _radius(rng, radius, H, W),
                _bright_color(rng),
                np.tile(pos, (T, 1)),
                alpha,
            )
        )
    order = rng.permutation(len(objects))  # who is drawn on top is random
    scene = _scene(
        rng,
        -1,
        [objects[i] for i in order],
        [(s, e) for s, e, _ in segments],
        T,
        H,
        W,
        distractors=int(rng.integers(2, 5)),
        noise=(0.02, 0.06),
    )
    return scene, segments


def make_untrimmed(
    n: int,
    *,
    frames: int = 256,
    size: int = 24,
    classes: Sequence[str] = UNTRIMMED_CLASSES,
    instances: tuple[int, int] = (1, 5),
    duration: tuple[int, int] = (6, 48),
    seed: int | None = None,
    chunk_frames: int = 64,
) -> UntrimmedBatch:
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
    video = torch.empty(n, 3, T, H, W)  # (N, 3, T, H, W), filled in place
    segments = []
    for i in range(n):
        rng = np.random.default_rng([int(seed), i, 9])  # 9: this generator's own stream
        scene, segs = _untrimmed_scene(rng, T, H, W, classes, (a, b), (lo, hi))
        segments.append(segs)
        for t0 in range(0, T, chunk_frames):  # render a window of frames at a time
            t1 = min(T, t0 + chunk_frames)
            part = replace(
                scene, objects=[replace(o, track=o.track[t0:t1], alpha=o.alpha[t0:t1]) for o in scene.objects]
            )
            # frame-major draws: the same noise whatever the chunk size
            noise = rng.standard_normal((t1 - t0, 3, H, W), dtype=np.float32).transpose(1, 0, 2, 3)
            video[i : i + 1, :, t0:t1] = render_scenes([part], [noise], t1 - t0, H, W)[0]
    return UntrimmedBatch(video=video, segments=segments, classes=classes, seed=int(seed))
