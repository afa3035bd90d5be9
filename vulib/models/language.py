"""Video and language, in miniature (notebook 12): a text encoder, a CLIP-style video-text model, and a
``VideoLM`` -- a frozen video encoder whose features become *visual tokens*, an MLP projector, and a small
causal transformer that reads ``[visual tokens; text tokens]`` and writes the answer word by word.

The pieces and their full-size counterparts:

* :class:`TextEncoder` -- a CLIP / BERT text tower (12 layers, 512-768 wide, sub-word vocabulary);
* :class:`VideoTextModel` + :func:`info_nce` -- CLIP, VideoCLIP, InternVideo's contrastive stage;
* :class:`SingleFrameEncoder` -- an image encoder (CLIP ViT) that sees one frame;
* :func:`pool_visual_tokens` -- the token budget: PLLaVA's adaptive pooling, SlowFast-LLaVA's two rates;
* :class:`VideoLM` -- Video-LLaVA / Video-ChatGPT / VideoChat: encoder (frozen) -> projector -> LLM.
"""

from __future__ import annotations

import contextlib
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

from ..tensors import check_video
from .backbones import FrameCNN, global_max

__all__ = [
    "TextEncoder",
    "VideoTextModel",
    "info_nce",
    "recall_at_k",
    "SingleFrameEncoder",
    "pool_visual_tokens",
    "visual_token_count",
    "causal_mask",
    "CausalBlock",
    "VideoLM",
    "next_word_loss",
]


# ------------------------------------------------------------------------------------------------
# Text encoder and the contrastive model
# ------------------------------------------------------------------------------------------------
def _attention_kernel(x: torch.Tensor):
    """Which attention kernel to use: on the CPU, the plain ``softmax(q·kᵀ/√d)·v``, because PyTorch's fused
    (flash) kernel has a large fixed cost per call, too large for sequences as short as ours (a training epoch of
    notebook 12's VideoLM on two cores: 1.30 s plain, 1.50 s fused); on a GPU, whatever PyTorch picks."""
    return sdpa_kernel(SDPBackend.MATH) if x.device.type == "cpu" else contextlib.nullcontext()


class TextEncoder(nn.Module):
    """A small transformer over token ids ``(B, L)`` (``pad`` = padding) -> one vector per text ``(B, dim)``.

    Shapes: ids ``(B, L)`` -> word + position embeddings ``(B, L, dim)`` -> ``layers`` transformer encoder
    layers (padding masked) -> mean over the non-padding positions ``(B, dim)``.
    """

    def __init__(
        self, vocab_size: int, *, dim: int = 32, layers: int = 2, heads: int = 4, max_len: int = 32, pad: int = 0
    ) -> None:
        super().__init__()
        self.pad, self.max_len = pad, max_len
        self.embed = nn.Embedding(vocab_size, dim)
        self.pos = nn.Parameter(0.02 * torch.randn(max_len, dim))
        layer = nn.TransformerEncoderLayer(dim, heads, 2 * dim, dropout=0.0, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        if ids.ndim != 2 or ids.dtype != torch.long:
            raise ValueError(f"expected token ids (B, L) of dtype int64, got {tuple(ids.shape)} {ids.dtype}")
        if ids.shape[1] > self.max_len:
            raise ValueError(f"texts of {ids.shape[1]} tokens are longer than this encoder's max_len={self.max_len}")
        keep = ids != self.pad  # (B, L)
        h = self.embed(ids) + self.pos[: ids.shape[1]]  # (B, L, dim)
        with _attention_kernel(h):
            h = self.norm(self.encoder(h, src_key_padding_mask=~keep))  # (B, L, dim)
        w = keep.unsqueeze(-1).float()
        return (h * w).sum(1) / w.sum(1).clamp_min(1)  # (B, dim)


def info_nce(logits: torch.Tensor) -> torch.Tensor:
    """The symmetric InfoNCE (CLIP) loss of a similarity matrix ``(B, B)`` whose diagonal holds the matching
    (video, text) pairs: cross-entropy of each row over the columns and of each column over the rows, averaged."""
    if logits.ndim != 2 or logits.shape[0] != logits.shape[1]:
        raise ValueError(f"expected a square similarity matrix (B, B), got {tuple(logits.shape)}")
    target = torch.arange(logits.shape[0], device=logits.device)
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))


