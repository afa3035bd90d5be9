"""Recurrent models of video, taught in notebook 05 (CNN + RNN).

Two ways to let a network carry information along time *step by step*, instead of convolving over it:

* :class:`CNNRNN` -- "LRCN": a 2D CNN turns every frame into a vector, an LSTM or GRU reads the
  vectors in order; the clip is classified from the last hidden state. Space is handled by the CNN,
  time only by the RNN, and the two meet at a single vector per frame.
* :class:`RCN` -- a recurrent *convolutional* network: stacked :class:`ConvGRUCell` layers whose
  hidden state is a feature map ``(B, C_h, H, W)``. Draw it as a grid: each layer is a convolution
  across space, each column a time step; every unit sees its own past at the same position.

Both offer ``run(x, state) -> (logits, state)`` so a long video can be processed in pieces, the state
of one piece carried into the next. :func:`sequential_steps` counts how many steps of a model must
run one after the other -- the price of recurrence compared with a feed-forward 3D CNN.
"""

from __future__ import annotations

from typing import Sequence, Union

import torch
import torch.nn as nn

from ..tensors import check_video
from .backbones import FrameCNN, per_frame

__all__ = ["CNNRNN", "ConvGRUCell", "RCN", "sequential_steps"]

# The state of CNNRNN's recurrent layer, as PyTorch's nn.GRU / nn.LSTM use it:
# GRU: h of shape (1, B, hidden); LSTM: the pair (h, c), both (1, B, hidden).
RNNState = Union[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]


def _shape(t: torch.Tensor | Sequence[int]) -> str:
    shape = t.shape if isinstance(t, torch.Tensor) else t
    return "(" + ", ".join(str(int(s)) for s in shape) + ")"


