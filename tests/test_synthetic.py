"""The synthetic tasks: shapes, reproducibility, and that labels depend only on what they should."""

import math

import pytest
import torch

from vulib.synthetic import TASKS, make_clips


@pytest.mark.parametrize("task", sorted(TASKS))
def test_shapes_range_and_balance(task):
    b = make_clips(task, 24, frames=12, size=(24, 28), seed=1, with_flow=True)
    assert b.video.shape == (24, 3, 12, 24, 28) and b.video.dtype == torch.float32
    assert 0.0 <= b.video.min() and b.video.max() <= 1.0
    assert b.flow.shape == (24, 2, 11, 24, 28)
    assert b.tracks.shape == (24, 2, 12)
    counts = torch.bincount(b.labels, minlength=b.num_classes)
    assert counts.max() - counts.min() <= 1, "labels must cycle through the classes"
    assert len(b[3:7]) == 4 and b[5].labels.item() == b.labels[5].item()


@pytest.mark.parametrize("task", sorted(TASKS))
def test_sample_reproducible_from_its_seed(task):
    batch = make_clips(task, 10, seed=7)
    alone = make_clips(task, 1, seed=7, start_index=6)
    assert torch.equal(batch.video[6], alone.video[0])
    assert batch.labels[6] == alone.labels[0]
    assert not torch.equal(make_clips(task, 4, seed=8).video, batch.video[:4])


def test_seed_none_follows_global_seed():
    torch.manual_seed(123)
    a = make_clips("shape", 3)
    torch.manual_seed(123)
    b = make_clips("shape", 3)
    assert a.seed == b.seed and torch.equal(a.video, b.video)


def _ks(a: torch.Tensor, b: torch.Tensor) -> float:
    """Two-sample Kolmogorov-Smirnov statistic."""
    grid = torch.cat([a, b]).sort().values
    ca = torch.searchsorted(a.sort().values, grid, right=True) / len(a)
    cb = torch.searchsorted(b.sort().values, grid, right=True) / len(b)
    return (ca - cb).abs().max().item()


def test_direction_single_frames_carry_no_label():
    """At every frame the object's position has the same (uniform) distribution in both classes,
    and a linear probe on single frames cannot beat chance."""
    b = make_clips("direction", 2000, frames=8, size=16, seed=0)
    right, left = b.labels == 0, b.labels == 1
    crit = 1.95 * math.sqrt(2 / 1000)  # KS critical value, alpha = 0.001
    for t in range(8):
        for axis in (0, 1):
            assert _ks(b.tracks[right, axis, t], b.tracks[left, axis, t]) < crit
    # linear probe: least squares on single frames (pixels + bias), trained and tested on separate clips
    t_idx = torch.arange(2000) % 8
    X = b.video[torch.arange(2000), :, t_idx].flatten(1)
    X = torch.cat([X, torch.ones(2000, 1)], 1)
    y = b.labels.float() * 2 - 1
    w = torch.linalg.lstsq(X[:1000], y[:1000], driver="gelsd").solution
    acc = ((X[1000:] @ w > 0).float() == (y[1000:] > 0).float()).float().mean().item()
    assert 0.42 < acc < 0.58, f"a single frame should be uninformative, probe accuracy {acc:.3f}"


def test_shape_single_frame_is_informative():
    """Contrast for the probe above: on the `shape` task one frame's pixel statistics differ by class
    (the object's area is equal, but its extent in rows/columns is not)."""
    b = make_clips("shape", 600, frames=4, size=16, seed=0, distractors=0)
    rows_hit = (b.video[:, :, 0].amax(1) > b.video[:, :, 0].amax(1).mean((1, 2), keepdim=True)).float()
    extent = rows_hit.amax(2).sum(1)  # object height in pixels, frame 0
    means = [extent[b.labels == k].mean().item() for k in range(3)]
    assert max(means) - min(means) > 0.5


