"""conv3d_reference equals torch's conv3d on random shapes and settings (property-based)."""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from vulib.ops import conv3d_reference


@st.composite
def conv_cases(draw):
    k = [draw(st.integers(1, 3)) for _ in range(3)]
    d = [draw(st.integers(1, 2)) for _ in range(3)]
    s = [draw(st.integers(1, 3)) for _ in range(3)]
    p = [draw(st.integers(0, (kk - 1) * dd // 2 + 1)) for kk, dd in zip(k, d)]
    size = [draw(st.integers(max(1, dd * (kk - 1) + 1 - 2 * pp), 9)) for kk, dd, pp in zip(k, d, p)]
    cin, cout, b = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 2))
    bias = draw(st.booleans())
    return b, cin, cout, size, k, s, p, d, bias


@settings(max_examples=60, deadline=None)
@given(conv_cases(), st.integers(0, 2**31 - 1))
def test_equals_torch_conv3d(case, seed):
    b, cin, cout, size, k, s, p, d, bias = case
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(b, cin, *size, generator=g, dtype=torch.float64)
    w = torch.randn(cout, cin, *k, generator=g, dtype=torch.float64)
    bb = torch.randn(cout, generator=g, dtype=torch.float64) if bias else None
    ours = conv3d_reference(x, w, bb, stride=tuple(s), padding=tuple(p), dilation=tuple(d))
    ref = F.conv3d(x, w, bb, stride=tuple(s), padding=tuple(p), dilation=tuple(d))
    assert ours.shape == ref.shape
    assert torch.allclose(ours, ref, atol=1e-10)


def test_int_arguments_and_float32():
    x, w = torch.randn(2, 3, 5, 6, 7), torch.randn(4, 3, 3, 3, 3)
    assert torch.allclose(conv3d_reference(x, w, stride=2, padding=1), F.conv3d(x, w, stride=2, padding=1), atol=1e-5)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(x=torch.randn(3, 5, 6, 7), w=torch.randn(4, 3, 3, 3, 3)), "x with 5 dimensions"),
        (dict(x=torch.randn(1, 2, 5, 6, 7), w=torch.randn(4, 3, 3, 3, 3)), "input channels"),
        (dict(x=torch.randn(1, 3, 2, 6, 7), w=torch.randn(4, 3, 3, 3, 3)), "does not fit"),
        (dict(x=torch.randn(1, 3, 5, 6, 7), w=torch.randn(4, 3, 3, 3, 3), stride=(1, 2)), "triple"),
        (dict(x=torch.randn(1, 3, 5, 6, 7), w=torch.randn(4, 3, 3, 3, 3), stride=0), "stride >= 1"),
    ],
)
def test_bad_input(kwargs, message):
    x, w = kwargs.pop("x"), kwargs.pop("w")
    with pytest.raises(ValueError, match=message):
        conv3d_reference(x, w, **kwargs)
