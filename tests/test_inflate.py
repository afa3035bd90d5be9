"""inflate_model: a boring video (one image repeated) gets exactly the 2D network's answer (property-based)."""

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import vulib
from vulib.inflate import InflatedConv3d, inflate_conv2d, inflate_model

TIME_KERNELS = (1, 2, 3, 5)


def boring(image: torch.Tensor, T: int) -> torch.Tensor:
    """``(B, C, H, W) -> (B, C, T, H, W)``: the image repeated T times."""
    return image.unsqueeze(2).repeat(1, 1, T, 1, 1)


def randomize_batchnorm(model: nn.Module, g: torch.Generator) -> None:
    """Give every BatchNorm2d non-trivial running statistics and affine parameters."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.running_mean.copy_(torch.randn(m.num_features, generator=g))
                m.running_var.copy_(torch.rand(m.num_features, generator=g) * 1.5 + 0.5)
                m.weight.copy_(torch.randn(m.num_features, generator=g))
                m.bias.copy_(torch.randn(m.num_features, generator=g))


@st.composite
def networks(draw, head: bool = True):
    """A random Sequential of conv / BN / ReLU / pooling blocks (and a global head if ``head``)."""
    channels, size = draw(st.integers(1, 4)), draw(st.integers(6, 14))
    c, h, layers = channels, size, []
    for _ in range(draw(st.integers(1, 3))):
        k, d, s = draw(st.integers(1, 5)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
        p = draw(st.integers(0, k // 2))
        if (h + 2 * p - d * (k - 1) - 1) // s + 1 < 1:
            k, d, s, p = 1, 1, 1, 0
        out = draw(st.integers(1, 6))
        layers.append(nn.Conv2d(c, out, k, stride=s, padding=p, dilation=d, bias=draw(st.booleans())))
        c, h = out, (h + 2 * p - d * (k - 1) - 1) // s + 1
        if draw(st.booleans()):
            layers.append(nn.BatchNorm2d(c))
        layers.append(nn.ReLU())
        pool = draw(st.sampled_from([None, "max", "avg"]))
        if pool and h >= 3:
            pk, ps = draw(st.integers(2, 3)), draw(st.integers(1, 2))
            pp, ceil = draw(st.integers(0, pk // 2)), draw(st.booleans())
            if pool == "max":
                layers.append(nn.MaxPool2d(pk, ps, pp, ceil_mode=ceil))
            else:
                layers.append(nn.AvgPool2d(pk, ps, pp, ceil_mode=ceil, count_include_pad=draw(st.booleans())))
            h = (h + 2 * pp - pk) // ps + 1
    if head:
        o = draw(st.integers(1, 2))
        adaptive = draw(st.sampled_from([nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d]))
        layers += [adaptive(o), nn.Flatten(), nn.Linear(c * o * o, draw(st.integers(1, 5)))]
    return nn.Sequential(*layers), channels, size


def prepared(net: nn.Module, seed: int) -> nn.Module:
    g = torch.Generator().manual_seed(seed)
    for p in net.parameters():
        with torch.no_grad():
            p.copy_(torch.randn(p.shape, generator=g) * 0.5)
    randomize_batchnorm(net, g)
    return net.double().eval()


@settings(max_examples=30, deadline=None)
@given(networks(head=True), st.integers(1, 6), st.integers(0, 2**31 - 1))
def test_boring_video_gives_the_2d_output(case, T, seed):
    net, channels, size = case
    net = prepared(net, seed)
    image = torch.randn(2, channels, size, size, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    expected = net(image)  # (B, K)
    for mode in ("mean", "center"):
        for kt in TIME_KERNELS:
            net3d = inflate_model(net, time_kernel=kt, mode=mode).eval()
            got = net3d(boring(image, T))
            assert got.shape == expected.shape
            assert torch.allclose(got, expected, atol=1e-9, rtol=1e-6), (mode, kt)


@settings(max_examples=30, deadline=None)
@given(networks(head=False), st.integers(1, 6), st.integers(0, 2**31 - 1))
def test_fully_convolutional_every_frame_equals_the_2d_output(case, T, seed):
    net, channels, size = case
    net = prepared(net, seed)
    g = torch.Generator().manual_seed(seed)
    image = torch.randn(2, channels, size, size, generator=g, dtype=torch.float64)
    expected = net(image)  # (B, C', H', W')
    for mode in ("mean", "center"):
        for kt in TIME_KERNELS:
            got = inflate_model(net, time_kernel=kt, mode=mode).eval()(boring(image, T))  # (B, C', T, H', W')
            assert got.shape == (expected.shape[0], expected.shape[1], T, *expected.shape[2:])
            for t in range(T):
                assert torch.allclose(got[:, :, t], expected, atol=1e-9, rtol=1e-6), (mode, kt, t)
    # "center" is the image network applied frame by frame, for any video
    video = torch.randn(2, channels, T, size, size, generator=g, dtype=torch.float64)
    got = inflate_model(net, time_kernel=3, mode="center").eval()(video)
    for t in range(T):
        assert torch.allclose(got[:, :, t], net(video[:, :, t]), atol=1e-9, rtol=1e-6)


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = (
            nn.Identity()
            if stride == 1 and cin == cout
            else nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
        )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class TinyResNet(nn.Module):
    def __init__(self, classes: int = 4) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 8, 5, 2, 2, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(3, 2, 1)
        )
        self.layer1 = nn.Sequential(BasicBlock(8, 8), BasicBlock(8, 8))
        self.layer2 = nn.Sequential(BasicBlock(8, 16, stride=2))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, classes)

    def forward(self, x):
        x = self.layer2(self.layer1(self.stem(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def tiny_resnet() -> TinyResNet:
    torch.manual_seed(0)
    net = TinyResNet()
    randomize_batchnorm(net, torch.Generator().manual_seed(1))
    return net.double().eval()


@pytest.mark.parametrize("mode", ["mean", "center"])
def test_resnet_boring_video_identity(mode):
    net = tiny_resnet()
    image = torch.randn(2, 3, 32, 32, dtype=torch.float64)
    net3d = inflate_model(net, time_kernel=3, mode=mode).eval()
    assert isinstance(net3d, TinyResNet) and isinstance(net3d.layer1[0], BasicBlock)
    assert isinstance(net3d.layer1[0].conv1, InflatedConv3d) and isinstance(net3d.layer2[0].shortcut[1], nn.BatchNorm3d)
    assert torch.allclose(net3d(boring(image, 5)), net(image), atol=1e-9, rtol=1e-6)


def test_random_video_differs_from_boring_one():
    net = tiny_resnet()
    net3d = inflate_model(net, time_kernel=3).eval()
    image = torch.randn(1, 3, 32, 32, dtype=torch.float64)
    video = boring(image, 6) + torch.randn(1, 3, 6, 32, 32, dtype=torch.float64)
    assert not torch.allclose(net3d(video), net3d(boring(image, 6)), atol=1e-4)


def test_original_model_is_unchanged():
    net = tiny_resnet()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    kinds = [type(m) for m in net.modules()]
    net3d = inflate_model(net)
    assert [type(m) for m in net.modules()] == kinds
    assert all(torch.equal(v, before[k]) for k, v in net.state_dict().items())
    assert net3d is not net and net3d.stem[0].weight.data_ptr() != net.stem[0].weight.data_ptr()


def test_kernel_shapes_and_settings():
    conv = nn.Conv2d(3, 8, 3, stride=2, padding=1, dilation=2)
    c3 = inflate_conv2d(conv, time_kernel=3)
    assert isinstance(c3, InflatedConv3d) and c3.weight.shape == (8, 3, 3, 3, 3)
    assert c3.stride == (1, 2, 2) and c3.padding == (0, 1, 1) and c3.dilation == (1, 2, 2)
    assert c3.time_padding == (1, 1) and torch.equal(c3.bias, conv.bias)
    assert torch.allclose(c3.weight.sum(2), conv.weight)
    assert torch.allclose(c3.weight[:, :, 0], conv.weight / 3)
    grouped = inflate_conv2d(nn.Conv2d(4, 6, 3, groups=2, bias=False), time_kernel=2)
    assert grouped.weight.shape == (6, 2, 2, 3, 3) and grouped.bias is None and grouped.groups == 2
    assert grouped.time_padding == (1, 0)
    x = torch.randn(2, 3, 7, 9, 9)
    assert c3(x).shape == (2, 8, 7, 4, 4)  # T preserved


def test_string_padding_padding_mode_and_shared_layers():
    image = torch.randn(1, 2, 9, 9, dtype=torch.float64)
    shared = nn.Conv2d(2, 2, 3, padding="same", padding_mode="reflect")
    net = nn.Sequential(shared, nn.ReLU(), shared, nn.Conv2d(2, 3, 3, padding="valid", padding_mode="circular"))
    net = net.double().eval()
    net3d = inflate_model(net)
    assert net3d[0] is net3d[2] and net3d[0].padding == (0, 1, 1) and net3d[3].padding_mode == "circular"
    got = net3d(boring(image, 3))
    assert all(torch.allclose(got[:, :, t], net(image), atol=1e-9) for t in range(3))
    with pytest.raises(ValueError, match="asymmetric"):
        inflate_conv2d(nn.Conv2d(2, 2, 2, padding="same"))


def test_center_mode_puts_zeros_off_centre():
    conv = nn.Conv2d(2, 4, 3)
    for kt in (1, 2, 3, 4, 5):
        w = inflate_conv2d(conv, time_kernel=kt, mode="center").weight
        assert torch.equal(w[:, :, kt // 2], conv.weight)
        others = [i for i in range(kt) if i != kt // 2]
        assert all(torch.count_nonzero(w[:, :, i]) == 0 for i in others)


def test_replicate_padding_keeps_border_frames():
    conv = nn.Conv2d(1, 1, 3, padding=1, bias=False)
    nn.init.constant_(conv.weight, 1.0)
    video = torch.ones(1, 1, 4, 5, 5)
    out = inflate_conv2d(conv, time_kernel=3)(video)
    assert torch.allclose(out[0, 0, 0], out[0, 0, 1]) and torch.allclose(out[0, 0, -1], out[0, 0, 1])


def test_other_layers():
    net = nn.Sequential(
        nn.Conv2d(3, 4, 3),
        nn.BatchNorm2d(4, momentum=None, eps=1e-3),
        nn.Dropout2d(0.3),
        nn.MaxPool2d(2, ceil_mode=True),
        nn.AvgPool2d(2, count_include_pad=False),
        nn.AdaptiveMaxPool2d((2, 3)),
        nn.Flatten(),
        nn.Linear(24, 2),
        nn.Softmax(-1),
    )
    net[1].num_batches_tracked.fill_(7)
    net3d = inflate_model(net, time_pool=2)
    bn = net3d[1]
    assert isinstance(bn, nn.BatchNorm3d) and bn.eps == 1e-3 and bn.momentum is None
    assert bn.num_batches_tracked.item() == 7
    assert isinstance(net3d[2], nn.Dropout3d) and net3d[2].p == 0.3
    assert isinstance(net3d[3], nn.MaxPool3d) and net3d[3].kernel_size == (2, 2, 2) and net3d[3].ceil_mode
    assert isinstance(net3d[4], nn.AvgPool3d) and net3d[4].stride == (2, 2, 2) and not net3d[4].count_include_pad
    assert isinstance(net3d[5], nn.AdaptiveMaxPool3d) and net3d[5].output_size == (1, 2, 3)
    assert net3d[6] is not net[6] and type(net3d[7]) is nn.Linear
    assert inflate_model(net)[3].kernel_size == (1, 2, 2)  # time_pool defaults to 1
    assert net3d.eval()(torch.randn(2, 3, 8, 12, 14)).shape == (2, 2)


def test_per_layer_time_kernel():
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(4, 4, 3))
    net3d = inflate_model(net, time_kernel={"0": 5})
    assert net3d[0].weight.shape[2] == 5 and net3d[2].weight.shape[2] == 1
    with pytest.raises(ValueError, match="not Conv2d layers"):
        inflate_model(net, time_kernel={"1": 3})


class WithLSTM(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(4, 4, 3), nn.LSTM(4, 4))


class OwnParameter(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1))
        self.conv = nn.Conv2d(3, 4, 3)


def test_unknown_modules_are_rejected():
    with pytest.raises(ValueError, match=r"inflate_model cannot inflate layer 'features.3' \(LSTM\)"):
        inflate_model(WithLSTM())
    with pytest.raises(ValueError, match=r"'block' \(OwnParameter\)"):
        inflate_model(nn.ModuleDict({"block": OwnParameter()}))
    with pytest.raises(ValueError, match=r"'0' \(ConvTranspose2d\)"):
        inflate_model(nn.Sequential(nn.ConvTranspose2d(3, 3, 3)))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(mode="middle"), "mode must be one of"),
        (dict(time_kernel=0), "time_kernel must be an int >= 1"),
        (dict(time_kernel=2.0), "time_kernel must be an int >= 1"),
        (dict(time_kernel={"0": 0}), "time_kernel"),
        (dict(time_pool=0), "time_pool must be an int >= 1"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        inflate_model(nn.Sequential(nn.Conv2d(3, 4, 3)), **kwargs)


def test_exported_at_top_level():
    assert vulib.inflate_model is inflate_model and "inflate_model" in vulib.__all__
