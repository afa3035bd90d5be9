"""Captions and questions from ground truth, the tokenizer, and the video-language models (notebook 12)."""

import collections

import numpy as np
import pytest
import torch

from vulib.language import (
    CAPTION_PROMPT,
    QUESTION_TYPES,
    QUESTIONS,
    VOCAB,
    Tokenizer,
    make_captioned_clips,
)
from vulib.models import CNN3D, SingleFrameEncoder, TextEncoder, VideoLM, VideoTextModel
from vulib.models.language import (
    causal_mask,
    info_nce,
    next_word_loss,
    pool_visual_tokens,
    recall_at_k,
    visual_token_count,
)
from vulib.synthetic import TASKS, caption_facts_of_label, make_scenes
from vulib.train import train_contrastive, train_videolm


@pytest.fixture(scope="module")
def batch():
    return make_captioned_clips(144, frames=8, size=16, seed=3)


# ------------------------------------------------------------------ grammar
def test_every_caption_is_consistent_with_its_scene(batch):
    for i, (f, cap) in enumerate(zip(batch.facts, batch.captions)):
        assert f == {**f, **caption_facts_of_label(int(batch.clips.labels[i]))}  # label facts = scene facts
        words = cap.split()
        mover = f"a {f['colour']} {f['shape']} moves {f['direction']}"
        flasher = f"a {f['flasher_colour']} {f['flasher_shape']} flashes {('once', 'twice')[f['flashes'] - 1]}"
        assert cap == (f"{mover} , then {flasher}" if f["first"] == "move" else f"{flasher} , then {mover}")
        assert all(w in VOCAB for w in words)
        # the facts are read from the scene: the mover moves during its half, the flasher lights up in the other
        s, e = f["move_frames"]
        half = 4
        assert (s, e) == ((0, half) if f["first"] == "move" else (half, 8))
        assert all((t >= half) == (f["first"] == "move") for t in f["flash_frames"])
        assert len(f["flash_frames"]) == f["flashes"]


def test_facts_match_the_pixels(batch):
    """The mover really moves in the stated direction: its track in the VideoBatch agrees."""
    for i, f in enumerate(batch.facts[:24]):
        track = batch.clips.tracks[i]  # (2, T), wrapped into the image
        s, e = f["move_frames"]
        d = track[:, e - 1] - track[:, s]
        d = (d + 8) % 16 - 8  # unwrap on the torus (16 px)
        axis, sign = {"left": (0, -1), "right": (0, 1), "up": (1, -1), "down": (1, 1)}[f["direction"]]
        assert sign * d[axis] > 2 and abs(d[1 - axis]) < 1e-4


def test_answers_are_balanced_per_question_type(batch):
    per_question = collections.defaultdict(collections.Counter)
    for qa in batch.qa:
        assert [k for k, _, _ in qa] == [k for k, _, _ in QUESTIONS]
        for kind, q, a in qa:
            per_question[q][a] += 1
    for q, counts in per_question.items():
        assert len(set(counts.values())) == 1, (q, counts)  # 144 clips: exactly balanced
    assert set(per_question["what happens first ?"]) == {"moving", "flashing"}
    assert set(per_question["how many flashes ?"]) == {"one", "two"}
    assert {k for k, _, _ in QUESTIONS} == set(QUESTION_TYPES)


def test_a_sample_regenerates_from_seed_and_index(batch):
    alone = make_captioned_clips(1, frames=8, size=16, seed=3, start_index=57)
    assert alone.captions[0] == batch.captions[57] and alone.qa[0] == batch.qa[57]
    assert torch.equal(alone.video[0], batch.video[57])
    other = make_captioned_clips(8, frames=8, size=16, seed=4)
    assert other.captions != batch.captions[:8]


def test_scenes_hook_matches_make_clips():
    scenes = make_scenes("caption", 5, frames=12, size=(16, 20), seed=1)
    assert [s.label for s in scenes] == list(range(5))
    assert len(TASKS["caption"].classes) == 144
    with pytest.raises(ValueError, match="at least 6 frames"):
        make_captioned_clips(2, frames=4, seed=0)


