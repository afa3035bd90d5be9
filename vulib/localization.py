"""Temporal action localization, evaluated: tIoU, NMS / Soft-NMS, AP and mAP (taught in notebook 09).

Everything here takes *plain data*, so any model (or a hand-written list) can be scored:

* a **segment** is ``(start, end)`` with ``0 <= start < end`` -- frames or seconds, floats, end exclusive;
* **ground truth** is a sequence of rows ``(video, start, end, label)``;
* **predictions** are a sequence of rows ``(video, start, end, label, score)``.

``video`` and ``label`` are any hashable values (an index, a file name, a class name).

The matching and interpolated AP follow ActivityNet's detection evaluation code (which THUMOS14 results
in papers use too); the default thresholds :data:`DEFAULT_TIOUS` (0.3:0.1:0.7) are THUMOS14's convention,
ActivityNet averages over 0.5:0.05:0.95:

1. per class, the predictions are sorted by decreasing score (ties keep their input order);
2. each prediction, in that order, is matched to the *unmatched* ground-truth segment of the same video
   with the highest tIoU, provided that tIoU is at least the threshold: a true positive; otherwise it is a
   false positive. A ground-truth segment is matched at most once, so a duplicate is a false positive;
3. AP is the area under the interpolated precision-recall curve: precision is made monotone from the
   right (each point gets the best precision at any higher recall), then summed over the recall steps;
4. mAP is the mean of AP over the classes present in the ground truth (a class nobody predicted counts 0);
   "average mAP" is the mean of mAP over the tIoU thresholds.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Hashable, Sequence

import numpy as np

__all__ = [
    "tiou",
    "nms",
    "soft_nms",
    "suppress",
    "average_precision",
    "mean_ap",
    "match_predictions",
    "interpolated_ap",
    "DEFAULT_TIOUS",
]

DEFAULT_TIOUS = (0.3, 0.4, 0.5, 0.6, 0.7)


# ----------------------------------------------------------------------------------------
# Checking the plain data
# ----------------------------------------------------------------------------------------
def _check_segments(segments, name: str = "segments") -> np.ndarray:
    """``segments`` as a float array ``(N, 2)`` after checking ``0 <= start < end`` (finite)."""
    try:
        arr = np.asarray(segments, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"expected {name} as (start, end) pairs of numbers, got {segments!r:.80}") from None
    if arr.size == 0:
        return arr.reshape(0, 2)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"expected {name} of shape (N, 2): one (start, end) per row, got shape {arr.shape}")
    _check_times(arr[:, 0], arr[:, 1], name)
    return arr


def _check_times(start: np.ndarray, end: np.ndarray, name: str) -> None:
    bad = ~(np.isfinite(start) & np.isfinite(end))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name}: row {i} has a non-finite time ({start[i]}, {end[i]})")
    bad = start < 0
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name}: row {i} starts at a negative time {start[i]}; times are >= 0")
    bad = end <= start
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name}: row {i} has end {end[i]} <= start {start[i]}; a segment needs start < end")


def _check_scores(scores, n: int, name: str = "scores") -> np.ndarray:
    try:
        arr = np.asarray(scores, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise ValueError(f"expected {name} as numbers, got {scores!r:.80}") from None
    if arr.shape[0] != n:
        raise ValueError(f"expected one score per segment: {n} segments but {arr.shape[0]} {name}")
    if np.isnan(arr).any():
        raise ValueError(
            f"{name}: {int(np.isnan(arr).sum())} score(s) are NaN (at index {int(np.flatnonzero(np.isnan(arr))[0])})"
        )
    return arr


def _rows(rows, width: int, name: str) -> list[tuple]:
    """Check rows of ``width`` fields: ``(video, start, end, label[, score])``; return them as tuples."""
    if isinstance(rows, (str, bytes)):
        raise ValueError(f"expected {name} as a sequence of rows, got a string")
    out = []
    what = "(video, start, end, label" + (", score)" if width == 5 else ")")
    for i, row in enumerate(rows):
        try:
            row = tuple(row)
        except TypeError:
            raise ValueError(f"{name}: row {i} is {row!r}, expected a row {what}") from None
        if len(row) != width:
            raise ValueError(f"{name}: row {i} has {len(row)} fields {row!r:.80}, expected {width}: {what}")
        out.append(row)
    if out:
        try:
            start = np.array([r[1] for r in out], dtype=np.float64)
            end = np.array([r[2] for r in out], dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{name}: start and end must be numbers {what}") from None
        _check_times(start, end, name)
        if width == 5:
            _check_scores([r[4] for r in out], len(out), f"{name} scores")
    return out


# ----------------------------------------------------------------------------------------
# Overlap and suppression
# ----------------------------------------------------------------------------------------
def tiou(segment, segments) -> np.ndarray | float:
    """Temporal intersection over union of one segment with each of ``segments``.

    ``tiou = |overlap| / (|a| + |b| - |overlap|)``, in [0, 1], symmetric.

    Args:
        segment: ``(start, end)``.
        segments: ``(N, 2)`` start/end pairs -- or one ``(start, end)`` pair.

    Returns:
        ``(N,)`` float array (or a float when ``segments`` is a single pair).
    """
    a = _check_segments([segment], "segment")[0]
    single = np.ndim(segments) == 1
    b = _check_segments([segments] if single else segments, "segments")  # (N, 2)
    inter = np.clip(np.minimum(a[1], b[:, 1]) - np.maximum(a[0], b[:, 0]), 0, None)  # (N,)
    union = (a[1] - a[0]) + (b[:, 1] - b[:, 0]) - inter
    out = inter / union
    return float(out[0]) if single else out


def _pairwise_tiou(seg: np.ndarray) -> np.ndarray:
    """``(N, N)`` tIoU of every pair of checked segments ``(N, 2)``."""
    inter = np.clip(
        np.minimum(seg[:, None, 1], seg[None, :, 1]) - np.maximum(seg[:, None, 0], seg[None, :, 0]), 0, None
    )
    length = seg[:, 1] - seg[:, 0]
    return inter / (length[:, None] + length[None, :] - inter)


def nms(segments, scores, threshold: float) -> np.ndarray:
    """Greedy non-maximum suppression in time.

    Keep the best-scored segment, drop every remaining one whose tIoU with it is *above* ``threshold``,
    repeat with the best of what is left.

    Args:
        segments: ``(N, 2)`` start/end; scores: ``(N,)``; threshold: tIoU in [0, 1].

    Returns:
        indices of the kept segments ``(M,)`` int64, in order of decreasing score.
    """
    seg = _check_segments(segments)
    sc = _check_scores(scores, len(seg))
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"expected a tIoU threshold in [0, 1], got {threshold}")
    order = np.argsort(-sc, kind="stable")
    overlap = _pairwise_tiou(seg)
    alive = np.ones(len(seg), dtype=bool)
    keep = []
    for i in order:
        if alive[i]:
            keep.append(i)
            alive &= overlap[i] <= threshold
            alive[i] = False
    return np.asarray(keep, dtype=np.int64)


def soft_nms(
    segments, scores, threshold: float = 0.0, sigma: float = 0.5, min_score: float = 1e-3
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian Soft-NMS (Bodla et al. 2017): instead of deleting an overlapping segment, lower its score.

    Repeatedly take the best-scored remaining segment; every other remaining segment whose tIoU ``o``
    with it is above ``threshold`` has its score multiplied by ``exp(-o**2 / sigma)``; segments whose
    score falls below ``min_score`` are dropped. A duplicate then ranks low instead of vanishing, so a
    true second action that overlaps the first is not lost.

    Args:
        segments: ``(N, 2)``; scores: ``(N,)``; threshold: tIoU above which scores decay (0 = always);
        sigma: width of the decay (smaller = harsher); min_score: drop below this.

    Returns:
        ``(indices (M,) int64, new_scores (M,) float64)`` in the order they were selected (decreasing new score).
    """
    seg = _check_segments(segments)
    sc = _check_scores(scores, len(seg)).copy()
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"expected a tIoU threshold in [0, 1], got {threshold}")
    if not sigma > 0:
        raise ValueError(f"expected sigma > 0, got {sigma}")
    overlap = _pairwise_tiou(seg)
    alive = sc >= min_score
    keep, kept_scores = [], []
    while alive.any():
        cand = np.flatnonzero(alive)
        i = int(cand[np.argmax(sc[cand])])  # first of the best: ties keep input order
        keep.append(i)
        kept_scores.append(sc[i])
        alive[i] = False
        o = overlap[i]
        decay = np.where(o > threshold, np.exp(-(o**2) / sigma), 1.0)
        sc = np.where(alive, sc * decay, sc)
        alive &= sc >= min_score
    return np.asarray(keep, dtype=np.int64), np.asarray(kept_scores, dtype=np.float64)


