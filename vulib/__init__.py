"""vulib: the small library behind the video-understanding notebooks.

Each module is one concept, in the order the course meets them:

* :mod:`vulib.seed`, :mod:`vulib.device` -- one seed and one device for the whole suite (and integer settings
  from the environment);
* :mod:`vulib.tensors` -- video layouts ``(B, C, T, H, W)`` / ``(T, H, W, C)`` and input checks;
* :mod:`vulib.synthetic` -- synthetic videos whose label depends on what a lesson needs (a package: clips,
  batches, untrimmed videos, sound, speech, captions);
* :mod:`vulib.data`, :mod:`vulib.train` -- datasets, loaders and the one training loop (with the trainers of
  the models that are not plain classifiers);
* :mod:`vulib.clips` -- training on short clips, and averaging clip predictions over a whole video;
* :mod:`vulib.io` -- reading and writing real video files;
* :mod:`vulib.fields` -- receptive fields, computed layer by layer and measured with gradients;
* :mod:`vulib.ops`, :mod:`vulib.cost` -- operations written out by hand; what a network costs, layer by layer;
* :mod:`vulib.flow` -- optical flow: Lucas--Kanade, Horn--Schunck, warping, colour pictures;
* :mod:`vulib.inflate` -- a trained 2D image network turned into a 3D video network (I3D);
* :mod:`vulib.localization` -- segments in time: tIoU, NMS and Soft-NMS, suppression, average precision and mAP;
* :mod:`vulib.audio` -- sound as data: spectrograms and log-mel filter banks;
* :mod:`vulib.language` -- captions, questions and the tokenizer of the video-language lesson;
* :mod:`vulib.viz`, :mod:`vulib.widgets` -- frame strips, animations and the widget pattern;
* :mod:`vulib.memory` -- how much memory a kernel may still use, and which other kernels hold it;
* :mod:`vulib.models` -- the networks the notebooks build (networks only: no training, no data loading);
* :mod:`vulib.train_video` -- the command that trains a model on a folder of real videos;
* :mod:`vulib.exercises` -- exercise checkers and the student-notebook generator.

Which module may import which is written down as import rules in ``pyproject.toml`` (checked by the tests).
"""

from __future__ import annotations

from . import audio, clips, cost, flow, io, localization, memory, models, ops, synthetic, viz, widgets
from .clips import clip_starts, predict_video, random_clips, sliding_clips
from .data import ClipDataset, make_loader
from .device import configure_threads, get_device
from .fields import empirical_receptive_field, receptive_field
from .inflate import inflate_model
from .seed import current_seed, seed_everything
from .synthetic import TASKS, VideoBatch, make_clips
from .tensors import check_video, to_display_layout, to_model_layout, video_bytes
from .train import History, accuracy, evaluate, fit, predict

__version__ = "0.1.0"

configure_threads()  # once, for the whole suite (see vulib.device.configure_threads)
memory.release_after_each_cell()  # in a notebook: freed memory leaves the kernel (vulib.memory)


def environment_summary() -> str:
    """What a notebook's set-up cell prints: the versions it depends on (one line), then the memory
    this kernel may still use and, when other kernels of the same Jupyter server hold much of it,
    which ones and what to do (:func:`vulib.memory.memory_report`)."""
    import platform

    import ipywidgets
    import matplotlib
    import torch

    return (
        f"vulib {__version__} | Python {platform.python_version()} | torch {torch.__version__} | "
        f"ipywidgets {ipywidgets.__version__} | matplotlib {matplotlib.__version__} | "
        f"device {get_device().type} | torch threads {torch.get_num_threads()}\n" + memory.memory_report()
    )


__all__ = [
    "seed_everything",
    "current_seed",
    "get_device",
    "configure_threads",
    "check_video",
    "to_model_layout",
    "to_display_layout",
    "video_bytes",
    "make_clips",
    "VideoBatch",
    "TASKS",
    "ClipDataset",
    "make_loader",
    "fit",
    "evaluate",
    "predict",
    "accuracy",
    "History",
    "environment_summary",
    "receptive_field",
    "empirical_receptive_field",
    "inflate_model",
]