class CNNRNN(nn.Module):
    """CNN + RNN ("LRCN", Donahue et al. 2015): per-frame 2D CNN, then a GRU or LSTM over time.

    Shapes: ``(B, C, T, H, W)`` -> per frame :class:`FrameCNN` ``(B, T, 2w, H/4, W/4)`` -> global max-pool
    over space ``(B, T, 2w)`` -> GRU / LSTM (batch first) ``(B, T, hidden)`` -> linear on every step
    ``(B, T, K)`` (:meth:`frame_logits`) -> the last step ``(B, K)`` (``forward``).

    The linear head is shared by all steps, so ``forward(x)`` equals ``frame_logits(x)[:, -1]``: the
    prediction after the RNN has read the whole clip. Works for any clip length ``T >= 1``.

    Args:
        channels: input channels C. classes: number of classes K. width: backbone width w.
        hidden: size of the RNN's hidden state. cell: ``"gru"`` or ``"lstm"``.
        per_frame: if True, ``forward`` (and ``run``) return the per-step logits ``(B, T, K)``
            instead of ``(B, K)`` (e.g. to train with a loss on every frame).

    The recurrent state (see :meth:`run`) is PyTorch's: for a GRU the tensor ``h`` ``(1, B, hidden)``,
    for an LSTM the pair ``(h, c)``. Taught in ``notebooks/05_cnn_rnn.ipynb``.
    """

    def __init__(
        self,
        channels: int = 3,
        classes: int = 2,
        *,
        width: int = 8,
        hidden: int = 32,
        cell: str = "gru",
        per_frame: bool = False,
    ) -> None:
        super().__init__()
        self.classes = classes
        if cell not in ("gru", "lstm"):
            raise ValueError(f"expected cell='gru' or cell='lstm', got {cell!r}")
        self.channels, self.hidden, self.cell, self.per_frame = channels, hidden, cell, per_frame
        self.backbone = FrameCNN(channels, width=width)
        rnn = nn.GRU if cell == "gru" else nn.LSTM
        self.rnn = rnn(self.backbone.out_channels, hidden, batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def _check_state(self, state: object, batch: int) -> None:
        want = (1, batch, self.hidden)
        if self.cell == "lstm":
            what = "the pair (h, c), each"
            parts = list(state) if isinstance(state, (tuple, list)) and len(state) == 2 else [state]
        else:
            what, parts = "a tensor h", [state]
        if len(parts) != (2 if self.cell == "lstm" else 1) or not all(
            isinstance(p, torch.Tensor) and tuple(p.shape) == want for p in parts
        ):
            got = ", ".join(_shape(p) if isinstance(p, torch.Tensor) else type(p).__name__ for p in parts)
            if self.cell == "lstm" and len(parts) == 1:
                got = f"a single {got}" if isinstance(state, torch.Tensor) else got
            raise ValueError(
                f"expected the {self.cell.upper()} state as {what} of shape (1, B, hidden) = {_shape(want)}, got {got}"
            )

    def _steps(self, x: torch.Tensor, state: RNNState | None) -> tuple[torch.Tensor, RNNState]:
        """The RNN's output at every step ``(B, T, hidden)`` and its final state."""
        check_video(x, channels=self.channels)
        if state is not None:
            self._check_state(state, x.shape[0])
            state = tuple(state) if self.cell == "lstm" else state
        f = per_frame(self.backbone, x).amax(dim=(3, 4))  # (B, T, 2w): one vector per frame
        out, state = self.rnn(f, state)  # (B, T, hidden), state after step T
        return out, state

    def run(self, x: torch.Tensor, state: RNNState | None = None) -> tuple[torch.Tensor, RNNState]:
        """Continue from ``state`` (None: zeros) over the clip; return ``(logits, state)``.

        ``logits`` is ``(B, K)`` (or ``(B, T, K)`` with ``per_frame=True``). Running a clip in two
        halves, passing the state of the first to the second, gives the same result as running it
        whole (in eval mode: in training mode BatchNorm's batch statistics depend on the frames seen).
        """
        out, state = self._steps(x, state)
        logits = self.head(out)  # (B, T, K)
        return (logits if self.per_frame else logits[:, -1]), state  # (B, T, K) or (B, K)

    def frame_logits(self, x: torch.Tensor, state: RNNState | None = None) -> torch.Tensor:
        """Logits after every step ``(B, T, K)``: step t has seen frames ``0..t`` only."""
        return self.head(self._steps(x, state)[0])  # (B, T, K)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.run(x)[0]


class ConvGRUCell(nn.Module):
    """A convolutional GRU cell: ``torch.nn.GRUCell`` with every matrix product replaced by a 2D convolution.

    The hidden state is a feature map ``h`` ``(B, C_h, H, W)``, so the recurrence keeps the layout of space.
    With ``conv_x`` (``C_in -> 3 C_h``) and ``conv_h`` (``C_h -> 3 C_h``), both ``k x k``, padding ``k // 2``,
    their outputs split into (r, z, n) parts in that order::

        r  = sigmoid(W_ir * x + b_ir + W_hr * h + b_hr)      # reset gate
        z  = sigmoid(W_iz * x + b_iz + W_hz * h + b_hz)      # update gate
        n  = tanh(W_in * x + b_in + r . (W_hn * h + b_hn))   # candidate
        h' = (1 - z) . n + z . h

    (``*`` a convolution, ``.`` elementwise). These are exactly ``nn.GRUCell``'s equations: with
    ``kernel_size=1`` on ``1 x 1`` maps the cell *is* a GRUCell whose ``weight_ih`` is
    ``conv_x.weight[:, :, 0, 0]``, ``bias_ih`` is ``conv_x.bias``, and likewise ``conv_h`` for ``*_hh``.

    ``forward(x (B, C_in, H, W), h (B, C_h, H, W) or None) -> h' (B, C_h, H, W)``; ``None`` means zeros.
    Taught in ``notebooks/05_cnn_rnn.ipynb``.
    """

    def __init__(self, channels: int, hidden_channels: int, *, kernel_size: int = 3) -> None:
        super().__init__()
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"ConvGRUCell needs an odd kernel_size (so padding k//2 keeps H x W), got {kernel_size}")
        self.channels, self.hidden_channels, self.kernel_size = channels, hidden_channels, kernel_size
        p = kernel_size // 2
        self.conv_x = nn.Conv2d(channels, 3 * hidden_channels, kernel_size, padding=p)
        self.conv_h = nn.Conv2d(hidden_channels, 3 * hidden_channels, kernel_size, padding=p)

    def forward(self, x: torch.Tensor, h: torch.Tensor | None = None) -> torch.Tensor:
        check_video(x, "BCHW", channels=self.channels, name="ConvGRUCell input x")
        B, _, H, W = x.shape
        if h is None:
            h = x.new_zeros(B, self.hidden_channels, H, W)  # (B, C_h, H, W)
        elif not isinstance(h, torch.Tensor) or tuple(h.shape) != (B, self.hidden_channels, H, W):
            got = _shape(h) if isinstance(h, torch.Tensor) else type(h).__name__
            raise ValueError(
                f"expected hidden state h of shape (B, C_h, H, W) = "
                f"{_shape((B, self.hidden_channels, H, W))} to match x {_shape(x)}, got {got}"
            )
        x_r, x_z, x_n = self.conv_x(x).chunk(3, dim=1)  # each (B, C_h, H, W)
        h_r, h_z, h_n = self.conv_h(h).chunk(3, dim=1)  # each (B, C_h, H, W)
        r = torch.sigmoid(x_r + h_r)  # reset gate
        z = torch.sigmoid(x_z + h_z)  # update gate
        n = torch.tanh(x_n + r * h_n)  # candidate state
        return (1 - z) * n + z * h  # (B, C_h, H, W)


