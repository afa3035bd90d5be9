"""make_untrimmed (vulib.synthetic), the localization models (vulib.models.localization), their trainer
(vulib.train.fit_head) and suppression (vulib.localization.suppress)."""

import numpy as np
import pytest
import torch

from vulib.localization import mean_ap, suppress
from vulib.models import (
    LocalizationHead,
    SnippetEncoder,
    decode_segments,
    encode_snippets,
    sliding_window_segments,
    snippet_clips,
    snippet_labels,
)
from vulib.models.localization import head_loss, head_targets
from vulib.synthetic import make_untrimmed
from vulib.train import fit_head


# ------------------------------------------------------------------------------ make_untrimmed
@pytest.fixture(scope="module")
def batch():
    return make_untrimmed(6, frames=128, size=16, seed=3)


def test_untrimmed_shapes_and_segments(batch):
    video, segments = batch
    assert video.shape == (6, 3, 128, 16, 16) and video.dtype == torch.float32
    assert 0 <= video.min() and video.max() <= 1
    assert len(segments) == 6
    for segs in segments:
        assert 1 <= len(segs) <= 5
        for (s, e, c), nxt in zip(segs, segs[1:] + [None]):
            assert 0 <= s < e <= 128 and 6 <= e - s <= 48 and c in (0, 1, 2)
            if nxt is not None:
                assert nxt[0] >= e + 4  # in time order, apart
    labels = batch.frame_labels()
    assert labels.shape == (6, 128)
    s, e, c = segments[0][0]
    assert (labels[0, s:e] == c).all()
    assert batch.ground_truth()[0] == (0, s, e, c)


def test_untrimmed_is_reproducible_per_video_and_chunk_size_free(batch):
    again = make_untrimmed(6, frames=128, size=16, seed=3, chunk_frames=128)
    assert torch.equal(again.video, batch.video) and again.segments == batch.segments
    other = make_untrimmed(6, frames=128, size=16, seed=4)
    assert other.segments != batch.segments


def test_untrimmed_durations_vary_widely():
    b = make_untrimmed(40, frames=256, size=8, seed=0)
    d = np.array([e - s for segs in b.segments for s, e, _ in segs])
    assert d.min() <= 8 and d.max() >= 36  # short and long actions
    assert set(c for segs in b.segments for _, _, c in segs) == {0, 1, 2}


def test_something_moves_outside_the_actions(batch):
    # distractors move (up/down) or appear: frame differences are not zero outside the labelled segments
    v = batch.video
    diff = (v[:, :, 1:] - v[:, :, :-1]).abs().mean(dim=(1, 3, 4))  # (N, T-1)
    outside = batch.frame_labels()[:, 1:] < 0
    assert diff[outside].max() > 0.02


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (dict(classes=("left", "jump")), "classes"),
        (dict(classes=("left", "up")), "distractors"),
        (dict(duration=(1, 10)), "duration"),
        (dict(duration=(10, 400)), "duration"),
        (dict(instances=(3, 1)), "instances"),
        (dict(size=4), "size"),
    ],
)
def test_untrimmed_bad_input(kwargs, words):
    with pytest.raises(ValueError, match=words):
        make_untrimmed(1, frames=64, seed=0, **kwargs)
    with pytest.raises(ValueError, match="n >= 1"):
        make_untrimmed(0)


# ------------------------------------------------------------------------------ snippets
def test_snippet_clips_are_centred_on_their_stride():
    T = 16
    video = torch.arange(T, dtype=torch.float32).view(1, 1, T, 1, 1).expand(2, 3, T, 2, 2)
    clips = snippet_clips(video, snippet=8, stride=4)  # (2, 4, 3, 8, 2, 2)
    assert clips.shape == (2, 4, 3, 8, 2, 2)
    # snippet 1 covers frames 2..9 (centred on 4..7); snippet 0 starts with 2 copies of frame 0
    assert clips[0, 1, 0, :, 0, 0].tolist() == list(range(2, 10))
    assert clips[0, 0, 0, :, 0, 0].tolist() == [0, 0, 0, 1, 2, 3, 4, 5]
    assert clips[0, 3, 0, :, 0, 0].tolist() == [10, 11, 12, 13, 14, 15, 15, 15]
    with pytest.raises(ValueError, match="even difference"):
        snippet_clips(video, snippet=7, stride=4)


def test_snippet_labels_take_the_centre_frame():
    frames = torch.full((1, 16), -1)
    frames[0, 5:11] = 2  # centres are 2, 6, 10, 14
    assert snippet_labels(frames, 4).tolist() == [[0, 3, 3, 0]]


