"""SlowFast and X3D (notebook 13): shapes, the lateral connection's time alignment, which frames each pathway
reads, and parameter counts against formulas."""

import pytest
import torch
import torch.nn as nn

from vulib.cost import count_params, model_cost
from vulib.models import X3D, SlowFast, X3DBlock, lateral_connection


def _stage_params(c_in, c_out, kt):
    return kt * 9 * c_in * c_out + c_out + 2 * c_out  # conv weights + bias + batch norm (scale, shift)


@pytest.mark.parametrize("pathways, dim", [("slowfast", 2 * 8 + 2 * 2), ("slow", 16), ("fast", 4)])
def test_slowfast_shapes(pathways, dim):
    model = SlowFast(3, 5, width=8, alpha=4, beta=0.25, pathways=pathways).eval()
    x = torch.rand(2, 3, 16, 16, 16)
    assert model.embed(x).shape == (2, dim) and model(x).shape == (2, 5)


def test_slowfast_parameters_follow_the_formula():
    w, f, a, C, K = 8, 2, 4, 3, 5
    model = SlowFast(C, K, width=w, alpha=a, beta=0.25)
    slow = _stage_params(C, w, 1) + _stage_params(w + 2 * f, 2 * w, 1) + _stage_params(2 * w + 4 * f, 2 * w, 3)
    fast = _stage_params(C, f, 3) + _stage_params(f, 2 * f, 3) + _stage_params(2 * f, 2 * f, 3)
    lateral = (5 * f * 2 * f + 2 * f) + (5 * 2 * f * 4 * f + 4 * f)
    head = (2 * w + 2 * f) * K + K
    assert count_params(model) == slow + fast + lateral + head
    assert count_params(model.fast) < count_params(model.slow) / 8  # beta = 1/4: far fewer weights


def test_lateral_connection_aligns_fast_frame_alpha_t_with_slow_frame_t():
    alpha, c = 4, 3
    lat = lateral_connection(c, alpha)
    with torch.no_grad():
        lat.weight.zero_()
        lat.bias.zero_()
        for o in range(2 * c):
            lat.weight[o, o % c, 2, 0, 0] = 1.0  # the centre tap only
    x = torch.rand(1, c, 16, 2, 2)  # (B, c, T, H, W)
    y = lat(x)  # (B, 2c, T / alpha, H, W)
    assert y.shape == (1, 2 * c, 4, 2, 2)
    assert torch.equal(y[:, :c], x[:, :, ::alpha]) and torch.equal(y[:, c:], x[:, :, ::alpha])


def test_slow_pathway_reads_every_alpha_th_frame_only():
    torch.manual_seed(0)
    x = torch.rand(1, 3, 16, 16, 16)
    moved = x.clone()
    moved[:, :, 1] += 1.0  # a frame the slow pathway skips
    for pathways, changes in (("slow", False), ("fast", True), ("slowfast", True)):
        model = SlowFast(3, 2, width=8, pathways=pathways).eval()
        with torch.no_grad():
            differs = not torch.allclose(model(x), model(moved))
        assert differs == changes, pathways


def test_slowfast_rejects_bad_settings_and_clips():
    with pytest.raises(ValueError, match="pathways must be"):
        SlowFast(pathways="medium")
    with pytest.raises(ValueError, match="alpha"):
        SlowFast(alpha=0)
    with pytest.raises(ValueError, match="beta"):
        SlowFast(beta=2)
    with pytest.raises(ValueError, match="multiple of alpha"):
        SlowFast(alpha=4)(torch.rand(1, 3, 10, 16, 16))
    with pytest.raises(ValueError, match=r"\(B, C, T, H, W\)"):
        SlowFast()(torch.rand(3, 16, 16, 16))


@pytest.mark.parametrize("depth", [1, 2])
def test_x3d_shapes_and_time_kept(depth):
    model = X3D(3, 4, width=4, depth=depth).eval()
    x = torch.rand(2, 3, 6, 16, 16)
    feats = model.blocks(model.stem(x))
    assert feats.shape == (2, 16, 6, 4, 4)  # 4w channels, T kept, space / 4
    assert model.embed(x).shape == (2, 32) and model(x).shape == (2, 4)
    assert len(model.blocks) == 3 * depth


def test_x3d_block_parameters_depthwise_vs_dense():
    c, b = 8, 18
    dw, dense = X3DBlock(c, c, bottleneck=b), X3DBlock(c, c, bottleneck=b, depthwise=False)
    common = c * b + 2 * b + 2 * b + b * c + 2 * c  # two 1x1x1 convs and three batch norms
    assert count_params(dw) == common + 27 * b  # one 3x3x3 filter per channel
    assert count_params(dense) == common + 27 * b * b
    shape = (c, 4, 8, 8)
    (_, m_dw), (_, m_dense) = model_cost(nn.Sequential(dw), shape), model_cost(nn.Sequential(dense), shape)
    assert m_dw < m_dense / 4


def test_x3d_rejects_bad_settings():
    with pytest.raises(ValueError, match="depth >= 1"):
        X3D(depth=0)
    with pytest.raises(ValueError, match="multiples of 4"):
        X3D()(torch.rand(1, 3, 4, 18, 18))
