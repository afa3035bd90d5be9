"""Checkers for notebook 08 -- video transformers: all FLOPs of a divided vs a joint block, divided attention's
reshapes, attention FLOPs, a block's reach."""

from __future__ import annotations

import torch

from . import check_equal, check_function, check_scalar, exercise, report_prediction

# ------------------------------------------- exercise 1 (predict, then measure): all FLOPs of one block
# torch.utils.flop_counter counts the matrix products only (2 FLOPs per multiply-add): per token, a joint block
# has q, k, v and output projections (8 D^2) and a 4x-wide MLP (16 D^2), plus 4 D L for the two attention
# products over its L = T N tokens; a divided block has a second set of projections for its time step
# (8 D^2 more) and 4 D (T + N) for its two attention steps. So divided / joint = (8 D + T + N) / (6 D + T N),
# which tests/test_exercises.py checks against the counter.


def _block_ratio(T: int, N: int, D: int) -> float:
    return (8 * D + T + N) / (6 * D + T * N)


def _measured_block_ratio(T: int, N: int, D: int) -> float:
    """:func:`_block_ratio` as the learner measures it: ``vulib.cost.total_flops`` of the two blocks."""
    from ..cost import total_flops
    from ..models.video_vit import Block, DividedBlock

    with torch.random.fork_rng():  # building a block draws its weights: the learner's stream is left as it was
        divided = total_flops(DividedBlock(D, heads=2), (T, N, D))
        joint = total_flops(Block(D, heads=2), (T * N, D))
    return divided / joint


# (token frames T', tokens per frame N, width D); the notebook's sweep is N = 16, D = 32
_RATIO_CASES = [(4, 16, 32), (8, 16, 32), (2, 64, 32), (6, 9, 16)]


@exercise(
    notebook="08",
    reference=_block_ratio,
    wrong=[
        lambda T, N, D: (T + N) / (T * N),  # the attention products only (section 3's count), not all FLOPs
        lambda T, N, D: (6 * D + T * N) / (8 * D + T + N),  # joint over divided
        lambda T, N, D: (6 * D + T + N) / (6 * D + T * N),  # the time step's projections forgotten
        lambda T, N, D: (8 * D + T + N * N) / (6 * D + T * N * N),  # N patches per side, not N in all
    ],
)
def check_block_ratio(fn, prediction=None) -> bool:
    """``fn(T, N, D)`` = all FLOPs (``vulib.cost.total_flops``) of one divided block over one joint block, both of
    width ``D`` with 2 heads, on ``T`` token frames of ``N`` tokens. ``prediction``: the learner's guess of the
    fewest token frames at which the divided block costs less, for N = 16, D = 32 (printed beside the
    measurement, not graded)."""
    check_function(
        fn, _block_ratio, _RATIO_CASES, "block_ratio", compare=lambda a, e, name: check_scalar(a, e, name, rel_tol=1e-9)
    )
    report_prediction(
        prediction,
        next(T for T in range(1, 65) if _block_ratio(T, 16, 32) < 1),
        "the fewest token frames at which a divided block costs less (N = 16, width 32)",
        "the time step's own q, k, v and output projections cost 8·D² FLOPs per token, and the attention it saves, "
        "4·D·(T'·N − T' − N), pays them back only once T'·N − T' − N passes 2·D (section 3: below about 6·D "
        "tokens the linear layers are most of the cost)",
    )
    return True


_g = torch.Generator().manual_seed(8)
_SEQ_CASES = [
    (torch.randn(2, 4 * 3, 5, generator=_g), 4, 3),
    (torch.randn(1, 2 * 6, 3, generator=_g), 2, 6),
    (torch.randn(3, 5 * 5, 2, generator=_g), 5, 5),
]


def _to_time(x: torch.Tensor, T: int, N: int) -> torch.Tensor:
    B, L, D = x.shape
    return torch.stack([x[:, t * N : (t + 1) * N] for t in range(T)], dim=2).reshape(B * N, T, D)


def _from_time(y: torch.Tensor, T: int, N: int) -> torch.Tensor:
    BN, _, D = y.shape
    B = BN // N
    per = y.reshape(B, N, T, D)
    return torch.cat([per[:, :, t] for t in range(T)], dim=1)