def test_encoder_gives_features_and_probabilities(batch):
    enc = SnippetEncoder(classes=3, width=4)
    feats, probs = encode_snippets(enc, batch.video[:2], snippet=8, stride=4, device=torch.device("cpu"))
    assert feats.shape == (2, 32, 8) and probs.shape == (2, 32, 4)
    assert torch.allclose(probs.sum(-1), torch.ones(2, 32), atol=1e-5)


# ------------------------------------------------------------------------------ baseline
def test_sliding_window_segments_by_hand():
    # 6 snippets of 4 frames; background first. Snippets 1-2 class 0 (0.8, 0.6), 3 class 1 (0.9),
    # 4 class 1 but below the threshold (0.4 -> dropped), 5 background.
    probs = torch.tensor(
        [[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.2, 0.6, 0.2], [0.05, 0.05, 0.9], [0.3, 0.3, 0.4], [1.0, 0.0, 0.0]]
    )
    got = sliding_window_segments(probs, stride=4, threshold=0.5)
    assert [(s, e, c) for s, e, c, _ in got] == [(4.0, 12.0, 0), (12.0, 16.0, 1)]
    assert got[0][3] == pytest.approx(0.7) and got[1][3] == pytest.approx(0.9)
    with pytest.raises(ValueError, match="background first"):
        sliding_window_segments(torch.ones(5))


# ------------------------------------------------------------------------------ anchor-free head
def test_head_shapes_targets_and_decode():
    head = LocalizationHead(dim=8, classes=3)
    cls, dist = head(torch.randn(2, 32, 8))
    assert cls.shape == (2, 3, 32) and dist.shape == (2, 2, 32) and (dist >= 0).all()
    cls_t, dist_t = head_targets([[(8, 20, 1)], []], steps=32, stride=4, classes=3)
    # centres 2, 6, 10, ...: steps 2 (10), 3 (14), 4 (18) are inside [8, 20)
    assert cls_t[0, 1].nonzero().flatten().tolist() == [2, 3, 4] and cls_t[1].sum() == 0
    assert dist_t[0, :, 2].tolist() == [0.5, 2.5]  # (10 - 8) / 4, (20 - 10) / 4
    # decoding the targets themselves gives back the segment from every positive step
    logits = torch.where(cls_t[0] > 0, 10.0, -10.0)
    segs = decode_segments(logits, dist_t[0], stride=4, frames=128)
    assert len(segs) == 3 and all((s, e, c) == (8.0, 20.0, 1) for s, e, c, _ in segs)
    assert suppress(segs, "nms") == segs[:1]
    assert len(suppress(segs, "none")) == 3
    soft = suppress(segs, "soft")
    assert soft[0] == segs[0] and soft[1][3] < segs[1][3]  # duplicates kept, rescored lower
    loss = head_loss(cls, dist, cls_t, dist_t)
    assert loss.ndim == 0 and torch.isfinite(loss)
    with pytest.raises(ValueError, match="method"):
        suppress(segs, "greedy")
    with pytest.raises(ValueError, match=r"\(B, N, D=8\)"):
        head(torch.randn(2, 8, 32))


def test_head_learns_segments_from_informative_features():
    # features that say "inside an action of class c" per step: the head must learn to find the edges
    g = torch.Generator().manual_seed(0)
    segs = []
    for _ in range(16):
        s = int(torch.randint(0, 60, (1,), generator=g)) * 2
        e = s + int(torch.randint(3, 12, (1,), generator=g)) * 4
        segs.append([(s, min(e, 256), int(torch.randint(0, 2, (1,), generator=g)))])
    cls_t, _ = head_targets(segs, steps=64, stride=4, classes=2)
    feats = torch.cat([cls_t, 1 - cls_t.amax(1, keepdim=True)], 1).transpose(1, 2)  # (B, 64, 3)
    feats = feats + 0.05 * torch.randn(feats.shape, generator=g)
    torch.manual_seed(0)
    head = LocalizationHead(dim=3, classes=2, hidden=16)
    losses = fit_head(head, feats, segs, stride=4, epochs=60, lr=1e-2, progress=False, device=torch.device("cpu"))
    assert losses[-1] < 0.5 * losses[0]
    with torch.no_grad():
        cls, dist = head(feats)
    rows = [(v, s, e, c, sc) for v in range(16) for s, e, c, sc in suppress(decode_segments(cls[v], dist[v]), "nms")]
    gt = [(v, s, e, c) for v, ss in enumerate(segs) for s, e, c in ss]
    assert mean_ap(rows, gt, tious=(0.5,))[0.5] > 0.8, mean_ap(rows, gt, tious=(0.5,))