def suppress(
    segments: Sequence[tuple[float, float, int, float]],
    method: str = "nms",
    threshold: float = 0.5,
    sigma: float = 0.5,
    max_segments: int = 100,
) -> list[tuple[float, float, int, float]]:
    """Remove duplicates among one video's ``(start, end, label, score)`` segments, class by class.

    ``method``: ``"none"`` (keep all), ``"nms"`` (:func:`nms` at ``threshold``) or
    ``"soft"`` (:func:`soft_nms`, Gaussian with ``sigma``). Returns at most
    ``max_segments`` segments, best score first.
    """
    if method not in ("none", "nms", "soft"):
        raise ValueError(f"expected method 'none', 'nms' or 'soft', got {method!r}")
    out = []
    for c in sorted({s[2] for s in segments}):
        rows = [s for s in segments if s[2] == c]
        segs = [(s, e) for s, e, _, _ in rows]
        scores = [sc for *_, sc in rows]
        if method == "none":
            out += rows
        elif method == "nms":
            out += [rows[i] for i in nms(segs, scores, threshold)]
        else:
            idx, new = soft_nms(segs, scores, threshold=0.0, sigma=sigma)
            out += [(rows[i][0], rows[i][1], c, float(s)) for i, s in zip(idx, new)]
    out.sort(key=lambda r: -r[3])
    return out[:max_segments]


