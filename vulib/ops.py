"""Operations written out by hand, so a learner can read exactly what the library versions compute."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .tensors import check_tensor

__all__ = ["conv3d_reference"]


def _triple(v, name: str) -> tuple[int, int, int]:
    t = (v, v, v) if isinstance(v, int) else tuple(v)
    if len(t) != 3 or not all(isinstance(a, int) for a in t):
        raise ValueError(f"expected {name} as an int or a (t, h, w) triple of ints, got {v!r}")
    return t


def conv3d_reference(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None, stride=1, padding=0, dilation=1
) -> torch.Tensor:
    """3D convolution from scratch: one loop over the kernel's offsets, a matrix product at each.

    Shapes:
        x: ``(B, C_in, T, H, W)``; weight: ``(C_out, C_in, kT, kH, kW)``; bias: ``(C_out,)``.
        Returns ``(B, C_out, T', H', W')`` with, per axis, ``L' = (L + 2p - d(k-1) - 1) // s + 1``.

    ``stride``, ``padding`` and ``dilation`` are ints or ``(t, h, w)`` triples. Equals
    ``torch.nn.functional.conv3d`` (proved by property tests); far slower, but readable:
    output ``y[b, f, t, h, w] = bias[f] + sum over c, i, j, k of
    weight[f, c, i, j, k] * x_padded[b, c, t*s_t + i*d_t, h*s_h + j*d_h, w*s_w + k*d_w]``.
    """
    check_tensor(x, "x", ndim=5, floating=True)
    check_tensor(weight, "weight", ndim=5, floating=True)
    s, p, d = _triple(stride, "stride"), _triple(padding, "padding"), _triple(dilation, "dilation")
    if min(s) < 1 or min(d) < 1 or min(p) < 0:
        raise ValueError(f"expected stride >= 1, dilation >= 1, padding >= 0, got {s}, {d}, {p}")
    B, C, *size = x.shape
    F_out, C_w, *k = weight.shape
    if C_w != C:
        raise ValueError(f"weight expects {C_w} input channels, x has {C} (x: (B, C, T, H, W) = {tuple(x.shape)})")
    if bias is not None and tuple(bias.shape) != (F_out,):
        raise ValueError(f"expected bias of shape ({F_out},), got {tuple(bias.shape)}")
    out_size = [(n + 2 * pp - dd * (kk - 1) - 1) // ss + 1 for n, pp, dd, kk, ss in zip(size, p, d, k, s)]
    if min(out_size) < 1:
        raise ValueError(
            f"the kernel {tuple(k)} (dilation {d}) does not fit in the padded input "
            f"{tuple(n + 2 * pp for n, pp in zip(size, p))}"
        )
    xp = F.pad(x, (p[2], p[2], p[1], p[1], p[0], p[0]))  # (B, C, T+2p, H+2p, W+2p)
    To, Ho, Wo = out_size
    out = x.new_zeros(B, F_out, To, Ho, Wo)
    for i in range(k[0]):  # every offset (i, j, l) inside the kernel ...
        for j in range(k[1]):
            for l in range(k[2]):
                t0, h0, w0 = i * d[0], j * d[1], l * d[2]
                # ... picks the input values that this kernel tap sees for every output position
                patch = xp[
                    :,
                    :,
                    t0 : t0 + s[0] * (To - 1) + 1 : s[0],
                    h0 : h0 + s[1] * (Ho - 1) + 1 : s[1],
                    w0 : w0 + s[2] * (Wo - 1) + 1 : s[2],
                ]  # (B, C, T', H', W')
                out += torch.einsum("bcthw,fc->bfthw", patch, weight[:, :, i, j, l])
    if bias is not None:
        out += bias.view(1, F_out, 1, 1, 1)
    return out
