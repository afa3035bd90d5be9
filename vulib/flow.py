"""Optical flow: where did each pixel go between two frames? Taught in notebook 04.

Convention (everywhere in vulib): a flow field is ``(B, 2, H, W)`` in **pixels**, channel 0 the
horizontal component ``u`` (positive = right), channel 1 the vertical ``v`` (positive = down), and it
maps frame 1 to frame 2: ``frame2[y + v, x + u] ≈ frame1[y, x]``. For a clip ``(B, C, T, H, W)`` the
flows between consecutive frames are ``(B, 2, T-1, H, W)`` -- the layout of
:attr:`vulib.synthetic.VideoBatch.flow`.

Both classical estimators rest on **brightness constancy**: a moving point keeps its brightness,
``I(x + u, y + v, t + 1) = I(x, y, t)``; to first order ``Ix u + Iy v + It = 0``. That is one equation
for two unknowns per pixel (the *aperture problem*), so each method adds an assumption:

* :func:`lucas_kanade` -- the flow is constant in a small window: least squares over the window;
* :func:`horn_schunck` -- the flow is smooth over the whole image: a global energy, solved iteratively.

The first-order equation only holds for motions of about a pixel; both estimators therefore run
coarse to fine on a Gaussian image pyramid (``levels``: blur, then halve), warping frame 2 by the flow
found so far and estimating what is left.

Everything is batched PyTorch, so it runs on CPU or GPU without change.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .tensors import check_video

__all__ = [
    "lucas_kanade",
    "horn_schunck",
    "auto_levels",
    "warp",
    "endpoint_error",
    "flow_to_color",
    "color_wheel",
    "stack_flow",
    "show_flow",
    "flow_pictures",
    "shifted_texture",
    "moving_stripes",
    "spatial_gradients",
]


# ----------------------------------------------------------------------------------------
# Input checks
# ----------------------------------------------------------------------------------------
def _check_flow(flow: torch.Tensor, name: str = "flow") -> None:
    if not isinstance(flow, torch.Tensor) or flow.ndim != 4 or flow.shape[1] != 2:
        got = tuple(flow.shape) if isinstance(flow, torch.Tensor) else type(flow).__name__
        raise ValueError(f"expected {name} of shape (B, 2, H, W) (u then v, in pixels), got {got}")
    if not flow.is_floating_point():
        raise ValueError(f"expected {name} of a floating dtype, got {flow.dtype}")


def _check_frame_pair(frame1: torch.Tensor, frame2: torch.Tensor) -> None:
    for name, f in (("frame1", frame1), ("frame2", frame2)):
        if not isinstance(f, torch.Tensor) or f.ndim != 4:
            got = tuple(f.shape) if isinstance(f, torch.Tensor) else type(f).__name__
            raise ValueError(
                f"expected {name} of shape (B, C, H, W), got {got}; for a whole clip pass one (B, C, T, H, W) tensor"
            )
        if not f.is_floating_point():
            raise ValueError(f"expected {name} of a floating dtype (float32 in [0, 1]), got {f.dtype}")
        if not torch.isfinite(f).all():
            raise ValueError(f"{name} contains NaN or infinite values")
    if frame1.shape != frame2.shape:
        raise ValueError(f"expected two frames of the same shape, got {tuple(frame1.shape)} and {tuple(frame2.shape)}")


def _pairs(frame1: torch.Tensor, frame2: torch.Tensor | None):
    """Turn ``(clip)`` or ``(frame1, frame2)`` into two ``(N, C, H, W)`` batches and a function to reshape flows."""
    if frame2 is None:
        check_video(frame1, name="clip")
        if not torch.isfinite(frame1).all():
            raise ValueError("clip contains NaN or infinite values")
        B, C, T, H, W = frame1.shape
        if T < 2:
            raise ValueError(f"a clip needs at least 2 frames to have a flow, got T={T}")
        f1 = frame1[:, :, :-1].transpose(1, 2).reshape(B * (T - 1), C, H, W)  # (B*(T-1), C, H, W)
        f2 = frame1[:, :, 1:].transpose(1, 2).reshape(B * (T - 1), C, H, W)
        return f1, f2, lambda fl: fl.view(B, T - 1, 2, H, W).transpose(1, 2)  # -> (B, 2, T-1, H, W)
    _check_frame_pair(frame1, frame2)
    return frame1, frame2, lambda fl: fl


def _gray(x: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) -> (N, 1, H, W): the mean over colour channels (brightness)."""
    return x.mean(dim=1, keepdim=True)


