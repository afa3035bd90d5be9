"""Receptive fields (vulib.fields): lecture tables, the recurrence against measured gradients, the fusion models."""

import copy
from collections import OrderedDict

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import vulib
from vulib.fields import empirical_receptive_field, format_table, receptive_field, unit_field
from vulib.models import CNN3D, EarlyFusion, LateFusionFC, LateFusionPool, SingleFrame


def toy_networks():
    """The three toy networks of notebook 02, for clips 3 x 20 x 64 x 64."""
    return {
        "late": nn.Sequential(
            nn.Conv3d(3, 12, (1, 3, 3), padding=(0, 1, 1)),
            nn.MaxPool3d((1, 4, 4)),
            nn.Conv3d(12, 24, (1, 3, 3), padding=(0, 1, 1)),
            nn.AdaptiveAvgPool3d(1),
        ),
        "early": nn.Sequential(
            nn.Conv3d(3, 12, (20, 3, 3), padding=(0, 1, 1)),
            nn.MaxPool3d((1, 4, 4)),
            nn.Conv3d(12, 24, (1, 3, 3), padding=(0, 1, 1)),
            nn.AdaptiveAvgPool3d(1),
        ),
        "3d": nn.Sequential(
            nn.Conv3d(3, 12, 3, padding=1), nn.MaxPool3d(4), nn.Conv3d(12, 24, 3, padding=1), nn.AdaptiveAvgPool3d(1)
        ),
    }


TOY_SHAPE = (3, 20, 64, 64)


def axis(fields, attr, a):
    return [getattr(f, attr)[a] for f in fields]


# ---------------------------------------------------------------------------------------- lecture tables


def test_2d_stack_sizes_and_jumps():
    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.MaxPool2d(2), nn.Conv2d(8, 8, 3, padding=1))
    fields = receptive_field(net, (3, 1, 64, 64))
    assert axis(fields, "size", 1) == axis(fields, "size", 2) == [3, 4, 8]
    assert axis(fields, "jump", 1) == [1, 2, 2]
    assert axis(fields, "start", 1) == [-1, -1, -3]
    assert [f.out_shape for f in fields] == [(8, 1, 64, 64), (8, 1, 32, 32), (8, 1, 32, 32)]


@pytest.mark.parametrize(
    "name, t_sizes, h_sizes",
    [
        ("late", [1, 1, 1, 20], [3, 6, 14, 64]),
        ("early", [20, 20, 20, 20], [3, 6, 14, 64]),
        ("3d", [3, 6, 14, 20], [3, 6, 14, 64]),
    ],
)
def test_toy_network_tables(name, t_sizes, h_sizes):
    fields = receptive_field(toy_networks()[name], TOY_SHAPE)
    assert axis(fields, "size", 0) == t_sizes
    assert axis(fields, "size", 1) == axis(fields, "size", 2) == h_sizes
    assert axis(fields, "jump", 1) == [1, 4, 4, 64]
    assert fields[-1].out_shape == (24, 1, 1, 1)
    if name == "3d":
        assert fields[2].size_unclipped[0] == 14 and fields[-1].size_unclipped[0] == 30  # 14 + 4*4, clipped to 20
    table = format_table(fields)
    assert len(table.splitlines()) == 5 and "AdaptiveAvgPool3d" in table


def test_2d_layers_act_per_frame():
    per_frame = nn.Sequential(
        nn.Conv2d(3, 12, 3, padding=1), nn.MaxPool2d(4), nn.Conv2d(12, 24, 3, padding=1), nn.AdaptiveAvgPool3d(1)
    )
    a, b = receptive_field(per_frame, TOY_SHAPE), receptive_field(toy_networks()["late"], TOY_SHAPE)
    assert [(f.out_shape, f.size, f.jump, f.start) for f in a] == [(f.out_shape, f.size, f.jump, f.start) for f in b]
    assert a[0].layer == "Conv2d per frame"


