"""Checkers for notebook 09 -- temporal action localization: tIoU, Soft-NMS vs NMS, 11-point AP, a false positive."""

from __future__ import annotations

import math

from ..localization import average_precision, interpolated_ap, nms, soft_nms
from . import check_function, check_scalar, check_tensor, exercise, report_prediction

# ------------------------------------------------------------------------------ 1. tIoU of two segments
_TIOU_CASES = [
    ((0, 10), (5, 15)),
    ((2, 4), (0, 10)),
    ((0, 10), (10, 20)),
    ((0, 10), (30, 40)),
    ((3.5, 7.0), (3.5, 7.0)),
    ((0, 4), (1, 9)),
]


def _tiou(a, b) -> float:
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    return inter / ((a[1] - a[0]) + (b[1] - b[0]) - inter)


@exercise(
    notebook="09",
    reference=_tiou,
    wrong=[
        lambda a, b: (
            (min(a[1], b[1]) - max(a[0], b[0])) / (max(a[1], b[1]) - min(a[0], b[0]))
        ),  # no clamp: negative when apart
        lambda a, b: (
            max(0, min(a[1], b[1]) - max(a[0], b[0])) / ((a[1] - a[0]) + (b[1] - b[0]))
        ),  # forgot to subtract overlap
        lambda a, b: max(0, min(a[1], b[1]) - max(a[0], b[0])) / min(a[1] - a[0], b[1] - b[0]),  # over the shorter one
    ],
)
def check_tiou(fn) -> bool:
    """``fn((start, end), (start, end))`` = temporal IoU, a float in [0, 1]."""
    return check_function(
        fn, _tiou, _TIOU_CASES, "tiou", compare=lambda got, want, name: check_scalar(got, want, name, abs_tol=1e-9)
    )


# ------------------------------------------- 2. (predict, then measure) Soft-NMS against NMS on overlapping actions
# The lesson's example: two actions of one class overlapping by tIoU 0.6, a detection of each, a near-duplicate of
# the first and a detection where nothing happens. Segments are (start, end); scores in the same order.
_SOFT_TRUTHS = [("v", 0, 20, "x"), ("v", 5, 25, "x")]
_SOFT_DETS = [(0, 20, 0.9), (1, 20, 0.85), (5, 25, 0.8), (50, 60, 0.5)]


def _soft_scores(segments, scores, sigma: float = 0.5) -> list[float]:
    """Gaussian Soft-NMS's new scores, in the order of ``segments`` (vulib.localization.soft_nms, none dropped)."""
    idx, new = soft_nms(segments, scores, threshold=0.0, sigma=sigma, min_score=0.0)
    out = [0.0] * len(segments)
    for i, s in zip(idx, new):
        out[int(i)] = float(s)
    return out


def _soft_variant(segments, scores, sigma=0.5, *, decay=None, rerank=True, once=False, picked_too=False):
    """A wrong variant of :func:`_soft_scores` (see the wrong answers below)."""
    decay = decay or (lambda o, sigma: math.exp(-(o**2) / sigma))
    scores, left, done = [float(x) for x in scores], list(range(len(scores))), []
    order = sorted(left, key=lambda j: -scores[j])
    while left:
        i = max(left, key=lambda j: scores[j]) if rerank else next(j for j in order if j in left)
        left.remove(i)
        done.append(i)
        for j in left + (done[:-1] if picked_too else []):
            scores[j] *= decay(_tiou(segments[i], segments[j]), sigma)
        if once:  # every score decayed by its overlap with the first pick only
            break
    return scores


def _close_pair(prediction, measured) -> bool:
    """Whether a predicted pair of APs is within 0.02 of the measured pair."""
    try:
        return len(prediction) == 2 and all(abs(float(p) - m) <= 0.02 for p, m in zip(prediction, measured))
    except (TypeError, ValueError):
        return False


_SOFT_CASES = [
    ([d[:2] for d in _SOFT_DETS], [d[2] for d in _SOFT_DETS], 0.5),
    ([(0, 10), (2, 12), (4, 14)], [0.9, 0.8, 0.7], 0.5),  # a chain: the third overlaps the second more than the first
    ([(0, 10), (1, 11), (30, 40), (31, 40)], [0.6, 0.9, 0.7, 0.65], 0.3),  # unsorted input, another sigma
    ([(0, 10), (20, 30)], [0.4, 0.8], 0.5),  # no overlap: nothing changes
]


