"""Checkers for notebook 09 -- temporal action localization: tIoU, greedy matching, 11-point AP, a false positive."""

from __future__ import annotations

from ..localization import average_precision, interpolated_ap, match_predictions
from . import check_equal, check_function, check_scalar, exercise, report_prediction

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


# ------------------------------------------------------------------------------ 2. greedy matching, one class
# Cases chosen so that each shortcut gives a different answer: an unsorted list, a duplicate, a prediction
# overlapping two ground truths (best one taken first), a prediction exactly at the threshold, another video.
_MATCH_CASES = [
    ([("v", 1, 10, 0.6), ("v", 0, 10, 0.9)], [("v", 0, 10)], 0.5),
    ([("v", 0, 10, 0.9), ("v", 0, 9, 0.8), ("v", 20, 28, 0.7)], [("v", 0, 10), ("v", 20, 30)], 0.5),
    ([("v", 4, 14, 0.9), ("v", 0, 10, 0.8)], [("v", 0, 10), ("v", 5, 15)], 0.5),
    ([("v", 0, 5, 0.9)], [("v", 0, 10)], 0.5),
    ([("v", 3, 13, 0.9), ("v", 5, 15, 0.8)], [("v", 0, 10), ("v", 4, 14)], 0.5),  # the first takes the best: (4,14)
    ([("a", 0, 10, 0.9), ("b", 0, 10, 0.8)], [("b", 0, 10)], 0.5),
]


def _as_rows(predictions, ground_truth):
    return ([(v, s, e, "x", sc) for v, s, e, sc in predictions], [(v, s, e, "x") for v, s, e in ground_truth])


def _match(predictions, ground_truth, threshold) -> list[bool]:
    return match_predictions(*_as_rows(predictions, ground_truth), threshold).tolist()


def _match_in_list_order(predictions, ground_truth, threshold):  # forgot to sort by score
    used, out = set(), []
    for v, s, e, _ in predictions:
        best = max(
            ((_tiou((s, e), (gs, ge)), j) for j, (gv, gs, ge) in enumerate(ground_truth) if gv == v and j not in used),
            default=(0.0, None),
        )
        out.append(best[0] >= threshold)
        if best[0] >= threshold:
            used.add(best[1])
    return out


def _match_reusing_ground_truth(predictions, ground_truth, threshold):  # a ground truth matched many times
    return [
        any(gv == v and _tiou((s, e), (gs, ge)) >= threshold for gv, gs, ge in ground_truth)
        for v, s, e, _ in predictions
    ]


def _match_first_above(predictions, ground_truth, threshold):  # first ground truth above, not the best
    order = sorted(range(len(predictions)), key=lambda i: -predictions[i][3])
    used, out = set(), [False] * len(predictions)
    for i in order:
        v, s, e, _ = predictions[i]
        for j, (gv, gs, ge) in enumerate(ground_truth):
            if gv == v and _tiou((s, e), (gs, ge)) >= threshold:
                if j not in used:
                    used.add(j)
                    out[i] = True
                break
    return out


def _match_strict(predictions, ground_truth, threshold):  # > instead of >=
    return _match(predictions, ground_truth, min(1.0, threshold + 1e-9))


@exercise(
    notebook="09",
    reference=_match,
    wrong=[_match_in_list_order, _match_reusing_ground_truth, _match_first_above, _match_strict],
)
def check_greedy_match(fn) -> bool:
    """``fn(predictions [(video, start, end, score)], ground_truth [(video, start, end)], threshold)`` = a list
    of bools in the order of ``predictions``: True for a true positive (ActivityNet greedy matching)."""
    return check_function(
        fn,
        _match,
        _MATCH_CASES,
        "greedy_match",
        compare=lambda got, want, name: check_equal(
            [bool(x) for x in got] if isinstance(got, (list, tuple)) else got, want, name
        ),
    )


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
