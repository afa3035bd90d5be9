"""VideoViT (joint, divided, factorised), tubelet_from_patch and attention_flops (notebook 08)."""

import pytest
import torch
import torch.nn as nn

from vulib.cost import attention_flops
from vulib.models import VideoViT, tubelet_from_patch
from vulib.models.video_vit import ATTENTIONS, Block, DividedBlock

KW = dict(tubelet=(2, 4, 4), dim=16, depth=2, heads=2, classes=3)


@pytest.mark.parametrize("attention", ATTENTIONS)
def test_shapes_and_gradients(attention):
    model = VideoViT(frames=8, size=16, attention=attention, **KW)
    x = torch.rand(2, 3, 8, 16, 16)
    out = model(x)
    assert out.shape == (2, 3)
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    assert model.tokens(x).shape == (2, 4, 16, 16)  # (B, T', N, D)


@pytest.mark.parametrize("attention", ATTENTIONS)
def test_attention_maps_shapes_and_rows_sum_to_one(attention):
    model = VideoViT(frames=8, size=16, attention=attention, **KW)
    maps = model.attention_maps(torch.rand(2, 3, 8, 16, 16))
    shapes = {name: tuple(a.shape) for name, a in maps.items()}
    if attention == "joint":
        assert shapes == {"blocks.0.attn": (2, 64, 64), "blocks.1.attn": (2, 64, 64)}
    elif attention == "divided":
        assert shapes["blocks.0.time_attn"] == (2, 16, 4, 4) and shapes["blocks.1.attn"] == (2, 4, 16, 16)
    else:
        assert shapes["spatial.0.attn"] == (2, 4, 16, 16) and shapes["temporal.1.attn"] == (2, 4, 4)
    for a in maps.values():
        assert torch.allclose(a.sum(-1), torch.ones(()), atol=1e-5)
    assert all(not m.record and m.last_map is None for m in model.modules() if hasattr(m, "record"))


def test_hand_attention_equals_sdpa():
    """The recorded (hand-computed) weights reproduce the fused kernel's output."""
    block = Block(16, heads=2)
    attn = block.attn
    x = torch.randn(3, 10, 16)
    B, L, D = x.shape
    q, k, v = attn.qkv(x).view(B, L, 3, 2, 8).permute(2, 0, 3, 1, 4)
    w = torch.softmax(q @ k.transpose(-1, -2) / 8**0.5, dim=-1)
    by_hand = attn.proj((w @ v).transpose(1, 2).reshape(B, L, D))
    assert torch.allclose(by_hand, attn(x), atol=1e-5)


def test_untrained_divided_block_is_a_spatial_block_per_frame():
    divided, spatial = DividedBlock(16, heads=2), Block(16, heads=2)
    spatial.load_state_dict(
        {k: v for k, v in divided.state_dict().items() if not k.startswith(("time_attn", "norm_time"))}
    )
    x = torch.randn(2, 4, 9, 16)  # (B, T', N, D)
    per_frame = spatial(x.reshape(8, 9, 16)).view(2, 4, 9, 16)
    assert torch.allclose(divided(x), per_frame, atol=1e-6)
    with torch.no_grad():
        divided.time_attn.proj.weight.normal_()  # "trained": now time matters
    assert not torch.allclose(divided(x), per_frame, atol=1e-3)


@pytest.mark.parametrize("attention", ATTENTIONS)
def test_without_time_embedding_the_order_of_token_frames_does_not_matter(attention):
    torch.manual_seed(0)
    model = VideoViT(frames=8, size=16, attention=attention, time_embedding=False, **KW).eval()
    if attention == "divided":
        with torch.no_grad():
            for b in model.blocks:
                b.time_attn.proj.weight.normal_(0, 0.3)
    x = torch.rand(2, 3, 8, 16, 16)
    perm = torch.tensor([3, 0, 2, 1])  # token frames = pairs of frames
    shuffled = x.view(2, 3, 4, 2, 16, 16)[:, :, perm].reshape(2, 3, 8, 16, 16)
    with torch.no_grad():
        assert torch.allclose(model(shuffled), model(x), atol=1e-5)
        timed = VideoViT(frames=8, size=16, attention=attention, **KW).eval()
        timed.load_state_dict(model.state_dict(), strict=False)
        timed.time_pos.normal_()
        assert not torch.allclose(timed(shuffled), timed(x), atol=1e-4)


