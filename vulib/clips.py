"""Training on short clips, and averaging clip predictions over a whole video at test time.

Videos are too big to feed whole to a network, so models see short clips: random
windows during training, and at test time every window (or a few), whose class
probabilities are averaged into one prediction for the video.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from .seed import fresh_seed
from .tensors import check_video
from .train import predict

__all__ = ["clip_starts", "sliding_clips", "random_clips", "predict_video"]


def clip_starts(num_frames: int, clip_len: int, stride: int) -> list[int]:
    """First frame of every window of ``clip_len`` frames, ``stride`` frames apart, that fits in the video."""
    if clip_len < 1 or stride < 1:
        raise ValueError(f"expected clip_len >= 1 and stride >= 1, got clip_len={clip_len}, stride={stride}")
    if clip_len > num_frames:
        raise ValueError(f"a clip of {clip_len} frames does not fit in a video of {num_frames} frames")
    return list(range(0, num_frames - clip_len + 1, stride))


def sliding_clips(video: torch.Tensor, clip_len: int, stride: int) -> torch.Tensor:
    """Cut videos ``(B, C, T, H, W)`` into windows ``(B, N, C, clip_len, H, W)``, N = number of starts."""
    check_video(video, "BCTHW")
    starts = clip_starts(video.shape[2], clip_len, stride)
    return torch.stack([video[:, :, s : s + clip_len] for s in starts], dim=1)


def random_clips(
    video: torch.Tensor, labels: torch.Tensor, clip_len: int, per_video: int = 1, seed: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw ``per_video`` random windows from each video: returns clips ``(B * per_video, C, clip_len, H, W)``
    and their labels (the video's label). ``seed=None`` follows :func:`vulib.seed_everything`."""
    check_video(video, "BCTHW")
    B, T = video.shape[0], video.shape[2]
    clip_starts(T, clip_len, 1)  # validates clip_len
    g = torch.Generator().manual_seed(fresh_seed() if seed is None else int(seed))
    starts = torch.randint(0, T - clip_len + 1, (B, per_video), generator=g)
    idx = starts.unsqueeze(-1) + torch.arange(clip_len)  # (B, per_video, clip_len)
    clips = torch.stack([video[b][:, idx[b]] for b in range(B)])  # (B, C, per_video, clip_len, H, W)
    clips = clips.permute(0, 2, 1, 3, 4, 5).flatten(0, 1)  # (B * per_video, C, clip_len, H, W)
    return clips, labels.repeat_interleave(per_video)


@torch.no_grad()
def predict_video(
    model: nn.Module, video: torch.Tensor, clip_len: int, stride: int, device: torch.device | None = None
) -> torch.Tensor:
    """Video-level class probabilities ``(B, K)``: the mean of the softmax over all sliding clips.

    Args:
        model: maps clips ``(B, C, clip_len, H, W)`` to logits ``(B, K)``.
        video: ``(B, C, T, H, W)``.
    """
    clips = sliding_clips(video, clip_len, stride)  # (B, N, C, L, H, W)
    B, N = clips.shape[:2]
    probs = predict(model, clips.flatten(0, 1), device=device).softmax(-1)  # (B * N, K), in batches
    return probs.view(B, N, -1).mean(1)
