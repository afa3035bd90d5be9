"""vulib.data.VideoFolder: clips from root/<class>/<video file>, decoded through vulib.io.

The folders are written here from vulib.synthetic with write_video_folder (real mp4 files).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from torch.utils.data import DataLoader

import vulib
from vulib.data import VideoFolder, write_video_folder
from vulib.io import read_video

FRAMES, SIZE = 6, 24  # clips of 6 frames, 24 x 24, from videos of 12 frames of 24 x 32


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    """2 classes ('left', 'right') x 3 videos of 12 frames, 24 x 32, 8 fps."""
    batch = vulib.make_clips("direction", 6, frames=12, size=(24, 32), seed=0)
    return write_video_folder(tmp_path_factory.mktemp("folder") / "videos", batch)


def copy_of(root: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(root, tmp_path / "videos"))


def test_layout_classes_and_items(root: Path) -> None:
    ds = VideoFolder(root, frames=FRAMES, size=SIZE, seed=0)
    assert ds.classes == ["left", "right"] and ds.class_to_idx == {"left": 0, "right": 1}
    assert len(ds) == 6 and ds.targets == [0, 0, 0, 1, 1, 1]
    assert all(p.parent.name == ds.classes[label] for p, label in ds.samples)
    clip, label = ds[4]
    assert clip.shape == (3, FRAMES, SIZE, SIZE) and clip.dtype == torch.float32 and label == 1
    assert "6 videos in 2 classes" in repr(ds)


def test_center_clip_is_the_middle_frames_cropped(root: Path) -> None:
    ds = VideoFolder(root, frames=FRAMES, size=SIZE, sampling="center")
    full = read_video(ds.samples[2][0], size=SIZE)  # (3, 12, 24, 32): shorter side 24
    assert torch.equal(ds[2][0], full[:, 3 : 3 + FRAMES, :, 4 : 4 + SIZE])


def test_uniform_clips_spread_over_the_video(root: Path) -> None:
    ds = VideoFolder(root, frames=FRAMES, size=(24, 32), sampling="uniform", clips_per_video=3)
    assert len(ds) == 18
    full = read_video(ds.samples[1][0])
    # Starts 0..6 possible; clip k is centred on the (k + 1/2)/3 point: starts 1, 3, 5.
    for k, s in enumerate([1, 3, 5]):
        clip, label = ds[3 + k]
        assert label == 0 and torch.equal(clip, full[:, s : s + FRAMES])


def test_random_clips_depend_on_seed_epoch_and_index_only(root: Path) -> None:
    ds = VideoFolder(root, frames=FRAMES, size=SIZE, sampling="random", seed=3)
    starts = lambda: [ds._start(12, 0, i) for i in range(6)]  # noqa: E731
    first = starts()
    assert first == starts() and all(0 <= s <= 12 - FRAMES for s in first)
    ds.set_epoch(1)
    assert starts() != first  # new clips each epoch
    # The same batches with 2 loader workers as with none (the clips do not depend on the process).
    loads = [torch.cat([x for x, _ in DataLoader(ds, batch_size=2, num_workers=w)]) for w in (0, 2)]
    assert torch.equal(*loads)


def test_short_video_repeats_frames(root: Path) -> None:
    ds = VideoFolder(root, frames=20, size=SIZE, sampling="center")
    clip, _ = ds[0]
    assert clip.shape == (3, 20, SIZE, SIZE)
    full = read_video(ds.samples[0][0], size=SIZE)[..., 4 : 4 + SIZE]
    assert torch.equal(clip, full[:, torch.linspace(0, 11, 20).round().long()])


def test_transform(root: Path) -> None:
    ds = VideoFolder(root, frames=FRAMES, size=SIZE, sampling="center", transform=lambda c: c.flip(-1))
    plain = VideoFolder(root, frames=FRAMES, size=SIZE, sampling="center")
    assert torch.equal(ds[0][0], plain[0][0].flip(-1))


# --- errors ---------------------------------------------------------------------------------


def test_missing_root(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such folder: .*nothere"):
        VideoFolder(tmp_path / "nothere")


def test_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("no class folders here")
    with pytest.raises(ValueError, match=r"has no class folders: expected root/<class>/<video file>"):
        VideoFolder(tmp_path)


def test_class_without_a_video_file(root: Path, tmp_path: Path) -> None:
    videos = copy_of(root, tmp_path)
    (videos / "jump").mkdir()
    (videos / "jump" / "readme.txt").write_text("videos to come")
    with pytest.raises(ValueError, match=r"class 'jump' \(.*jump\) has no video file; looked for .mp4"):
        VideoFolder(videos)


def test_unreadable_file_names_it(root: Path, tmp_path: Path) -> None:
    videos = copy_of(root, tmp_path)
    bad = sorted((videos / "left").iterdir())[0]
    bad.write_bytes(b"not a video" * 100)
    ds = VideoFolder(videos, frames=FRAMES, size=SIZE)
    with pytest.raises(
        ValueError,
        match=rf"could not read .*left/{bad.name} \(class 'left'\): could not decode"
        r".*pass skip_unreadable=True",
    ):
        ds[0]


def test_skip_unreadable_counts_and_substitutes(root: Path, tmp_path: Path) -> None:
    videos = copy_of(root, tmp_path)
    bad = sorted((videos / "left").iterdir())[1]  # video 1 of 6
    bad.write_bytes(b"not a video" * 100)
    ds = VideoFolder(videos, frames=FRAMES, size=SIZE, sampling="center", skip_unreadable=True)
    assert ds.skipped == []
    # Read through 2 loader workers: the count made in the workers is seen here.
    labels = torch.cat([y for _, y in DataLoader(ds, batch_size=3, num_workers=2)])
    assert labels.tolist() == [0, 0, 0, 1, 1, 1]  # the bad 'left' video replaced by another 'left'
    assert ds.skipped == [bad]
    # Its clip is that of the next readable video of its class, video 2.
    assert torch.equal(ds[1][0], ds[2][0])


def test_class_with_no_readable_file(root: Path, tmp_path: Path) -> None:
    videos = copy_of(root, tmp_path)
    for path in (videos / "right").iterdir():
        path.write_bytes(b"")  # every 'right' video emptied
    ds = VideoFolder(videos, frames=FRAMES, size=SIZE, skip_unreadable=True)
    assert ds[0][1] == 0
    with pytest.raises(ValueError, match=r"class 'right' has no readable file: all 3 of its videos"):
        ds[3]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(sampling="middle"), "sampling to be one of 'random', 'uniform', 'center'"),
        (dict(frames=0), "frames to be an integer >= 1"),
        (dict(clips_per_video=1.5), "clips_per_video to be an integer >= 1"),
        (dict(size=0), "size to be a positive int"),
        (dict(size=(24,)), "size to be a positive int"),
    ],
)
def test_bad_arguments(root: Path, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        VideoFolder(root, **kwargs)


def test_index_out_of_range(root: Path) -> None:
    with pytest.raises(IndexError, match="out of range"):
        VideoFolder(root)[6]