def test_bad_shapes_name_the_axis_and_remainder():
    with pytest.raises(ValueError, match=r"frames=9 .*tubelet's 2.*remainder 1"):
        VideoViT(frames=9, size=16)
    with pytest.raises(ValueError, match=r"size \(height\)=18 .*tubelet's 4.*remainder 2"):
        VideoViT(frames=8, size=18)
    with pytest.raises(ValueError, match="attention must be one of"):
        VideoViT(frames=8, size=16, attention="axial")
    with pytest.raises(ValueError, match="divisible by heads"):
        VideoViT(frames=8, size=16, dim=10, heads=4)
    model = VideoViT(frames=8, size=16, **KW)
    with pytest.raises(ValueError, match=r"T=8, got .*T=6"):
        model(torch.rand(1, 3, 6, 16, 16))
    with pytest.raises(ValueError, match="16x16"):
        model(torch.rand(1, 3, 8, 20, 20))


@pytest.mark.parametrize("mode", ["center", "central", "mean"])
def test_tubelet_from_patch_on_a_boring_video_gives_the_patch_tokens(mode):
    torch.manual_seed(1)
    patch = nn.Conv2d(3, 8, 4, stride=4)
    tube = tubelet_from_patch(patch, 2, mode=mode)
    assert tube.kernel_size == (2, 4, 4) and tube.stride == (2, 4, 4)
    image = torch.rand(2, 3, 16, 16)
    boring = image.unsqueeze(2).expand(2, 3, 6, 16, 16)
    tokens = tube(boring)  # (B, D, 3, 4, 4)
    assert torch.allclose(tokens, patch(image).unsqueeze(2).expand_as(tokens), atol=1e-5)


def test_center_mode_reads_the_middle_frame_of_each_tubelet():
    patch = nn.Conv2d(3, 8, 4, stride=4)
    tube = tubelet_from_patch(patch, 3, mode="center")
    assert torch.equal(tubelet_from_patch(patch, 3, mode="central").weight, tube.weight)  # the earlier name
    x = torch.rand(1, 3, 6, 8, 8)
    tokens = tube(x)  # (1, 8, 2, 2, 2)
    for i in range(2):
        assert torch.allclose(tokens[:, :, i], patch(x[:, :, 3 * i + 1]), atol=1e-5)
    mean = tubelet_from_patch(patch, 3, mode="mean")(x)
    assert not torch.allclose(mean, tokens, atol=1e-3)  # mean mode averages all three frames


def test_tubelet_from_patch_rejects_bad_input():
    with pytest.raises(ValueError, match="kernel = stride"):
        tubelet_from_patch(nn.Conv2d(3, 8, 3, padding=1), 2)
    with pytest.raises(ValueError, match="mode must be"):
        tubelet_from_patch(nn.Conv2d(3, 8, 4, stride=4), 2, mode="middle")
    with pytest.raises(ValueError, match="t \\(frames per tubelet\\)"):
        tubelet_from_patch(nn.Conv2d(3, 8, 4, stride=4), 0)
    with pytest.raises(ValueError, match="Conv2d"):
        tubelet_from_patch(nn.Linear(3, 8), 2)


@pytest.mark.parametrize("T, size", [(8, 16), (16, 16), (8, 32)])
def test_attention_flops_follow_the_formulas(T, size):
    dim, heads, depth = 16, 2, 2
    Tp, N = T // 2, (size // 4) ** 2
    per_product = 2 * dim  # 2 FLOPs x d channels x heads = 2 * dim
    expect = {"joint": (N * Tp) ** 2, "divided": N * Tp * (N + Tp), "factorised": N * N * Tp + Tp * Tp}
    for attention, pairs in expect.items():
        model = VideoViT(frames=T, size=size, attention=attention, dim=dim, depth=depth, heads=heads)
        assert attention_flops(model, (3, T, size, size)) == depth * 2 * per_product * pairs


