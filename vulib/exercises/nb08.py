"""Checkers for notebook 08 -- video transformers: tokens, divided attention's reshapes, attention FLOPs."""

from __future__ import annotations

import torch

from . import check_equal, check_function, check_scalar, exercise, report_prediction

# (frames, size, tubelet (t, p_h, p_w))
_CLIPS = [(8, 224, (1, 16, 16)), (16, 224, (2, 16, 16)), (32, 112, (4, 8, 8)), (8, 16, (2, 4, 4)), (12, 96, (3, 16, 8))]


def _tokens(frames: int, size: int, tubelet: tuple[int, int, int]) -> int:
    t, ph, pw = tubelet
    return (frames // t) * (size // ph) * (size // pw)


@exercise(
    notebook="08",
    reference=_tokens,
    wrong=[
        lambda f, s, tb: f * (s // tb[1]) * (s // tb[2]),  # patches of every frame: ignored t
        lambda f, s, tb: (f // tb[0]) * (s // tb[1]) ** 2,  # assumed square patches
        lambda f, s, tb: (f // tb[0]) * (s // tb[1]),  # one row of patches only
    ],
)
def check_token_count(fn) -> bool:
    """``fn(frames, size, tubelet)`` = number of tubelet tokens of a ``frames x size x size`` clip."""
    return check_function(fn, _tokens, _CLIPS, "token_count", compare=check_equal)


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
