"""The non-local block: identity at initialization, attention rows sum to one, shapes, errors."""

import pytest
import torch

from vulib.models import CNN3D, NonLocalBlock


@pytest.mark.parametrize("subsample", [True, False])
@pytest.mark.parametrize("train", [True, False])
def test_identity_at_initialization(subsample, train):
    block = NonLocalBlock(8, subsample=subsample).train(train)
    x = torch.randn(2, 8, 4, 6, 6)
    assert torch.equal(block(x), x)


@pytest.mark.parametrize("subsample, keys", [(True, 4 * 3 * 3), (False, 4 * 6 * 6)])
def test_attention_shapes_and_rows_sum_to_one(subsample, keys):
    block = NonLocalBlock(8, inter_channels=3, subsample=subsample)
    with torch.no_grad():
        block.out[1].weight.fill_(1.0)  # no longer the identity
    x = torch.randn(2, 8, 4, 6, 6)
    z, attn = block(x, return_attention=True)
    assert z.shape == x.shape and not torch.equal(z, x)
    assert attn.shape == (2, 4 * 6 * 6, keys)
    assert torch.allclose(attn.sum(-1), torch.ones(2, 4 * 6 * 6), atol=1e-5)
    assert (attn >= 0).all()


def test_one_output_depends_on_the_whole_clip():
    block = NonLocalBlock(4, subsample=False).eval()
    with torch.no_grad():
        block.out[1].weight.fill_(1.0)
    x = torch.randn(1, 4, 6, 5, 5, requires_grad=True)
    block(x)[0, :, 0, 0, 0].sum().backward()  # the first position of the first frame ...
    assert (x.grad[0].abs().sum(0) > 0).all()  # ... receives from every frame, row and column


def test_bad_input():
    block = NonLocalBlock(8)
    with pytest.raises(ValueError, match=r"\(B, C, T, H, W\).*C=8"):
        block(torch.randn(2, 4, 3, 6, 6))
    with pytest.raises(ValueError, match=r"\(B, C, T, H, W\)"):
        block(torch.randn(8, 3, 6, 6))
    with pytest.raises(ValueError, match="H, W >= 2"):
        block(torch.randn(1, 8, 3, 1, 6))


def test_cnn3d_with_nonlocal_blocks():
    m = CNN3D(classes=3, width=4, nonlocal_after=(1, 2))
    assert sum(isinstance(l, NonLocalBlock) for l in m.features) == 2
    assert m(torch.rand(2, 3, 8, 16, 16)).shape == (2, 3)
    plain = CNN3D(classes=3, width=4)
    assert [type(l) for l in plain.features if not isinstance(l, NonLocalBlock)] == [
        type(l) for l in m.features if not isinstance(l, NonLocalBlock)
    ]
    with pytest.raises(ValueError, match="conv blocks"):
        CNN3D(nonlocal_after=(3,))


def _trained_looking(block):
    with torch.no_grad():
        block.out[1].weight.fill_(1.0)
        if block.time_bias is not None:
            block.time_bias.copy_(torch.linspace(-0.3, 0.3, block.time_bias.numel()))
    return block.eval()


def test_plain_attention_is_blind_to_frame_order():
    block = _trained_looking(NonLocalBlock(6, subsample=False))
    x, perm = torch.randn(2, 6, 5, 3, 3), torch.tensor([3, 0, 4, 1, 2])
    assert torch.allclose(block(x[:, :, perm]), block(x)[:, :, perm], atol=1e-5)  # permuted in, permuted out


def test_relative_time_bias_sees_order_but_not_absolute_time():
    block = _trained_looking(NonLocalBlock(6, subsample=False, relative_time=8))
    x, perm = torch.randn(2, 6, 5, 3, 3), torch.tensor([3, 0, 4, 1, 2])
    assert not torch.allclose(block(x[:, :, perm]), block(x)[:, :, perm], atol=1e-3)


def test_offset_bias_layout():
    block = NonLocalBlock(4, relative_time=5)
    with torch.no_grad():
        block.time_bias.copy_(torch.arange(9.0))  # b[d] for d = -4 .. 4 is stored at d + 4
    bias = block.offset_bias(T=3, per_query_frame=2, per_key_frame=1)  # (N=6, M=3)
    tq, tk = torch.tensor([0, 0, 1, 1, 2, 2]), torch.arange(3)
    assert torch.equal(bias, NonLocalBlock.TIME_BIAS_SCALE * (tk[None] - tq[:, None] + 4).float())
    with pytest.raises(ValueError, match="up to 5 frames, got T=6"):
        block(torch.randn(1, 4, 6, 4, 4))
    with pytest.raises(ValueError, match="relative_time must be >= 0"):
        NonLocalBlock(4, relative_time=-1)
    assert NonLocalBlock(4).time_bias is None


def test_identity_at_initialization_with_time_bias():
    block = NonLocalBlock(8, relative_time=4)
    x = torch.randn(2, 8, 4, 6, 6)
    assert torch.equal(block(x), x)
    m = CNN3D(classes=2, width=4, time_stride=1, nonlocal_after=(2,), nonlocal_relative_time=8)
    assert m.features[-1].relative_time == 8 and m(torch.rand(2, 3, 8, 8, 8)).shape == (2, 2)
