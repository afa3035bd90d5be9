"""PyTorch ``Dataset``/``DataLoader`` helpers over clips (synthetic or decoded)."""
from __future__ import annotations

import torch
from torch.utils.data import DataLoader, Dataset

from .seed import fresh_seed
from .synthetic import VideoBatch
from .tensors import check_video

__all__ = ["ClipDataset", "make_loader", "as_tensors"]


def as_tensors(data) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(x, labels (N,))`` from a :class:`VideoBatch` or an ``(x, y)`` pair.

    ``x`` is a batch of clips ``(N, C, T, H, W)``, or of images ``(N, C, H, W)`` (to pretrain 2D networks).
    """
    if isinstance(data, VideoBatch):
        x, y = data.video, data.labels
    elif isinstance(data, (tuple, list)) and len(data) == 2:
        x, y = data
    else:
        raise ValueError(f"expected a VideoBatch or a (video, labels) pair, got {type(data).__name__}")
    check_video(x, "BCHW" if isinstance(x, torch.Tensor) and x.ndim == 4 else "BCTHW")
    if not isinstance(y, torch.Tensor) or y.ndim != 1 or y.shape[0] != x.shape[0]:
        got = tuple(y.shape) if isinstance(y, torch.Tensor) else type(y).__name__
        raise ValueError(f"expected labels of shape ({x.shape[0]},) to match the video batch, got {got}")
    if y.is_floating_point():
        raise ValueError(f"expected integer class labels, got {y.dtype}")
    return x, y.long()


class ClipDataset(Dataset):
    """Clips and labels held in memory. Item ``i`` is ``(clip (C, T, H, W), label)``.

    Args:
        data: a :class:`~vulib.synthetic.VideoBatch` or a ``(video (N, C, T, H, W), labels (N,))`` pair.
        transform: optional function applied to each clip ``(C, T, H, W) -> (C, T', H', W')``.
    """

    def __init__(self, data, transform=None) -> None:
        self.video, self.labels = as_tensors(data)
        self.transform = transform

    def __len__(self) -> int:
        return self.video.shape[0]

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        clip = self.video[i]
        if self.transform is not None:
            clip = self.transform(clip)
        return clip, self.labels[i]


def make_loader(data, batch_size: int = 64, shuffle: bool = True, seed: int | None = None,
                drop_last: bool = False) -> DataLoader:
    """A ``DataLoader`` over clips whose shuffling order is reproducible.

    Args:
        data: a ``VideoBatch``, an ``(x, y)`` pair or a ``Dataset``.
        seed: seed of the shuffling order; ``None`` draws one from torch's global generator
            (so it follows :func:`vulib.seed_everything`).
    """
    if batch_size < 1:
        raise ValueError(f"expected batch_size >= 1, got {batch_size}")
    ds = data if isinstance(data, Dataset) else ClipDataset(data)
    g = torch.Generator().manual_seed(fresh_seed() if seed is None else int(seed))
    return DataLoader(ds, batch_size=batch_size, shuffle=shuffle, generator=g, drop_last=drop_last)
