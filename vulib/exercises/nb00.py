"""Checkers for notebook 00 -- videos as tensors, and why we train on clips.

Each exercise is predict-then-verify: the learner writes down a ``prediction`` in a cell of its own, then a
function that *measures* the answer (on tensors, on a real decoder, on the synthetic clips); the checker runs that
function on its own cases, compares it with the measurement it makes itself, and prints the prediction beside the
measurement (never graded).
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import torch

from .. import io as vio
from ..synthetic import make_clips
from . import ExerciseError, agrees_within, check_function, check_scalar, exercise, report_prediction


# --------------------------------------------------------------------------- 1 · views and copies
def _storage(t: torch.Tensor) -> tuple[int, int]:
    s = t.untyped_storage()
    return s.data_ptr(), s.nbytes()


def _new_bytes(frames: torch.Tensor) -> list[int]:
    """Bytes of new storage allocated by each step of ``frames.permute(3, 0, 1, 2).float() / 255``."""
    out, prev = [], frames
    for step in (lambda t: t.permute(3, 0, 1, 2), lambda t: t.float(), lambda t: t / 255):
        new = step(prev)
        out.append(0 if _storage(new)[0] == _storage(prev)[0] else _storage(new)[1])
        prev = new
    return out


def _frames(*shape: int) -> tuple[torch.Tensor]:
    return (torch.randint(0, 256, shape, dtype=torch.uint8, generator=torch.Generator().manual_seed(sum(shape))),)


_CASES_BYTES = [_frames(8, 24, 32, 3), _frames(16, 112, 112, 3), _frames(1, 2, 2, 3)]


@exercise(
    notebook="00",
    reference=_new_bytes,
    wrong=[
        lambda f: [f.numel(), 4 * f.numel(), 4 * f.numel()],  # thought permute copies the pixels
        lambda f: [0, f.numel(), f.numel()],  # thought a float takes one byte, like uint8
        lambda f: [0, 4 * f.numel(), 0],  # thought the division works in place
        lambda f: [0, 4 * f.numel(), 4 * f.numel() + f.numel()],  # counted the input again
    ],
)
def check_new_bytes(fn, prediction=None) -> bool:
    """``fn(frames (T, H, W, C) uint8)`` = bytes of new storage allocated by permute, .float() and / 255.
    ``prediction``: the three numbers as multiples of the frames' own size (printed beside the measurement, not
    graded)."""
    check_function(lambda f: torch.tensor(fn(f)), lambda f: torch.tensor(_new_bytes(f)), _CASES_BYTES,
                   "new_bytes")  # fmt: skip
    frames = _CASES_BYTES[0][0]
    report_prediction(
        prediction,
        [b // frames.numel() for b in _new_bytes(frames)],
        "new bytes of permute, .float() and / 255, in multiples of the uint8 frames' size",
        "section 1 shows which operations return a view, and a float32 takes 4 bytes",
        agrees=agrees_within(0),
    )
    return True


# --------------------------------------------------------------------------- 2 · which frames a decoder returns
def _index_video(num_frames: int, folder: Path) -> Path:
    """A 16x16 video whose frame t is flat grey at level 10 + 20 t (out of 255): it tells its own index."""
    frames = (10 + 20 * torch.arange(num_frames, dtype=torch.uint8)).view(-1, 1, 1, 1).expand(-1, 16, 16, 3)
    return vio.write_video(folder / f"index_{num_frames}.mp4", frames.contiguous(), fps=4)


def _indices_read(video_frames: int, **read_kwargs) -> list[int]:
    """Measured: which frames ``vulib.io.read_video(path, **read_kwargs)`` returns from a ``video_frames`` video."""
    with tempfile.TemporaryDirectory() as folder:
        clip = vio.read_video(_index_video(video_frames, Path(folder)), **read_kwargs)  # (3, T', 16, 16)
    level = clip.mean(dim=(0, 2, 3)) * 255  # (T',)
    return ((level - 10) / 20).round().long().tolist()


_CASES_INDICES = [(10, {"num_frames": 4}), (9, {"num_frames": 4}), (7, {"num_frames": 9}), (12, {"every": 5})]


def _guess_step(n: int, num_frames: int | None = None, every: int = 1) -> list[int]:  # n // k apart from 0
    return list(range(0, n, n // num_frames))[:num_frames] if num_frames else list(range(0, n, every))


def _guess_floor(n: int, num_frames: int | None = None, every: int = 1) -> list[int]:  # floor, not round
    if not num_frames:
        return list(range(0, n, every))
    return torch.linspace(0, n - 1, num_frames).floor().long().tolist()


def _guess_past_end(n: int, num_frames: int | None = None, every: int = 1) -> list[int]:  # spread over 0..n
    if not num_frames:
        return list(range(0, n, every))
    return [min(i, n - 1) for i in torch.linspace(0, n, num_frames).round().long().tolist()]


def _guess_every_from_one(n: int, num_frames: int | None = None, every: int = 1) -> list[int]:  # every k-th, 1-based
    return _indices_read(n, num_frames=num_frames) if num_frames else list(range(every - 1, n, every))


@exercise(
    notebook="00",
    reference=_indices_read,
    wrong=[_guess_step, _guess_floor, _guess_past_end, _guess_every_from_one],
)
def check_indices_read(fn, prediction=None) -> bool:
    """``fn(video_frames, **read_kwargs)`` = the indices of the frames ``read_video`` returns (measured).
    ``prediction``: the three lists of indices the exercise asks for (4 of 10 frames, 4 of 9, 9 of 7), printed
    beside the measurement, not graded."""
    check_function(
        lambda n, kw: torch.tensor(fn(n, **kw)),
        lambda n, kw: torch.tensor(_indices_read(n, **kw)),
        _CASES_INDICES,
        "indices_read",
    )
    report_prediction(
        prediction,
        tuple(_indices_read(n, **kw) for n, kw in _CASES_INDICES[:3]),
        "frames read (4 of 10, 4 of 9, 9 of 7)",
        "evenly spaced means rounded positions on 0 .. T-1, and asking for more frames than exist repeats some",
        agrees=agrees_within(0),
    )
    return True


# --------------------------------------------------------------------------- 3 · does a random clip see the motion?
def _p_clip_sees(video_frames: int, event_frames: int, clip_frames: int) -> float:
    """Over every event onset and every clip start (both uniform), the share of (onset, start) pairs in which the
    clip holds at least one motion step, i.e. two consecutive frames both inside the event."""
    hits = total = 0
    for onset in range(video_frames - event_frames + 1):
        steps = set(range(onset, onset + event_frames - 1))  # a step goes from frame t to t + 1
        for start in range(video_frames - clip_frames + 1):
            hits += any(t in steps for t in range(start, start + clip_frames - 1))
            total += 1
    return hits / total


def _p_overlap_one_frame(v: int, e: int, c: int) -> float:  # one shared frame is not a step
    pairs = [(s, a) for s in range(v - e + 1) for a in range(v - c + 1)]
    return sum(max(s, a) < min(s + e, a + c) for s, a in pairs) / len(pairs)


def _p_clips_run_off(v: int, e: int, c: int) -> float:  # clip starts up to the last frame
    pairs = [(s, a) for s in range(v - e + 1) for a in range(v)]
    return sum(max(s, a) < min(s + e - 1, a + c - 1) for s, a in pairs) / len(pairs)


_CASES_P = [(40, 10, 8), (16, 6, 4), (20, 2, 2), (12, 12, 3), (30, 4, 10)]


@exercise(
    notebook="00",
    reference=_p_clip_sees,
    wrong=[
        lambda v, e, c: e / v,  # the event's share of the video, ignoring the clip's length
        lambda v, e, c: min(1.0, (e + c) / v),  # a rough overlap estimate
        _p_overlap_one_frame,
        _p_clips_run_off,
    ],
)
def check_p_clip_sees(fn, prediction=None) -> bool:
    """``fn(video_frames, event_frames, clip_frames)`` = chance that a random clip holds a motion step.
    ``prediction``: that share for section 5's videos (40 frames, a 10-frame event, 8-frame clips), printed beside
    the measurement (to 2 decimals; within 0.05 counts as predicted), not graded."""
    check_function(
        fn, _p_clip_sees, _CASES_P, "p_clip_sees", compare=lambda a, e, n: check_scalar(a, e, n, abs_tol=1e-6)
    )
    report_prediction(
        prediction,
        round(_p_clip_sees(*_CASES_P[0]), 2),
        "share of random 8-frame clips with a motion step (40-frame videos, 10-frame event)",
        "most onsets leave a clip room to fall before or after the event: section 5's one-clip accuracy pays for it",
        agrees=agrees_within(0.05),
    )
    return True


# --------------------------------------------------------------------------- 4 · reading direction from two frames
@functools.lru_cache(maxsize=1)
def _direction_clips():
    return make_clips("direction", 120, frames=12, size=32, seed=2024)


def _direction_score(video: torch.Tensor) -> torch.Tensor:
    """(B, C, T, H, W) -> (B,): minus the sum over pixels and frames of (temporal difference) x (horizontal
    gradient) of the grey clip. Positive for motion to the right, since then I(t+1, x) = I(t, x - v)."""
    g = video.mean(1)  # (B, T, H, W)
    it = g[:, 1:] - g[:, :-1]  # (B, T-1, H, W)
    ix = (g.roll(-1, -1) - g.roll(1, -1))[:, :-1] / 2  # central difference along x (the world is a torus)
    return -(it * ix).sum(dim=(1, 2, 3))


def _tells_direction(score: torch.Tensor, labels: torch.Tensor) -> str:
    """``"yes"`` when the sign of a score gives the direction of at least 90 % of the clips, else ``"no"``."""
    return "yes" if ((score > 0) == (labels == 0)).float().mean().item() >= 0.9 else "no"


@exercise(
    notebook="00",
    reference=_direction_score,
    wrong=[
        lambda v: (v[:, :, 1:] - v[:, :, :-1]).sum(dim=(1, 2, 3, 4)),  # a linear read-out of the frame difference
        lambda v: (v[:, :, 1:] - v[:, :, :-1]).abs().sum(dim=(1, 2, 3, 4)),  # motion energy: how much, not where to
        lambda v: -_direction_score(v),  # the sign flipped: positive for left
        lambda v: _direction_score(v.transpose(3, 4)),  # the vertical gradient
    ],
)
def check_direction_score(fn, prediction=None) -> bool:
    """``fn(video (B, C, T, H, W))`` = one score per clip, positive for motion to the right: tested on 120 fresh
    ``direction`` clips (right is class 0), never trained. ``prediction``: ``(linear, quadratic)``, each ``"yes"``
    or ``"no"``: does the summed frame difference, and does the summed difference times the horizontal slope, tell
    right from left? Printed beside the measurement, not graded."""
    b = _direction_clips()
    try:
        score = torch.as_tensor(fn(b.video.clone())).detach().float()
    except NotImplementedError:
        raise
    except Exception as exc:
        raise ExerciseError(f"direction_score: raised {type(exc).__name__}: {exc}") from exc
    if score.shape != (len(b),):
        raise ExerciseError(
            f"direction_score: expected one score per clip, shape ({len(b)},), got {tuple(score.shape)}"
        )
    acc = ((score > 0) == (b.labels == 0)).float().mean().item()
    if acc < 0.95:
        hint = (
            " (almost always wrong: is the sign flipped?)"
            if acc < 0.05
            else " (about chance: does the score know which way things move, or only how much they change?)"
            if acc < 0.65
            else ""
        )
        raise ExerciseError(
            f"direction_score: its sign gives the right direction for {acc:.0%} of 120 clips; "
            f"expected at least 95%{hint}"
        )
    print("✓ direction_score: correct")
    linear = (b.video[:, :, 1:] - b.video[:, :, :-1]).sum(dim=(1, 2, 3, 4))  # (B,)
    report_prediction(
        prediction,
        (_tells_direction(linear, b.labels), _tells_direction(score, b.labels)),
        "tells right from left (linear read-out, quadratic read-out)",
        "summed over the pixels, the frame differences are the last frame's total minus the first's: no direction",
        agrees=agrees_within(0),
    )
    return True