# ----------------------------------------------------------------------------------------
# Matching and average precision
# ----------------------------------------------------------------------------------------
def _one_label(predictions: list[tuple], ground_truth: list[tuple]) -> None:
    labels = {r[3] for r in predictions} | {r[3] for r in ground_truth}
    if len(labels) > 1:
        raise ValueError(
            f"average_precision scores one class, but the rows have labels {sorted(map(repr, labels))}; "
            "filter by label first, or use mean_ap"
        )


def match_predictions(predictions, ground_truth, tiou: float) -> np.ndarray:
    """Which predictions are true positives, by the ActivityNet greedy matching (one class).

    Args:
        predictions: rows ``(video, start, end, label, score)``; ground_truth: rows ``(video, start, end, label)``.
        tiou: the threshold.

    Returns:
        ``(N,)`` bool, in the order of ``predictions``: True = matched to a ground-truth segment.
    """
    preds = _rows(predictions, 5, "predictions")
    gts = _rows(ground_truth, 4, "ground_truth")
    _one_label(preds, gts)
    return _match(preds, gts, _check_threshold(tiou))


def _check_threshold(t) -> float:
    t = float(t)
    if not 0.0 < t <= 1.0:
        raise ValueError(f"expected a tIoU threshold in (0, 1], got {t}")
    return t


def _match(preds: list[tuple], gts: list[tuple], threshold: float) -> np.ndarray:
    by_video: dict[Hashable, np.ndarray] = {}
    grouped: dict[Hashable, list] = defaultdict(list)
    for v, s, e, _ in gts:
        grouped[v].append((s, e))
    for v, segs in grouped.items():
        by_video[v] = np.asarray(segs, dtype=np.float64)  # (G_v, 2)
    used = {v: np.zeros(len(segs), dtype=bool) for v, segs in by_video.items()}
    scores = np.array([r[4] for r in preds], dtype=np.float64)
    order = np.argsort(-scores, kind="stable")
    tp = np.zeros(len(preds), dtype=bool)
    for i in order:
        v, s, e = preds[i][:3]
        if v not in by_video:
            continue
        g = by_video[v]
        inter = np.clip(np.minimum(e, g[:, 1]) - np.maximum(s, g[:, 0]), 0, None)
        iou = inter / ((e - s) + (g[:, 1] - g[:, 0]) - inter)  # (G_v,)
        for j in np.argsort(-iou, kind="stable"):  # best overlap first
            if iou[j] < threshold:
                break
            if not used[v][j]:
                used[v][j] = True
                tp[i] = True
                break
    return tp


