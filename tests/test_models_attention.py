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
        block.out[1].weight.fill_(1.0)                      # no longer the identity
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
    block(x)[0, :, 0, 0, 0].sum().backward()              # the first position of the first frame ...
    assert (x.grad[0].abs().sum(0) > 0).all()             # ... receives from every frame, row and column


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
    assert [type(l) for l in plain.features if not isinstance(l, NonLocalBlock)] == \
        [type(l) for l in m.features if not isinstance(l, NonLocalBlock)]
    with pytest.raises(ValueError, match="conv blocks"):
        CNN3D(nonlocal_after=(3,))