def _blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of (N, 1, H, W), replicate borders."""
    if sigma <= 0:
        return x
    r = max(1, int(math.ceil(2 * sigma)))
    k = torch.exp(-0.5 * (torch.arange(-r, r + 1, dtype=x.dtype, device=x.device) / sigma) ** 2)
    k = k / k.sum()
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="replicate"), k.view(1, 1, 1, -1))
    return F.conv2d(F.pad(x, (0, 0, r, r), mode="replicate"), k.view(1, 1, -1, 1))


def spatial_gradients(image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Central differences ``(dI/dx, dI/dy)`` of ``(N, 1, H, W)``, replicate borders; each ``(N, 1, H, W)``."""
    p = F.pad(image, (1, 1, 1, 1), mode="replicate")
    ix = (p[:, :, 1:-1, 2:] - p[:, :, 1:-1, :-2]) / 2
    iy = (p[:, :, 2:, 1:-1] - p[:, :, :-2, 1:-1]) / 2
    return ix, iy


# ----------------------------------------------------------------------------------------
# Warping and errors
# ----------------------------------------------------------------------------------------
def warp(frame: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Backward warp: ``out[y, x] = frame[y + v, x + u]`` (bilinear; outside the image: the nearest border pixel).

    Warping frame 2 by the flow from frame 1 to frame 2 gives back (approximately) frame 1.
    Shapes: ``frame (B, C, H, W)``, ``flow (B, 2, H, W)`` -> ``(B, C, H, W)``.
    """
    _check_flow(flow)
    if not isinstance(frame, torch.Tensor) or frame.ndim != 4:
        got = tuple(frame.shape) if isinstance(frame, torch.Tensor) else type(frame).__name__
        raise ValueError(f"expected frame of shape (B, C, H, W), got {got}")
    if frame.shape[0] != flow.shape[0] or frame.shape[2:] != flow.shape[2:]:
        raise ValueError(f"frame {tuple(frame.shape)} and flow {tuple(flow.shape)} must share B, H and W")
    B, _, H, W = flow.shape
    ys, xs = torch.meshgrid(
        torch.arange(H, dtype=flow.dtype, device=flow.device),
        torch.arange(W, dtype=flow.dtype, device=flow.device),
        indexing="ij",
    )
    x = xs + flow[:, 0]  # (B, H, W): where to read from
    y = ys + flow[:, 1]
    grid = torch.stack([2 * x / max(W - 1, 1) - 1, 2 * y / max(H - 1, 1) - 1], dim=-1)  # (B, H, W, 2) in [-1, 1]
    return F.grid_sample(frame.to(flow.dtype), grid, mode="bilinear", padding_mode="border", align_corners=True)


def endpoint_error(flow: torch.Tensor, true_flow: torch.Tensor, mask: torch.Tensor | None = None) -> float:
    """Average end-point error: the mean length of ``flow - true_flow``, in pixels.

    Shapes: ``(B, 2, H, W)`` or ``(B, 2, T, H, W)``, both the same; ``mask`` (optional, bool) selects
    the pixels to average over, shape ``(B, H, W)`` or ``(B, T, H, W)``.
    """
    if not isinstance(flow, torch.Tensor) or not isinstance(true_flow, torch.Tensor) or flow.shape != true_flow.shape:
        raise ValueError(f"expected two flows of the same shape, got {_shape(flow)} and {_shape(true_flow)}")
    if flow.ndim not in (4, 5) or flow.shape[1] != 2:
        raise ValueError(f"expected flows of shape (B, 2, H, W) or (B, 2, T, H, W), got {tuple(flow.shape)}")
    err = (flow - true_flow).norm(dim=1)  # (B, H, W) or (B, T, H, W)
    if mask is None:
        return err.mean().item()
    if mask.shape != err.shape:
        raise ValueError(f"expected a mask of shape {tuple(err.shape)}, got {tuple(mask.shape)}")
    if not mask.any():
        raise ValueError("the mask selects no pixel")
    return err[mask.bool()].mean().item()


def _shape(x) -> object:
    return tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__


# ----------------------------------------------------------------------------------------
# Estimators
# ----------------------------------------------------------------------------------------
def auto_levels(height: int, width: int) -> int:
    """Pyramid levels used by default: as many as keep the coarsest level at least 16 pixels, at most 3.

    Coarser levels let a pyramid follow larger motions, but on small images they also spread the motion of
    an object over its still surroundings: 32-pixel frames get 2 levels, 64-pixel frames 3.
    """
    return max(1, min(3, int(math.log2(max(min(height, width), 16) / 16)) + 1))


def halve(image: torch.Tensor, sigma: float = 1.0) -> torch.Tensor:
    """One level down a Gaussian pyramid: blur, then average 2 x 2 blocks.
    ``(N, 1, H, W) -> (N, 1, ceil(H/2), ceil(W/2))``.

    The blur (``sigma`` pixels; 0: none, a plain box pyramid) is anti-aliasing: detail finer than the coarser
    grid can hold would otherwise fold into false coarse patterns, which a coarse level then tracks in the
    wrong direction (Burt & Adelson 1983; Bouguet's pyramidal Lucas--Kanade smooths the same way).
    """
    return F.avg_pool2d(_blur(image, sigma), 2, ceil_mode=True)


def _coarse_to_fine(
    f1: torch.Tensor, f2: torch.Tensor, levels: int | None, warps: int, step, pyramid_sigma: float = 0.0
) -> torch.Tensor:
    """Run ``step(img1, img2_warped, flow) -> flow`` from the coarsest pyramid level to the finest."""
    H, W = f1.shape[-2:]
    levels = auto_levels(H, W) if levels is None else levels
    if levels < 1 or warps < 1:
        raise ValueError(f"levels and warps must be >= 1, got levels={levels}, warps={warps}")
    if min(H, W) // 2 ** (levels - 1) < 4:
        raise ValueError(f"{levels} pyramid levels halve a {H}x{W} image below 4 pixels; use fewer levels")
    pyramid = [(f1, f2)]
    for _ in range(levels - 1):
        a, b = pyramid[-1]
        pyramid.append((halve(a, pyramid_sigma), halve(b, pyramid_sigma)))
    flow = None
    for a, b in reversed(pyramid):  # coarsest first
        if flow is None:
            flow = a.new_zeros(a.shape[0], 2, *a.shape[-2:])
        else:  # up one level: twice the pixels, twice the motion
            scale = torch.tensor(
                [a.shape[-1] / flow.shape[-1], a.shape[-2] / flow.shape[-2]], dtype=flow.dtype, device=flow.device
            ).view(1, 2, 1, 1)
            flow = F.interpolate(flow, size=a.shape[-2:], mode="bilinear", align_corners=False) * scale
        for _ in range(warps):
            flow = step(a, warp(b, flow), flow)
    return flow


def _in_chunks(f1: torch.Tensor, f2: torch.Tensor, estimate, sigma: float, pairs: int = 256) -> torch.Tensor:
    """Grey, blur and ``estimate`` at most ``pairs`` frame pairs at a time (bounded memory for big batches)."""
    prep = lambda f: _blur(_gray(f.float()), sigma)  # (n, C, H, W) -> (n, 1, H, W)
    return torch.cat([estimate(prep(f1[i : i + pairs]), prep(f2[i : i + pairs])) for i in range(0, f1.shape[0], pairs)])


def lucas_kanade(
    frame1: torch.Tensor,
    frame2: torch.Tensor | None = None,
    *,
    window: int = 5,
    levels: int | None = None,
    warps: int = 2,
    sigma: float = 1.0,
    eps: float = 1e-3,
    pyramid_sigma: float = 1.0,
) -> torch.Tensor:
    """Lucas--Kanade optical flow: least squares over a ``window x window`` neighbourhood of each pixel.

    In each window, every pixel gives one equation ``Ix u + Iy v = -It``; the least-squares solution is
    ``[u, v] = -M^-1 [sum Ix It, sum Iy It]`` with the 2x2 structure tensor
    ``M = [[sum Ix Ix, sum Ix Iy], [sum Ix Iy, sum Iy Iy]]``. Where the window has no texture, ``M`` is
    (nearly) singular; ``eps`` (added to its diagonal) then pulls the answer towards zero.

    Args:
        frame1, frame2: two frames ``(B, C, H, W)`` -> flow ``(B, 2, H, W)``; or one clip
            ``(B, C, T, H, W)`` (``frame2`` omitted) -> flows ``(B, 2, T-1, H, W)``. Pixels, u then v.
        window: side of the square window (pixels, odd).
        levels: pyramid levels (1 = no pyramid); each level halves the image. Default: :func:`auto_levels`.
        warps: estimate-and-warp rounds per level.
        sigma: Gaussian pre-smoothing (pixels); smooth images obey the linearization better.
        eps: regularization of the structure tensor.
        pyramid_sigma: Gaussian blur before each halving (:func:`halve`); without it, fine texture aliases
            at the coarsest level and a few textures in a hundred are tracked wrongly at 3-4 pixels of motion.
    """
    if window < 1 or window % 2 == 0:
        raise ValueError(f"window must be a positive odd number of pixels, got {window}")
    f1, f2, unpack = _pairs(frame1, frame2)

    def box(x):  # window sums (as means; M and b scale alike)
        return F.avg_pool2d(F.pad(x, [window // 2] * 4, mode="replicate"), window, stride=1)

    def step(a, b, flow):
        ix1, iy1 = spatial_gradients(a)
        ix2, iy2 = spatial_gradients(b)
        ix, iy, it = (ix1 + ix2) / 2, (iy1 + iy2) / 2, b - a  # (N, 1, H, W) each
        sxx, sxy, syy = box(ix * ix) + eps, box(ix * iy), box(iy * iy) + eps
        sxt, syt = box(ix * it), box(iy * it)
        det = sxx * syy - sxy * sxy
        du = -(syy * sxt - sxy * syt) / det  # solve the 2x2 system at every pixel
        dv = -(sxx * syt - sxy * sxt) / det
        return box(flow + torch.cat([du, dv], dim=1))  # smoothed, so warping stays stable

    return unpack(_in_chunks(f1, f2, lambda a, b: _coarse_to_fine(a, b, levels, warps, step, pyramid_sigma), sigma))


_HS_NEIGHBOURS = torch.tensor([[1 / 12, 1 / 6, 1 / 12], [1 / 6, 0.0, 1 / 6], [1 / 12, 1 / 6, 1 / 12]])


def horn_schunck(
    frame1: torch.Tensor,
    frame2: torch.Tensor | None = None,
    *,
    alpha: float = 0.1,
    iterations: int = 50,
    levels: int | None = None,
    warps: int = 3,
    sigma: float = 1.0,
) -> torch.Tensor:
    """Horn--Schunck optical flow: brightness constancy plus smoothness over the whole image.

    Minimizes ``sum (Ix u + Iy v + It)^2 + alpha^2 (|grad u|^2 + |grad v|^2)`` by Jacobi iterations:
    ``u <- u_avg - Ix (Ix u_avg + Iy v_avg + It) / (alpha^2 + Ix^2 + Iy^2)`` (and the same for ``v``), where
    ``u_avg`` is the average of the neighbours. Smoothness fills textureless regions from their borders
    -- and blurs the flow across object edges.

    Args:
        frame1, frame2: as in :func:`lucas_kanade`; output ``(B, 2, H, W)`` or ``(B, 2, T-1, H, W)``, pixels.
        alpha: weight of smoothness (in brightness units, images in [0, 1]).
        iterations: Jacobi iterations per warp.
        levels, warps, sigma: as in :func:`lucas_kanade`; the pyramid halves without the extra blur (a box
            pyramid): blurring lowers the gradients, and with them the data term that ``alpha`` is set against.
    """
    if alpha <= 0 or iterations < 1:
        raise ValueError(f"alpha must be > 0 and iterations >= 1, got alpha={alpha}, iterations={iterations}")
    f1, f2, unpack = _pairs(frame1, frame2)
    kernel = _HS_NEIGHBOURS.to(device=f1.device).view(1, 1, 3, 3).repeat(2, 1, 1, 1)

    def step(a, b, flow):
        ix1, iy1 = spatial_gradients(a)
        ix2, iy2 = spatial_gradients(b)
        ix, iy, it = (ix1 + ix2) / 2, (iy1 + iy2) / 2, b - a
        denom = alpha**2 + ix * ix + iy * iy
        d = torch.zeros_like(flow)  # the increment on top of `flow`
        for _ in range(iterations):
            avg = F.conv2d(F.pad(flow + d, (1, 1, 1, 1), mode="replicate"), kernel, groups=2) - flow
            r = (ix * avg[:, :1] + iy * avg[:, 1:] + it) / denom
            d = torch.cat([avg[:, :1] - ix * r, avg[:, 1:] - iy * r], dim=1)
        return flow + d

    return unpack(_in_chunks(f1, f2, lambda a, b: _coarse_to_fine(a, b, levels, warps, step), sigma))


# ----------------------------------------------------------------------------------------
# Pictures of flow
# ----------------------------------------------------------------------------------------
def _hsv_to_rgb(h: torch.Tensor, s: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """HSV in [0, 1] (any equal shapes) -> RGB (..., 3) in [0, 1]."""
    k = torch.stack([(5 + h * 6) % 6, (3 + h * 6) % 6, (1 + h * 6) % 6], dim=-1)  # (..., 3)
    return v[..., None] - (v * s)[..., None] * torch.clamp(torch.minimum(k, 4 - k), 0, 1)


def flow_to_color(flow: torch.Tensor, max_magnitude: float | None = None) -> torch.Tensor:
    """Colour picture of a flow: hue = direction, saturation = speed (white = still).

    Right is red, down is yellow-green, left is cyan, up is violet (see :func:`color_wheel`).
    Shapes: ``(2, H, W)`` -> ``(H, W, 3)``; ``(B, 2, H, W)`` -> ``(B, H, W, 3)``; RGB in [0, 1].
    ``max_magnitude`` (pixels) is the speed drawn fully saturated (default: the largest in ``flow``).
    """
    single = isinstance(flow, torch.Tensor) and flow.ndim == 3
    flow = flow.unsqueeze(0) if single else flow
    _check_flow(flow)
    flow = flow.detach().float().cpu()
    u, v = flow[:, 0], flow[:, 1]
    mag = torch.sqrt(u * u + v * v)
    top = float(max_magnitude) if max_magnitude is not None else max(mag.max().item(), 1e-6)
    if top <= 0:
        raise ValueError(f"max_magnitude must be > 0 pixels, got {max_magnitude}")
    hue = (torch.atan2(v, u) / (2 * math.pi)) % 1.0  # image y points down: down = +90 degrees
    rgb = _hsv_to_rgb(hue, (mag / top).clamp(0, 1), torch.ones_like(mag))
    return rgb[0] if single else rgb


def color_wheel(size: int = 65, max_magnitude: float = 1.0) -> torch.Tensor:
    """The legend of :func:`flow_to_color`: each pixel coloured by its offset from the centre
    (the centre still, the rim moving at ``max_magnitude``); white outside the disc. ``(size, size, 3)``."""
    if size < 3:
        raise ValueError(f"size must be at least 3 pixels, got {size}")
    c = (size - 1) / 2
    ys, xs = torch.meshgrid(
        torch.arange(size, dtype=torch.float32), torch.arange(size, dtype=torch.float32), indexing="ij"
    )
    flow = torch.stack([(xs - c) / c, (ys - c) / c]) * max_magnitude  # (2, size, size)
    rgb = flow_to_color(flow, max_magnitude=max_magnitude)
    outside = (flow.norm(dim=0) > max_magnitude)[..., None]
    return torch.where(outside, torch.ones_like(rgb), rgb)


def show_flow(
    ax,
    flow: torch.Tensor,
    *,
    max_magnitude: float | None = None,
    arrows: bool = True,
    step: int | None = None,
    min_speed: float = 0.2,
    arrow_color: str = "black",
    arrow_scale: float = 1.0,
):
    """Draw one flow field ``(2, H, W)`` on a matplotlib ``ax``: the colour picture of
    :func:`flow_to_color` *and*, by default, arrows every ``step`` pixels.

    Hue alone encodes direction, and hue is what colour-blind viewers (and grey-scale printers) lose:
    the arrows say the same thing in a form that survives both (WCAG 1.4.1, use of colour).  Arrows
    are drawn where the speed exceeds ``min_speed`` pixels, in image coordinates (y points down), at
    their true length.  ``step`` defaults to about 10 arrows across.  Pass ``arrows=False`` only where
    the figure gives the direction in another way.  ``arrow_scale`` lengthens every arrow by that factor (for a
    flow of a pixel or less, whose true-length arrows look like dots).  Returns the ``AxesImage``.
    """
    if not (isinstance(flow, torch.Tensor) and flow.ndim == 3 and flow.shape[0] == 2):
        raise ValueError(
            f"expected one flow field of shape (2, H, W), got "
            f"{tuple(flow.shape) if isinstance(flow, torch.Tensor) else type(flow).__name__}"
        )
    if step is not None and step < 1:
        raise ValueError(f"step must be at least 1 pixel, got {step}")
    flow = flow.detach().float().cpu()
    im = ax.imshow(flow_to_color(flow, max_magnitude=max_magnitude).numpy(), interpolation="nearest")
    if arrows:
        H, W = flow.shape[-2:]
        step = step or max(1, round(max(H, W) / 10))
        ys, xs = torch.meshgrid(torch.arange(step // 2, H, step), torch.arange(step // 2, W, step), indexing="ij")
        u, v = flow[0, ys, xs], flow[1, ys, xs]
        keep = torch.hypot(u, v) > min_speed
        if keep.any():
            ax.quiver(
                xs[keep].numpy(),
                ys[keep].numpy(),
                u[keep].numpy(),
                v[keep].numpy(),
                color=arrow_color,
                angles="xy",
                scale_units="xy",
                scale=1 / arrow_scale,
                width=0.012,
                headwidth=3,
            )
    ax.set_xticks([]), ax.set_yticks([])
    return im


def flow_pictures(flow: torch.Tensor, *, max_magnitude: float | None = None, pixels: int = 96) -> torch.Tensor:
    """A flow *video* drawn for the eye: ``(2, T, H, W) -> (3, T, pixels, pixels)`` RGB in ``[0, 1]``.

    Each frame is :func:`show_flow`'s picture (colour **and** arrows) rendered off screen, so an animation of
    flow (``vulib.viz.animate_clips``) never tells direction by hue alone. ``max_magnitude`` is shared by all
    frames (default: the largest speed of the clip), so colours compare across time.
    """
    if not (isinstance(flow, torch.Tensor) and flow.ndim == 4 and flow.shape[0] == 2):
        got = tuple(flow.shape) if isinstance(flow, torch.Tensor) else type(flow).__name__
        raise ValueError(f"expected a flow clip of shape (2, T, H, W), got {got}")
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    flow = flow.detach().float().cpu()
    if max_magnitude is None:
        max_magnitude = max(float(torch.hypot(flow[0], flow[1]).max()), 1e-6)
    fig = Figure(figsize=(1, 1), dpi=pixels)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    frames = []
    for t in range(flow.shape[1]):
        ax.clear()
        show_flow(ax, flow[:, t], max_magnitude=max_magnitude)
        ax.set_axis_off()
        canvas.draw()
        rgba = np.asarray(canvas.buffer_rgba())[..., :3].copy()  # (pixels, pixels, 3) uint8
        frames.append(torch.from_numpy(rgba))
    return torch.stack(frames).permute(3, 0, 1, 2).float() / 255  # (3, T, pixels, pixels)


def stack_flow(flows: torch.Tensor) -> torch.Tensor:
    """Stack ``L`` flow fields into ``2L`` image channels for a two-stream network's temporal stream.

    Shapes: ``(B, 2, L, H, W)`` -> ``(B, 2L, H, W)`` with channels ``u_0, v_0, u_1, v_1, ...``
    (Simonyan & Zisserman's order). A 2D CNN on this sees the motion of ``L`` frame steps at once.
    """
    if not isinstance(flows, torch.Tensor) or flows.ndim != 5 or flows.shape[1] != 2:
        raise ValueError(f"expected flows of shape (B, 2, L, H, W), got {_shape(flows)}")
    B, _, L, H, W = flows.shape
    return flows.transpose(1, 2).reshape(B, 2 * L, H, W)  # (B, L, 2, H, W) -> (B, 2L, H, W)


def shifted_texture(
    n: int, height: int, width: int, shift: tuple[float, float] = (0.0, 0.0), seed: int = 0
) -> torch.Tensor:
    """A test pattern for flow: smooth random textures (sums of 12 low-frequency sinusoids), moved by
    exactly ``shift = (dx, dy)`` pixels -- computed, not interpolated, so any sub-pixel shift is exact.

    The same ``seed`` gives the same textures, so ``shifted_texture(..., (0, 0))`` and
    ``shifted_texture(..., (dx, dy))`` are two frames whose true flow is ``(dx, dy)`` everywhere.
    Shape ``(n, 3, height, width)``, grey, values in [0, 1].
    """
    g = torch.Generator().manual_seed(seed)
    ys, xs = torch.meshgrid(
        torch.arange(height, dtype=torch.float64), torch.arange(width, dtype=torch.float64), indexing="ij"
    )
    out = torch.zeros(n, 1, height, width, dtype=torch.float64)
    for _ in range(12):
        f = (torch.rand(n, 2, generator=g, dtype=torch.float64) - 0.5) * 0.25  # cycles per pixel
        phase = torch.rand(n, generator=g, dtype=torch.float64) * 2 * math.pi
        arg = f[:, 0, None, None] * (xs - shift[0]) + f[:, 1, None, None] * (ys - shift[1])
        out += torch.sin(2 * math.pi * arg + phase[:, None, None])[:, None]
    return (0.5 + out / 12).float().repeat(1, 3, 1, 1)  # (n, 3, H, W)


def moving_stripes(
    normal: tuple[float, float], motion: tuple[float, float], size: int = 48, period: float = 8.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """A test pattern for the aperture problem: sinusoidal stripes whose brightness varies along ``normal`` only
    (``(1, 0)``: vertical stripes; its length does not matter), and the same stripes moved by ``motion = (u, v)``
    pixels -- computed, not interpolated. No window inside them shows motion along the stripes.

    Returns two frames, each ``(1, 3, size, size)``, grey, values in [0.1, 0.9].
    """
    ys, xs = torch.meshgrid(
        torch.arange(size, dtype=torch.float32), torch.arange(size, dtype=torch.float32), indexing="ij"
    )
    n = torch.tensor(normal, dtype=torch.float32)
    n = n / n.norm()

    def frame(dx: float, dy: float) -> torch.Tensor:
        phase = ((xs - dx) * n[0] + (ys - dy) * n[1]) / period
        return (0.5 + 0.4 * torch.sin(2 * math.pi * phase)).expand(3, -1, -1)[None]  # (1, 3, size, size)

    return frame(0.0, 0.0), frame(*motion)
