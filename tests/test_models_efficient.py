"""Notebook 11's efficient models: temporal shift, TSM (and its streaming form), (2+1)D convolution."""

import pytest
import torch
import torch.nn as nn

from vulib.cost import count_params, layer_table, model_cost
from vulib.models import TSM, Conv2Plus1d, R2Plus1D, StreamingTSM, TemporalShift, build_model, mid_channels_2plus1d


def _clip(C=8, T=4):
    # value = 100 * channel + frame + 1: every entry says where it came from
    c = torch.arange(C).view(1, C, 1, 1, 1) * 100.0
    t = torch.arange(T).view(1, 1, T, 1, 1) + 1.0
    return (c + t).expand(2, C, T, 3, 3).contiguous()  # (B=2, C, T, H=3, W=3)


def test_offline_shift_moves_one_fold_each_way_with_zeros_at_the_ends():
    x = _clip()
    y = TemporalShift(fold_div=4)(x)  # fold = 2
    assert y.shape == x.shape
    v = y[0, :, :, 0, 0]  # (C, T)
    assert v[0].tolist() == [2, 3, 4, 0] and v[1].tolist() == [102, 103, 104, 0]  # from the future
    assert v[2].tolist() == [0, 201, 202, 203] and v[3].tolist() == [0, 301, 302, 303]  # from the past
    assert torch.equal(y[:, 4:], x[:, 4:])  # the rest untouched
    assert torch.equal(y[1], y[0])


def test_online_shift_uses_only_the_past():
    x = _clip()
    y = TemporalShift(fold_div=4, online=True)(x)
    v = y[0, :, :, 0, 0]
    assert v[0].tolist() == [0, 1, 2, 3] and v[1].tolist() == [0, 101, 102, 103]
    assert torch.equal(y[:, 2:], x[:, 2:])
    # causality: changing the last frame changes nothing before it
    x2 = x.clone()
    x2[:, :, -1] += 7
    assert torch.equal(TemporalShift(fold_div=4, online=True)(x2)[:, :, :-1], y[:, :, :-1])


def test_shift_has_no_parameters_and_works_on_integers():
    s = TemporalShift()
    assert count_params(s) == 0
    x = torch.arange(16 * 3).view(1, 16, 3, 1, 1)
    assert TemporalShift(fold_div=8)(x)[0, 0, :, 0, 0].tolist() == [1, 2, 0]


@pytest.mark.parametrize("kwargs", [dict(fold_div=1), dict(fold_div=2.5), dict(mode="sideways")])
def test_shift_rejects_bad_settings(kwargs):
    with pytest.raises(ValueError):
        TemporalShift(**kwargs)


def test_shift_rejects_a_non_clip():
    with pytest.raises(ValueError, match=r"\(B, C, T, H, W\)"):
        TemporalShift()(torch.zeros(2, 8, 4, 4))


@pytest.mark.parametrize("mode", ["residual", "inplace"])
def test_tsm_adds_zero_parameters_and_zero_multiply_adds(mode):
    torch.manual_seed(0)
    tsm, tsn = TSM(width=8, mode=mode), TSM(width=8, shift=False)
    shape = (3, 8, 32, 32)
    assert model_cost(tsm, shape) == model_cost(tsn, shape)
    rows = layer_table(tsm, shape)
    shifts = [r for r in rows if r.kind == "TemporalShift"]
    assert len(shifts) == 2 and all(r.params == 0 and r.macs == 0 for r in shifts)
    assert tsm(torch.rand(2, *shape)).shape == (2, 2)


def test_tsm_mixes_frames_and_tsn_does_not():
    torch.manual_seed(0)
    x = torch.rand(1, 3, 6, 16, 16)
    for shift, expect_mixing in ((True, True), (False, False)):
        m = TSM(width=8, shift=shift).eval()
        x2 = x.clone()
        x2[:, :, 3] = torch.rand(3, 16, 16)
        changed = (m.frame_logits(x2) - m.frame_logits(x)).abs().amax(dim=(0, 2)) > 1e-6  # (T,)
        assert changed[3]
        assert bool(changed[2] or changed[4]) == expect_mixing


