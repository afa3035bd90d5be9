"""Cheaper video models, taught in notebook 11 (efficient video understanding).

Two ways to get temporal modelling for less than a full 3D convolution costs:

* :class:`TemporalShift` -- TSM's idea (Lin, Gan & Han, 2019): move a few channels one frame
  forward and a few one frame back, so that an ordinary 2D convolution afterwards mixes
  neighbouring frames. It has no parameters and does no multiply-adds: it only moves memory.
  :class:`TSM` puts it into the residual blocks of a small per-frame 2D CNN; with ``shift=False``
  the same network is the TSN baseline (frames classified alone, scores averaged over time).
  :class:`StreamingTSM` runs an online (causal) TSM frame by frame, keeping only one frame's
  shifted channels per block between steps.
* :class:`Conv2Plus1d` -- R(2+1)D's factorisation (Tran et al., 2018): a ``1 x k x k`` spatial
  convolution, batch norm and ReLU, then a ``k_t x 1 x 1`` temporal convolution, with the number of
  middle channels chosen so the pair has as many weights as the full ``k_t x k x k`` convolution.
  :class:`R2Plus1D` is :class:`~vulib.models.CNN3D`'s stack built from it.

Every model takes clips ``(B, C, T, H, W)`` and returns class logits ``(B, K)``.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from ..tensors import check_video
from .backbones import CNN3D

__all__ = ["TemporalShift", "TSM", "StreamingTSM", "Conv2Plus1d", "R2Plus1D", "mid_channels_2plus1d"]

_MODES = ("residual", "inplace")


class TemporalShift(nn.Module):
    """Shift a fraction of the channels along time: ``(B, C, T, H, W) -> (B, C, T, H, W)``.

    With ``fold = C // fold_div``:

    * offline (``online=False``): channels ``[0, fold)`` at frame ``t`` take their values from frame
      ``t + 1`` (the future is shifted back), channels ``[fold, 2*fold)`` from frame ``t - 1`` (the past
      is shifted forward), the rest stay. Frames that would come from outside the clip are zeros.
    * online (``online=True``): only the past is used -- channels ``[0, fold)`` come from frame ``t - 1``
      (zeros at ``t = 0``), so frame ``t``'s output never depends on later frames.

    No parameters, no multiply-adds. ``mode`` says where :class:`TSM` puts the shift in a residual
    block: ``"residual"`` shifts only the input of the residual branch (the identity path keeps every
    frame's own features, as TSM recommends); ``"inplace"`` shifts the block's input for both paths.
    The shift itself is the same in both modes.
    """

    def __init__(self, *, fold_div: int = 8, mode: str = "residual", online: bool = False) -> None:
        super().__init__()
        if not isinstance(fold_div, int) or fold_div < 2:
            raise ValueError(
                f"expected fold_div as an int >= 2 (the fraction 1/fold_div of channels shifted "
                f"each way), got {fold_div!r}"
            )
        if mode not in _MODES:
            raise ValueError(f"expected mode 'residual' or 'inplace', got {mode!r}")
        self.fold_div, self.mode, self.online = fold_div, mode, bool(online)

    def fold(self, channels: int) -> int:
        """Channels moved each way for a tensor with ``channels`` channels."""
        return channels // self.fold_div

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_video(x, floating=False)
        f = self.fold(x.shape[1])
        out = torch.zeros_like(x)  # (B, C, T, H, W); zeros at the clip ends
        if self.online:
            out[:, :f, 1:] = x[:, :f, :-1]  # from the past only
            out[:, f:] = x[:, f:]
        else:
            out[:, :f, :-1] = x[:, :f, 1:]  # from the future
            out[:, f : 2 * f, 1:] = x[:, f : 2 * f, :-1]  # from the past
            out[:, 2 * f :] = x[:, 2 * f :]  # unchanged
        return out

    def step(self, x: torch.Tensor, buffer: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """One frame of the online shift: ``x (B, C, H, W)`` and the previous frame's ``buffer (B, fold, H, W)``
        (``None`` at the first frame) -> the shifted frame ``(B, C, H, W)`` and the buffer for the next frame."""
        if not self.online:
            raise ValueError("step() is the online shift; build TemporalShift(online=True) to stream frames")
        f = self.fold(x.shape[1])
        if buffer is None:
            buffer = torch.zeros_like(x[:, :f])
        return torch.cat([buffer, x[:, f:]], dim=1), x[:, :f].clone()

    def extra_repr(self) -> str:
        return f"fold_div={self.fold_div}, mode={self.mode!r}, online={self.online}"


def _frames(x: torch.Tensor) -> torch.Tensor:
    """``(B, C, T, H, W) -> (B*T, C, H, W)``: every frame an image."""
    B, C, T, H, W = x.shape
    return x.transpose(1, 2).reshape(B * T, C, H, W)


def _clip(x: torch.Tensor, B: int) -> torch.Tensor:
    """``(B*T, C, H, W) -> (B, C, T, H, W)`` (a view)."""
    return x.view(B, -1, *x.shape[1:]).transpose(1, 2)


class _ShiftBlock(nn.Module):
    """A 2D residual block (conv 3x3 - BN - ReLU - conv 3x3 - BN, plus identity, ReLU) run per frame,
    with an optional :class:`TemporalShift` at the start of the residual branch (``mode="residual"``)
    or before the whole block (``mode="inplace"``). Frames ``(B*T, C, H, W)`` in and out."""

    def __init__(self, c: int, shift: TemporalShift | None) -> None:
        super().__init__()
        self.shift = shift
        self.branch = nn.Sequential(
            nn.Conv2d(c, c, 3, padding=1, bias=False),
            nn.BatchNorm2d(c),
            nn.ReLU(),
            nn.Conv2d(c, c, 3, padding=1, bias=False),
            nn.BatchNorm2d(c),
        )
        self.relu = nn.ReLU()

    def _shifted(self, x: torch.Tensor, B: int) -> torch.Tensor:
        return x if self.shift is None else _frames(self.shift(_clip(x, B)))

    def forward(self, x: torch.Tensor, B: int) -> torch.Tensor:
        if self.shift is not None and self.shift.mode == "inplace":
            x = self._shifted(x, B)
            return self.relu(x + self.branch(x))
        return self.relu(x + self.branch(self._shifted(x, B)))

    def step(self, x: torch.Tensor, buffer):
        """One frame ``(B, C, H, W)`` of the online block; returns the output and the new buffer."""
        if self.shift is None:
            return self.relu(x + self.branch(x)), None
        shifted, buffer = self.shift.step(x, buffer)
        if self.shift.mode == "inplace":
            return self.relu(shifted + self.branch(shifted)), buffer
        return self.relu(x + self.branch(shifted)), buffer


class TSM(nn.Module):
    """Temporal Shift Module network: a small 2D ResNet run on every frame, :class:`TemporalShift` in its
    residual blocks, class scores averaged over time (TSN's consensus).

    Shapes: ``(B, C, T, H, W)`` -> frames ``(B*T, C, H, W)`` -> conv 3x3 ``w`` - BN - ReLU - max-pool 2
    ``(B*T, w, H/2, W/2)`` -> shift block ``w`` -> conv 3x3 ``2w`` - BN - ReLU - max-pool 2
    ``(B*T, 2w, H/4, W/4)`` -> shift block ``2w`` -> global max-pool over space ``(B, T, 2w)`` ->
    linear ``(B, T, K)`` per-frame logits -> mean over time ``(B, K)``.

    Args:
        channels, classes, width: input channels, number of classes ``K``, base width ``w``.
        fold_div, mode, online: passed to every :class:`TemporalShift`.
        shift: ``False`` builds the same network without shifts: TSN, whose frames never meet
            before the final average.

    Works for any clip length (``T >= 1``) and frame size (``>= 4``). With ``online=True`` the
    network is causal; :class:`StreamingTSM` runs it frame by frame.
    Taught in ``notebooks/11_efficient_video.ipynb``.
    """

    def __init__(
        self,
        channels: int = 3,
        classes: int = 2,
        *,
        width: int = 16,
        fold_div: int = 8,
        mode: str = "residual",
        online: bool = False,
        shift: bool = True,
    ) -> None:
        super().__init__()
        self.channels, self.classes = channels, classes

        def make_shift():
            return TemporalShift(fold_div=fold_div, mode=mode, online=online) if shift else None

        self.stem = nn.Sequential(
            nn.Conv2d(channels, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2)
        )
        self.block1 = _ShiftBlock(width, make_shift())
        self.widen = nn.Sequential(
            nn.Conv2d(width, 2 * width, 3, padding=1, bias=False), nn.BatchNorm2d(2 * width), nn.ReLU(), nn.MaxPool2d(2)
        )
        self.block2 = _ShiftBlock(2 * width, make_shift())
        self.head = nn.Linear(2 * width, classes)

    @property
    def online(self) -> bool:
        return self.block1.shift is not None and self.block1.shift.online

    def frame_logits(self, x: torch.Tensor) -> torch.Tensor:
        """Per-frame class logits ``(B, T, K)`` (before the average over time)."""
        check_video(x, channels=self.channels)
        B = x.shape[0]
        f = self.stem(_frames(x))  # (B*T, w, H/2, W/2)
        f = self.block1(f, B)
        f = self.block2(self.widen(f), B)  # (B*T, 2w, H/4, W/4)
        f = f.amax(dim=(2, 3)).view(B, -1, f.shape[1])  # (B, T, 2w)
        return self.head(f)  # (B, T, K)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.frame_logits(x).mean(1)  # (B, K)


class StreamingTSM(nn.Module):
    """Run an online :class:`TSM` on a video one frame at a time, as it arrives.

    Each shift block keeps one buffer: the ``fold`` channels of the previous frame, ``(B, fold, h, w)``.
    Memory per step is therefore constant, however long the video. After frame ``t``, :meth:`step`
    returns the frame's logits; :attr:`mean_logits` is the running average over the frames so far --
    exactly what the offline causal model gives on the clip of frames ``0..t`` (in eval mode).

    Example::

        stream = StreamingTSM(TSM(online=True).eval())
        for t in range(video.shape[2]):
            logits_t = stream.step(video[:, :, t])               # (B, K)
    """

    def __init__(self, model: TSM) -> None:
        super().__init__()
        if not isinstance(model, TSM) or not model.online:
            raise ValueError("StreamingTSM needs a TSM built with online=True (shifts only from the past)")
        self.model = model
        self.reset()

    def reset(self) -> None:
        """Forget the previous video: empty buffers, no frames seen."""
        self.buffers: list[torch.Tensor | None] = [None, None]
        self.frames_seen = 0
        self.sum_logits: torch.Tensor | None = None

    def buffer_bytes(self) -> int:
        """Bytes held between frames (the shift buffers)."""
        return sum(b.numel() * b.element_size() for b in self.buffers if b is not None)

    @torch.no_grad()
    def step(self, frame: torch.Tensor) -> torch.Tensor:
        """Feed one frame ``(B, C, H, W)``; return its logits ``(B, K)``."""
        if frame.ndim != 4 or frame.shape[1] != self.model.channels:
            raise ValueError(f"expected one frame (B, {self.model.channels}, H, W), got {tuple(frame.shape)}")
        m = self.model
        f = m.stem(frame)  # (B, w, H/2, W/2)
        f, self.buffers[0] = m.block1.step(f, self.buffers[0])
        f, self.buffers[1] = m.block2.step(m.widen(f), self.buffers[1])
        logits = m.head(f.amax(dim=(2, 3)))  # (B, K)
        self.frames_seen += 1
        self.sum_logits = logits if self.sum_logits is None else self.sum_logits + logits
        return logits

    @property
    def mean_logits(self) -> torch.Tensor:
        """Average logits ``(B, K)`` over the frames seen since :meth:`reset`."""
        if self.sum_logits is None:
            raise ValueError("no frame seen yet: call step(frame) first")
        return self.sum_logits / self.frames_seen


def _triple(k) -> tuple[int, int, int]:
    if isinstance(k, int):
        return (k, k, k)
    k = tuple(int(v) for v in k)
    if len(k) != 3:
        raise ValueError(f"expected kernel as an int or (k_t, k_h, k_w), got {k!r}")
    return k


def mid_channels_2plus1d(channels: int, out_channels: int, kernel=(3, 3, 3)) -> int:
    """R(2+1)D's middle width ``M = floor(t*h*w*in*out / (h*w*in + t*out))``: the spatial conv
    (``in*M*h*w`` weights) and the temporal conv (``M*out*t``) together have (at most one middle
    channel fewer than) the ``in*out*t*h*w`` weights of the full 3D convolution."""
    t, h, w = _triple(kernel)
    c_in, c_out = channels, out_channels
    return max(1, (t * h * w * c_in * c_out) // (h * w * c_in + t * c_out))


class Conv2Plus1d(nn.Module):
    """A 3D convolution factorised in space then time: ``(B, channels, T, H, W) -> (B, out_channels, T, H, W)``.

    conv ``1 x k_h x k_w`` (channels -> M) - BN - ReLU - conv ``k_t x 1 x 1`` (M -> out_channels), with "same"
    zero padding, no biases (a batch norm follows in the networks that use it). ``mid_channels=None``
    picks ``M`` with :func:`mid_channels_2plus1d` so the weights match the full ``k_t x k_h x k_w`` conv's;
    the extra ReLU in the middle doubles the non-linearities for the same parameter budget.
    """

    def __init__(self, channels: int, out_channels: int, *, kernel=(3, 3, 3), mid_channels: int | None = None) -> None:
        super().__init__()
        t, h, w = _triple(kernel)
        if min(channels, out_channels, t, h, w) < 1:
            raise ValueError(
                f"expected positive channels and kernel sizes, got channels={channels}, out_channels={out_channels}, "
                f"kernel={kernel!r}"
            )
        mid = mid_channels_2plus1d(channels, out_channels, (t, h, w)) if mid_channels is None else int(mid_channels)
        if mid < 1:
            raise ValueError(f"expected mid_channels >= 1, got {mid_channels}")
        self.mid_channels = mid
        self.spatial = nn.Conv3d(channels, mid, (1, h, w), padding=(0, h // 2, w // 2), bias=False)
        self.bn = nn.BatchNorm3d(mid)
        self.relu = nn.ReLU()
        self.temporal = nn.Conv3d(mid, out_channels, (t, 1, 1), padding=(t // 2, 0, 0), bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.temporal(self.relu(self.bn(self.spatial(x))))  # (B, out_channels, T, H, W)


class R2Plus1D(CNN3D):
    """:class:`~vulib.models.CNN3D`'s stack with every 3x3x3 conv replaced by a :class:`Conv2Plus1d`.

    Shapes: ``(B, C, T, H, W)`` -> (2+1)D conv ``w`` - BN - ReLU -> max-pool 2x2x2 -> (2+1)D conv ``2w`` - BN -
    ReLU -> max-pool 2x2x2 -> (2+1)D conv ``2w`` - BN - ReLU ``(B, 2w, T/4, H/4, W/4)`` -> global max-pool
    ``(B, 2w)`` (:meth:`~vulib.models.CNN3D.embed`) -> linear ``(B, K)``. Works for any clip length >= 4.
    """

    def __init__(self, channels: int = 3, classes: int = 2, *, width: int = 16) -> None:
        super().__init__(channels, classes, width=width)

    def conv(self, c_in: int, c_out: int, kernel: tuple[int, int, int], padding: tuple[int, int, int]) -> nn.Module:
        """A :class:`Conv2Plus1d` in place of the ``Conv3d`` (its own "same" padding)."""
        return Conv2Plus1d(c_in, c_out, kernel=kernel)
