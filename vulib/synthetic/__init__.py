"""Synthetic videos whose label depends on exactly what a lesson needs.

No data is ever downloaded: every "dataset" in the suite is drawn here, in a few
milliseconds per clip, with its ground truth (labels, exact optical flow, event
start/end frames). Each task fixes its label by one factor -- appearance, direction of motion,
order of events -- or by a stated combination of them (shape and direction, say), and draws everything
else (position, colour, size, speed, start time, background, distractor dots, noise) the same way for every
class, so that a model can only succeed by using the thing the lesson is about.

How it is built, so new tasks slot in without rewrites:

1. A task is a function ``sample(rng, label, T, H, W, **options) -> Scene`` that draws
   the parameters of *one* clip (objects, their tracks and visibility, events) with
   the NumPy generator it is given. It is registered with :func:`register_task`.
2. :func:`make_clips` draws the scenes for a batch and renders all of them at once
   with :func:`render_scenes` (vectorized PyTorch), optionally with exact flow.

Sample ``i`` of a batch made with ``seed=s`` uses the generator
``numpy.random.default_rng([s, i])`` and has label ``i % num_classes``, so any
sample can be regenerated on its own (``make_clips(..., n=1, seed=s, start_index=i)``)
and every batch is class-balanced.

The world is a torus: an object leaving on the right comes back on the left. This is
what makes single frames of the ``direction`` task carry *no* information about the
label: at every frame the object's position is uniform over the image for every class.

The package, one module per part:

* :mod:`vulib.synthetic.clips` -- scenes, the task registry, the clip tasks and the renderer;
* :mod:`vulib.synthetic.batches` -- :func:`make_clips` and :func:`make_scenes`, for any registered task;
* :mod:`vulib.synthetic.untrimmed` -- long videos with several actions (notebook 09);
* :mod:`vulib.synthetic.sound` -- sound tracks and the audio-visual tasks (notebook 10);
* :mod:`vulib.synthetic.speech` -- spoken words: a talking mouth and its synthesised voice, noise at a chosen
  SNR (notebook 10);
* :mod:`vulib.synthetic.captions` -- the captioned scenes of notebook 12.

They are imported in this order, which is also the order of :data:`TASKS`.
"""

from __future__ import annotations

from .clips import FLASH_HUES, SHAPES, TASKS, Obj, Scene, Task, VideoBatch, register_task, render_scenes
from .untrimmed import UNTRIMMED_CLASSES, UntrimmedBatch, make_untrimmed
from .sound import KIND_HUES, PITCHES, TIMBRES, Soundtrack, Tone, render_sound
from .speech import VISEME_GROUPS, WORDS, SpeechBatch, add_noise, make_speech, mouth_frames, speak
from .captions import CAPTION_COLORS, CAPTION_DIRECTIONS, caption_facts_of_label
from .batches import make_clips, make_scenes

__all__ = [
    "SHAPES",
    "Obj",
    "Scene",
    "VideoBatch",
    "Task",
    "TASKS",
    "register_task",
    "make_clips",
    "render_scenes",
    "make_untrimmed",
    "UntrimmedBatch",
]
__all__ += ["TIMBRES", "KIND_HUES", "PITCHES", "Tone", "Soundtrack", "render_sound"]
__all__ += ["WORDS", "VISEME_GROUPS", "SpeechBatch", "make_speech", "speak", "mouth_frames", "add_noise"]
