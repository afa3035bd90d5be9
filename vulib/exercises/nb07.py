"""Checkers for notebook 07 -- inflating 2D networks to 3D."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..inflate import inflate_conv2d, inflate_weight
from . import check_function, check_scalar, exercise, report_prediction


@torch.no_grad()
def _cycle_output(conv: torch.nn.Conv2d, kt: int, mode: str, T: int = 12) -> torch.Tensor:
    """``conv`` inflated with ``mode`` on a clip of ``T`` frames cycling through ``kt`` random images (frame t =
    image t mod kt): the output ``(1, F, T, H, W)``."""
    g = torch.Generator().manual_seed(72 + kt)
    images = torch.rand(kt, conv.in_channels, 10, 10, generator=g)  # (kt, C, H, W)
    clip = torch.stack([images[t % kt] for t in range(T)], dim=1)[None]  # (1, C, T, H, W)
    return inflate_conv2d(conv, time_kernel=kt, mode=mode)(clip)  # (1, F, T, H, W)


def _distinct_frames(conv: torch.nn.Conv2d, kt: int, mode: str, T: int = 12) -> int:
    """Measured: how many different output frames (to 1e-5) of :func:`_cycle_output` lie ``kt // 2`` or more
    frames from either end."""
    out = _cycle_output(conv, kt, mode, T)
    seen: list[torch.Tensor] = []
    for t in range(kt // 2, T - kt // 2):
        if not any(torch.allclose(out[:, :, t], s, atol=1e-5) for s in seen):
            seen.append(out[:, :, t])
    return len(seen)


def _conv(seed: int, channels: int) -> torch.nn.Conv2d:
    torch.manual_seed(seed)
    return torch.nn.Conv2d(channels, 4, 3, padding=1)


def _cycle_cases():
    return [
        (_conv(73, 3), 3, "mean"),
        (_conv(73, 3), 3, "center"),
        (_conv(74, 2), 5, "mean"),
        (_conv(74, 2), 5, "center"),
    ]


def _all_frames(conv, kt, mode, T=12):  # the clip's ends too, where the replicated edge frames break the cycle
    out = _cycle_output(conv, kt, mode, T)
    return len({tuple(out[:, :, t].flatten()[:5].round(decimals=4).tolist()) for t in range(T)})


@exercise(
    notebook="07",
    reference=_distinct_frames,
    wrong=[
        _all_frames,
        lambda conv, kt, mode: 1,  # "an inflated network starts out blind to change", center included
        lambda conv, kt, mode: kt,  # "mean inflation sees each frame like center inflation does"
        lambda conv, kt, mode: 12 - 2 * (kt // 2),  # counted the frames, not the different ones
    ],
)
def check_distinct_frames(fn, prediction=None) -> bool:
    """``fn(conv, kt, mode)``: measured, how many different output frames ``conv`` inflated with ``mode`` gives
    inside a 12-frame clip that cycles through ``kt`` images. ``prediction``: the learner's guess for mean
    inflation with ``kt = 3`` (printed, not graded)."""
    check_function(fn, _distinct_frames, _cycle_cases(), "distinct_frames", compare=check_scalar)
    report_prediction(
        prediction,
        _distinct_frames(_conv(73, 3), 3, "mean"),
        "different output frames, mean inflation, a 3-image cycle",
        "every window of 3 frames holds each image once, and the mean kernel weighs them all alike",
    )
    return True


@torch.no_grad()
def _measured_damage(depth: int, kt: int, T: int = 24) -> int:
    """Measured: a stack of ``depth`` mean-inflated ``kt x 3 x 3`` convolutions (ReLU after each) with *zero*
    temporal padding, on a boring video of ``T`` frames: how many frames at the start differ from the 2D answer."""
    g = torch.Generator().manual_seed(70 + 10 * depth + kt)
    image = torch.rand(1, 3, 12, 12, generator=g)
    x2, x3 = image, image.unsqueeze(2).expand(1, 3, T, 12, 12)  # (1, C, H, W), (1, C, T, H, W)
    for i in range(depth):
        c = 3 if i == 0 else 4
        w = torch.randn(4, c, 3, 3, generator=g) / (9 * c) ** 0.5
        x2 = F.relu(F.conv2d(x2, w, padding=1))
        x3 = F.relu(F.conv3d(x3, inflate_weight(w, kt), padding=(kt // 2, 1, 1)))  # zeros before and after the clip
    err = (x3 - x2.unsqueeze(2)).abs().amax(dim=(0, 1, 3, 4)) / x2.abs().max()  # (T,) relative error per frame
    off = (err > 1e-5).tolist()
    return off.index(False) if False in off else T


_DEPTHS = [(1, 3), (2, 3), (4, 3), (1, 5), (3, 5), (2, 7)]


@exercise(
    notebook="07",
    reference=lambda depth, kt: depth * (kt // 2),
    wrong=[
        lambda depth, kt: kt // 2,  # only the first layer sees the padding
        lambda depth, kt: depth * (kt - 1),  # both ends counted together
        lambda depth, kt: depth,  # ignores the kernel's length
        lambda depth, kt: 0,  # "mean inflation is exact on boring videos"
    ],
)
def check_zero_padding_damage(fn, prediction=None) -> bool:
    """``fn(depth, kt)``: measured, the frames at *each* end of a boring video that a ``depth``-layer mean-inflated
    network with temporal kernel ``kt`` and zero temporal padding gets wrong. Compared with the checker's own
    measurement. ``prediction``: the learner's guess for depth 4, ``kt = 3`` (printed, not graded)."""
    check_function(fn, _measured_damage, _DEPTHS, "zero_padding_damage", compare=check_scalar)
    report_prediction(
        prediction,
        _measured_damage(4, 3),
        "wrong frames at each end, 4 zero-padded layers with k_t = 3",
        "each layer reads k_t // 2 frames on each side, and the wrong frames of the layer below are among them",
    )
    return True