def interpolated_ap(precision: Sequence[float], recall: Sequence[float]) -> float:
    """VOC/ActivityNet interpolated average precision of a precision-recall curve.

    Pad the curve with ``(recall 0, precision 0)`` and ``(recall 1, precision 0)``, make precision
    monotone from the right (``p[i] = max(p[i], p[i+1])``), then sum ``(r[i] - r[i-1]) * p[i]`` over the
    points where recall changes.

    Args:
        precision, recall: ``(N,)`` each, in ranked order (recall non-decreasing).
    """
    p = np.asarray(precision, dtype=np.float64).reshape(-1)
    r = np.asarray(recall, dtype=np.float64).reshape(-1)
    if p.shape != r.shape:
        raise ValueError(f"expected as many precision as recall values, got {p.shape[0]} and {r.shape[0]}")
    if np.isnan(p).any() or np.isnan(r).any():
        raise ValueError("precision and recall must not contain NaN")
    mp = np.concatenate([[0.0], p, [0.0]])
    mr = np.concatenate([[0.0], r, [1.0]])
    for i in range(len(mp) - 2, -1, -1):
        mp[i] = max(mp[i], mp[i + 1])
    steps = np.flatnonzero(mr[1:] != mr[:-1]) + 1
    return float(np.sum((mr[steps] - mr[steps - 1]) * mp[steps]))


def _ap(preds: list[tuple], gts: list[tuple], threshold: float) -> float:
    if not gts:
        raise ValueError("average precision needs at least one ground-truth segment")
    if not preds:
        return 0.0
    tp = _match(preds, gts, threshold)
    scores = np.array([r[4] for r in preds], dtype=np.float64)
    tp = tp[np.argsort(-scores, kind="stable")].astype(np.float64)  # ranked order
    ctp, cfp = np.cumsum(tp), np.cumsum(1.0 - tp)
    return interpolated_ap(ctp / (ctp + cfp), ctp / len(gts))


def average_precision(predictions, ground_truth, tiou: float) -> float:
    """Average precision of one class at one tIoU threshold (ActivityNet protocol, see the module doc).

    Args:
        predictions: rows ``(video, start, end, label, score)``, all of one label.
        ground_truth: rows ``(video, start, end, label)`` of the same label; at least one.
        tiou: threshold in (0, 1].

    Returns:
        AP in [0, 1] (0 when there are no predictions).
    """
    preds = _rows(predictions, 5, "predictions")
    gts = _rows(ground_truth, 4, "ground_truth")
    _one_label(preds, gts)
    return _ap(preds, gts, _check_threshold(tiou))


def mean_ap(predictions, ground_truth, tious: Sequence[float] = DEFAULT_TIOUS) -> dict:
    """Mean average precision over the classes of ``ground_truth``, at each tIoU threshold.

    Args:
        predictions: rows ``(video, start, end, label, score)`` (labels absent from the ground truth are ignored).
        ground_truth: rows ``(video, start, end, label)``; at least one.
        tious: thresholds in (0, 1].

    Returns:
        ``{threshold (float): mAP, ..., "average": mean of those}``; a class without any prediction
        contributes AP 0.
    """
    preds = _rows(predictions, 5, "predictions")
    gts = _rows(ground_truth, 4, "ground_truth")
    if not gts:
        raise ValueError("mean_ap needs at least one ground-truth row (video, start, end, label)")
    thresholds = [_check_threshold(t) for t in tious]
    if not thresholds:
        raise ValueError("expected at least one tIoU threshold")
    gt_by, pred_by = defaultdict(list), defaultdict(list)
    for r in gts:
        gt_by[r[3]].append(r)
    for r in preds:
        pred_by[r[3]].append(r)
    out: dict = {}
    for t in thresholds:
        out[t] = float(np.mean([_ap(pred_by.get(c, []), g, t) for c, g in gt_by.items()]))
    out["average"] = float(np.mean([out[t] for t in thresholds]))
    return out