@exercise(
    notebook="09",
    reference=_soft_scores,
    wrong=[
        lambda g, s, sigma=0.5: _soft_variant(g, s, sigma, rerank=False),  # picks in the old order, not re-ranked
        lambda g, s, sigma=0.5: _soft_variant(g, s, sigma, once=True),  # decays by the first pick only
        lambda g, s, sigma=0.5: _soft_variant(g, s, sigma, picked_too=True),  # decays segments already picked
        lambda g, s, sigma=0.5: _soft_variant(g, s, sigma, decay=lambda o, sg: 1 - o),  # linear Soft-NMS
        lambda g, s, sigma=0.5: _soft_variant(g, s, sigma, decay=lambda o, sg: math.exp(-o / sg)),  # tIoU not squared
        lambda g, s, sigma=0.5: _soft_variant(g, s, 0.5),  # sigma ignored
        lambda g, s, sigma=0.5: _soft_variant(g, s, sigma, decay=lambda o, sg: float(o <= 0.5)),  # hard NMS
    ],
)
def check_soft_nms_scores(fn, prediction=None) -> bool:
    """``fn(segments [(start, end)], scores, sigma)`` = Gaussian Soft-NMS's new score of each segment, in the
    order of ``segments``: repeatedly pick the best-scored remaining segment and multiply every other remaining
    score by ``exp(-tIoU**2 / sigma)``. ``prediction``: the learner's guess ``(AP@0.5 after NMS, AP@0.5 after
    Soft-NMS)`` on the exercise's four detections (printed beside the measurement, not graded)."""
    check_function(
        fn,
        _soft_scores,
        _SOFT_CASES,
        "soft_nms_scores",
        compare=lambda got, want, name: check_tensor(
            [float(x) for x in got] if isinstance(got, (list, tuple)) else got, want, name, atol=1e-9
        ),
    )
    segs, scores = [d[:2] for d in _SOFT_DETS], [d[2] for d in _SOFT_DETS]
    hard = [("v", *segs[i], "x", scores[i]) for i in nms(segs, scores, 0.5)]
    soft = [("v", *g, "x", s) for g, s in zip(segs, _soft_scores(segs, scores))]
    measured = tuple(round(average_precision(rows, _SOFT_TRUTHS, 0.5), 3) for rows in (hard, soft))
    report_prediction(
        tuple(prediction) if isinstance(prediction, (list, tuple)) else prediction,
        measured,
        "AP@0.5 after NMS, after Soft-NMS",
        "NMS deletes the second action's detection, which overlaps the first by more than 0.5; Soft-NMS only "
        "lowers its score, below the false positive's, and the duplicate it keeps ranks last, where it costs "
        "nothing (exercise 4)",
        agrees=_close_pair,
    )
    return True


# ------------------------------------------------------------------------------ 3. 11-point interpolated AP
_AP_CASES = [
    ([1.0, 0.5, 2 / 3], [0.25, 0.25, 0.5]),
    ([1.0, 0.5, 1 / 3, 0.5, 0.4], [1 / 3, 1 / 3, 1 / 3, 2 / 3, 2 / 3]),
    ([0.0, 0.5, 2 / 3, 0.75], [0.0, 1 / 3, 2 / 3, 1.0]),
    ([1.0, 1.0], [0.5, 1.0]),
]


def _raw_ap(precision, recall):  # no interpolation
    ap, last = 0.0, 0.0
    for p, r in zip(precision, recall):
        ap += (r - last) * p
        last = r
    return ap


def _mean_precision(precision, recall):  # mean precision, no recall weighting
    return sum(precision) / len(precision)


def _interpolated_from_left(precision, recall):  # monotone in the wrong direction
    ap, last, best = 0.0, 0.0, 0.0
    for p, r in zip(precision, recall):
        best = max(best, p) if r == last else p
        ap += (r - last) * best
        last = r
    return ap


def _eleven_point(precision, recall) -> float:
    total = 0.0
    for k in range(11):  # recall levels 0, 0.1, ..., 1.0
        reached = [p for p, r in zip(precision, recall) if r >= k / 10 - 1e-9]
        total += max(reached) if reached else 0.0
    return total / 11