def test_conv1d_acts_on_time_and_sequentials_are_flattened():
    net = nn.Sequential(nn.Sequential(nn.Conv1d(3, 4, 5, padding=2), nn.ReLU()), nn.MaxPool1d(2), nn.Identity())
    fields = receptive_field(net, (3, 16, 8, 8))
    assert [f.name for f in fields] == ["0.0", "0.1", "1", "2"]
    assert [f.size for f in fields] == [(5, 1, 1), (5, 1, 1), (6, 1, 1), (6, 1, 1)]
    assert fields[-1].jump == (2, 1, 1) and fields[-1].out_shape == (4, 8, 8, 8)
    for idx in [(0, 0, 0), (3, 2, 5), (-1, -1, -1)]:
        assert empirical_receptive_field(net, (3, 16, 8, 8), idx).region == unit_field(fields[-1], idx)


def test_adaptive_pooling_that_divides_is_a_pooling():
    fields = receptive_field(nn.Sequential(nn.AdaptiveMaxPool3d((2, None, 4))), (1, 8, 6, 16))
    assert fields[0].out_shape == (1, 2, 6, 4) and fields[0].size == (4, 1, 4) and fields[0].jump == (4, 1, 4)


def test_lecture_rectangle_is_an_outer_bound_with_dilation_or_dropped_pixels():
    """The two ways a border unit can see less than the clipped lecture rectangle."""
    dilated = nn.Conv3d(1, 1, (1, 1, 3), padding=(0, 0, 1), dilation=(1, 1, 2))  # taps -1, 1, 3 for unit 0
    field = receptive_field(dilated, (1, 1, 1, 8))[0]
    assert unit_field(field, (0, 0, 0))[2] == (0, 3)
    assert empirical_receptive_field(dilated, (1, 1, 1, 8), (0, 0, 0)).region[2] == (1, 3)
    drops = nn.Sequential(nn.MaxPool3d((1, 1, 2)), nn.Conv3d(1, 1, (1, 1, 3), padding=(0, 0, 1)))  # drops pixel 4
    field = receptive_field(drops, (1, 1, 1, 5))[-1]
    assert unit_field(field, (0, 0, 1))[2] == (0, 4)
    assert empirical_receptive_field(drops, (1, 1, 1, 5), (0, 0, 1)).region[2] == (0, 3)


# ------------------------------------------------------------------------- analytic against measured


def converted_copy(model: nn.Module) -> nn.Module:
    """The model itself, converted for measurement: weights 1, no bias, max-pool -> avg-pool, float64."""
    m = copy.deepcopy(model).double()
    for name, mod in list(m.named_modules()):
        if isinstance(mod, nn.Conv3d):
            nn.init.ones_(mod.weight)
            nn.init.zeros_(mod.bias)
        if isinstance(mod, nn.MaxPool3d):
            assert mod.dilation in (1, (1, 1, 1))
            setattr(m, name, nn.AvgPool3d(mod.kernel_size, mod.stride, mod.padding, ceil_mode=mod.ceil_mode))
    return m


def real_gradient(model, shape, index):
    x = torch.zeros((1, *shape), dtype=torch.float64, requires_grad=True)
    model(x)[(0, slice(None), *index)].sum().backward()
    return x.grad[0].sum(0)  # (T, H, W)


