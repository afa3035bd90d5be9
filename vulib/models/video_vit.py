"""Vision transformers for video: tubelet tokens and three ways to attend over space-time (notebook 08).

A clip ``(B, C, T, H, W)`` is cut into non-overlapping **tubelets** of ``t x p x p`` pixels; a
``Conv3d`` with kernel = stride = ``(t, p, p)`` turns each into one ``D``-vector, a **token**. That gives
``T' = T / t`` token frames of ``N = (H / p) * (W / p)`` tokens each. Learned position embeddings for
space (one per patch position, ``(N, D)``) and for time (one per token frame, ``(T', D)``) are added,
then transformer blocks mix the tokens. The three variants differ only in *which tokens attend to
which* (``L = T' * N`` tokens, ``d`` channels per head):

* ``"joint"`` (ViViT model 1): every token attends to all ``L`` tokens. Attention cost per block
  ``∝ L^2 = (N T')^2``;
* ``"divided"`` (TimeSformer): each block first attends over time (the ``T'`` tokens at the same patch
  position), then over space (the ``N`` tokens of the same frame). Cost ``∝ N T'^2 + T' N^2 = N T' (N + T')``.
  The temporal branch's output projection starts at zero: an untrained divided block *is* a
  spatial-only block, and training grows the temporal part (as the non-local block of notebook 06);
* ``"factorised"`` (ViViT model 2, "factorised encoder"): a spatial transformer of ``depth`` blocks runs on
  each token frame alone; each frame's tokens are max-pooled into one summary token; a temporal transformer
  of ``depth`` blocks runs over the ``T'`` summaries. Cost ``∝ T' N^2 + T'^2``. It is *late fusion*
  (notebook 01), with attention doing the fusing.

The classifier takes the maximum of the final tokens over all positions (as the 3D CNN of notebook 01
pools its features) and applies ``LayerNorm`` + ``Linear``. In the suite's small clips most tokens are
background: an average dilutes the few tokens on the object, and with it, measured on notebook 08's
tasks, training sat at chance for many epochs; the maximum keeps them. Attention is
computed by :func:`torch.nn.functional.scaled_dot_product_attention` (a fused kernel on CPU and GPU);
:meth:`VideoViT.attention_maps` recomputes the maps by hand for pictures.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..inflate import inflate_weight
from ..tensors import check_video

__all__ = ["VideoViT", "Attention", "Block", "DividedBlock", "tubelet_from_patch", "attended_tokens", "ATTENTIONS"]

ATTENTIONS = ("joint", "divided", "factorised")


class Attention(nn.Module):
    """Multi-head self-attention over a sequence: ``(B, L, D) -> (B, L, D)``.

    ``qkv``: one ``Linear(D, 3D)`` gives queries, keys, values, split into ``heads`` heads of ``d = D / heads``
    channels ``(B, heads, L, d)``; ``softmax(q k^T / sqrt(d)) v`` per head; heads concatenated;
    ``proj``: ``Linear(D, D)``.
    With ``record = True`` the forward pass also stores ``last_map``, the attention weights averaged over
    heads ``(B, L, L)`` (each row sums to 1), computed by hand.
    """

    def __init__(self, dim: int, *, heads: int) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim={dim} must be divisible by heads={heads} (each head gets dim / heads channels)")
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.record = False
        self.last_map: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, L, D = x.shape
        q, k, v = self.qkv(x).view(B, L, 3, self.heads, D // self.heads).permute(2, 0, 3, 1, 4)  # 3 x (B, h, L, d)
        y = F.scaled_dot_product_attention(q, k, v)  # (B, h, L, d)
        if self.record:
            weights = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]), dim=-1)  # (B, h, L, L)
            self.last_map = weights.mean(1)  # (B, L, L)
        return self.proj(y.transpose(1, 2).reshape(B, L, D))  # (B, L, D)


class MLP(nn.Sequential):
    """``Linear(D, 4D)`` - GELU - ``Linear(4D, D)``, applied to every token alone."""

    def __init__(self, dim: int, *, ratio: int = 4) -> None:
        super().__init__(nn.Linear(dim, ratio * dim), nn.GELU(), nn.Linear(ratio * dim, dim))


class Block(nn.Module):
    """A pre-norm transformer block on a sequence ``(B, L, D)``: ``x + attn(LN(x))``, then ``x + mlp(LN(x))``."""

    def __init__(self, dim: int, *, heads: int) -> None:
        super().__init__()
        self.norm1, self.attn = nn.LayerNorm(dim), Attention(dim, heads=heads)
        self.norm2, self.mlp = nn.LayerNorm(dim), MLP(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class DividedBlock(nn.Module):
    """Divided space-time attention (TimeSformer) on tokens ``(B, T', N, D)``.

    1. time: ``(B, T', N, D) -> (B*N, T', D)``: the ``T'`` tokens at one patch position attend to each other;
       ``x + time_attn(LN(x))``, back to ``(B, T', N, D)``;
    2. space: ``(B*T', N, D)``: the ``N`` tokens of one frame attend to each other; ``x + attn(LN(x))``;
    3. ``x + mlp(LN(x))``.

    ``time_attn.proj`` starts at zero, so a new block equals a :class:`Block` applied to every frame alone.
    """

    def __init__(self, dim: int, *, heads: int) -> None:
        super().__init__()
        self.norm_time, self.time_attn = nn.LayerNorm(dim), Attention(dim, heads=heads)
        nn.init.zeros_(self.time_attn.proj.weight)  # an untrained block ignores time
        nn.init.zeros_(self.time_attn.proj.bias)
        self.norm1, self.attn = nn.LayerNorm(dim), Attention(dim, heads=heads)
        self.norm2, self.mlp = nn.LayerNorm(dim), MLP(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, N, D = x.shape
        xt = x.transpose(1, 2).reshape(B * N, T, D)  # (B*N, T', D): one sequence per position
        xt = xt + self.time_attn(self.norm_time(xt))
        xs = xt.view(B, N, T, D).transpose(1, 2).reshape(B * T, N, D)  # (B*T', N, D): one sequence per frame
        xs = xs + self.attn(self.norm1(xs))
        xs = xs + self.mlp(self.norm2(xs))
        return xs.view(B, T, N, D)  # (B, T', N, D)


def _tubelet(tubelet) -> tuple[int, int, int]:
    if isinstance(tubelet, int):
        tubelet = (tubelet, tubelet, tubelet)
    try:
        t = tuple(int(v) for v in tubelet)
    except (TypeError, ValueError):
        raise ValueError(f"expected tubelet as (t, p, p) ints, got {tubelet!r}") from None
    if len(t) != 3 or min(t) < 1:
        raise ValueError(f"expected tubelet as three ints >= 1 (time, height, width), got {tubelet!r}")
    return t


class VideoViT(nn.Module):
    """A video vision transformer for clips ``(B, C, frames, size, size)`` -> logits ``(B, classes)``.

    Shapes (``tubelet = (t, p, p)``, ``T' = frames / t``, ``N = (size / p)^2``, ``D = dim``):
    clip ``(B, C, T, H, W)`` -> tubelet embedding ``Conv3d`` ``(B, D, T', H/p, W/p)`` -> tokens ``(B, T', N, D)``
    + space embedding ``(N, D)`` + time embedding ``(T', D)`` -> blocks (see the module docstring for the
    three ``attention`` variants) -> maximum over tokens ``(B, D)`` -> ``LayerNorm`` -> ``Linear`` ``(B, classes)``.

    For ``"factorised"`` the time embedding is added to the per-frame summary tokens ``(B, T', D)``, just
    before the temporal transformer (the spatial one sees each frame alone and has no use for it).

    Args:
        channels, classes: input channels, output classes.
        frames, size: the clip shape the model is built for (the position embeddings have that many slots).
        tubelet: ``(t, p, p)`` pixels per token; ``frames`` must be divisible by ``t`` and ``size`` by ``p``.
        dim, depth, heads: token width, blocks (per encoder for ``"factorised"``), attention heads.
        attention: ``"joint"``, ``"divided"`` or ``"factorised"``.
        time_embedding: ``False`` leaves out the time embedding (an ablation: the model then cannot tell
            the order of the token frames).

    Raises ``ValueError`` for sizes the tubelet does not divide, naming the axis and the remainder.
    """

    def __init__(
        self,
        channels: int = 3,
        classes: int = 2,
        *,
        frames: int,
        size: int,
        tubelet=(2, 4, 4),
        dim: int = 64,
        depth: int = 4,
        heads: int = 4,
        attention: str = "joint",
        time_embedding: bool = True,
    ) -> None:
        super().__init__()
        self.classes = classes
        if attention not in ATTENTIONS:
            raise ValueError(f"attention must be one of {ATTENTIONS}, got {attention!r}")
        t, ph, pw = self.tubelet = _tubelet(tubelet)
        for axis, n, k in (("frames", frames, t), ("size (height)", size, ph), ("size (width)", size, pw)):
            if n < k or n % k:
                raise ValueError(
                    f"{axis}={n} is not divisible by the tubelet's {k} along that axis "
                    f"(remainder {n % k}): use a multiple of {k}, e.g. {max(k, n - n % k)}"
                )
        if depth < 1:
            raise ValueError(f"depth must be >= 1, got {depth}")
        self.frames, self.size, self.channels, self.attention = frames, size, channels, attention
        self.grid = (frames // t, size // ph, size // pw)  # (T', H/p, W/p)
        T_, gh, gw = self.grid
        N = gh * gw
        self.embed = nn.Conv3d(channels, dim, self.tubelet, stride=self.tubelet)
        self.space_pos = nn.Parameter(0.02 * torch.randn(N, dim))  # one per patch position
        self.time_pos = nn.Parameter(0.02 * torch.randn(T_, dim)) if time_embedding else None
        if attention == "joint":
            self.blocks = nn.ModuleList(Block(dim, heads=heads) for _ in range(depth))
        elif attention == "divided":
            self.blocks = nn.ModuleList(DividedBlock(dim, heads=heads) for _ in range(depth))
        else:
            self.spatial = nn.ModuleList(Block(dim, heads=heads) for _ in range(depth))
            self.temporal = nn.ModuleList(Block(dim, heads=heads) for _ in range(depth))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def tokens(self, x: torch.Tensor) -> torch.Tensor:
        """Tubelet tokens with position embeddings: ``(B, C, T, H, W) -> (B, T', N, D)``."""
        check_video(x, channels=self.channels, frames=self.frames, name="clip")
        if tuple(x.shape[3:]) != (self.size, self.size):
            raise ValueError(
                f"this VideoViT was built for {self.size}x{self.size} frames, got "
                f"{x.shape[3]}x{x.shape[4]} (its space embedding has one slot per patch)"
            )
        z = self.embed(x).flatten(3).transpose(1, 2).transpose(2, 3)  # (B, T', N, D)
        z = z + self.space_pos
        if self.time_pos is not None and self.attention != "factorised":
            z = z + self.time_pos[:, None, :]  # the same for every position of a frame
        return z

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The pooled, normalized clip feature ``(B, D)`` (what the head classifies)."""
        z = self.tokens(x)  # (B, T', N, D)
        B, T, N, D = z.shape
        if self.attention == "joint":
            z = z.reshape(B, T * N, D)  # (B, L, D): all tokens in one sequence
            for block in self.blocks:
                z = block(z)
        elif self.attention == "divided":
            for block in self.blocks:
                z = block(z)  # (B, T', N, D)
        else:
            z = z.reshape(B * T, N, D)  # (B*T', N, D): each frame alone
            for block in self.spatial:
                z = block(z)
            z = z.view(B, T, N, D).amax(2)  # (B, T', D): one summary per frame
            if self.time_pos is not None:
                z = z + self.time_pos
            for block in self.temporal:
                z = block(z)  # (B, T', D)
        return self.norm(z.reshape(B, -1, D).amax(1))  # (B, D): max over all tokens

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))  # (B, classes)

    @torch.no_grad()
    def attention_maps(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Head-averaged attention weights of every attention layer for clips ``x``, keyed by layer name.

        Shapes (``B`` clips, ``T'`` token frames, ``N`` tokens per frame; a row = one query, summing to 1):

        * joint: ``"blocks.i.attn"`` ``(B, T'*N, T'*N)``, tokens in (frame, row, column) order;
        * divided: ``"blocks.i.time_attn"`` ``(B, N, T', T')`` (per patch position) and
          ``"blocks.i.attn"`` ``(B, T', N, N)`` (per frame);
        * factorised: ``"spatial.i.attn"`` ``(B, T', N, N)`` and ``"temporal.i.attn"`` ``(B, T', T')``.
        """
        T, gh, gw = self.grid
        N = gh * gw
        layers = {name: m for name, m in self.named_modules() if isinstance(m, Attention)}
        for m in layers.values():
            m.record = True
        try:
            was_training = self.training
            self.eval()
            self.features(x)
            self.train(was_training)
            maps = {}
            for name, m in layers.items():
                a = m.last_map
                if name.endswith("time_attn"):
                    a = a.view(-1, N, T, T)
                elif self.attention == "divided" or name.startswith("spatial"):
                    a = a.view(-1, T, N, N)
                maps[name] = a
            return maps
        finally:
            for m in layers.values():
                m.record, m.last_map = False, None


def tubelet_from_patch(conv2d: nn.Conv2d, t: int, mode: str = "center") -> nn.Conv3d:
    """A 2D patch embedding ``Conv2d(C, D, p, stride=p)`` -> a tubelet embedding
    ``Conv3d(C, D, (t, p, p), stride=(t, p, p))``.

    Weights ``(D, C, p, p) -> (D, C, t, p, p)`` (ViViT's two initializations, via :func:`vulib.inflate.inflate_weight`):

    * ``"center"`` (``"central"``, its earlier name, is accepted too): the 2D kernel in time slice ``t // 2``,
      zeros elsewhere: token ``i`` of a clip is the 2D patch embedding of frame ``i*t + t//2`` (the other
      frames of the tubelet are ignored until training);
    * ``"mean"``: the 2D kernel in every slice, divided by ``t`` (inflation, notebook 07): on a boring video
      (one image repeated) every token frame equals the 2D patch embedding of the image.

    The bias is copied. Input ``(B, C, T, H, W)`` -> tokens ``(B, D, T/t, H/p, W/p)``.
    """
    if type(conv2d) is not nn.Conv2d:
        raise ValueError(f"expected an nn.Conv2d patch embedding, got {type(conv2d).__name__}")
    if tuple(conv2d.kernel_size) != tuple(conv2d.stride) or conv2d.padding not in ((0, 0), "valid"):
        raise ValueError(
            f"expected a patch embedding (kernel = stride, no padding), got kernel {conv2d.kernel_size}, "
            f"stride {conv2d.stride}, padding {conv2d.padding}"
        )
    mode = "center" if mode == "central" else mode
    if mode not in ("center", "mean"):
        raise ValueError(f"mode must be 'center' or 'mean', got {mode!r}")
    if isinstance(t, bool) or not isinstance(t, int) or t < 1:
        raise ValueError(f"t (frames per tubelet) must be an int >= 1, got {t!r}")
    kernel = (t, *conv2d.kernel_size)
    conv3d = nn.Conv3d(
        conv2d.in_channels,
        conv2d.out_channels,
        kernel,
        stride=kernel,
        bias=conv2d.bias is not None,
        device=conv2d.weight.device,
        dtype=conv2d.weight.dtype,
    )
    with torch.no_grad():
        conv3d.weight.copy_(inflate_weight(conv2d.weight.detach(), t, mode))
        if conv2d.bias is not None:
            conv3d.bias.copy_(conv2d.bias)
    return conv3d


@torch.no_grad()
def attended_tokens(model: VideoViT, x: torch.Tensor, query: tuple[int, int, int]) -> dict[str, torch.Tensor]:
    """Which keys one query token attends to in each attention step of ``model``'s first block, read
    from the attention weights the model computes (:meth:`VideoViT.attention_maps`) on clip ``x (1, C, T, H, W)``.

    ``query = (token frame, row, column)``. Returns ``{step: mask}``, a key in the mask is ``True`` where
    the query's attention weight on it is non-zero:

    * ``"joint"``: ``(T', H/p, W/p)``, every token of the clip;
    * divided: ``"time"`` ``(T', H/p, W/p)`` (the tokens at the query's position) and ``"space"``
      (the tokens of the query's frame);
    * factorised: ``"spatial"`` ``(T', H/p, W/p)`` (the query's frame) and ``"temporal"`` ``(T',)``:
      the per-frame summary tokens the query frame's summary attends to.
    """
    T, gh, gw = model.grid
    tq, row, col = query
    n = row * gw + col
    maps = model.attention_maps(x[:1])
    grid = torch.zeros(T, gh * gw)
    if model.attention == "joint":
        joint = maps["blocks.0.attn"][0, tq * gh * gw + n].view(T, gh * gw)  # (T', N) weights of one query
        return {"joint": (joint > 0).view(T, gh, gw)}
    if model.attention == "divided":
        time, space = grid.clone(), grid.clone()
        time[:, n] = maps["blocks.0.time_attn"][0, n, tq]  # (T',): the query's position in every frame
        space[tq] = maps["blocks.0.attn"][0, tq, n]  # (N,): the query's own frame
        return {"time": (time > 0).view(T, gh, gw), "space": (space > 0).view(T, gh, gw)}
    spatial = grid.clone()
    spatial[tq] = maps["spatial.0.attn"][0, tq, n]
    return {"spatial": (spatial > 0).view(T, gh, gw), "temporal": maps["temporal.0.attn"][0, tq] > 0}
