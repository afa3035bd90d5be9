"""vulib.flow: the estimators recover known motions, warping inverts motion, pictures and errors."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import vulib
from vulib.flow import (
    color_wheel,
    endpoint_error,
    flow_to_color,
    horn_schunck,
    lucas_kanade,
    shifted_texture,
    stack_flow,
    warp,
)


def texture(n, H, W, shift=(0.0, 0.0), seed=0):
    return shifted_texture(n, H, W, shift, seed)


def constant(shift, n, H, W):
    return torch.tensor(shift, dtype=torch.float32).view(1, 2, 1, 1).expand(n, 2, H, W)


INNER = (slice(None), slice(12, -12), slice(12, -12))  # away from the borders


def inner_mask(n, H, W):
    m = torch.zeros(n, H, W, dtype=torch.bool)
    m[INNER] = True
    return m


ESTIMATORS = {"lucas_kanade": lucas_kanade, "horn_schunck": horn_schunck}


@pytest.mark.parametrize("name", ESTIMATORS)
@pytest.mark.parametrize("shift", [(0.3, -0.2), (-0.7, 0.45), (1.5, 0.7), (3.0, -2.0)])
def test_sub_pixel_and_larger_translations(name, shift):
    a, b = texture(3, 64, 64), texture(3, 64, 64, shift)
    flow = ESTIMATORS[name](a, b)
    assert flow.shape == (3, 2, 64, 64)
    assert endpoint_error(flow, constant(shift, 3, 64, 64), inner_mask(3, 64, 64)) < 0.1


def test_without_a_pyramid_large_motion_breaks():
    a, b = texture(2, 64, 64), texture(2, 64, 64, (3.0, -2.0))
    one_level = lucas_kanade(a, b, levels=1)
    three = lucas_kanade(a, b, levels=3)
    true, m = constant((3.0, -2.0), 2, 64, 64), inner_mask(2, 64, 64)
    assert endpoint_error(one_level, true, m) > 0.5 > 0.1 > endpoint_error(three, true, m)


@settings(max_examples=15, deadline=None)
@given(u=st.floats(-1.0, 1.0), v=st.floats(-1.0, 1.0), seed=st.integers(0, 1000))
def test_lucas_kanade_on_random_sub_pixel_shifts(u, v, seed):
    a, b = texture(1, 48, 48, seed=seed), texture(1, 48, 48, (u, v), seed=seed)
    flow = lucas_kanade(a, b)
    assert endpoint_error(flow, constant((u, v), 1, 48, 48), inner_mask(1, 48, 48)) < 0.12


@pytest.mark.parametrize("name", ESTIMATORS)
def test_synthetic_task_flow(name):
    """On the synthetic tasks' exact flow: on the moving object the estimate beats 'nothing moves' by far."""
    batch = vulib.make_clips("direction", 6, frames=5, size=32, seed=3, with_flow=True)
    flow = ESTIMATORS[name](batch.video)  # (6, 2, 4, 32, 32)
    assert flow.shape == batch.flow.shape
    moving = batch.flow.norm(dim=1) > 0
    ours = endpoint_error(flow, batch.flow, moving)
    still = endpoint_error(torch.zeros_like(flow), batch.flow, moving)
    assert ours < 0.6 * still, (ours, still)
    # and the direction of the mean estimated motion on the object is right in every clip
    right = torch.tensor([c == "right" for c in [batch.classes[i] for i in batch.labels]])
    mean_u = torch.stack([flow[i, 0][moving[i]].mean() for i in range(len(batch))])
    assert torch.equal(mean_u > 0, right)


def test_clip_and_pairs_agree():
    clip = vulib.make_clips("direction", 2, frames=4, size=32, seed=1).video
    whole = lucas_kanade(clip)
    for t in range(3):
        assert torch.allclose(whole[:, :, t], lucas_kanade(clip[:, :, t], clip[:, :, t + 1]), atol=1e-5)


def test_warping_by_the_true_flow_reconstructs_the_frame():
    a, b = texture(2, 48, 48), texture(2, 48, 48, (1.25, -0.5))
    back = warp(b, constant((1.25, -0.5), 2, 48, 48))
    err = (back - a)[(slice(None), slice(None)) + INNER[1:]].abs()
    before = (b - a)[(slice(None), slice(None)) + INNER[1:]].abs()
    assert err.mean() < 0.01 and err.max() < 0.03  # only bilinear interpolation's error left
    assert err.mean() < 0.1 * before.mean()
    batch = vulib.make_clips("direction", 4, frames=3, size=32, seed=2, noise=(0.0, 0.0), distractors=0, with_flow=True)
    f1, f2 = batch.video[:, :, 0], batch.video[:, :, 1]
    # on the object's pixels of frame 1 the exact flow points at the same object point in frame 2
    # (the background it uncovers has no match in frame 2: occlusion, which no warp can undo)
    on_object = (batch.flow[:, :, 0].norm(dim=1) > 0)[:, None].expand_as(f1)
    err = (warp(f2, batch.flow[:, :, 0]) - f1).abs()[on_object].mean()
    assert err < 0.1 * (f2 - f1).abs()[on_object].mean()


def test_zero_flow_warp_is_identity():
    x = torch.rand(2, 3, 9, 11)
    assert torch.allclose(warp(x, torch.zeros(2, 2, 9, 11)), x, atol=1e-6)