def recall_at_k(similarity: torch.Tensor, k: int) -> float:
    """Text-to-video recall@k of a similarity matrix ``(N texts, N videos)`` whose diagonal is the right match:
    the fraction of texts whose own video is among their ``k`` most similar videos."""
    if similarity.ndim != 2 or similarity.shape[0] != similarity.shape[1]:
        raise ValueError(f"expected a square similarity matrix (N, N), got {tuple(similarity.shape)}")
    own = similarity.diagonal().unsqueeze(1)  # (N, 1)
    rank = (similarity > own).sum(1)  # videos scored above the right one
    return (rank < k).float().mean().item()


class VideoTextModel(nn.Module):
    """CLIP for clips: a video tower and a text tower map into one space where matching pairs are close.

    Shapes: video ``(B, C, T, H, W)`` -> ``video_encoder`` feature map ``(B, D, T', H', W')`` -> max over
    ``T', H', W'`` ``(B, D)`` -> linear ``(B, E)`` -> unit length. Text ``(B, L)`` -> :class:`TextEncoder`
    ``(B, dim)`` -> linear ``(B, E)`` -> unit length. ``forward`` returns the similarity logits ``(B, B)``
    = cosine similarity x a learned scale (CLIP's temperature, starting at 1 / 0.07).
    """

    def __init__(
        self, video_encoder: nn.Module, video_dim: int, text_encoder: TextEncoder, text_dim: int, *, embed_dim: int = 32
    ) -> None:
        super().__init__()
        self.video_encoder, self.text_encoder = video_encoder, text_encoder
        self.video_proj, self.text_proj = nn.Linear(video_dim, embed_dim), nn.Linear(text_dim, embed_dim)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    def encode_video(self, video: torch.Tensor) -> torch.Tensor:
        check_video(video)
        f = global_max(self.video_encoder(video))  # (B, D)
        return F.normalize(self.video_proj(f), dim=-1)  # (B, E)

    def encode_text(self, ids: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.text_proj(self.text_encoder(ids)), dim=-1)  # (B, E)

    def forward(self, video: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        v, t = self.encode_video(video), self.encode_text(ids)
        return self.logit_scale.exp().clamp(max=100) * v @ t.T  # (B videos, B texts)


class SingleFrameEncoder(nn.Module):
    """An image encoder that sees **one** frame of each clip: ``(B, C, T, H, W) -> (B, 2w, 1, H/4, W/4)``.

    ``frame``: which frame (an int), or ``None`` for a random frame per clip at every call (drawn with torch's
    generator, so it follows the suite's seed) -- an image model that is not told *when* its frame was taken.
    The backbone is :class:`~vulib.models.FrameCNN`.
    """

    def __init__(self, channels: int = 3, *, width: int = 8, frame: int | None = None) -> None:
        super().__init__()
        self.channels, self.frame = channels, frame
        self.backbone = FrameCNN(channels, width=width)
        self.out_channels = self.backbone.out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_video(x, channels=self.channels)
        B, T = x.shape[0], x.shape[2]
        if self.frame is None:
            t = torch.randint(0, T, (B,)).to(x.device)
        else:
            if not -T <= self.frame < T:
                raise ValueError(f"frame={self.frame} is outside a clip of {T} frames")
            t = torch.full((B,), self.frame % T, device=x.device)
        frames = x[torch.arange(B, device=x.device), :, t]  # (B, C, H, W)
        return self.backbone(frames).unsqueeze(2)  # (B, 2w, 1, H/4, W/4)


# ------------------------------------------------------------------------------------------------
# Visual tokens and their budget
# ------------------------------------------------------------------------------------------------
def _factor(f, size: int, name: str) -> int:
    if f is None or f == "all":
        return size
    if not isinstance(f, int) or f < 1:
        raise ValueError(f"expected {name} pooling as a factor >= 1 or 'all', got {f!r}")
    return min(f, size)


def visual_token_count(T: int, H: int, W: int, time=1, space=1) -> int:
    """Tokens left from a ``T x H x W`` feature map after pooling by ``time`` frames and ``space x space``
    cells (``"all"``: the whole axis; a window hanging over the edge still makes a token: ceil division)."""
    t, s_h, s_w = _factor(time, T, "time"), _factor(space, H, "space"), _factor(space, W, "space")
    return math.ceil(T / t) * math.ceil(H / s_h) * math.ceil(W / s_w)


POOLS = ("avg", "max")


def pool_visual_tokens(features: torch.Tensor, time=1, space=1, pool: str = "avg") -> torch.Tensor:
    """Feature map ``(B, D, T, H, W)`` -> visual tokens ``(B, N, D)``, ordered frame by frame, row by row.

    ``time``/``space``: pool by this many frames / ``space x space`` cells (1 = keep all; ``"all"`` = the whole
    axis: ``space="all"`` keeps one token per frame, ``time="all"`` one map for the whole clip).
    ``pool``: ``"avg"`` (PLLaVA's adaptive average) or ``"max"`` (each channel's strongest response in the
    window: what an encoder trained with a global max, like this suite's 3D CNN, is read with).
    ``N = visual_token_count(T, H, W, time, space)``.
    """
    check_video(features, name="features")
    if pool not in POOLS:
        raise ValueError(f"expected pool one of {POOLS}, got {pool!r}")
    _, _, T, H, W = features.shape
    k = (_factor(time, T, "time"), _factor(space, H, "space"), _factor(space, W, "space"))
    if k != (1, 1, 1):
        pooling = F.avg_pool3d if pool == "avg" else F.max_pool3d
        features = pooling(features, k, stride=k, ceil_mode=True)  # (B, D, T', H', W')
    return features.flatten(2).transpose(1, 2)  # (B, N, D)


# ------------------------------------------------------------------------------------------------
# The video language model
# ------------------------------------------------------------------------------------------------
def causal_mask(n_visual: int, n_text: int, device=None) -> torch.Tensor:
    """Boolean mask ``(N, N)``, ``N = n_visual + n_text``, True where attention is **blocked**: every token sees
    itself and the tokens before it -- all visual tokens come first, so every text token sees the whole video."""
    n = n_visual + n_text
    return torch.ones(n, n, dtype=torch.bool, device=device).triu(1)


class CausalBlock(nn.Module):
    """One pre-norm transformer block: ``x + attention(norm(x))``, then ``x + MLP(norm(x))``; ``(B, N, dim)``.
    With ``return_attention`` also the attention weights ``(B, N, N)`` (averaged over heads)."""

    def __init__(self, dim: int, *, heads: int = 4) -> None:
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x: torch.Tensor, mask: torch.Tensor, return_attention: bool = False):
        h = self.norm1(x)
        with _attention_kernel(h):
            a, w = self.attn(h, h, h, attn_mask=mask, need_weights=return_attention)
        x = x + a
        x = x + self.mlp(self.norm2(x))
        return (x, w) if return_attention else x