def test_streaming_equals_the_offline_causal_model_with_constant_memory():
    torch.manual_seed(0)
    model = TSM(width=8, online=True)
    model.train()
    model(torch.rand(4, 3, 6, 16, 16))  # move the batch-norm statistics off their init
    model.eval()
    video = torch.rand(2, 3, 10, 16, 16)
    with torch.no_grad():
        offline = model.frame_logits(video)  # (B, T, K)
    stream = StreamingTSM(model)
    sizes = []
    for t in range(video.shape[2]):
        out = stream.step(video[:, :, t])
        assert torch.allclose(out, offline[:, t], atol=1e-5), t
        assert torch.allclose(stream.mean_logits, offline[:, : t + 1].mean(1), atol=1e-5)
        sizes.append(stream.buffer_bytes())
    assert len(set(sizes)) == 1 and sizes[0] > 0
    assert torch.allclose(stream.mean_logits, model(video), atol=1e-5)
    stream.reset()
    assert stream.frames_seen == 0 and stream.buffer_bytes() == 0


def test_streaming_needs_an_online_tsm():
    with pytest.raises(ValueError, match="online=True"):
        StreamingTSM(TSM())
    with pytest.raises(ValueError, match="one frame"):
        StreamingTSM(TSM(online=True)).step(torch.rand(1, 3, 2, 8, 8))


def test_conv2plus1d_matches_the_full_3d_conv_in_parameters():
    for c_in, c_out, k in [(3, 16, 3), (16, 32, 3), (64, 64, (3, 3, 3)), (32, 64, (5, 3, 3))]:
        conv = Conv2Plus1d(c_in, c_out, kernel=k)
        kt, kh, kw = (k, k, k) if isinstance(k, int) else k
        full = nn.Conv3d(c_in, c_out, (kt, kh, kw), bias=False)
        factorised = conv.spatial.weight.numel() + conv.temporal.weight.numel()
        one_mid_channel = kh * kw * c_in + kt * c_out
        assert full.weight.numel() - one_mid_channel < factorised <= full.weight.numel()
        assert conv.mid_channels == mid_channels_2plus1d(c_in, c_out, k)
    assert mid_channels_2plus1d(64, 64) == 144  # R(2+1)D's example: 3*9*64*64 / (9*64 + 3*64)
    y = Conv2Plus1d(3, 8)(torch.rand(2, 3, 4, 8, 8))
    assert y.shape == (2, 8, 4, 8, 8)
    assert Conv2Plus1d(3, 8, mid_channels=5).mid_channels == 5


def test_conv2plus1d_rejects_bad_kernels():
    with pytest.raises(ValueError):
        Conv2Plus1d(3, 8, kernel=(3, 3))
    with pytest.raises(ValueError):
        Conv2Plus1d(3, 8, mid_channels=0)


def test_r2plus1d_and_registry():
    assert R2Plus1D()(torch.rand(2, 3, 8, 16, 16)).shape == (2, 2)
    m = build_model("tsm", classes=5, frames=8, size=32)
    assert isinstance(m, TSM) and m(torch.rand(1, 3, 8, 32, 32)).shape == (1, 5)


def test_model_cost_counts_recurrent_models():
    from vulib.models import CNNRNN

    params, macs = model_cost(CNNRNN(width=8, hidden=32), (3, 8, 24, 24))
    gru = [r for r in layer_table(CNNRNN(width=8, hidden=32), (3, 8, 24, 24)) if r.kind == "GRU"][0]
    assert gru.macs == 8 * 3 * (16 * 32 + 32 * 32) and params == count_params(CNNRNN(width=8, hidden=32))