@exercise(
    notebook="08",
    reference=_to_time,
    wrong=[
        lambda x, T, N: x.reshape(x.shape[0] * N, T, x.shape[2]),  # no transpose
        lambda x, T, N: x.reshape(x.shape[0], T, N, -1).reshape(x.shape[0] * T, N, -1),  # frames, not positions
        lambda x, T, N: x.reshape(x.shape[0], N, T, -1).transpose(1, 2).reshape(x.shape[0] * N, T, -1),  # wrong split
    ],
)
def check_to_time_sequences(fn) -> bool:
    """``fn(x (B, T*N, D), T, N)`` = ``(B*N, T, D)``: for every clip and patch position, its T tokens in time order."""
    return check_function(fn, _to_time, _SEQ_CASES, "to_time_sequences")


_BACK_CASES = [(_to_time(x, T, N), T, N) for x, T, N in _SEQ_CASES]


@exercise(
    notebook="08",
    reference=_from_time,
    wrong=[
        lambda y, T, N: y.reshape(y.shape[0] // N, T * N, y.shape[2]),  # no transpose back
        lambda y, T, N: y.reshape(y.shape[0] // N, N, T, -1).reshape(
            y.shape[0] // N, N * T, -1
        ),  # position-major order
        lambda y, T, N: y.transpose(0, 1).reshape(y.shape[0] // N, T * N, -1),  # mixes clips
    ],
)
def check_from_time_sequences(fn) -> bool:
    """``fn(y (B*N, T, D), T, N)`` = ``(B, T*N, D)`` in the original (frame, position) token order."""
    return check_function(fn, _from_time, _BACK_CASES, "from_time_sequences")


def _divided_flops(T: int, N: int, D: int) -> int:
    return 2 * 2 * D * (N * T * T + T * N * N)


@exercise(
    notebook="08",
    reference=_divided_flops,
    wrong=[
        lambda T, N, D: 2 * 2 * D * (N * T) ** 2,  # joint attention's count
        lambda T, N, D: 2 * D * (N * T * T + T * N * N),  # multiply-adds, not FLOPs
        lambda T, N, D: 2 * 2 * D * T * N * N,  # forgot the temporal attention
        lambda T, N, D: 2 * 2 * D * (T * T + N * N),  # one sequence of each kind only
    ],
)
def check_divided_flops(fn) -> bool:
    """``fn(T, N, D)`` = FLOPs of the two attention products of one divided block (D channels over all heads)."""
    cases = [(4, 16, 32), (8, 196, 768), (16, 49, 64), (1, 9, 8)]
    return check_function(
        fn, _divided_flops, cases, "divided_flops", compare=lambda a, e, name: check_scalar(a, e, name, rel_tol=1e-9)
    )


# ---------------------------------------------------------------- exercise 4 (predict, then measure): a block's reach


def _reached(block, T: int, N: int, D: int, query) -> int:
    x = torch.randn(1, T, N, D, generator=torch.Generator().manual_seed(0), requires_grad=True)
    block(x)[0, query[0], query[1]].sum().backward()
    return int((x.grad[0].abs().sum(-1) > 0).sum())


def _reach_cases():
    from ..models.video_vit import DividedBlock

    cases = []
    with torch.random.fork_rng():  # the learner's random stream is left as it was
        torch.manual_seed(8)
        for T, N, D, query, grown in ((4, 16, 32, (1, 5), True), (4, 16, 32, (1, 5), False), (3, 9, 16, (2, 0), True)):
            block = DividedBlock(D, heads=2)
            if grown:  # a time step that training has grown (a new block's time projection is zero)
                torch.nn.init.normal_(block.time_attn.proj.weight, std=0.1)
            cases.append((block, T, N, D, query))
    return cases


@exercise(
    notebook="08",
    reference=_reached,
    wrong=[
        lambda block, T, N, D, q: T + N - 1,  # the picture's two steps, not their composition
        lambda block, T, N, D, q: T * N,  # every token, whatever the block's weights
        lambda block, T, N, D, q: N,  # the space step only
    ],
)
def check_tokens_reached(fn, prediction=None) -> bool:
    """``fn(block, T, N, D, query)`` = how many of the ``T * N`` input tokens ``(1, T, N, D)`` change the
    block's output token ``query = (t, n)``, measured by the gradient. ``prediction``: the learner's guess for
    a grown divided block with T = 4, N = 16 (printed beside the measurement, not graded)."""
    cases = _reach_cases()
    check_function(fn, _reached, cases, "tokens_reached", compare=check_equal)
    report_prediction(
        prediction,
        _reached(*cases[0]),
        "one divided block, T = 4, N = 16",
        "the space step reads tokens that the time step has already mixed (section 3's picture, step by step)",
    )
    return True
