"""Words for synthetic videos: captions and question/answer pairs read off a scene's ground truth, and a
word-level tokenizer over their closed vocabulary (notebook 12).

A ``caption`` clip of :mod:`vulib.synthetic` holds a **mover** (a shape of some colour that slides one way
during one half of the clip) and a **flasher** (a shape that lights up for one frame, once or twice, during
the other half). :func:`scene_facts` reads the facts from the scene itself -- the mover's track, the flasher's
opacity over time, the objects' colours -- and a tiny grammar turns them into words:

* a caption: ``"a red circle moves left , then a blue square flashes twice"``;
* questions of four types, each with a one-word answer:

  ============  ==================================  =====================================
  type          question                            answers
  ============  ==================================  =====================================
  appearance    ``what shape is moving ?``           circle / square / triangle
  appearance    ``what colour is the moving shape ?``  red / blue / yellow
  motion        ``which way does it move ?``         left / right / up / down
  order         ``what happens first ?``             moving / flashing
  counting      ``how many flashes ?``               one / two
  ============  ==================================  =====================================

Sample ``i`` of :func:`make_captioned_clips` with seed ``s`` depends only on ``(s, i)``, and every fact that
a question asks about cycles with ``i`` (see :func:`vulib.synthetic.caption_facts_of_label`), so the answers
of each question are balanced in any batch of a multiple of 144 clips (and within one of balanced in any).

The tokenizer splits on spaces: the vocabulary is closed and tiny. Real systems split text into **sub-words**
(byte-pair encoding, SentencePiece), so that any word -- a name, a typo, a new term -- is a sequence of known
pieces and the vocabulary stays at 30 000 - 150 000 entries instead of millions of words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch

from .seed import fresh_seed
from .synthetic import CAPTION_COLORS, CAPTION_DIRECTIONS, SHAPES, Scene, VideoBatch, make_clips, make_scenes

__all__ = [
    "QUESTION_TYPES",
    "QUESTIONS",
    "CAPTION_PROMPT",
    "SPECIALS",
    "VOCAB",
    "Tokenizer",
    "scene_facts",
    "caption",
    "questions",
    "CaptionBatch",
    "make_captioned_clips",
]

QUESTION_TYPES = ("appearance", "motion", "order", "counting")

# (type, question, fact it asks about) -- the answer is a single word
QUESTIONS = (
    ("appearance", "what shape is moving ?", "shape"),
    ("appearance", "what colour is the moving shape ?", "colour"),
    ("motion", "which way does it move ?", "direction"),
    ("order", "what happens first ?", "first"),
    ("counting", "how many flashes ?", "flashes"),
)
CAPTION_PROMPT = "describe the video ."
_FIRST_WORD = {"move": "moving", "flash": "flashing"}
_COUNT_WORD = {1: "one", 2: "two"}
_TIMES_WORD = {1: "once", 2: "twice"}

SPECIALS = ("<pad>", "<bos>", "<eos>", "<unk>")
_WORDS = sorted(
    {w for _, q, _ in QUESTIONS for w in q.split()}
    | set(CAPTION_PROMPT.split())
    | set(SHAPES)
    | set(CAPTION_COLORS)
    | set(CAPTION_DIRECTIONS)
    | set(_FIRST_WORD.values())
    | set(_COUNT_WORD.values())
    | set(_TIMES_WORD.values())
    | {"a", "moves", "flashes", ",", "then"}
)
VOCAB: tuple[str, ...] = SPECIALS + tuple(_WORDS)


class Tokenizer:
    """Word-level tokenizer over :data:`VOCAB` (ids: ``<pad>`` 0, ``<bos>`` 1, ``<eos>`` 2, ``<unk>`` 3).

    >>> tok = Tokenizer(); tok.decode(tok.encode("a red circle moves left"))
    'a red circle moves left'
    """

    def __init__(self, vocab: Sequence[str] = VOCAB) -> None:
        self.vocab = tuple(vocab)
        self.index = {w: i for i, w in enumerate(self.vocab)}
        self.pad, self.bos, self.eos, self.unk = (self.index[s] for s in SPECIALS)

    def __len__(self) -> int:
        return len(self.vocab)

    def encode(self, text: str, *, strict: bool = True) -> list[int]:
        """Word ids of ``text`` (no ``<bos>``/``<eos>``). ``strict``: unknown words raise ``ValueError``;
        otherwise they become ``<unk>``."""
        if not isinstance(text, str):
            raise ValueError(f"expected text as a str, got {type(text).__name__}")
        ids = []
        for word in text.lower().split():
            if word not in self.index:
                if strict:
                    raise ValueError(
                        f"unknown word {word!r}: this tokenizer knows only its {len(self)} words, "
                        f"e.g. {', '.join(self.vocab[4:14])}, ..."
                    )
                ids.append(self.unk)
            else:
                ids.append(self.index[word])
        return ids

    def decode(self, ids) -> str:
        """Text of ``ids`` (a list or 1-D tensor); stops at ``<eos>``, skips ``<pad>`` and ``<bos>``."""
        words = []
        for i in ids.tolist() if isinstance(ids, torch.Tensor) else ids:
            if i == self.eos:
                break
            if i in (self.pad, self.bos):
                continue
            words.append(self.vocab[i])
        return " ".join(words)

    def batch(self, texts: Sequence[str], length: int | None = None) -> torch.Tensor:
        """``(N, L)`` int64 ids of ``texts``, each ``<bos> words <eos>`` padded with ``<pad>`` to ``length``
        (default: the longest)."""
        rows = [[self.bos] + self.encode(t) + [self.eos] for t in texts]
        L = max(map(len, rows)) if length is None else length
        if any(len(r) > L for r in rows):
            raise ValueError(f"a text has {max(map(len, rows))} tokens with <bos>/<eos>, more than length={L}")
        out = torch.full((len(rows), L), self.pad, dtype=torch.long)
        for i, r in enumerate(rows):
            out[i, : len(r)] = torch.tensor(r)
        return out

    def prompt_answer(
        self, prompts: Sequence[str], answers: Sequence[str], length: int | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Teacher-forcing pairs for a language model: ``inputs (N, L)`` = ``<bos> prompt answer`` and
        ``targets (N, L)`` = the next token at every position -- ``-100`` (ignored by cross-entropy) while
        the next token is still part of the prompt, then the answer's words and ``<eos>``."""
        if len(prompts) != len(answers):
            raise ValueError(f"expected as many prompts as answers, got {len(prompts)} and {len(answers)}")
        rows = []
        for p, a in zip(prompts, answers):
            p_ids, a_ids = [self.bos] + self.encode(p), self.encode(a) + [self.eos]
            seq = p_ids + a_ids
            tgt = [-100] * (len(p_ids) - 1) + a_ids
            rows.append((seq[:-1], tgt))
        L = max(len(s) for s, _ in rows) if length is None else length
        if any(len(s) > L for s, _ in rows):
            raise ValueError(f"a prompt + answer has {max(len(s) for s, _ in rows)} tokens, more than length={L}")
        inputs = torch.full((len(rows), L), self.pad, dtype=torch.long)
        targets = torch.full((len(rows), L), -100, dtype=torch.long)
        for i, (s, t) in enumerate(rows):
            inputs[i, : len(s)] = torch.tensor(s)
            targets[i, : len(t)] = torch.tensor(t)
        return inputs, targets