class RCN(nn.Module):
    """A recurrent convolutional network: stacked :class:`ConvGRUCell` layers, run frame by frame.

    Think of a grid: rows are layers, columns time steps. At step t, layer 1 reads frame t and its own
    hidden map from step t-1; layer l > 1 reads layer l-1's *new* hidden map (max-pooled by ``pool``)
    and its own map from step t-1. With ``hidden=(h1, h2)`` and pool p:

    ``frame t (B, C, H, W)`` -> layer 1 ``(B, h1, H, W)`` -> max-pool p ``(B, h1, H/p, W/p)`` -> layer 2
    ``(B, h2, H/p, W/p)``; after the last frame, the last layer's map -> global max-pool over space
    ``(B, h_L)`` -> linear ``(B, K)``.

    The state (see :meth:`run`) is the list of per-layer hidden maps. Frames must be at least
    ``pool ** (L - 1)`` pixels high and wide. Any clip length ``T >= 1``.
    Taught in ``notebooks/05_cnn_rnn.ipynb``.
    """

    def __init__(
        self,
        channels: int = 3,
        classes: int = 2,
        *,
        hidden: Sequence[int] = (8, 16),
        kernel_size: int = 3,
        pool: int = 2,
    ) -> None:
        super().__init__()
        hidden = tuple(int(h) for h in hidden)
        if not hidden:
            raise ValueError("RCN needs at least one layer: hidden=(h1, ...) was empty")
        if pool < 1:
            raise ValueError(f"expected pool >= 1 (1: no pooling between layers), got {pool}")
        self.channels, self.hidden, self.pool_size = channels, hidden, pool
        inputs = (channels,) + hidden[:-1]
        self.cells = nn.ModuleList(ConvGRUCell(i, h, kernel_size=kernel_size) for i, h in zip(inputs, hidden))
        self.pool = nn.MaxPool2d(pool) if pool > 1 else nn.Identity()
        self.head = nn.Linear(hidden[-1], classes)

    def _check_state(self, state: object, x: torch.Tensor) -> list[torch.Tensor]:
        B, _, _, H, W = x.shape
        if not isinstance(state, (list, tuple)) or len(state) != len(self.cells):
            raise ValueError(
                f"expected the RCN state as a list of {len(self.cells)} hidden maps (one per layer), "
                f"got {type(state).__name__}" + (f" of length {len(state)}" if isinstance(state, (list, tuple)) else "")
            )
        for l, (h, c) in enumerate(zip(state, self.hidden)):
            want = (B, c, H // self.pool_size**l, W // self.pool_size**l)
            if not isinstance(h, torch.Tensor) or tuple(h.shape) != want:
                got = _shape(h) if isinstance(h, torch.Tensor) else type(h).__name__
                raise ValueError(
                    f"expected the hidden map of RCN layer {l + 1} of shape (B, C_h, H, W) = "
                    f"{_shape(want)} for clip {_shape(x)}, got {got}"
                )
        return list(state)

    def run(
        self, x: torch.Tensor, state: Sequence[torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Continue from ``state`` (None: zeros) over the clip; return ``(logits (B, K), state)``.

        ``state`` is a list with one hidden map per layer, layer l's of shape ``(B, h_l, H/p^l, W/p^l)``
        (l counted from 0). Running a clip in two halves with the state carried over equals running it whole.
        """
        check_video(x, channels=self.channels)
        B, C, T, H, W = x.shape
        shrink = self.pool_size ** (len(self.cells) - 1)
        if H < shrink or W < shrink:
            raise ValueError(
                f"RCN with {len(self.cells)} layers and pool={self.pool_size} needs frames of at "
                f"least {shrink}x{shrink} pixels, got {H}x{W}"
            )
        state = [None] * len(self.cells) if state is None else self._check_state(state, x)
        for t in range(T):  # columns of the grid: time steps
            inp = x[:, :, t]  # (B, C, H, W): frame t
            for l, cell in enumerate(self.cells):  # rows of the grid: layers
                if l > 0:
                    inp = self.pool(inp)  # (B, h_{l-1}, H/p^l, W/p^l)
                state[l] = cell(inp, state[l])  # (B, h_l, H/p^l, W/p^l)
                inp = state[l]
        f = state[-1].amax(dim=(2, 3))  # (B, h_L): global max-pool over space
        return self.head(f), state  # (B, K)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.run(x)[0]


_FEED_FORWARD_LAYERS = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)
_RECURRENT = (nn.RNNBase, nn.RNNCellBase, ConvGRUCell)


def sequential_steps(model: nn.Module, T: int) -> int:
    """How many steps must run one after the other to process a clip of ``T`` frames.

    Everything *within* a step can run in parallel (on a GPU: one wide kernel launch); the steps cannot.

    * :class:`CNNRNN`: ``T``. The CNN handles all frames at once (they are independent), but the RNN
      needs the state of step t-1 to compute step t.
    * :class:`RCN` with L layers: ``T + L - 1``. Layer l at step t needs layer l-1 at step t and
      layer l at step t-1, so the grid can be computed as a *wavefront* along its anti-diagonals
      (all cells with ``l + t`` equal at once): the first reaches the top after L steps, then one step per frame.
    * any feed-forward model (the fusion models, :class:`~vulib.models.CNN3D`, C3D): its depth, counted
      as the number of convolution and linear layers (ReLU, BatchNorm and pooling ride along with their
      layer) -- independent of ``T``: a longer clip makes each step wider, not the chain longer.

    For example ``CNN3D`` (3 convolutions + 1 linear) gives 4 for every T; ``RCN(hidden=(8, 16))`` gives T + 1.
    """
    if isinstance(T, bool) or int(T) != T or T < 1:
        raise ValueError(f"expected a clip length T >= 1, got {T!r}")
    T = int(T)
    if isinstance(model, RCN):
        return T + len(model.cells) - 1
    if isinstance(model, CNNRNN):
        return T
    if not isinstance(model, nn.Module):
        raise ValueError(f"expected a torch.nn.Module, got {type(model).__name__}")
    if any(isinstance(m, _RECURRENT) for m in model.modules()):
        raise ValueError(
            f"sequential_steps does not know how {type(model).__name__} uses its recurrent "
            "layers; it handles CNNRNN, RCN and feed-forward models"
        )
    depth = sum(isinstance(m, _FEED_FORWARD_LAYERS) for m in model.modules())
    if depth == 0:
        raise ValueError(f"{type(model).__name__} has no convolution or linear layers to count")
    return depth
