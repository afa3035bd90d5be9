"""Drawing a batch of any registered task: :func:`make_clips` (pixels and ground truth) and
:func:`make_scenes` (the same clips' ground truth only). See :mod:`vulib.synthetic`."""

from __future__ import annotations

import numpy as np
import torch

from ..seed import fresh_seed
from .clips import TASKS, Scene, VideoBatch, render_scenes
from .sound import render_sound

__all__ = ["make_clips", "make_scenes"]


# ----------------------------------------------------------------------------------------
def make_clips(
    task: str,
    n: int,
    *,
    frames: int = 16,
    size: int | tuple[int, int] = 32,
    seed: int | None = None,
    start_index: int = 0,
    with_flow: bool = False,
    chunk: int | None = None,
    **options,
) -> VideoBatch:
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
    if chunk is None:  # about a million pixels per chunk keeps temporaries to ~100 MB
        chunk = max(1, min(64, 2**20 // (frames * H * W)))
    video = torch.empty(n, 3, frames, H, W)  # filled chunk by chunk: no copy at the end
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
        events[i, : len(s.events)] = torch.tensor(s.events, dtype=torch.long)
    tracks = torch.from_numpy(np.stack([s.objects[s.main].track for s in scenes_all])).permute(0, 2, 1)
    tracks = torch.remainder(tracks, torch.tensor([W, H], dtype=torch.float32).view(1, 2, 1))
    audio, audio_rate = None, 0
    if scenes_all[0].sound is not None:  # tasks with a sound track (notebook 10)
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


def make_scenes(
    task: str, n: int, *, frames: int = 16, size: int | tuple[int, int] = 32, seed: int, start_index: int = 0, **options
) -> list[Scene]:
    """The scenes (ground truth, no pixels) of ``make_clips(task, n, frames=..., size=..., seed=seed,
    start_index=...)``: scene ``i`` is drawn from the same generator, so it describes exactly that clip."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {sorted(TASKS)}")
    H, W = (size, size) if isinstance(size, (int, np.integer)) else tuple(size)
    K = len(TASKS[task].classes)
    return [
        TASKS[task].sample(np.random.default_rng([int(seed), i]), i % K, frames, H, W, **options)
        for i in range(start_index, start_index + n)
    ]
