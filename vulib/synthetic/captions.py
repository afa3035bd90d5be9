"""Captioned scenes: one scene with many facts, so that notebook 12 can describe it in words
(:mod:`vulib.language`). See :mod:`vulib.synthetic`."""

from __future__ import annotations

import numpy as np

from .clips import _DIRECTIONS, SHAPES, Obj, Scene, _radius, _scene, register_task

__all__ = ["CAPTION_COLORS", "CAPTION_DIRECTIONS", "caption_facts_of_label"]

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
    return {
        "shape": SHAPES[label % 3],
        "colour": tuple(CAPTION_COLORS)[(label // 3) % 3],
        "direction": CAPTION_DIRECTIONS[label % 4],
        "first": ("move", "flash")[(label // 4) % 2],
        "flashes": (label // 8) % 2 + 1,
    }


def _caption_color(rng, name: str) -> np.ndarray:
    return np.clip(np.array(CAPTION_COLORS[name]) + rng.uniform(-0.04, 0.04, 3), 0, 1).astype(np.float32)


@register_task(
    "caption",
    tuple(
        f"{f['colour']} {f['shape']} {f['direction']}, {f['first']} first, "
        f"{f['flashes']} flash{'es' if f['flashes'] > 1 else ''}"
        for f in map(caption_facts_of_label, range(144))
    ),
    "a mover and a flasher, one in each half of the clip; many facts for captions and questions",
    options=("speed", "radius", "distractors", "noise"),
)
def _caption_task(rng, label, T, H, W, speed=(1.5, 2.5), radius=None, distractors=1, noise=(0.02, 0.05)) -> Scene:
    if T < 6:
        raise ValueError(f"the caption task needs at least 6 frames (two flashes in half a clip), got {T}")
    f = caption_facts_of_label(label)
    half = T // 2
    move, flash = ((0, half), (half, T)) if f["first"] == "move" else ((half, T), (0, half))
    step = np.clip(np.arange(T), move[0], move[1] - 1) - move[0]  # displacements so far, per frame
    v = rng.uniform(*speed) * np.array(_DIRECTIONS[f["direction"]], dtype=np.float64)
    start = np.array([rng.uniform(0, W), rng.uniform(0, H)])
    mover = Obj(
        SHAPES.index(f["shape"]),
        _radius(rng, radius, H, W),
        _caption_color(rng, f["colour"]),
        (start + step[:, None] * v).astype(np.float32),
        np.ones(T, np.float32),
    )
    n = flash[1] - flash[0]
    if f["flashes"] == 1:
        on = [int(rng.integers(n))]
    else:  # two one-frame flashes with a dark frame between
        a = int(rng.integers(n - 2))
        on = [a, int(rng.integers(a + 2, n))]
    alpha = np.zeros(T, np.float32)
    alpha[[flash[0] + k for k in on]] = 1.0
    pos = np.array([rng.uniform(0, W), rng.uniform(0, H)], dtype=np.float32)
    flasher = Obj(
        int(rng.integers(len(SHAPES))),
        _radius(rng, radius, H, W),
        _caption_color(rng, tuple(CAPTION_COLORS)[int(rng.integers(len(CAPTION_COLORS)))]),
        np.tile(pos, (T, 1)),
        alpha,
    )
    events = sorted([move, (flash[0] + on[0], flash[0] + on[-1] + 1)])
    return _scene(rng, label, [mover, flasher], events, T, H, W, distractors, noise)
