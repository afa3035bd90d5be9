"""PyTorch ``Dataset``/``DataLoader`` helpers over clips: held in memory (synthetic), or decoded
from a folder of real video files (:class:`VideoFolder`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from .io import read_video, video_info, write_video
from .seed import fresh_seed
from .synthetic import VideoBatch
from .tensors import check_video

__all__ = [
    "ClipDataset",
    "make_loader",
    "IndexBatches",
    "as_tensors",
    "VideoFolder",
    "VIDEO_EXTENSIONS",
    "write_video_folder",
]


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


def make_loader(
    data, batch_size: int = 64, shuffle: bool = True, seed: int | None = None, drop_last: bool = False
) -> DataLoader:
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


class IndexBatches:
    """Batches built on the fly from row indices, for training data that is not ``(clip, label)`` pairs
    (video-text pairs, teacher-forcing rows in notebook 12). :func:`vulib.fit` takes it like a ``DataLoader``.

    Every pass draws a new order from ``generator`` (default: torch's global generator, so it follows
    :func:`vulib.seed_everything`) and calls ``make_batch(rows)`` with the row indices ``(B,)`` of each batch;
    it returns ``(x, y)``, where
    ``x`` is a tensor or a tuple of tensors (the model is called as ``model(*x)``) and ``y`` has one row per
    example. With ``groups`` ``(N,)``, only rows of the same group share a batch (e.g. texts of similar
    length, so that little padding is computed).
    """

    def __init__(
        self,
        n: int,
        batch_size: int,
        make_batch,
        *,
        shuffle: bool = True,
        groups: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        if n < 1 or batch_size < 1:
            raise ValueError(f"expected n >= 1 rows and batch_size >= 1, got n={n}, batch_size={batch_size}")
        if groups is not None and groups.shape != (n,):
            raise ValueError(f"expected one group per row, shape ({n},), got {tuple(groups.shape)}")
        self.n, self.batch_size, self.make_batch = n, batch_size, make_batch
        self.shuffle, self.groups, self.generator = shuffle, groups, generator

    def batches(self) -> list[torch.Tensor]:
        """This pass's row indices, one ``(B,)`` tensor per batch."""
        if self.groups is None:
            order = torch.randperm(self.n, generator=self.generator) if self.shuffle else torch.arange(self.n)
            return list(order.split(self.batch_size))
        out = []
        for g in self.groups.unique():
            rows = (self.groups == g).nonzero().squeeze(1)
            rows = rows[torch.randperm(len(rows), generator=self.generator)] if self.shuffle else rows
            out += list(rows.split(self.batch_size))
        return [out[i] for i in torch.randperm(len(out), generator=self.generator)] if self.shuffle else out

    def __len__(self) -> int:
        if self.groups is None:
            return -(-self.n // self.batch_size)
        return sum(-(-int(c) // self.batch_size) for c in self.groups.unique(return_counts=True)[1])

    def __iter__(self):
        for rows in self.batches():
            yield self.make_batch(rows)


# ---------------------------------------------------------------------------
# A folder of real videos: root/<class>/<video file>
# ---------------------------------------------------------------------------

#: File suffixes :class:`VideoFolder` takes for videos (any case).
VIDEO_EXTENSIONS = (".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv", ".flv", ".3gp")

SAMPLINGS = ("random", "uniform", "center")


class VideoFolder(Dataset):
    """Clips from a folder of video files laid out as ``root/<class>/<video file>`` (UCF-101's layout).

    Item ``i`` is ``(clip (C, frames, H, W) float32 in [0, 1], label)``. Classes are the
    sub-folders of ``root``, sorted by name (label 0 is the first); every video file below a
    class folder (sub-folders included) belongs to it. Files are decoded with
    :func:`vulib.io.read_video`, which seeks, so a clip of a long video costs only its frames.

    A *clip* is ``frames`` consecutive frames of a video. Which ones:

    * ``"random"``: a random start, drawn anew every epoch (training; see :meth:`set_epoch`);
    * ``"uniform"``: ``clips_per_video`` clips evenly spread over the video -- clip ``k`` is
      centred on the ``(k + 1/2) / clips_per_video`` point of the possible starts (evaluation);
    * ``"center"``: the clip in the middle of the video.

    A video shorter than ``frames`` gives all its frames, some repeated. Frames are resized so
    the shorter side is ``size`` and then centre-cropped to ``size x size`` (a pair ``(H, W)``
    resizes to exactly that).

    Args:
        root: the folder.
        frames, size: the clip shape ``(3, frames, H, W)``.
        sampling: ``"random"``, ``"uniform"`` or ``"center"``.
        clips_per_video: clips per video (``len(dataset) = videos * clips_per_video``);
            item ``i`` is clip ``i % clips_per_video`` of video ``i // clips_per_video``.
        transform: optional function applied to each clip ``(C, T, H, W) -> (C, T', H', W')``.
        skip_unreadable: ``False`` (default): a file that cannot be decoded raises a
            ``ValueError`` naming it. ``True``: it is replaced by the next readable video of the
            same class and remembered in :attr:`skipped` (shared with ``DataLoader`` workers),
            so the training loop can report it at the end of the epoch.
        seed: seed of the random clip starts (``None``: drawn from torch's generator, so it
            follows :func:`vulib.seed_everything`). Clip ``i`` of epoch ``e`` depends only on
            ``(seed, e, i)``: the same whatever the number of workers or processes.

    Raises:
        FileNotFoundError: ``root`` does not exist.
        ValueError: ``root`` has no class folder, a class folder has no video file, or an
            argument is invalid.
    """

    def __init__(
        self,
        root,
        *,
        frames: int = 16,
        size: int | tuple[int, int] = 112,
        sampling: str = "random",
        clips_per_video: int = 1,
        transform=None,
        skip_unreadable: bool = False,
        seed: int | None = None,
    ) -> None:
        if sampling not in SAMPLINGS:
            raise ValueError(f"expected sampling to be one of {', '.join(map(repr, SAMPLINGS))}, got {sampling!r}")
        for name, value in (("frames", frames), ("clips_per_video", clips_per_video)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"expected {name} to be an integer >= 1, got {value!r}")
        pair = isinstance(size, (tuple, list)) and len(size) == 2 and all(isinstance(s, int) and s >= 1 for s in size)
        if not pair and (isinstance(size, bool) or not isinstance(size, int) or size < 1):
            raise ValueError(f"expected size to be a positive int or a pair (H, W) of them, got {size!r}")
        self.root = Path(root)
        self.frames, self.size, self.sampling = frames, size, sampling
        self.clips_per_video, self.transform, self.skip_unreadable = clips_per_video, transform, skip_unreadable
        self.seed = fresh_seed() if seed is None else int(seed)
        # In shared memory, so that persistent DataLoader workers see set_epoch too.
        self._epoch = torch.zeros((), dtype=torch.int64).share_memory_()
        self.classes, self.samples = _scan_video_folder(self.root)
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        self.targets = [label for _, label in self.samples]
        # 1 where a video could not be read; in shared memory, so DataLoader workers' marks are seen here.
        self._unreadable = torch.zeros(len(self.samples), dtype=torch.uint8).share_memory_()
        self._lengths: dict[int, tuple[int, float]] = {}  # video -> (frames, fps), per process

    def __len__(self) -> int:
        return len(self.samples) * self.clips_per_video

    def set_epoch(self, epoch: int) -> None:
        """Draw new random clip starts: call before each epoch (as with ``DistributedSampler``)."""
        self._epoch.fill_(int(epoch))

    @property
    def epoch(self) -> int:
        return int(self._epoch)

    @property
    def skipped(self) -> list[Path]:
        """The files found unreadable so far (with ``skip_unreadable=True``), in folder order."""
        return [self.samples[i][0] for i in self._unreadable.nonzero().flatten().tolist()]

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        if not 0 <= i < len(self):
            raise IndexError(f"index {i} is out of range for a VideoFolder of {len(self)} clips")
        video, k = divmod(i, self.clips_per_video)
        path, label = self.samples[video]
        try:
            clip = self._read(video, k, i)
        except (ValueError, OSError) as err:
            if not self.skip_unreadable:
                raise ValueError(
                    f"could not read {path} (class {self.classes[label]!r}): {err} -- pass "
                    "skip_unreadable=True to skip unreadable files and count them"
                ) from err
            self._unreadable[video] = 1
            clip = self._read_a_substitute(video, k, i)
        if self.transform is not None:
            clip = self.transform(clip)
        return clip, label

    def _read_a_substitute(self, video: int, k: int, i: int) -> torch.Tensor:
        """The clip of the next readable video of the same class (cyclically)."""
        label = self.samples[video][1]
        same = [j for j, (_, lab) in enumerate(self.samples) if lab == label]
        start = same.index(video)
        for j in same[start + 1 :] + same[:start]:
            if self._unreadable[j]:
                continue
            try:
                return self._read(j, k, i)
            except (ValueError, OSError):
                self._unreadable[j] = 1
        raise ValueError(
            f"class {self.classes[label]!r} has no readable file: all {len(same)} of its videos "
            f"in {self.root / self.classes[label]} failed to decode"
        )

    def _length(self, video: int) -> tuple[int, float]:
        if video not in self._lengths:
            info = video_info(self.samples[video][0])
            self._lengths[video] = (info["num_frames"], info["fps"])
        return self._lengths[video]

    def _start(self, n: int, k: int, i: int) -> int:
        """First frame of clip ``k`` (item ``i``) in a video of ``n`` frames (``n > frames``)."""
        room = n - self.frames  # possible starts: 0 .. room
        if self.sampling == "center":
            return room // 2
        if self.sampling == "uniform":
            return int((k + 0.5) * (room + 1) / self.clips_per_video)
        return int(np.random.default_rng([self.seed, self.epoch, i]).integers(0, room + 1))

    def _read(self, video: int, k: int, i: int) -> torch.Tensor:
        path = self.samples[video][0]
        n, fps = self._length(video)
        resize = self.size if isinstance(self.size, (tuple, list)) else int(self.size)
        if n <= self.frames:  # short: every frame, some repeated
            clip = read_video(path, num_frames=self.frames, size=resize)
        else:
            s = self._start(n, k, i)
            # Frame j is shown at about j / fps: a window from half a frame before frame s to
            # half a frame before frame s + frames holds exactly those frames.
            clip = read_video(
                path,
                start=max(0.0, (s - 0.5) / fps),
                end=(s + self.frames - 0.5) / fps,
                num_frames=self.frames,
                size=resize,
            )
        if not isinstance(self.size, (tuple, list)):  # centre crop to size x size
            H, W = clip.shape[-2:]
            top, left = (H - self.size) // 2, (W - self.size) // 2
            clip = clip[..., top : top + self.size, left : left + self.size]
        return clip.contiguous()  # (3, frames, H, W)

    def __repr__(self) -> str:
        return (
            f"VideoFolder({str(self.root)!r}: {len(self.samples)} videos in {len(self.classes)} classes, "
            f"{len(self)} clips of {self.frames} frames at {self.size}, sampling={self.sampling!r})"
        )


def _scan_video_folder(root: Path) -> tuple[list[str], list[tuple[Path, int]]]:
    """``(classes, [(path, label), ...])`` of ``root/<class>/**/<video file>``, both sorted."""
    if not root.exists():
        raise FileNotFoundError(f"no such folder: {root}")
    if not root.is_dir():
        raise ValueError(f"expected a folder laid out as root/<class>/<video file>, got a file: {root}")
    classes = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    if not classes:
        raise ValueError(
            f"{root} has no class folders: expected root/<class>/<video file>, "
            "e.g. root/jump/clip1.mp4 and root/run/clip2.mp4"
        )
    samples = []
    for label, name in enumerate(classes):
        files = sorted(
            p
            for p in (root / name).rglob("*")
            if p.is_file()
            and p.suffix.lower() in VIDEO_EXTENSIONS
            and not any(part.startswith(".") for part in p.relative_to(root).parts)
        )
        if not files:
            raise ValueError(
                f"class {name!r} ({root / name}) has no video file; looked for {', '.join(VIDEO_EXTENSIONS)}"
            )
        samples += [(p, label) for p in files]
    return classes, samples


def write_video_folder(root, data: VideoBatch, *, fps: float = 8.0, classes: list[str] | None = None) -> Path:
    """Write a batch of clips as ``root/<class>/<nnnnn>.mp4`` files, the layout :class:`VideoFolder` reads.

    A quick way to get a folder of real video files to try the training command on (the tests
    do this). ``classes`` names the folders (default: the task's class names when known, else
    ``class0``, ``class1``, ...).

    Returns:
        ``root`` as a :class:`~pathlib.Path`.
    """
    x, y = as_tensors(data)
    if x.ndim != 5:
        raise ValueError(f"expected clips (N, C, T, H, W), got shape {tuple(x.shape)}")
    if classes is None:
        classes = list(data.classes) if isinstance(data, VideoBatch) else [f"class{k}" for k in range(int(y.max()) + 1)]
    if len(classes) <= int(y.max()):
        raise ValueError(f"expected a name for each of the {int(y.max()) + 1} classes, got {len(classes)}")
    root = Path(root)
    names = [c.replace("/", "_").replace("→", "-to-") for c in classes]
    for i, (clip, label) in enumerate(zip(x, y.tolist())):
        folder = root / names[label]
        folder.mkdir(parents=True, exist_ok=True)
        write_video(folder / f"{i:05d}.mp4", clip, fps=fps)
    return root
