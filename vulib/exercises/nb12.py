"""Checkers for notebook 12 -- video and language."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from . import check_equal, check_function, check_scalar, exercise, report_prediction

_g = torch.Generator().manual_seed(12)
_SIMS = [(torch.randn(4, 4, generator=_g) * 3,), (torch.eye(3) * 5,), (torch.randn(6, 6, generator=_g),)]


def _info_nce(sim: torch.Tensor) -> torch.Tensor:
    target = torch.arange(sim.shape[0])
    return 0.5 * (F.cross_entropy(sim, target) + F.cross_entropy(sim.T, target))


def _scalar(answer, expected, name):
    return check_scalar(answer, float(expected), name, rel_tol=1e-4, abs_tol=1e-6)


@exercise(
    notebook="12",
    reference=_info_nce,
    wrong=[
        lambda s: F.cross_entropy(s, torch.arange(s.shape[0])),  # one direction only
        lambda s: (
            0.5
            * (
                F.cross_entropy(s, torch.zeros(s.shape[0], dtype=torch.long))
                + F.cross_entropy(s.T, torch.zeros(s.shape[0], dtype=torch.long))
            )
        ),  # wrong targets
        lambda s: -s.diagonal().mean(),  # no softmax over the batch
    ],
)
def check_info_nce(fn) -> bool:
    """``fn(sim (B, B))`` = symmetric InfoNCE: mean of cross-entropy over rows and over columns, targets = diagonal."""
    return check_function(fn, _info_nce, _SIMS, "info_nce", compare=_scalar)


def _mask(n_visual: int, n_text: int) -> torch.Tensor:
    n = n_visual + n_text
    return torch.ones(n, n, dtype=torch.bool).triu(1)


def _tensor_equal(answer, expected, name):
    from . import check_tensor

    return check_tensor(answer, expected, name)


@exercise(
    notebook="12",
    reference=_mask,
    wrong=[
        lambda v, t: torch.ones(v + t, v + t, dtype=torch.bool).tril(-1),  # blocks the past instead
        lambda v, t: torch.ones(v + t, v + t, dtype=torch.bool).triu(0),  # blocks itself too
        lambda v, t: torch.zeros(v + t, v + t, dtype=torch.bool),  # sees the future
    ],
)
def check_causal_mask(fn) -> bool:
    """``fn(n_visual, n_text)`` = bool ``(N, N)``, True where attention is blocked (a later position)."""
    return check_function(fn, _mask, [(3, 2), (1, 4), (4, 0), (0, 3)], "causal_mask", compare=_tensor_equal)


def _tokens(T: int, H: int, W: int, time: int, space: int) -> int:
    return -(-T // time) * -(-H // space) * -(-W // space)


@exercise(
    notebook="12",
    reference=_tokens,
    wrong=[
        lambda T, H, W, t, s: T * H * W // (t * s),  # space pooled on one axis
        lambda T, H, W, t, s: (T // t) * (H // s) * (W // s),  # floor: drops the edge
        lambda T, H, W, t, s: T * H * W // (t + s * s),  # adds instead of multiplying
    ],
)
def check_visual_token_count(fn) -> bool:
    """``fn(T, H, W, time, space)`` = visual tokens after average pooling by ``time`` frames and ``space x space``
    cells, a partial window at an edge still making a token."""
    return check_function(
        fn,
        _tokens,
        [(16, 16, 16, 1, 1), (16, 16, 16, 4, 2), (8, 4, 4, 8, 4), (7, 5, 5, 2, 2), (8, 6, 6, 3, 4)],
        "token_count",
        compare=check_equal,
    )


# ---------------------------------------------------------------- exercise 4 (predict, then measure): the temperature


def _aligned_loss(v: torch.Tensor, scale: float) -> torch.Tensor:
    return _info_nce(scale * v @ v.T)


def _unit_rows(B: int, D: int, seed: int) -> torch.Tensor:
    return F.normalize(torch.randn(B, D, generator=torch.Generator().manual_seed(seed)), dim=1)


_ALIGNED_CASES = [(_unit_rows(48, 32, 0), 1.0), (_unit_rows(48, 32, 0), 100.0), (_unit_rows(8, 4, 1), 14.3)]


def _close(prediction, measured) -> bool:
    try:
        return all(abs(float(p) - m) <= 0.25 * m + 0.1 for p, m in zip(prediction, measured, strict=True))
    except (TypeError, ValueError):
        return False


@exercise(
    notebook="12",
    reference=_aligned_loss,
    wrong=[
        lambda v, scale: _info_nce(v @ v.T / scale),  # divided by 1/tau: the temperature upside down
        lambda v, scale: _info_nce(v @ v.T),  # the scale left out
        lambda v, scale: (scale * v @ v.T).softmax(1).diagonal().mean(),  # the probability, not the loss
    ],
)
def check_aligned_loss(fn, prediction=None) -> bool:
    """``fn(v (B, D) unit rows, scale)`` = InfoNCE of the logits ``scale * v @ v.T`` (every text identical to its
    video). ``prediction``: the learner's guess ``(loss at scale 1, loss at scale 100)`` for B = 48, D = 32
    (printed beside the measurement, not graded)."""
    check_function(fn, _aligned_loss, _ALIGNED_CASES, "aligned_loss", compare=_scalar)
    measured = tuple(round(float(_aligned_loss(*case)), 2) for case in _ALIGNED_CASES[:2])
    report_prediction(
        prediction,
        measured,
        "48 perfectly aligned pairs (scale 1, scale 100)",
        "cosines lie in [-1, 1], so at scale 1 the right pair's logit beats the others by at most 2 (section 3)",
        agrees=_close,
    )
    return True