@pytest.mark.parametrize("name", ["late", "early", "3d"])
def test_toy_networks_measured_match_lecture(name):
    net = toy_networks()[name]
    fields = receptive_field(net, TOY_SHAPE)
    for layer in range(4):
        extent = fields[layer].out_shape[1:]
        for idx in {(0, 0, 0), tuple(n - 1 for n in extent), tuple(n // 2 for n in extent)}:
            measured = empirical_receptive_field(net, TOY_SHAPE, idx, layer=layer)
            assert measured.region == unit_field(fields[layer], idx)
            assert measured.gradient.shape == (20, 64, 64)
    # The measurement network built from the plan sees what the model itself, converted, sees.
    real = converted_copy(net[:3])
    for idx in [(0, 0, 0), (-1, 7, -1)]:
        ours = empirical_receptive_field(net, TOY_SHAPE, idx, layer=2).gradient
        assert torch.equal(ours > 0, real_gradient(real, TOY_SHAPE, idx) > 0)


@st.composite
def stacks(draw):
    """A random stack of Conv3d / MaxPool3d / AvgPool3d with per-axis geometry, and a small clip shape."""
    shape = (2, *(draw(st.integers(4, 12)) for _ in range(3)))
    layers, channels = [], 2
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["conv", "max", "avg"]))
        k = tuple(draw(st.integers(1, 4)) for _ in range(3))
        s = tuple(draw(st.integers(1, 3)) for _ in range(3))
        d = (1, 1, 1) if kind == "avg" else tuple(draw(st.sampled_from([1, 1, 1, 2, 3])) for _ in range(3))
        if kind == "conv":
            p = tuple(draw(st.integers(0, (di * (ki - 1) + 1) // 2)) for ki, di in zip(k, d))
            layers.append(nn.Conv3d(channels, 3, k, s, p, d))
            channels = 3
        else:
            p = tuple(draw(st.integers(0, ki // 2)) for ki in k)
            ceil = draw(st.booleans())
            layers.append(
                nn.MaxPool3d(k, s, p, d, ceil_mode=ceil) if kind == "max" else nn.AvgPool3d(k, s, p, ceil_mode=ceil)
            )
    return nn.Sequential(*layers), shape


def geometry(layer, a):
    """(k, s, p, d) of a layer along axis a."""
    get = lambda v, fill=1: v[a] if isinstance(v, tuple) else v
    return get(layer.kernel_size), get(layer.stride), get(layer.padding), get(getattr(layer, "dilation", 1))


def unclipped_spans(net, N, a, n_out):
    """Measured fields of every output unit along axis a, as if the padding were input.

    The layers run in 1D without padding on an input with a left margin ``m`` chosen so that output unit i
    of the padded network is output unit i here; the field, shifted back by ``m``, is then never clipped.
    """
    geo = [geometry(layer, a) for layer in net]
    margin, bound = 0, N
    for k, s, p, d in reversed(geo):
        margin = margin * s + p
    for k, s, p, d in geo:
        bound = bound * s + d * (k - 1) + 1
    x = torch.zeros(n_out, 1, 2 * (margin + N + bound), dtype=torch.float64, requires_grad=True)
    y = x
    for k, s, p, d in geo:
        y = F.conv1d(y, y.new_ones(1, 1, k), stride=s, dilation=d)
    y[torch.arange(n_out), 0, torch.arange(n_out)].sum().backward()
    spans = []
    for g in x.grad[:, 0]:
        hit = g.nonzero().flatten()
        spans.append((int(hit.min()) - margin, int(hit.max()) - margin))
    return spans


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(stacks())
def test_recurrence_matches_measured_fields_of_every_unit(case):
    net, shape = case
    try:
        fields = receptive_field(net, shape)
    except ValueError as e:
        assert "leaves no output" in str(e)
        assume(False)
    out = fields[-1]
    try:
        with torch.no_grad():
            real_shape = net(torch.zeros(1, *shape)).shape[1:]
    except RuntimeError as e:  # AvgPool3d refuses inputs smaller than its kernel, even with padding
        assert "smaller than kernel size" in str(e)
        assume(False)
    assert real_shape == out.out_shape  # extents as PyTorch computes them
    # The lecture rectangle is exact on an axis the network tiles: no dilation, and the last unit of
    # every earlier layer reaching the last input pixel. Elsewhere it is an outer bound.
    tiles = [
        all(geometry(layer, a)[3] == 1 for layer in net)
        and all(
            f.start[a] + (f.out_shape[1 + a] - 1) * f.jump[a] + f.size_unclipped[a] >= shape[1 + a] for f in fields[:-1]
        )
        for a in range(3)
    ]
    for a in range(3):
        N, n = shape[1 + a], out.out_shape[1 + a]
        # 1. Unclipped, start + i*jump and size are exact for every unit, dilation and ceil mode included.
        lecture = [
            (out.start[a] + i * out.jump[a], out.start[a] + i * out.jump[a] + out.size_unclipped[a] - 1)
            for i in range(n)
        ]
        assert unclipped_spans(net, N, a, n) == lecture
        # 2. Clipped, the measured region lies inside the lecture rectangle, and equals it where the network tiles.
        for i in range(n):
            idx = tuple(i if b == a else 0 for b in range(3))
            measured = empirical_receptive_field(net, shape, idx).region
            if measured is None:  # every path from this unit ends in padding
                assert not all(tiles)
                continue
            (lo, hi), (mlo, mhi) = unit_field(out, idx)[a], measured[a]
            assert lo <= mlo <= mhi <= hi
            if tiles[a]:
                assert (mlo, mhi) == (lo, hi)
    # 3. The measurement network built from the plan sees what the model itself, converted, sees
    #    (where a max-pool can become an avg-pool: no dilation, and no input smaller than its kernel).
    if all(not isinstance(layer, nn.MaxPool3d) or layer.dilation in (1, (1, 1, 1)) for layer in net):
        try:
            real = real_gradient(converted_copy(net), shape, (-1, -1, -1))
        except RuntimeError as e:
            assert "smaller than kernel size" in str(e)
            return
        assert torch.equal(empirical_receptive_field(net, shape, (-1, -1, -1)).gradient > 0, real > 0)


# ---------------------------------------------------------------------------------------- fusion models

T, S = 8, 32


def fusion_models():
    return {
        "SingleFrame": SingleFrame(classes=3, width=4),
        "LateFusionFC": LateFusionFC(frames=T, classes=3, width=4, size=S),
        "LateFusionPool": LateFusionPool(classes=3, width=4),
        "EarlyFusion": EarlyFusion(frames=T, classes=3, width=4),
        "CNN3D": CNN3D(classes=3, width=4),
    }


@pytest.mark.parametrize("name", list(fusion_models()))
def test_fusion_models_measured_match_lecture(name):
    model, shape = fusion_models()[name].eval(), (3, T, S, S)
    fields = receptive_field(model, shape)
    assert fields[-1].out_shape == (3, 1, 1, 1) and fields[-1].size == (T, S, S)
    assert model(torch.rand(2, *shape)).shape == (2, 3)
    for layer in [0, 4, 8, len(fields) - 1]:
        extent = fields[layer].out_shape[1:]
        for idx in {(0, 0, 0), tuple(n - 1 for n in extent), tuple(n // 2 for n in extent)}:
            assert empirical_receptive_field(model, shape, idx, layer=layer).region == unit_field(fields[layer], idx)


@pytest.mark.parametrize("name", ["SingleFrame", "LateFusionFC", "LateFusionPool", "EarlyFusion"])
def test_fusion_plans_follow_the_real_backbone(name):
    model = fusion_models()[name].eval()
    fields = receptive_field(model, (3, T, S, S))
    last = [f for f in fields if f.name.startswith("backbone")][-1]
    t = 1 if name == "EarlyFusion" else T  # early fusion folds the T frames into channels
    C, H, W = model.backbone(torch.rand(t, 3 * T // t, S, S)).shape[1:]  # the backbone runs on t images
    assert last.out_shape == (C, t, H, W)


def test_where_each_fusion_model_fuses_time():
    models, shape = fusion_models(), (3, T, S, S)
    single = receptive_field(models["SingleFrame"], shape)
    assert all(f.size[0] == 1 for f in single[:-1]) and single[-1].name == "mean over T" and single[-1].size[0] == T
    early = receptive_field(models["EarlyFusion"], shape)
    assert early[0].size == (T, 3, 3) and early[0].out_shape[1] == 1 and all(f.size[0] == T for f in early)
    late = receptive_field(models["LateFusionFC"], shape)
    assert all(f.size[0] == 1 for f in late if not f.name.startswith("mlp")) and late[-1].size[0] == T
    cnn = receptive_field(models["CNN3D"], shape)
    convs = [f.size[0] for f in cnn if f.layer == "Conv3d"]
    assert convs == [3, 8, 8] and cnn[8].size_unclipped[0] == 18  # grows, then is clipped to the clip


def test_plans_agree_with_the_real_models_first_layers():
    """With real (random) weights: a frame's logits depend on that frame only; early fusion's first
    conv sees every frame through a 3x3 window."""
    models, shape = fusion_models(), (3, T, S, S)
    single = models["SingleFrame"].eval()
    x = torch.rand(1, *shape, requires_grad=True)
    single.frame_logits(x)[0, 5].sum().backward()
    assert x.grad[0].abs().sum(dim=(0, 2, 3)).nonzero().flatten().tolist() == [5]
    early = models["EarlyFusion"].eval()
    x = torch.rand(1, *shape, requires_grad=True)
    early.backbone.layers[0](x.reshape(1, 3 * T, S, S))[0, 0, 0, 9].backward()
    hit = x.grad[0].abs().sum(0).nonzero()  # (t, h, w) rows
    field = unit_field(receptive_field(early, shape)[0], (0, 0, 9))
    assert [(int(hit[:, a].min()), int(hit[:, a].max())) for a in range(3)] == list(field) == [(0, 7), (0, 1), (8, 10)]


# ------------------------------------------------------------------------------------------- errors


def test_unsupported_layers_are_named():
    rnn = nn.Sequential(OrderedDict(conv=nn.Conv3d(3, 4, 3), rnn=nn.LSTM(4, 4)))
    with pytest.raises(ValueError, match=r"receptive_field cannot handle layer 'rnn' \(LSTM\)"):
        receptive_field(rnn, TOY_SHAPE)

    class Block(nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(ValueError, match=r"cannot handle layer '1' \(Block\)"):
        receptive_field(nn.Sequential(nn.Conv3d(3, 4, 3), Block()), TOY_SHAPE)
    with pytest.raises(ValueError, match=r"cannot handle layer 'Block' \(Block\)"):
        empirical_receptive_field(Block(), TOY_SHAPE, (0, 0, 0))
    with pytest.raises(ValueError, match=r"layer '0' \(Conv3d\) with padding_mode='circular'"):
        receptive_field(nn.Sequential(nn.Conv3d(3, 4, 3, padding=1, padding_mode="circular")), TOY_SHAPE)
    with pytest.raises(ValueError, match=r"layer '0' \(AdaptiveAvgPool2d per frame\).*extent 64 along H to 5"):
        receptive_field(nn.Sequential(nn.AdaptiveAvgPool2d(5)), TOY_SHAPE)


@pytest.mark.parametrize("bad", [(3, 64, 64), (3, 0, 64, 64), (3, -1, 64, 64), (3, 20.0, 64, 64), "3x20x64x64", None])
def test_bad_input_shape(bad):
    with pytest.raises(ValueError, match=r"expected input_shape \(C, T, H, W\) of four positive integers"):
        receptive_field(toy_networks()["3d"], bad)
    with pytest.raises(ValueError, match="input_shape"):
        empirical_receptive_field(toy_networks()["3d"], bad, (0, 0, 0))


def test_inputs_the_model_cannot_take():
    with pytest.raises(ValueError, match=r"layer '0' \(Conv3d\) expects 3 input channels, got C=4"):
        receptive_field(toy_networks()["3d"], (4, 20, 64, 64))
    with pytest.raises(ValueError, match="built for clips of T=8 frames, got input_shape T=12"):
        receptive_field(EarlyFusion(frames=8, width=4), (3, 12, 32, 32))
    with pytest.raises(ValueError, match="built for 32x32 frames"):
        receptive_field(LateFusionFC(frames=8, size=32, width=4), (3, 8, 48, 48))
    with pytest.raises(ValueError, match=r"layer '1' \(MaxPool3d\) leaves no output along T"):
        receptive_field(toy_networks()["3d"], (3, 2, 64, 64))
    with pytest.raises(ValueError, match="expected model to be a torch.nn.Module"):
        receptive_field([nn.Conv3d(3, 4, 3)], TOY_SHAPE)


def test_bad_layer_and_index():
    net = toy_networks()["3d"]
    assert empirical_receptive_field(net, TOY_SHAPE, (0, 0, 0), layer="2").region == ((0, 8), (0, 8), (0, 8))
    with pytest.raises(ValueError, match="no layer named 'conv'"):
        empirical_receptive_field(net, TOY_SHAPE, (0, 0, 0), layer="conv")
    with pytest.raises(ValueError, match="expected layer as a name or an index"):
        empirical_receptive_field(net, TOY_SHAPE, (0, 0, 0), layer=4)
    with pytest.raises(ValueError, match=r"output index \(5, 0, 0\) is outside layer '2'"):
        empirical_receptive_field(net, TOY_SHAPE, (5, 0, 0), layer=2)
    with pytest.raises(ValueError, match=r"three integers, got \(0, 0\)"):
        unit_field(receptive_field(net, TOY_SHAPE)[0], (0, 0))


def test_exported_from_vulib():
    assert vulib.receptive_field is receptive_field and vulib.empirical_receptive_field is empirical_receptive_field