# ------------------------------------------------------------------------------------------------
# Facts, captions and questions
# ------------------------------------------------------------------------------------------------
def _colour_name(rgb: np.ndarray) -> str:
    names = list(CAPTION_COLORS)
    dist = [np.abs(np.asarray(rgb) - np.array(CAPTION_COLORS[n])).sum() for n in names]
    return names[int(np.argmin(dist))]


def scene_facts(scene: Scene) -> dict:
    """What happens in a ``caption`` scene, read from its objects (not from its label).

    Returns ``{"shape", "colour", "direction", "first" ("move" / "flash"), "flashes" (1 / 2),
    "flasher_shape", "flasher_colour", "move_frames" (start, end), "flash_frames" [t, ...]}``.
    """
    if len(scene.objects) < scene.main + 2:
        raise ValueError("expected a scene of the 'caption' task (a mover followed by a flasher)")
    mover, flasher = scene.objects[scene.main], scene.objects[scene.main + 1]
    step = np.diff(mover.track, axis=0)  # (T-1, 2) displacement per frame
    moving = np.flatnonzero(np.abs(step).sum(1) > 1e-6)
    if len(moving) == 0:
        raise ValueError("the mover of this scene never moves")
    dx, dy = step[moving].sum(0)
    direction = ("right" if dx > 0 else "left") if abs(dx) > abs(dy) else ("down" if dy > 0 else "up")
    lit = np.asarray(flasher.alpha) > 0
    on = np.flatnonzero(lit)
    flashes = int(lit[0]) + int(np.sum(lit[1:] & ~lit[:-1]))  # rising edges
    move_frames = (int(moving[0]), int(moving[-1]) + 2)
    return {
        "shape": SHAPES[mover.shape],
        "colour": _colour_name(mover.color),
        "direction": direction,
        "first": "move" if move_frames[0] < on[0] else "flash",
        "flashes": flashes,
        "flasher_shape": SHAPES[flasher.shape],
        "flasher_colour": _colour_name(flasher.color),
        "move_frames": move_frames,
        "flash_frames": on.tolist(),
    }


