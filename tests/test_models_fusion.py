"""The five fusion models of notebook 01: shapes, input checks, and what each one can see."""

import pytest
import torch

from vulib.models import CNN3D, EarlyFusion, LateFusionFC, LateFusionPool, SingleFrame

T0, S0 = 8, 24


def _models(T=T0, S=S0, K=3):
    return {
        "SingleFrame": SingleFrame(classes=K, width=4),
        "LateFusionFC": LateFusionFC(frames=T, classes=K, width=4, size=S),
        "LateFusionPool": LateFusionPool(classes=K, width=4),
        "EarlyFusion": EarlyFusion(frames=T, classes=K, width=4),
        "CNN3D": CNN3D(classes=K, width=4),
    }


@pytest.mark.parametrize("T, H, W", [(8, 24, 24), (4, 16, 32), (16, 32, 16)])
@pytest.mark.parametrize("name", ["SingleFrame", "LateFusionFC", "LateFusionPool", "EarlyFusion", "CNN3D"])
def test_output_shapes_train_and_eval(name, T, H, W):
    model = _models(T=T, S=(H, W), K=5)[name]
    x = torch.rand(2, 3, T, H, W)
    for mode in (True, False):
        model.train(mode)
        assert model(x).shape == (2, 5)


@pytest.mark.parametrize("name", ["SingleFrame", "LateFusionFC", "LateFusionPool", "EarlyFusion", "CNN3D"])
def test_wrong_layout_raises_clear_error(name):
    model = _models()[name]
    with pytest.raises(ValueError, match=r"expected video of shape \(B, C, T, H, W\).*got \(2, 8, 3, 24, 24\)"):
        model(torch.rand(2, T0, 3, S0, S0))  # time and channels swapped
    with pytest.raises(ValueError, match=r"expected video of shape \(B, C, T, H, W\), got \(3, 8, 24, 24\)"):
        model(torch.rand(3, T0, S0, S0))  # a single clip without the batch axis


def test_early_fusion_refuses_other_clip_lengths_and_says_why():
    model = EarlyFusion(frames=8, classes=2, width=4)
    with pytest.raises(ValueError, match=r"built for clips of T=8 frames, got T=12.*one weight per \(frame, colour\)"):
        model(torch.rand(1, 3, 12, 16, 16))
    assert model.backbone.layers[0].weight.shape[1] == 3 * 8  # first layer spans every frame


def test_late_fusion_fc_refuses_other_sizes_and_lengths():
    model = LateFusionFC(frames=8, classes=2, width=4, size=24)
    with pytest.raises(ValueError, match="T=8"):
        model(torch.rand(1, 3, 6, 24, 24))
    with pytest.raises(ValueError, match="built for 24x24 frames"):
        model(torch.rand(1, 3, 8, 32, 32))
    with pytest.raises(ValueError, match="divisible by 8"):
        LateFusionFC(frames=8, size=20)


def test_late_fusion_fc_parameters_grow_with_clip_length_and_area():
    n = lambda m: sum(p.numel() for p in m.mlp.parameters())
    base = n(LateFusionFC(frames=8, width=4, size=24))
    assert n(LateFusionFC(frames=16, width=4, size=24)) > 1.9 * base
    assert n(LateFusionFC(frames=8, width=4, size=48)) > 3.9 * base


def test_single_frame_averages_per_frame_probabilities_in_eval():
    model = SingleFrame(classes=3, width=4).eval()
    x = torch.rand(2, 3, 5, 16, 16)
    expected = model.frame_logits(x).softmax(-1).mean(1).log()
    assert torch.allclose(model(x), expected, atol=1e-6)


@pytest.mark.parametrize("name", ["SingleFrame", "LateFusionPool"])
def test_order_blind_models_ignore_frame_order(name):
    """Models that never compare frames give the same answer for any permutation of the frames."""
    model = _models()[name].eval()
    x = torch.rand(2, 3, T0, S0, S0)
    perm = torch.randperm(T0)
    assert torch.allclose(model(x), model(x[:, :, perm]), atol=1e-5)


@pytest.mark.parametrize("name", ["LateFusionFC", "EarlyFusion", "CNN3D"])
def test_order_aware_models_depend_on_frame_order(name):
    torch.manual_seed(0)
    model = _models()[name].eval()
    x = torch.rand(2, 3, T0, S0, S0)
    assert not torch.allclose(model(x), model(x.flip(2)), atol=1e-4)