def _small_cnn(seed: int) -> torch.nn.Sequential:
    """An image CNN shaped like the lesson's (conv, batch norm, ReLU, pool; global max-pool, flatten, linear)."""
    nn = torch.nn
    torch.manual_seed(seed)
    net = nn.Sequential(
        nn.Conv2d(3, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
        nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(8, 4),
    )  # fmt: skip
    with torch.no_grad():  # batch-norm statistics as if trained
        for m in net:
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
    return net.eval()


def _center_cases():
    g = torch.Generator().manual_seed(71)
    return [(_small_cnn(s), torch.rand(b, 3, t, 12, 12, generator=g)) for s, b, t in [(1, 2, 5), (2, 1, 8), (3, 3, 2)]]


@torch.no_grad()
def _center_network_output(cnn2d: torch.nn.Sequential, clip: torch.Tensor) -> torch.Tensor:
    """What the center-inflated copy of ``cnn2d`` answers on ``clip`` (B, C, T, H, W): measured by inflating it."""
    from ..inflate import inflate_model

    return inflate_model(cnn2d, time_kernel=3, mode="center").eval()(clip)


def _frames(clip: torch.Tensor) -> torch.Tensor:
    B, C, T, H, W = clip.shape
    return clip.transpose(1, 2).reshape(B * T, C, H, W)  # (B*T, C, H, W)


def _center_from_2d(cnn2d, clip):
    B, T = clip.shape[0], clip.shape[2]
    features = cnn2d[:-3](_frames(clip))  # every frame through the 2D layers: (B*T, F, h, w)
    pooled = features.amax(dim=(2, 3)).view(B, T, -1).amax(dim=1)  # max over space, then over time: (B, F)
    return cnn2d[-1](pooled)  # (B, K)


@exercise(
    notebook="07",
    reference=_center_from_2d,
    wrong=[
        lambda net, clip: net(clip[:, :, clip.shape[2] // 2]),  # the middle frame only
        lambda net, clip: net(_frames(clip)).view(clip.shape[0], clip.shape[2], -1).mean(1),  # averaged logits
        lambda net, clip: net(_frames(clip)).view(clip.shape[0], clip.shape[2], -1).amax(1),  # max of the logits
        lambda net, clip: net(clip.mean(2)),  # the 2D network on the average frame
    ],
)
def check_center_from_2d(fn, prediction=None) -> bool:
    """``fn(cnn2d, clip (B, C, T, H, W))``: the center-inflated network's logits ``(B, K)``, computed with the 2D
    network's own layers only. Compared with the output of ``vulib.inflate_model(cnn2d, mode="center")``.
    ``prediction``: whether the learner expected that network to tell a clip from its frames shuffled (``True``
    or ``False``; printed, not graded)."""
    with torch.no_grad():
        check_function(fn, _center_network_output, _center_cases(), "center_from_2d", compare=_close)
        net, clip = _center_cases()[1]
        shuffled = clip[:, :, torch.randperm(clip.shape[2], generator=torch.Generator().manual_seed(75))]
        tells = bool((_center_network_output(net, clip) - _center_network_output(net, shuffled)).abs().max() > 1e-5)
    report_prediction(
        prediction,
        tells,
        "can the center-inflated network tell a clip from its frames shuffled",
        "each layer reads one frame, and the global max-pool over time forgets where each maximum was",
    )
    return True


def _close(answer, expected, name):
    from . import check_tensor

    return check_tensor(answer, expected, name, atol=1e-5)
