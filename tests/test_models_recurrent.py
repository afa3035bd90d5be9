"""The recurrent models of notebook 05: shapes, state carry-over, the ConvGRU = GRUCell identity,
input checks, order sensitivity, and the sequential step counts."""

import pytest
import torch
import torch.nn as nn

from vulib.models import (
    C3D,
    CNN3D,
    CNNRNN,
    RCN,
    ConvGRUCell,
    EarlyFusion,
    LateFusionFC,
    LateFusionPool,
    SingleFrame,
    sequential_steps,
)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


# ---------------------------------------------------------------- shapes


@pytest.mark.parametrize("T, H, W", [(1, 16, 16), (5, 24, 16), (8, 32, 32)])
@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_cnnrnn_shapes(cell, T, H, W):
    model = CNNRNN(classes=5, width=4, hidden=12, cell=cell)
    x = torch.rand(2, 3, T, H, W)
    for mode in (True, False):
        model.train(mode)
        assert model(x).shape == (2, 5)
        assert model.frame_logits(x).shape == (2, T, 5)
    logits, state = model.run(x)
    assert logits.shape == (2, 5)
    if cell == "gru":
        assert state.shape == (1, 2, 12)
    else:
        assert [s.shape for s in state] == [(1, 2, 12), (1, 2, 12)]


def test_cnnrnn_forward_is_the_last_frame_logit_and_per_frame_option():
    model = CNNRNN(classes=3, width=4, hidden=8).eval()
    x = torch.rand(2, 3, 6, 16, 16)
    frames = model.frame_logits(x)
    torch.testing.assert_close(model(x), frames[:, -1])
    model.per_frame = True
    assert model(x).shape == (2, 6, 3)
    torch.testing.assert_close(model(x), frames)
    assert CNNRNN(classes=3, width=4, hidden=8, per_frame=True)(x).shape == (2, 6, 3)