def test_pairs_flatten_captions_and_questions(batch):
    idx, prompts, answers, kinds = batch.pairs()
    assert len(idx) == 6 * len(batch)
    assert prompts[0] == CAPTION_PROMPT and answers[0] == batch.captions[0] and kinds[0] == "caption"
    idx, prompts, answers, kinds = batch.pairs(with_captions=False)
    assert len(idx) == 5 * len(batch) and "caption" not in kinds


# ------------------------------------------------------------------ tokenizer
def test_tokenizer_round_trip_and_errors(batch):
    tok = Tokenizer()
    for text in batch.captions[:10] + [q for _, q, _ in QUESTIONS]:
        assert tok.decode(tok.encode(text)) == text
    ids = tok.batch(["a red circle", "how many flashes ?"], length=8)
    assert ids.shape == (2, 8) and ids[0, 0] == tok.bos and ids[0, 4] == tok.eos and ids[0, 5] == tok.pad
    assert tok.decode(ids[0]) == "a red circle"
    with pytest.raises(ValueError, match="unknown word 'purple'"):
        tok.encode("a purple circle")
    assert tok.encode("a purple circle", strict=False)[1] == tok.unk
    with pytest.raises(ValueError, match="more than length"):
        tok.batch(batch.captions[:1], length=4)


def test_prompt_answer_scores_only_the_answer():
    tok = Tokenizer()
    inputs, targets = tok.prompt_answer(["how many flashes ?", "what happens first ?"], ["two", "moving"])
    assert inputs.shape == targets.shape == (2, 6)
    # inputs: <bos> how many flashes ? two ; targets: the next token, ignored while it is still the prompt
    assert tok.decode(inputs[0]) == "how many flashes ? two"
    assert targets[0].tolist() == [-100, -100, -100, -100, tok.index["two"], tok.eos]


# ------------------------------------------------------------------ models
def test_info_nce_and_recall():
    perfect = 10 * torch.eye(5)
    assert info_nce(perfect) < 0.01
    uniform = torch.zeros(5, 5)
    assert abs(info_nce(uniform).item() - np.log(5)) < 1e-5
    sim = torch.tensor([[1.0, 0.0, 0.5], [2.0, 1.0, 0.0], [0.0, 3.0, 2.0]])
    assert recall_at_k(sim, 1) == pytest.approx(1 / 3) and recall_at_k(sim, 2) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="square"):
        info_nce(torch.zeros(2, 3))


def test_pooling_and_token_count():
    f = torch.arange(2 * 3 * 8 * 4 * 4, dtype=torch.float32).view(2, 3, 8, 4, 4)
    for time, space in [(1, 1), (2, 1), (1, 2), ("all", 1), (1, "all"), ("all", "all"), (3, 3)]:
        tokens = pool_visual_tokens(f, time, space)
        assert tokens.shape == (2, visual_token_count(8, 4, 4, time, space), 3)
    assert visual_token_count(16, 16, 16) == 4096  # the lecture's 16 frames x 256
    assert torch.equal(pool_visual_tokens(f, "all", "all")[:, 0], f.mean((2, 3, 4)))
    assert torch.equal(pool_visual_tokens(f)[0, 5], f[0, :, 0, 1, 1])  # frame by frame, row by row
    with pytest.raises(ValueError, match="factor"):
        pool_visual_tokens(f, 0, 1)
    assert torch.equal(pool_visual_tokens(f, 1, "all", pool="max"), f.amax((3, 4)).transpose(1, 2))
    assert torch.equal(pool_visual_tokens(f, 3, 3, pool="max")[0, -1], f[0, :, 6:, 3:, 3:].amax((1, 2, 3)))
    with pytest.raises(ValueError, match="pool"):
        pool_visual_tokens(f, 1, 1, pool="median")


def test_causal_mask_lets_text_see_the_video():
    m = causal_mask(3, 2)
    assert m.shape == (5, 5) and not m[3, :3].any() and m[0, 1] and not m[4].any()