class _TokenNorm(nn.Module):
    """Batch norm over the channels of tokens ``(B, N, D)`` (statistics over all tokens of the batch)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm1d(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x.reshape(-1, x.shape[-1])).view(x.shape)


class VideoLM(nn.Module):
    """A tiny video-LLM: frozen encoder -> visual tokens -> MLP projector -> causal transformer over
    ``[visual tokens; text tokens]`` -> next-word logits.

    Shapes: video ``(B, C, T, H, W)`` -> ``encoder`` (frozen, eval mode) ``(B, D, T', H', W')`` ->
    :func:`pool_visual_tokens` ``(B, N, D)`` -> projector BatchNorm-Linear-GELU-Linear ``(B, N, dim)``; text ids
    ``(B, L)`` -> embeddings ``(B, L, dim)``; concatenated ``(B, N+L, dim)`` + learned positions ->
    ``layers`` :class:`CausalBlock` -> logits at the text positions ``(B, L, vocab)``.

    Args:
        encoder: maps clips to a feature map ``(B, D, T', H', W')``; its weights are frozen.
        feature_dim: ``D``.
        vocab_size: the tokenizer's size.
        dim, layers, heads: the language model's width, depth and attention heads.
        time, space, pool: visual-token pooling (see :func:`pool_visual_tokens`) -- the token budget.
        max_tokens: longest ``[visual; text]`` sequence (size of the position table).
    """

    def __init__(
        self,
        encoder: nn.Module,
        feature_dim: int,
        vocab_size: int,
        *,
        dim: int = 48,
        layers: int = 2,
        heads: int = 4,
        time=1,
        space=1,
        pool: str = "max",
        max_tokens: int = 256,
        eos: int = 2,
    ) -> None:
        super().__init__()
        self.encoder = encoder.eval().requires_grad_(False)
        self.time, self.space, self.pool, self.eos = time, space, pool, eos
        _factor(time, 1 << 30, "time"), _factor(space, 1 << 30, "space")  # validate early
        if pool not in POOLS:
            raise ValueError(f"expected pool one of {POOLS}, got {pool!r}")
        # the projector starts by standardizing each feature channel over the data (batch norm): an average over
        # many positions is dominated by the background, and this brings the object's small part back to scale
        self.projector = nn.Sequential(
            _TokenNorm(feature_dim), nn.Linear(feature_dim, dim), nn.GELU(), nn.Linear(dim, dim)
        )
        self.embed = nn.Embedding(vocab_size, dim)
        self.pos = nn.Parameter(0.5 * torch.randn(max_tokens, dim))  # large enough to tell positions apart early
        self.segment = nn.Parameter(0.02 * torch.randn(2, dim))  # visual / text
        self.blocks = nn.ModuleList(CausalBlock(dim, heads=heads) for _ in range(layers))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab_size)

    def train(self, mode: bool = True) -> "VideoLM":
        super().train(mode)
        self.encoder.eval()  # frozen: batch norm keeps its statistics
        return self

    @torch.no_grad()
    def features(self, video: torch.Tensor) -> torch.Tensor:
        """The frozen encoder's feature map ``(B, D, T', H', W')`` (compute once, reuse every epoch)."""
        check_video(video)
        return self.encoder(video)

    def visual_tokens(self, features: torch.Tensor) -> torch.Tensor:
        """Projected visual tokens ``(B, N, dim)`` of a feature map."""
        return self.projector(pool_visual_tokens(features, self.time, self.space, self.pool))

    def forward(self, features: torch.Tensor, ids: torch.Tensor, return_attention: bool = False):
        """Next-token logits ``(B, L, vocab)`` for text ids ``(B, L)`` after the visual tokens of ``features``
        (a feature map from :meth:`features`). With ``return_attention``: also the last block's attention
        ``(B, N+L, N+L)``."""
        if ids.ndim != 2 or ids.shape[0] != features.shape[0]:
            raise ValueError(f"expected text ids (B, L) with B={features.shape[0]}, got {tuple(ids.shape)}")
        vis = self.visual_tokens(features)  # (B, N, dim)
        n, L = vis.shape[1], ids.shape[1]
        if n + L > self.pos.shape[0]:
            raise ValueError(
                f"{n} visual + {L} text tokens exceed max_tokens={self.pos.shape[0]}: pool more "
                f"(time=, space=) or build the model with a larger max_tokens"
            )
        x = (
            torch.cat([vis + self.segment[0], self.embed(ids) + self.segment[1]], 1) + self.pos[: n + L]
        )  # (B, N+L, dim)
        mask = causal_mask(n, L, x.device)
        attn = None
        for i, block in enumerate(self.blocks):
            if return_attention and i == len(self.blocks) - 1:
                x, attn = block(x, mask, return_attention=True)
            else:
                x = block(x, mask)
        logits = self.head(self.norm(x[:, n:]))  # (B, L, vocab)
        return (logits, attn) if return_attention else logits

    @torch.no_grad()
    def generate(self, features: torch.Tensor, prompt: torch.Tensor, max_new: int = 16, return_attention: bool = False):
        """Greedy decoding: append the most likely next word until ``<eos>`` (or ``max_new`` words).

        ``prompt`` ``(B, P)`` ids (``<bos>`` + question, no padding). Returns the new ids ``(B, <= max_new)``
        (``<eos>`` and everything after it set to ``eos``); with ``return_attention`` also, for the *first*
        generated word, the attention of the last prompt position over the visual tokens ``(B, N)``.
        """
        was = self.training
        self.eval()
        ids, first_attn, done = prompt, None, torch.zeros(prompt.shape[0], dtype=torch.bool, device=prompt.device)
        n = pool_visual_tokens(features[:1], self.time, self.space, self.pool).shape[1]
        for step in range(max_new):
            if return_attention and step == 0:
                logits, attn = self(features, ids, return_attention=True)
                first_attn = attn[:, -1, :n]  # (B, N)
            else:
                logits = self(features, ids)
            nxt = logits[:, -1].argmax(-1)  # (B,)
            nxt = torch.where(done, torch.full_like(nxt, self.eos), nxt)
            ids = torch.cat([ids, nxt[:, None]], 1)
            done |= nxt == self.eos
            if done.all():
                break
        self.train(was)
        out = ids[:, prompt.shape[1] :]
        return (out, first_attn) if return_attention else out


# ------------------------------------------------------------------------------------------------
# The loss of the video language model (trained by vulib.train.train_videolm)
# ------------------------------------------------------------------------------------------------
def next_word_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Teacher-forcing loss: cross-entropy of next-word logits ``(B, L, V)`` against ``targets`` ``(B, L)``
    (``-100`` = not scored: padding and the prompt's words), averaged over the scored words."""
    return F.cross_entropy(logits.transpose(1, 2), targets)