def test_endpoint_error():
    f = torch.zeros(1, 2, 2, 2)
    g = f.clone()
    g[0, 0] = 3.0
    g[0, 1] = 4.0
    assert endpoint_error(f, g) == pytest.approx(5.0)
    mask = torch.tensor([[[True, False], [False, False]]])
    assert endpoint_error(f, f, mask) == 0.0
    with pytest.raises(ValueError, match="same shape"):
        endpoint_error(f, torch.zeros(1, 2, 3, 3))
    with pytest.raises(ValueError, match="selects no pixel"):
        endpoint_error(f, g, torch.zeros(1, 2, 2, dtype=torch.bool))


def test_flow_colors():
    flow = torch.zeros(2, 1, 4)
    flow[:, 0, 0] = torch.tensor([1.0, 0.0])  # right
    flow[:, 0, 1] = torch.tensor([0.0, 1.0])  # down
    flow[:, 0, 2] = torch.tensor([-1.0, 0.0])  # left
    rgb = flow_to_color(flow, max_magnitude=1.0)  # (1, 4, 3)
    assert rgb.shape == (1, 4, 3) and rgb.min() >= 0 and rgb.max() <= 1
    assert torch.allclose(rgb[0, 0], torch.tensor([1.0, 0.0, 0.0]))  # right = red
    assert torch.allclose(rgb[0, 2], torch.tensor([0.0, 1.0, 1.0]))  # left = cyan
    assert torch.allclose(rgb[0, 3], torch.ones(3))  # still = white
    half = flow_to_color(flow * 0.5, max_magnitude=1.0)
    assert torch.allclose(half[0, 0], torch.tensor([1.0, 0.5, 0.5]))  # half speed = half saturation
    assert flow_to_color(torch.zeros(3, 2, 5, 5)).shape == (3, 5, 5, 3)
    wheel = color_wheel(33)
    assert wheel.shape == (33, 33, 3)
    assert torch.allclose(wheel[16, 16], torch.ones(3)) and torch.allclose(wheel[0, 0], torch.ones(3))
    assert torch.allclose(wheel[16, 32], torch.tensor([1.0, 0.0, 0.0]), atol=1e-5)


def test_stack_flow_interleaves_u_and_v():
    flows = torch.arange(2 * 3 * 4.0).view(1, 2, 3, 2, 2)  # (B, 2, L=3, 2, 2)
    stacked = stack_flow(flows)
    assert stacked.shape == (1, 6, 2, 2)
    for t in range(3):
        assert torch.equal(stacked[0, 2 * t], flows[0, 0, t]) and torch.equal(stacked[0, 2 * t + 1], flows[0, 1, t])
    with pytest.raises(ValueError, match=r"\(B, 2, L, H, W\)"):
        stack_flow(torch.zeros(1, 3, 2, 4, 4))


@pytest.mark.parametrize("name", ESTIMATORS)
def test_bad_input(name):
    fn = ESTIMATORS[name]
    a = torch.rand(1, 3, 32, 32)
    with pytest.raises(ValueError, match="same shape"):
        fn(a, torch.rand(1, 3, 32, 30))
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        fn(torch.rand(3, 32, 32), torch.rand(3, 32, 32))
    bad = a.clone()
    bad[0, 0, 3, 3] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        fn(a, bad)
    with pytest.raises(ValueError, match="NaN"):
        fn(torch.stack([a, bad], dim=2))
    with pytest.raises(ValueError, match="floating"):
        fn((a * 255).to(torch.uint8), (a * 255).to(torch.uint8))
    with pytest.raises(ValueError, match="at least 2 frames"):
        fn(torch.rand(1, 3, 1, 32, 32))
    with pytest.raises(ValueError, match="fewer levels"):
        fn(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8), levels=3)
    with pytest.raises(ValueError, match=r"\(B, 2, H, W\)"):
        warp(a, torch.zeros(1, 3, 32, 32))
    with pytest.raises(ValueError, match="share B, H and W"):
        warp(a, torch.zeros(1, 2, 16, 16))


def test_two_stream_fuses_probabilities():
    from vulib.models import EarlyFusion, SingleFrame, TwoStream

    torch.manual_seed(0)
    spatial, temporal = (
        SingleFrame(classes=4, width=4).eval(),
        EarlyFusion(channels=2, frames=3, classes=4, width=4).eval(),
    )
    video, flows = torch.rand(2, 3, 4, 16, 16), torch.randn(2, 2, 3, 16, 16)
    model = TwoStream(spatial, temporal).eval()
    expected = (spatial(video).softmax(-1) + temporal(flows).softmax(-1)) / 2
    assert torch.allclose(model(video, flows).exp(), expected, atol=1e-6)
    with pytest.raises(ValueError, match="same clips"):
        model(video, flows[:1])
    with pytest.raises(ValueError, match="C=2"):
        model(video, torch.rand(2, 3, 3, 16, 16))


def test_auto_levels_keep_the_coarsest_level_at_least_16_pixels():
    from vulib.flow import auto_levels

    assert [auto_levels(s, s) for s in (8, 16, 31, 32, 64, 128, 480)] == [1, 1, 1, 2, 3, 3, 3]
    assert auto_levels(32, 200) == 2


def test_the_gaussian_pyramid_does_not_alias():
    """Seed 57's texture holds detail that a box pyramid folds into a false coarse pattern: a 3-pixel motion
    is then tracked with nearly a pixel of error. Blurring before each halving (the default) fixes it."""
    a, b = shifted_texture(2, 64, 64, seed=57), shifted_texture(2, 64, 64, (3.0, 0.0), seed=57)
    true, m = constant((3.0, 0.0), 2, 64, 64), inner_mask(2, 64, 64)
    assert endpoint_error(lucas_kanade(a, b, levels=3, pyramid_sigma=0.0), true, m) > 0.5
    assert endpoint_error(lucas_kanade(a, b, levels=3), true, m) < 0.05