def test_direction_motion_and_exact_flow():
    """Noise-free clip moving 2 px/frame to the right: frame t rolled by the flow gives frame t+1."""
    b = make_clips(
        "direction",
        2,
        frames=6,
        size=20,
        seed=3,
        speed=(2.0, 2.0),
        noise=(0.0, 0.0),
        radius=(3.5, 5.5),
        distractors=0,
        with_flow=True,
    )
    for i, sign in ((0, 1), (1, -1)):  # label 0 = right, 1 = left
        v, f = b.video[i], b.flow[i]
        for t in range(5):
            assert torch.allclose(torch.roll(v[:, t], shifts=2 * sign, dims=2), v[:, t + 1], atol=1e-5)
        moving = f.abs().sum(0) > 0  # (T-1, H, W)
        assert torch.all(f[0][moving] == 2 * sign) and torch.all(f[1][moving] == 0)
        area = moving.float().sum((1, 2))  # the object's area, every frame
        r_area = math.pi * 3.5**2
        assert torch.all(area > 0.7 * r_area)
        steps = b.tracks[i, 0, 1:] - b.tracks[i, 0, :-1]
        assert torch.allclose(torch.remainder(steps * sign, 20), torch.full((5,), 2.0))


def test_direction_onset_and_duration():
    b = make_clips("direction", 4, frames=16, seed=0, onset=5, duration=6)
    assert torch.all(b.events[:, 0] == torch.tensor([5, 11]))
    x = b.tracks[:, 0]
    step = torch.remainder(x[:, 1:] - x[:, :-1] + 16, 32) - 16
    moving = step.abs() > 1e-4
    assert torch.all(moving[:, 5:10]) and not torch.any(moving[:, :5]) and not torch.any(moving[:, 10:])


def test_onset_range_is_sampled_within_bounds():
    b = make_clips("direction", 200, frames=16, seed=0, onset=(0, 3), duration=6)
    starts = b.events[:, 0, 0]
    assert starts.min() == 0 and starts.max() == 3


def test_order_gap_and_colours():
    b = make_clips("order", 40, frames=16, seed=2, gap=7, flash=2, noise=(0.0, 0.0), distractors=0)
    e = b.events
    assert torch.all(e[:, 1, 0] - e[:, 0, 0] == 7) and torch.all(e[:, :, 1] - e[:, :, 0] == 2)
    for i in range(40):
        s = e[i, 0, 0].item()
        frame = b.video[i, :, s]  # (3, H, W) first flash
        bg = b.video[i, :, 0 if s > 0 else 15].mean((1, 2), keepdim=True)
        lit = (frame - bg).abs().sum(0) > 0.3
        r, _, blue = frame[:, lit].mean(1)
        first_is_orange = bool(r > blue)
        assert first_is_orange == (b.labels[i].item() == 0)
        assert (b.video[i, :, s + 3] - b.video[i, :, s + 5]).abs().max() < 1e-6  # nothing between flashes


def test_order_frames_are_class_symmetric():
    """Which frames hold a flash is distributed identically in both classes (time-reversal symmetry)."""
    b = make_clips("order", 2000, frames=16, seed=0)
    crit = 1.95 * math.sqrt(2 / 1000)
    for k in range(2):
        a = b.events[b.labels == 0, k, 0].float()
        c = b.events[b.labels == 1, k, 0].float()
        assert _ks(a, c) < crit


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(task="nope", n=2), "unknown task"),
        (dict(task="shape", n=2, onset=3), "unknown"),
        (dict(task="direction", n=2, onset=20, duration=4), "does not fit"),
        (dict(task="direction", n=2, duration=40), "duration"),
        (dict(task="order", n=2, gap=(9, 3)), "lo <= hi"),
        (dict(task="order", n=0), "n >= 1"),
        (dict(task="shape", n=2, frames=1), "frames >= 2"),
        (dict(task="shape", n=2, radius=(5, 3)), "radius"),
    ],
)
def test_bad_options_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_clips(**kwargs)


def test_blank_outside_leaves_only_the_events():
    d = make_clips("direction", 6, frames=12, seed=0, onset=3, duration=4, blank_outside=True)
    assert d.video[:, :, :3].abs().max() == 0 and d.video[:, :, 7:].abs().max() == 0
    assert (d.video[:, :, 3:7].flatten(2).amax(2) > 0).all()
    o = make_clips("order", 6, frames=16, seed=0, gap=5, flash=2, blank_outside=True)
    for i in range(6):
        lit = o.video[i].transpose(0, 1).flatten(1).amax(1) > 0  # (16,) frames with anything in them
        on = torch.zeros(16, dtype=torch.bool)
        for s, e in o.events[i].tolist():
            on[s:e] = True
        assert torch.equal(lit, on)