@pytest.mark.parametrize("T, H, W", [(1, 8, 8), (4, 16, 12), (7, 9, 13)])
def test_rcn_shapes(T, H, W):
    model = RCN(classes=4, hidden=(3, 5))
    x = torch.rand(2, 3, T, H, W)
    logits, state = model.run(x)
    assert logits.shape == (2, 4) and model(x).shape == (2, 4)
    assert [tuple(s.shape) for s in state] == [(2, 3, H, W), (2, 5, H // 2, W // 2)]


def test_rcn_three_layers_without_pooling():
    model = RCN(channels=1, classes=2, hidden=(2, 3, 4), pool=1, kernel_size=5)
    logits, state = model.run(torch.rand(1, 1, 3, 10, 10))
    assert logits.shape == (1, 2)
    assert [tuple(s.shape) for s in state] == [(1, 2, 10, 10), (1, 3, 10, 10), (1, 4, 10, 10)]


@pytest.mark.parametrize("k", [1, 3, 5])
def test_convgru_cell_shapes(k):
    cell = ConvGRUCell(3, 6, kernel_size=k)
    x = torch.rand(2, 3, 9, 11)
    h = cell(x)
    assert h.shape == (2, 6, 9, 11)
    assert cell(x, h).shape == (2, 6, 9, 11)


# ---------------------------------------------------------------- state carried between calls


def _halves(model, x, split):
    whole, _ = model.run(x)
    _, state = model.run(x[:, :, :split])
    second, _ = model.run(x[:, :, split:], state)
    return whole, second


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_cnnrnn_state_carry_over(cell):
    model = CNNRNN(classes=3, width=4, hidden=8, cell=cell).eval()
    x = torch.rand(2, 3, 7, 16, 16)
    with torch.no_grad():
        for split in (1, 3, 6):
            whole, second = _halves(model, x, split)
            torch.testing.assert_close(second, whole, atol=1e-5, rtol=0)
        # per-frame logits of the second half equal the tail of the whole clip's
        _, state = model.run(x[:, :, :3])
        torch.testing.assert_close(
            model.frame_logits(x[:, :, 3:], state), model.frame_logits(x)[:, 3:], atol=1e-5, rtol=0
        )


def test_rcn_state_carry_over():
    model = RCN(classes=3, hidden=(4, 6)).eval()
    x = torch.rand(2, 3, 6, 12, 12)
    with torch.no_grad():
        for split in (1, 2, 5):
            whole, second = _halves(model, x, split)
            torch.testing.assert_close(second, whole, atol=1e-5, rtol=0)


def test_carried_state_matters():
    x = torch.rand(1, 3, 4, 16, 16)
    for model in (CNNRNN(width=4, hidden=8).eval(), RCN(hidden=(4, 6)).eval()):
        with torch.no_grad():
            _, state = model.run(x[:, :, :2])
            assert not torch.allclose(model.run(x[:, :, 2:], state)[0], model.run(x[:, :, 2:])[0])


# ---------------------------------------------------------------- ConvGRU is a GRU with convolutions


def test_convgru_1x1_equals_grucell():
    I, Hd, B = 5, 7, 4
    gru = nn.GRUCell(I, Hd).double()
    conv = ConvGRUCell(I, Hd, kernel_size=1).double()
    with torch.no_grad():
        conv.conv_x.weight.copy_(gru.weight_ih[:, :, None, None])  # (3H, I) in order (r, z, n)
        conv.conv_x.bias.copy_(gru.bias_ih)
        conv.conv_h.weight.copy_(gru.weight_hh[:, :, None, None])  # (3H, H)
        conv.conv_h.bias.copy_(gru.bias_hh)
    h_ref = torch.randn(B, Hd, dtype=torch.double)
    h = h_ref[:, :, None, None]  # (B, H, 1, 1)
    for _ in range(5):
        x = torch.randn(B, I, dtype=torch.double)
        h_ref = gru(x, h_ref)
        h = conv(x[:, :, None, None], h)
        torch.testing.assert_close(h[:, :, 0, 0], h_ref, atol=1e-12, rtol=0)
    # and from a zero state (h=None), as nn.GRUCell with hx=None
    x = torch.randn(B, I, dtype=torch.double)
    torch.testing.assert_close(conv(x[:, :, None, None])[:, :, 0, 0], gru(x), atol=1e-12, rtol=0)


def test_convgru_1x1_acts_per_pixel_like_grucell():
    """On a larger map a 1x1 ConvGRU is the same GRUCell applied at every position independently."""
    gru = nn.GRUCell(2, 3)
    conv = ConvGRUCell(2, 3, kernel_size=1)
    with torch.no_grad():
        conv.conv_x.weight.copy_(gru.weight_ih[:, :, None, None])
        conv.conv_x.bias.copy_(gru.bias_ih)
        conv.conv_h.weight.copy_(gru.weight_hh[:, :, None, None])
        conv.conv_h.bias.copy_(gru.bias_hh)
    x, h = torch.randn(2, 2, 4, 5), torch.randn(2, 3, 4, 5)
    out = conv(x, h)  # (2, 3, 4, 5)
    ref = gru(x.permute(0, 2, 3, 1).reshape(-1, 2), h.permute(0, 2, 3, 1).reshape(-1, 3))
    torch.testing.assert_close(out.permute(0, 2, 3, 1).reshape(-1, 3), ref, atol=1e-6, rtol=0)


# ---------------------------------------------------------------- frame order matters


def test_output_depends_on_frame_order():
    x = torch.rand(2, 3, 6, 16, 16)
    for model in (
        CNNRNN(width=4, hidden=8, cell="gru").eval(),
        CNNRNN(width=4, hidden=8, cell="lstm").eval(),
        RCN(hidden=(4, 6)).eval(),
    ):
        with torch.no_grad():
            assert not torch.allclose(model(x), model(x.flip(2)), atol=1e-6), type(model).__name__


# ---------------------------------------------------------------- clear errors


@pytest.mark.parametrize("make", [lambda: CNNRNN(width=4, hidden=8), lambda: RCN(hidden=(4, 6))])
def test_wrong_layout_raises_clear_error(make):
    model = make()
    with pytest.raises(ValueError, match=r"expected video of shape \(B, C, T, H, W\).*got \(2, 8, 3, 16, 16\)"):
        model(torch.rand(2, 8, 3, 16, 16))  # time and channels swapped
    with pytest.raises(ValueError, match=r"expected video of shape \(B, C, T, H, W\), got \(3, 8, 16, 16\)"):
        model(torch.rand(3, 8, 16, 16))  # no batch axis


def test_cnnrnn_bad_state_and_cell():
    x = torch.rand(2, 3, 4, 16, 16)
    gru = CNNRNN(width=4, hidden=8, cell="gru")
    with pytest.raises(ValueError, match=r"GRU state .*\(1, 2, 8\), got \(1, 3, 8\)"):
        gru.run(x, torch.zeros(1, 3, 8))
    lstm = CNNRNN(width=4, hidden=8, cell="lstm")
    with pytest.raises(ValueError, match=r"LSTM state as the pair \(h, c\).*got a single \(1, 2, 8\)"):
        lstm.run(x, torch.zeros(1, 2, 8))  # h without c
    with pytest.raises(ValueError, match=r"\(1, 2, 8\), got \(1, 2, 8\), \(1, 2, 9\)"):
        lstm.run(x, (torch.zeros(1, 2, 8), torch.zeros(1, 2, 9)))
    with pytest.raises(ValueError, match="cell='gru' or cell='lstm'"):
        CNNRNN(cell="rnn")


def test_rcn_bad_state_and_sizes():
    model = RCN(hidden=(4, 6))
    x = torch.rand(2, 3, 3, 12, 12)
    _, state = model.run(x)
    with pytest.raises(ValueError, match="list of 2 hidden maps"):
        model.run(x, state[:1])
    with pytest.raises(ValueError, match=r"layer 2 .*\(2, 6, 6, 6\).*got \(2, 6, 12, 12\)"):
        model.run(x, [state[0], torch.zeros(2, 6, 12, 12)])
    with pytest.raises(ValueError, match=r"layer 1 .*\(2, 4, 16, 16\)"):
        model.run(torch.rand(2, 3, 3, 16, 16), state)  # state of another frame size
    with pytest.raises(ValueError, match="at least 4x4"):
        RCN(hidden=(2, 2, 2))(torch.rand(1, 3, 2, 3, 8))
    with pytest.raises(ValueError, match="at least one layer"):
        RCN(hidden=())


def test_convgru_cell_errors():
    cell = ConvGRUCell(3, 4)
    with pytest.raises(ValueError, match=r"\(B, C, H, W\) with C=3, got \(2, 5, 8, 8\)"):
        cell(torch.rand(2, 5, 8, 8))
    with pytest.raises(ValueError, match=r"\(B, C, H, W\), got \(2, 3, 1, 8, 8\)"):
        cell(torch.rand(2, 3, 1, 8, 8))
    with pytest.raises(ValueError, match=r"hidden state h .*\(2, 4, 8, 8\).*got \(2, 4, 7, 8\)"):
        cell(torch.rand(2, 3, 8, 8), torch.zeros(2, 4, 7, 8))
    for k in (2, 4, 0):
        with pytest.raises(ValueError, match="odd kernel_size"):
            ConvGRUCell(3, 4, kernel_size=k)


# ---------------------------------------------------------------- sequential steps


@pytest.mark.parametrize("T", [1, 8, 16, 100])
def test_sequential_steps(T):
    assert sequential_steps(CNNRNN(width=4, hidden=8), T) == T
    assert sequential_steps(CNNRNN(width=4, hidden=8, cell="lstm"), T) == T
    assert sequential_steps(RCN(hidden=(4, 6)), T) == T + 1
    assert sequential_steps(RCN(hidden=(4, 6, 8)), T) == T + 2
    assert sequential_steps(RCN(hidden=(4,)), T) == T
    # feed-forward models: their depth (conv + linear layers), whatever T
    assert sequential_steps(CNN3D(width=4), T) == 4
    assert sequential_steps(SingleFrame(width=4), T) == 4
    assert sequential_steps(EarlyFusion(width=4), T) == 4
    assert sequential_steps(LateFusionPool(width=4), T) == 5
    assert sequential_steps(LateFusionFC(width=4), T) == 5
    assert sequential_steps(C3D.small(), T) == 11


def test_sequential_steps_errors():
    with pytest.raises(ValueError, match="T >= 1"):
        sequential_steps(CNN3D(width=4), 0)
    with pytest.raises(ValueError, match="does not know"):
        sequential_steps(nn.Sequential(nn.LSTM(3, 4)), 4)
    with pytest.raises(ValueError, match="no convolution or linear"):
        sequential_steps(nn.ReLU(), 4)
