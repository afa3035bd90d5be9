"""vulib.localization: tIoU, NMS / Soft-NMS and ActivityNet-style AP / mAP, on hand-computed examples
and properties (hypothesis)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vulib.localization import average_precision, interpolated_ap, match_predictions, mean_ap, nms, soft_nms, tiou


# ----------------------------------------------------------------------------------------- tIoU
def test_tiou_by_hand():
    # (0,10) vs (5,15): overlap 5, union 10 + 10 - 5 = 15 -> 1/3
    # (0,10) vs (10,20): touching, overlap 0 -> 0
    # (0,10) vs (2,4): inside, overlap 2, union 10 -> 0.2
    # (0,10) vs (0,10): 1
    got = tiou((0, 10), [(5, 15), (10, 20), (2, 4), (0, 10)])
    np.testing.assert_allclose(got, [1 / 3, 0.0, 0.2, 1.0])
    assert tiou((0.5, 1.5), (1.0, 2.0)) == pytest.approx(0.5 / 1.5)  # a single pair gives a float


segment = st.tuples(st.floats(0, 100), st.floats(0.01, 50)).map(lambda p: (p[0], p[0] + p[1]))


@given(segment, segment)
def test_tiou_symmetric_and_in_unit_interval(a, b):
    ab, ba = tiou(a, b), tiou(b, a)
    assert 0.0 <= ab <= 1.0
    assert ab == pytest.approx(ba, abs=1e-12)
    assert tiou(a, a) == pytest.approx(1.0)


# ------------------------------------------------------------------------------ NMS, Soft-NMS
def test_nms_by_hand():
    segs = [(0, 10), (1, 11), (20, 30), (0, 5)]
    scores = [0.9, 0.8, 0.7, 0.6]
    # tIoU with the best (0,10): (1,11) -> 9/11 = 0.82 (suppressed at 0.5), (20,30) -> 0, (0,5) -> 0.5 (kept: not > 0.5)
    assert nms(segs, scores, 0.5).tolist() == [0, 2, 3]
    assert nms(segs, scores, 0.4).tolist() == [0, 2]  # now (0,5) goes too
    assert nms(segs, scores, 1.0).tolist() == [0, 1, 2, 3]  # nothing is suppressed
    assert nms([], [], 0.5).tolist() == []


def test_soft_nms_by_hand():
    segs = [(0, 10), (1, 11), (20, 30)]
    scores = [0.9, 0.8, 0.7]
    keep, new = soft_nms(segs, scores, threshold=0.0, sigma=0.5)
    # (0,10) first at 0.9; (1,11) decays by exp(-(9/11)^2 / 0.5) = exp(-1.3388) = 0.2622 -> 0.2098,
    # below (20,30) at 0.7 (no overlap, unchanged): order 0, 2, 1
    assert keep.tolist() == [0, 2, 1]
    np.testing.assert_allclose(new, [0.9, 0.7, 0.8 * math.exp(-((9 / 11) ** 2) / 0.5)])
    keep, _ = soft_nms(segs, scores, threshold=0.0, sigma=0.5, min_score=0.3)  # decayed one dropped
    assert keep.tolist() == [0, 2]
    keep, new = soft_nms(segs, scores, threshold=0.9, sigma=0.5)  # overlap below threshold: no decay
    assert keep.tolist() == [0, 1, 2] and new.tolist() == scores


# ------------------------------------------------------------------------------ AP, by hand
GT = [("v1", 0, 10, "a"), ("v1", 20, 30, "a"), ("v2", 0, 5, "a")]  # 3 ground-truth segments
PRED = [
    ("v1", 1, 10, "a", 0.9),  # tIoU 0.9 with (0,10)            -> TP at 0.5
    ("v1", 0, 9, "a", 0.8),  # tIoU 0.9 with (0,10), taken     -> FP (duplicate)
    ("v2", 10, 20, "a", 0.7),  # no overlap                      -> FP
    ("v1", 20, 28, "a", 0.6),  # tIoU 0.8 with (20,30)           -> TP at 0.5
    ("v3", 0, 5, "a", 0.5),
]  # a video without ground truth   -> FP


def test_average_precision_by_hand():
    # At 0.5: TP FP FP TP FP. precision 1, 1/2, 1/3, 2/4, 2/5; recall 1/3, 1/3, 1/3, 2/3, 2/3.
    # Monotone from the right: 1, .5, .5, .5, .4 (then 0 at recall 1). Recall steps: 0 -> 1/3 at precision 1,
    # 1/3 -> 2/3 at 0.5, 2/3 -> 1 at 0: AP = 1/3 * 1 + 1/3 * 0.5 = 0.5.
    assert average_precision(PRED, GT, 0.5) == pytest.approx(0.5)
    # At 0.85 only the first is a TP (0.8 < 0.85): AP = 1/3 * 1 = 1/3.
    assert average_precision(PRED, GT, 0.85) == pytest.approx(1 / 3)
    # At 0.95 nothing matches: 0.
    assert average_precision(PRED, GT, 0.95) == 0.0
    assert average_precision([], GT, 0.5) == 0.0
    # the order of the rows does not matter, only their scores
    assert average_precision(PRED[::-1], GT, 0.5) == pytest.approx(0.5)


def test_matching_takes_the_best_unmatched_ground_truth():
    gt = [("v", 0, 10, "a"), ("v", 5, 15, "a")]
    pred = [
        ("v", 0, 10, "a", 0.9),  # tIoU 1.0 with (0,10): takes it
        ("v", 1, 11, "a", 0.8),
    ]  # (0,10) taken; (5,15): overlap 6, union 14 -> 0.4286
    assert match_predictions(pred, gt, 0.4).tolist() == [True, True]
    assert match_predictions(pred, gt, 0.5).tolist() == [True, False]
    # the lower-scored one is matched second even if listed first
    assert match_predictions(pred[::-1], gt, 0.5).tolist() == [False, True]


def test_interpolated_ap_by_hand():
    # precision 1, 0.5, 2/3 at recall 0.25, 0.25, 0.5 (of 4 ground truths): monotone 1, 2/3, 2/3;
    # AP = 0.25 * 1 + 0.25 * 2/3 = 0.41667
    assert interpolated_ap([1, 0.5, 2 / 3], [0.25, 0.25, 0.5]) == pytest.approx(0.25 + 0.25 * 2 / 3)
    assert interpolated_ap([1.0], [1.0]) == 1.0


def test_mean_ap_by_hand():
    gt = GT + [("v2", 30, 40, "b")]  # class b: ground truth, no prediction -> AP 0
    pred = PRED + [("v1", 0, 10, "c", 0.99)]  # class c: no ground truth -> ignored
    res = mean_ap(pred, gt, tious=(0.5, 0.85, 0.95))
    assert set(res) == {0.5, 0.85, 0.95, "average"}
    assert res[0.5] == pytest.approx((0.5 + 0) / 2)
    assert res[0.85] == pytest.approx((1 / 3 + 0) / 2)
    assert res[0.95] == 0.0
    assert res["average"] == pytest.approx((0.25 + 1 / 6 + 0) / 3)
    assert list(mean_ap(PRED, GT)) == [0.3, 0.4, 0.5, 0.6, 0.7, "average"]


# ------------------------------------------------------------------------------ properties
@st.composite
def ground_truth(draw):
    """Rows for 1-3 videos, 1-4 disjoint segments each, labels from 2 classes."""
    rows = []
    for v in range(draw(st.integers(1, 3))):
        t = 0.0
        for _ in range(draw(st.integers(1, 4))):
            t += draw(st.floats(0, 20))
            length = draw(st.floats(1, 30))
            rows.append((v, t, t + length, draw(st.sampled_from("ab"))))
            t += length
    return rows


@settings(max_examples=60, deadline=None)
@given(ground_truth(), st.sampled_from([0.3, 0.5, 0.7, 0.95]))
def test_perfect_predictions_give_one(gt, t):
    pred = [r + (1.0 - 0.01 * i,) for i, r in enumerate(gt)]
    res = mean_ap(pred, gt, tious=(t,))
    assert res[t] == pytest.approx(1.0) and res["average"] == pytest.approx(1.0)


@settings(max_examples=80, deadline=None)
@given(ground_truth(), st.data(), st.sampled_from([0.55, 0.7, 0.9]))
def test_a_lower_scored_duplicate_never_raises_ap(gt, data, t):
    # Predictions: noisy copies of the ground truth (some miss) plus random false alarms.
    # Ground truth within a video is disjoint and t > 0.5, so a segment can match at most one ground truth:
    # the duplicate of a true positive can only be a false positive. (With overlapping ground truth a duplicate
    # can legitimately match a second ground-truth segment and raise AP: GT (0,10) and (1,11), prediction (0,10)
    # at threshold 0.5 has AP 0.5; its duplicate matches (1,11) at tIoU 0.82 and AP becomes 1.0 -- so the
    # property, as stated, needs that restriction; see test_a_duplicate_can_match_an_overlapping_ground_truth.)
    gt = [r for r in gt if r[3] == "a"] or [(0, 0.0, 10.0, "a")]
    pred = []
    for v, s, e, c in gt:
        shift = data.draw(st.floats(-0.3, 0.3)) * (e - s)
        pred.append((v, max(0.0, s + shift), e + shift, c, data.draw(st.floats(0.01, 1.0))))
    for _ in range(data.draw(st.integers(0, 4))):
        s = data.draw(st.floats(0, 100))
        pred.append(
            (data.draw(st.integers(0, 2)), s, s + data.draw(st.floats(1, 30)), "a", data.draw(st.floats(0.01, 1.0)))
        )
    tp = match_predictions(pred, gt, t)
    if not tp.any():
        return
    i = data.draw(st.sampled_from(np.flatnonzero(tp).tolist()))
    dup = pred[i][:4] + (pred[i][4] * data.draw(st.floats(0.0, 0.999)),)
    before = average_precision(pred, gt, t)
    after = average_precision(pred + [dup], gt, t)
    assert after <= before + 1e-12


def test_a_duplicate_can_match_an_overlapping_ground_truth():
    gt = [("v", 0, 10, "a"), ("v", 1, 11, "a")]
    pred = [("v", 0, 10, "a", 0.9)]
    assert average_precision(pred, gt, 0.5) == pytest.approx(0.5)  # 1 of 2 found
    assert average_precision(pred + [("v", 0, 10, "a", 0.8)], gt, 0.5) == pytest.approx(1.0)  # both found


@settings(max_examples=60, deadline=None)
@given(ground_truth(), st.randoms(use_true_random=False), st.sampled_from([0.3, 0.5, 0.7]))
def test_permuting_predictions_with_distinct_scores_changes_nothing(gt, rnd, t):
    pred = []
    for i, (v, s, e, c) in enumerate(gt):
        pred.append((v, s + 0.5, e + 2.0, c, 0.9 - 0.01 * i))
        pred.append((v, s, e, "b" if c == "a" else "a", 0.5 - 0.01 * i))
    shuffled = pred[:]
    rnd.shuffle(shuffled)
    assert mean_ap(shuffled, gt, tious=(t,)) == mean_ap(pred, gt, tious=(t,))


# ------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "rows, words",
    [
        ([("v", 5, 5, "a")], "end 5.0 <= start 5.0"),
        ([("v", 6, 5, "a")], "start < end"),
        ([("v", -1, 5, "a")], "negative"),
        ([("v", 0, float("nan"), "a")], "non-finite"),
        ([("v", 0, 5)], "3 fields"),
        ([("v", "x", 5, "a")], "numbers"),
    ],
)
def test_bad_ground_truth_raises(rows, words):
    with pytest.raises(ValueError, match=words):
        mean_ap([], rows)


def test_bad_predictions_and_arguments_raise():
    with pytest.raises(ValueError, match="NaN"):
        average_precision([("v1", 0, 10, "a", float("nan"))], GT, 0.5)
    with pytest.raises(ValueError, match="4 fields"):
        average_precision([("v1", 0, 10, "a")], GT, 0.5)
    with pytest.raises(ValueError, match="one class"):
        average_precision(PRED, GT + [("v1", 40, 50, "b")], 0.5)
    with pytest.raises(ValueError, match="threshold"):
        average_precision(PRED, GT, 0.0)
    with pytest.raises(ValueError, match="at least one ground-truth"):
        mean_ap(PRED, [])
    with pytest.raises(ValueError, match="one score per segment"):
        nms([(0, 1), (1, 2)], [0.5], 0.5)
    with pytest.raises(ValueError, match="NaN"):
        soft_nms([(0, 1)], [float("nan")])
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        nms([(0, 1, 2)], [0.5], 0.5)
    with pytest.raises(ValueError, match="start < end"):
        tiou((3, 1), [(0, 1)])
    with pytest.raises(ValueError, match="sigma"):
        soft_nms([(0, 1)], [0.5], sigma=0)
    with pytest.raises(ValueError, match="as many precision"):
        interpolated_ap([1, 0.5], [0.5])