def test_total_flops_add_the_linear_layers_to_attention():
    """total_flops - attention_flops = the tubelet embedding, the projections and the MLPs: per joint block
    24·D² FLOPs per token (4D² + 8D² multiply-adds), plus 2 · (3·t·p·p) · D per token for the embedding,
    up to the small classifier head; and a network without attention has attention_flops == 0."""
    from vulib.cost import total_flops
    from vulib.models import CNN3D

    dim, depth, T, size = 32, 2, 8, 16
    model = VideoViT(frames=T, size=size, attention="joint", tubelet=(2, 4, 4), dim=dim, depth=depth, heads=2)
    L = (T // 2) * (size // 4) ** 2
    rest = total_flops(model, (3, T, size, size)) - attention_flops(model, (3, T, size, size))
    expected = L * (depth * 24 * dim * dim + 2 * (3 * 2 * 4 * 4) * dim)
    assert expected <= rest < expected * 1.02, (rest, expected)
    assert (
        attention_flops(CNN3D(3, 4, width=8), (3, 8, 32, 32)) == 0 < total_flops(CNN3D(3, 4, width=8), (3, 8, 32, 32))
    )
    with pytest.raises(ValueError, match="positive ints"):
        total_flops(model, (3, 0, 16, 16))


def test_attended_tokens_follow_each_attention_design():
    from vulib.models.video_vit import attended_tokens

    torch.manual_seed(0)
    clip = torch.rand(1, 3, 8, 16, 16)
    query = (1, 2, 3)
    counts = {"joint": {"joint": 64}, "divided": {"time": 4, "space": 16}, "factorised": {"spatial": 16, "temporal": 4}}
    for attention, expected in counts.items():
        model = VideoViT(frames=8, size=16, tubelet=(2, 4, 4), dim=16, depth=1, heads=2, attention=attention)
        sets = attended_tokens(model, clip, query)
        assert {k: int(v.sum()) for k, v in sets.items()} == expected
        for step, mask in sets.items():
            assert mask.dtype == torch.bool
            if step in ("time",):
                assert mask[:, 2, 3].all()  # the query's own position in every frame
            if step in ("space", "spatial"):
                assert mask[1].all() and not mask[0].any()  # the query's own frame only


def test_draw_token_set_and_channel_shift_return_what_they_drew():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from vulib import viz
    from vulib.models import TemporalShift

    mask = torch.zeros(4, 4, 4, dtype=torch.bool)
    mask[:, 1, 2] = True
    fig, (a, b, c) = plt.subplots(1, 3)
    assert viz.draw_token_set(a, mask, (1, 1, 2)) == {(f, 1, 2) for f in range(4)}
    assert viz.draw_token_set(b, torch.tensor([True, False, True, True]), (0, 0, 0)) == {(0,), (2,), (3,)}
    ids = (torch.arange(5) + 1.0).view(1, 1, 5, 1, 1).expand(1, 8, 5, 1, 1)
    src = TemporalShift(fold_div=4, online=True)(ids)[0, :, :, 0, 0].long().numpy() - 1
    labels = viz.draw_channel_shift(c, src)
    assert labels[0, 0] == "0" and labels[0, 1] == "t-1" and labels[2, 3] == "t" and "t+1" not in labels
    plt.close(fig)


@pytest.mark.parametrize("T, N, D", [(1, 16, 32), (4, 16, 32), (3, 4, 8), (5, 64, 16), (2, 9, 64)])
def test_divided_over_joint_block_flops_follow_the_formula(T, N, D):
    """Notebook 08's exercise 1: all FLOPs of one divided block over one joint block on T·N tokens are
    (8·D + T + N) / (6·D + T·N), exactly as torch's counter gives them (the checker's reference)."""
    from vulib.exercises.nb08 import _block_ratio, _measured_block_ratio

    assert _measured_block_ratio(T, N, D) == pytest.approx(_block_ratio(T, N, D), rel=1e-12)