def _eleven_ten_levels(precision, recall):  # levels 0.1 ... 1.0 only: the level 0 forgotten
    return sum(max([p for p, r in zip(precision, recall) if r >= k / 10 - 1e-9] or [0.0]) for k in range(1, 11)) / 10


def _eleven_at_level(precision, recall):  # the precision where recall first reaches the level, not the best beyond
    total = 0.0
    for k in range(11):
        first = [p for p, r in zip(precision, recall) if r >= k / 10 - 1e-9]
        total += first[0] if first else 0.0
    return total / 11


_AP11_CASES = _AP_CASES + [([1.0, 0.5, 2 / 3, 0.5, 0.6], [0.2, 0.2, 0.4, 0.4, 0.6])]


@exercise(
    notebook="09",
    reference=_eleven_point,
    wrong=[interpolated_ap, _eleven_ten_levels, _eleven_at_level, _raw_ap, _interpolated_from_left],
)
def check_eleven_point_ap(fn) -> bool:
    """``fn(precision, recall)`` (lists in ranked order) = 11-point interpolated AP (PASCAL VOC 2007): the mean over
    the recall levels 0, 0.1, ..., 1 of the best precision at any recall at or above the level (0 if none)."""
    return check_function(
        fn,
        _eleven_point,
        _AP11_CASES,
        "eleven_point_ap",
        compare=lambda got, want, name: check_scalar(got, want, name, abs_tol=1e-9),
    )


# ------------------------------------------------------ exercise 4 (predict, then measure): where a miss ranks

_TRUTHS = [("a", 0, 10, "x"), ("a", 20, 30, "x"), ("b", 0, 5, "x")]
_PREDS = [("a", 1, 10, "x", 0.9), ("a", 0, 9, "x", 0.8), ("b", 10, 20, "x", 0.7), ("a", 20, 28, "x", 0.6)]
_PREDS += [("c", 0, 5, "x", 0.5)]
_OTHER_TRUTHS = [(0, 10, 30, "x"), (1, 0, 20, "x")]
_OTHER_PREDS = [(0, 12, 30, "x", 0.8), (1, 40, 60, "x", 0.6), (1, 2, 20, "x", 0.4)]


def _ap_with_fp(preds, truths, score: float) -> float:
    return average_precision(list(preds) + [("nowhere", 0, 10, "x", score)], truths, 0.5)


def _word(ap: float, before: float) -> str:
    return "lower" if ap < before - 1e-12 else "higher" if ap > before + 1e-12 else "same"


@exercise(
    notebook="09",
    reference=_ap_with_fp,
    wrong=[
        lambda p, t, s: average_precision(list(p), t, 0.5),  # the false positive never added
        lambda p, t, s: average_precision(list(p) + [("nowhere", 0, 10, "x", 1 - s)], t, 0.5),  # score inverted
        lambda p, t, s: average_precision(list(p) + [(p[0][0], *p[0][1:4], s)], t, 0.5),  # a duplicate, not a miss
    ],
)
def check_ap_with_false_positive(fn, prediction=None) -> bool:
    """``fn(preds, truths, score)`` = AP at tIoU 0.5 of ``preds`` plus one false positive scored ``score``.
    ``prediction``: the learner's guess, ``("lower" | "same" | "higher")`` for a top-scored and a bottom-scored false
    positive added to section 2's five predictions (printed beside the measurement, not graded)."""
    cases = [(_PREDS, _TRUTHS, s) for s in (0.95, 0.05, 0.65)] + [(_OTHER_PREDS, _OTHER_TRUTHS, s) for s in (0.5, 0.1)]
    check_function(
        fn,
        _ap_with_fp,
        cases,
        "ap_with_false_positive",
        compare=lambda a, e, name: check_scalar(a, e, name, rel_tol=1e-9),
    )
    before = average_precision(_PREDS, _TRUTHS, 0.5)
    measured = (_word(_ap_with_fp(_PREDS, _TRUTHS, 0.95), before), _word(_ap_with_fp(_PREDS, _TRUTHS, 0.05), before))
    report_prediction(
        tuple(prediction) if isinstance(prediction, (list, tuple)) else prediction,
        measured,
        "a false positive at the top, at the bottom",
        "AP only counts precision where recall rises: a miss below the last hit changes no such point",
    )
    return True