def caption(facts: dict) -> str:
    """One sentence: ``"a red circle moves left , then a blue square flashes twice"`` (events in time order)."""
    move = f"a {facts['colour']} {facts['shape']} moves {facts['direction']}"
    flash = f"a {facts['flasher_colour']} {facts['flasher_shape']} flashes {_TIMES_WORD[facts['flashes']]}"
    first, second = (move, flash) if facts["first"] == "move" else (flash, move)
    return f"{first} , then {second}"


def questions(facts: dict) -> list[tuple[str, str, str]]:
    """Every question of :data:`QUESTIONS` about this scene, as ``(type, question, answer)``."""
    answer = {
        "shape": facts["shape"],
        "colour": facts["colour"],
        "direction": facts["direction"],
        "first": _FIRST_WORD[facts["first"]],
        "flashes": _COUNT_WORD[facts["flashes"]],
    }
    return [(kind, q, answer[key]) for kind, q, key in QUESTIONS]


@dataclass
class CaptionBatch:
    """Clips of the ``caption`` task with their words.

    Attributes:
        clips: the :class:`~vulib.synthetic.VideoBatch` (``clips.video`` is ``(N, 3, T, H, W)``).
        facts: one dict per clip (:func:`scene_facts`).
        captions: one sentence per clip.
        qa: one list of ``(type, question, answer)`` per clip (:func:`questions`).
    """

    clips: VideoBatch
    facts: list[dict]
    captions: list[str]
    qa: list[list[tuple[str, str, str]]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.captions)

    @property
    def video(self) -> torch.Tensor:
        return self.clips.video

    def pairs(self, with_captions: bool = True) -> tuple[torch.Tensor, list[str], list[str], list[str]]:
        """Flatten to one row per (clip, prompt): ``(clip index (M,), prompts, answers, types)``; the caption
        rows have prompt :data:`CAPTION_PROMPT` and type ``"caption"``."""
        idx, prompts, answers, kinds = [], [], [], []
        for i, (cap, qa) in enumerate(zip(self.captions, self.qa)):
            rows = ([("caption", CAPTION_PROMPT, cap)] if with_captions else []) + list(qa)
            for kind, q, a in rows:
                idx.append(i)
                prompts.append(q)
                answers.append(a)
                kinds.append(kind)
        return torch.tensor(idx), prompts, answers, kinds


def make_captioned_clips(
    n: int,
    *,
    frames: int = 8,
    size: int | tuple[int, int] = 16,
    seed: int | None = None,
    start_index: int = 0,
    **options,
) -> CaptionBatch:
    """``n`` clips of the ``caption`` task, with facts, captions and questions read from their scenes.

    Sample ``i`` depends only on ``(seed, start_index + i)``; ``seed=None`` follows the suite's seed.
    ``options`` are the task's (``speed``, ``radius``, ``distractors``, ``noise``).
    """
    if seed is None:
        seed = fresh_seed()
    clips = make_clips("caption", n, frames=frames, size=size, seed=seed, start_index=start_index, **options)
    scenes = make_scenes("caption", n, frames=frames, size=size, seed=seed, start_index=start_index, **options)
    facts = [scene_facts(s) for s in scenes]
    return CaptionBatch(clips, facts, [caption(f) for f in facts], [questions(f) for f in facts])