def test_contrastive_model_shapes_and_training_lowers_the_loss():
    torch.manual_seed(0)
    data = make_captioned_clips(32, frames=8, size=16, seed=0)
    tok = Tokenizer()
    ids = tok.batch(data.captions, 16)
    model = VideoTextModel(
        CNN3D(width=4, time_stride=1).features, 8, TextEncoder(len(tok), dim=16, layers=1), 16, embed_dim=16
    )
    assert model(data.video[:4], ids[:4]).shape == (4, 4)
    losses = train_contrastive(model, data.video, ids, epochs=4, batch_size=16, progress=False)
    assert losses[-1] < losses[0]
    with pytest.raises(ValueError, match="one text per clip"):
        train_contrastive(model, data.video, ids[:3], epochs=1, progress=False)


def test_single_frame_encoder_sees_one_frame():
    enc = SingleFrameEncoder(width=4, frame=2).eval()
    x = torch.rand(2, 3, 6, 16, 16)
    y = x.clone()
    y[:, :, [0, 1, 3, 4, 5]] = 0
    assert enc(x).shape == (2, 8, 1, 4, 4)
    assert torch.allclose(enc(x), enc(y))
    with pytest.raises(ValueError, match="outside"):
        SingleFrameEncoder(frame=9)(x)


def test_videolm_is_causal_frozen_and_generates():
    torch.manual_seed(0)
    tok = Tokenizer()
    enc = CNN3D(width=4, time_stride=1).features
    lm = VideoLM(enc, 8, len(tok), dim=16, layers=1, space=2)
    video = torch.rand(3, 3, 8, 16, 16)
    feats = lm.features(video)
    assert feats.shape == (3, 8, 8, 4, 4) and not any(p.requires_grad for p in lm.encoder.parameters())
    ids = tok.batch(["how many flashes ?"] * 3)
    logits = lm(feats, ids)
    assert logits.shape == (3, ids.shape[1], len(tok))
    changed = ids.clone()
    changed[:, -1] = tok.index["red"]  # a later token cannot change earlier logits
    assert torch.allclose(lm(feats, changed)[:, :-1], logits[:, :-1], atol=1e-5)
    out, attn = lm.generate(feats, ids[:, :-1], max_new=3, return_attention=True)
    assert out.shape[0] == 3 and out.shape[1] <= 3 and attn.shape == (3, 32)
    assert torch.allclose(attn.sum(1) <= 1 + 1e-5, torch.ones(3, dtype=torch.bool))
    with pytest.raises(ValueError, match="max_tokens"):
        VideoLM(enc, 8, len(tok), dim=16, max_tokens=8)(feats, ids)


def test_videolm_learns_a_fact_with_teacher_forcing():
    torch.manual_seed(0)
    data = make_captioned_clips(48, frames=8, size=16, seed=0)
    tok = Tokenizer()
    enc = CNN3D(width=4, time_stride=1).features
    lm = VideoLM(enc, 8, len(tok), dim=16, layers=1, space="all")
    idx, prompts, answers, _ = data.pairs()
    inputs, targets = tok.prompt_answer(prompts, answers)
    losses = train_videolm(lm, lm.features(data.video), idx, inputs, targets, epochs=3, batch_size=32, progress=False)
    assert losses[-1] < losses[0]
    with pytest.raises(ValueError, match="as many"):
        train_videolm(lm, lm.features(data.video), idx[:3], inputs, targets, epochs=1, progress=False)


def test_next_word_loss_scores_only_the_answer():
    logits = torch.randn(2, 4, 7)
    targets = torch.tensor([[-100, -100, 3, 2], [-100, 5, 2, -100]])
    manual = torch.stack(
        [torch.nn.functional.cross_entropy(logits[b, t], targets[b, t]) for b, t in [(0, 2), (0, 3), (1, 1), (1, 2)]]
    ).mean()
    assert torch.allclose(next_word_loss(logits, targets), manual)
    changed = logits.clone()
    changed[0, 0] += 100
    changed[1, 3] -= 100  # unscored positions
    assert torch.allclose(next_word_loss(changed, targets), manual)
