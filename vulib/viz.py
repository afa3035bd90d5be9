"""Pictures of clips: frame strips (small multiples) and animations that play without a kernel.

All functions take clips in the model layout ``(C, T, H, W)`` float in [0, 1] and convert
them for drawing with :func:`vulib.tensors.to_display_layout`.

Animations are made with matplotlib's ``FuncAnimation.to_jshtml()``: self-contained
HTML+JavaScript that plays on GitHub-rendered pages, in a static book and on a projector
with no kernel. They are kept small (low dpi, few frames): a few hundred KB at most.
"""

from __future__ import annotations

from typing import Sequence

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.animation import FuncAnimation
from matplotlib.figure import Figure

from .tensors import check_video, to_display_layout

__all__ = [
    "show_frames",
    "show_clips",
    "pipeline_diagram",
    "animate_clips",
    "strip_image",
    "new_figure",
    "to_jshtml",
    "COLORS",
    "setup_style",
    "as_jpeg",
    "simulate_cvd",
    "delta_e2000",
    "CVD_MATRICES",
    "SEQUENTIAL_CMAPS",
    "DIVERGING_CMAPS",
    "block_diagram",
    "draw_token_set",
    "draw_channel_shift",
]

# Okabe-Ito: a colour-blind-safe palette used for every line and bar in the suite.
COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]

# Colour maps the course uses for images of values: perceptually uniform sequential maps (equal steps of
# value look like equal steps of lightness, in colour and in grey) and, for signed data, diverging maps.
SEQUENTIAL_CMAPS = ("viridis", "magma", "cividis", "inferno", "plasma", "gray", "Greys", "binary")
DIVERGING_CMAPS = ("RdBu", "coolwarm", "PuOr", "BrBG", "seismic", "bwr")

# Machado, Oliveira & Fernandes (2009), "A physiologically-based model for simulation of color vision
# deficiency", IEEE TVCG 15(6): the matrices for severity 1.0 (dichromacy), applied to linear RGB.
CVD_MATRICES = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}


def setup_style() -> None:
    """Large fonts, the colour-blind-safe palette and a perceptually uniform default colour map (viridis),
    for figures legible on a projector and to colour-blind viewers."""
    matplotlib.rcParams.update(
        {
            "font.size": 12,
            "axes.titlesize": 13,
            "axes.labelsize": 12,
            "legend.fontsize": 11,
            "figure.dpi": 90,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.prop_cycle": matplotlib.cycler(color=COLORS),
            "image.cmap": "viridis",
        }
    )


def new_figure(**kwargs) -> Figure:
    """A figure that shows exactly once when a notebook cell returns it.

    It is made by pyplot (so Jupyter's inline backend is loaded and knows how to show figures)
    and closed at once (so pyplot does not show it a second time at the end of the cell).
    """
    fig = plt.figure(**kwargs)
    plt.close(fig)
    return fig


def block_diagram(
    boxes: dict[str, tuple[float, float, str]],
    arrows: Sequence[tuple[str, str]],
    *,
    ax=None,
    figsize: tuple[float, float] = (9.0, 6.0),
    title: str | None = None,
    fontsize: int = 11,
):
    """Draw a block diagram of a network: labelled boxes joined by arrows (e.g. with tensor shapes in the boxes).

    An arrow leaves its source box at the middle of the side facing the target and enters the target the same
    way (bottom to top when the target is lower, side to side when it is level).

    Args:
        boxes: name -> ``(x, y, text)``: the centre of each box (any data units; y grows upwards) and its text.
        arrows: ``(from, to)`` pairs of box names.
        ax: axes to draw on (default: a new figure of ``figsize``).
        title: drawn above the diagram.
        fontsize: of the box texts.

    Returns:
        The axes (the figure is ``ax.figure``).
    """
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    xs = [x for x, _, _ in boxes.values()]
    ys = [y for _, y, _ in boxes.values()]
    pad_x, pad_y = 0.15 * (max(xs) - min(xs) or 1.0), 0.08 * (max(ys) - min(ys) or 1.0)
    ax.set_xlim(min(xs) - pad_x, max(xs) + pad_x)
    ax.set_ylim(min(ys) - pad_y, max(ys) + pad_y)
    ax.axis("off")
    style = dict(boxstyle="round,pad=0.45", fc="#F2F2F2", ec=COLORS[0], lw=1.4)
    texts = {
        n: ax.text(x, y, t, ha="center", va="center", fontsize=fontsize, bbox=style) for n, (x, y, t) in boxes.items()
    }
    ax.figure.canvas.draw()  # lay the boxes out, to know their extents
    to_data = ax.transData.inverted()
    extent = {
        n: to_data.transform(t.get_bbox_patch().get_window_extent()) for n, t in texts.items()
    }  # [[x0, y0], [x1, y1]]

    def anchor(name: str, dx: float, dy: float) -> tuple[float, float]:
        (x0, y0), (x1, y1) = extent[name]
        if abs(dy) > 0.5 * abs(dx) * (y1 - y0) / max(x1 - x0, 1e-9) or dx == 0:  # mostly vertical
            return ((x0 + x1) / 2, y0 if dy < 0 else y1)
        return (x0 if dx < 0 else x1, (y0 + y1) / 2)

    for src, dst in arrows:
        (sx, sy), (tx, ty) = boxes[src][:2], boxes[dst][:2]
        ax.annotate(
            "",
            xy=anchor(dst, sx - tx, sy - ty),
            xytext=anchor(src, tx - sx, ty - sy),
            arrowprops=dict(arrowstyle="-|>", color="#333333", lw=1.3, mutation_scale=14, shrinkA=1, shrinkB=1),
        )
    if title:
        ax.set_title(title, fontsize=fontsize + 1)
    return ax


def _frames_of(clip: torch.Tensor) -> np.ndarray:
    check_video(clip, "CTHW", name="clip")
    return to_display_layout(clip)  # (T, H, W, C) uint8


def _pick_frames(T: int, frames: int | Sequence[int] | None) -> list[int]:
    if frames is None:
        return list(range(T))
    if isinstance(frames, int):
        if frames < 1:
            raise ValueError(f"expected frames >= 1, got {frames}")
        return sorted(set(np.linspace(0, T - 1, min(frames, T)).round().astype(int).tolist()))
    idx = [int(i) for i in frames]
    bad = [i for i in idx if not 0 <= i < T]
    if bad:
        raise ValueError(f"frame indices {bad} are outside the clip's 0..{T - 1}")
    return idx


def strip_image(clip: torch.Tensor, gap: int = 1, gap_value: float = 1.0) -> np.ndarray:
    """All frames of a clip ``(C, T, H, W)`` side by side in one image ``(H, T*(W+gap)-gap, 3)``, float in [0, 1].

    One ``imshow`` of this strip is much faster to redraw than T separate panels, which keeps
    widgets under 100 ms. Frame ``t`` starts at column ``t * (W + gap)``.
    """
    check_video(clip, "CTHW", name="clip")
    C, T, H, W = clip.shape
    if C not in (1, 3):
        raise ValueError(f"expected clip of shape (C, T, H, W) with C in (1, 3), got {tuple(clip.shape)}")
    x = clip.detach().float().clamp(0, 1).cpu().expand(3, T, H, W)
    out = torch.full((H, T * (W + gap) - gap, 3), float(gap_value))
    for t in range(T):
        out[:, t * (W + gap) : t * (W + gap) + W] = x[:, t].permute(1, 2, 0)
    return out.numpy()


def show_frames(
    clip: torch.Tensor,
    frames: int | Sequence[int] | None = 8,
    *,
    title: str | None = None,
    scale: float = 1.1,
    fig: Figure | None = None,
) -> Figure:
    """Draw a clip ``(C, T, H, W)`` as a strip of frames labelled with their time index.

    Args:
        clip: the clip.
        frames: how many evenly spaced frames (int), which ones (list), or all (``None``).
        title: a title above the strip.
        scale: inches per frame.
    """
    imgs = _frames_of(clip)
    idx = _pick_frames(imgs.shape[0], frames)
    fig = fig or new_figure(figsize=(scale * len(idx), scale * 1.25 + (0.3 if title else 0)))
    axes = fig.subplots(1, len(idx), squeeze=False)[0]
    for ax, t in zip(axes, idx):
        ax.imshow(imgs[t], interpolation="nearest")
        ax.set_title(f"t={t}", fontsize=10)
        ax.set_axis_off()
    if title:
        fig.suptitle(title)
    return fig


def show_clips(
    video: torch.Tensor,
    labels: Sequence[str] | None = None,
    frames: int | Sequence[int] | None = 8,
    *,
    scale: float = 0.9,
    title: str | None = None,
) -> Figure:
    """Draw several clips ``(B, C, T, H, W)`` as rows of frames (small multiples); ``labels`` name the rows."""
    check_video(video, "BCTHW")
    B, T = video.shape[0], video.shape[2]
    idx = _pick_frames(T, frames)
    fig = new_figure(figsize=(scale * len(idx) + 1.4, scale * B + 0.5 + (0.3 if title else 0)), layout="constrained")
    axes = fig.subplots(B, len(idx), squeeze=False)
    for b in range(B):
        imgs = to_display_layout(video[b])
        for j, t in enumerate(idx):
            ax = axes[b, j]
            ax.imshow(imgs[t], interpolation="nearest")
            ax.set_xticks([]), ax.set_yticks([])
            if b == 0:
                ax.set_title(f"t={t}", fontsize=10)
        if labels is not None:
            axes[b, 0].set_ylabel(str(labels[b]), rotation=0, ha="right", va="center", fontsize=11)
    if title:
        fig.suptitle(title)
    return fig


def pipeline_diagram(
    rows: Sequence[tuple[str, Sequence[str], Sequence[str], int | None]],
    *,
    title: str | None = None,
    width: float = 13.5,
) -> Figure:
    """Networks as rows of tensor shapes joined by labelled arrows (notebook 01's fusion schemes).

    Args:
        rows: one ``(name, shapes, steps, fuse)`` per network: ``shapes`` are the tensor shapes in order (text,
            e.g. ``"(B, 3, 8, 24, 24)"``), ``steps[i]`` is the operation from ``shapes[i]`` to ``shapes[i + 1]``,
            and ``fuse`` is the index of the step where the frames first meet (``None``: they never do). Shapes
            before that step are drawn in one colour (frames still apart), after it in another (time merged).
        title: a title above the rows.
        width: figure width in inches.
    """
    cols = max(len(shapes) for _, shapes, _, _ in rows)
    fig = new_figure(figsize=(width, 0.35 + 1.05 * len(rows) + (0.4 if title else 0)))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(-1.05, cols - 0.45)
    ax.set_ylim(len(rows) - 0.45, -0.75 if title else -0.5)
    ax.set_axis_off()
    apart, merged = "#d9ecf7", "#fbe3bd"  # light tints of COLORS[0] (blue) and COLORS[1] (orange)
    for r, (name, shapes, steps, fuse) in enumerate(rows):
        if len(steps) != len(shapes) - 1:
            raise ValueError(f"row {name!r}: {len(shapes)} shapes need {len(shapes) - 1} steps, got {len(steps)}")
        ax.text(-1.0, r + 0.12, name, ha="left", va="center", fontsize=11, fontweight="bold")
        for i, shape in enumerate(shapes):
            done = fuse is not None and i > fuse
            ax.text(i, r + 0.12, shape, ha="center", va="center", fontsize=10, family="monospace",
                    bbox=dict(boxstyle="round,pad=0.3", fc=merged if done else apart, ec="#555555"))  # fmt: skip
        for i, step in enumerate(steps):
            fusing = i == fuse
            ax.annotate("", xy=(i + 0.63, r + 0.12), xytext=(i + 0.37, r + 0.12),
                        arrowprops=dict(arrowstyle="->", lw=2.2 if fusing else 1.2,
                                        color=COLORS[5] if fusing else "#555555"))  # fmt: skip
            ax.text(i + 0.5, r - 0.2, step, ha="center", va="bottom", fontsize=9,
                    color=COLORS[5] if fusing else "#333333", fontweight="bold" if fusing else "normal")  # fmt: skip
    if title:
        ax.text(-1.0, -0.6, title, ha="left", va="center", fontsize=12)
    return fig


def animate_clips(
    clips: torch.Tensor | Sequence[torch.Tensor],
    titles: Sequence[str] | None = None,
    *,
    fps: float = 6,
    scale: float = 1.3,
    dpi: int = 60,
) -> str:
    """An HTML animation (``to_jshtml``) of one or more clips played side by side.

    Args:
        clips: a clip ``(C, T, H, W)``, a batch ``(B, C, T, H, W)`` or a list of clips of equal T.
        titles: one title per clip.
        fps: playback speed in frames per second.
        scale: inches per clip; ``dpi`` sets the pixel size (keep small: the HTML embeds every frame).

    Returns:
        An HTML string; show it with ``IPython.display.HTML(...)``. It plays without a kernel.
    """
    if isinstance(clips, torch.Tensor):
        clips = [clips] if clips.ndim == 4 else list(clips)
    frames = [_frames_of(c) for c in clips]
    T = frames[0].shape[0]
    if any(f.shape[0] != T for f in frames):
        raise ValueError(f"expected clips of equal length, got T = {[f.shape[0] for f in frames]}")
    if titles is not None and len(titles) != len(frames):
        raise ValueError(f"expected {len(frames)} titles, got {len(titles)}")
    fig = Figure(figsize=(scale * len(frames), scale + (0.35 if titles else 0.1)), dpi=dpi)
    axes = fig.subplots(1, len(frames), squeeze=False)[0]
    ims = []
    for j, (ax, f) in enumerate(zip(axes, frames)):
        ims.append(ax.imshow(f[0], interpolation="nearest"))
        ax.set_axis_off()
        if titles:
            ax.set_title(titles[j], fontsize=9)
    label = fig.text(0.01, 0.01, "t=0", fontsize=8)
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.82 if titles else 0.98, wspace=0.08)

    def update(t):
        for im, f in zip(ims, frames):
            im.set_data(f[t])
        label.set_text(f"t={t}")
        return ims

    return to_jshtml(FuncAnimation(fig, update, frames=T, interval=1000 / fps, blit=False))


def to_jshtml(anim: FuncAnimation) -> str:
    """``anim.to_jshtml()`` with JPEG frames: noisy video frames compress several times better than as PNG."""
    with matplotlib.rc_context({"animation.frame_format": "jpeg"}):
        return anim.to_jshtml(default_mode="loop")


def as_jpeg(fig: Figure, quality: int = 80, dpi: int | None = None):
    """A figure as a JPEG image for the notebook (``IPython.display.Image``).

    Real footage (noise, texture) compresses several times better as JPEG than as the PNG that
    notebooks store by default, which keeps notebooks with real frames small.
    """
    import io as _io

    from IPython.display import Image

    if not 1 <= quality <= 100:
        raise ValueError(f"expected a JPEG quality between 1 and 100, got {quality}")
    buf = _io.BytesIO()
    fig.savefig(buf, format="jpeg", dpi=dpi or fig.dpi, pil_kwargs={"quality": quality})
    return Image(data=buf.getvalue(), format="jpeg")


# --------------------------------------------------------------------------- colour vision


def _srgb(colors) -> np.ndarray:
    """Colours (``"#RRGGBB"`` strings or RGB triples in [0, 1]) as an ``(n, 3)`` float array."""
    out = []
    for c in colors:
        if isinstance(c, str):
            h = c.lstrip("#")
            if len(h) != 6:
                raise ValueError(f"expected a colour as '#RRGGBB', got {c!r}")
            out.append([int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)])
        else:
            if len(c) != 3:
                raise ValueError(f"expected an RGB triple, got {c!r}")
            out.append([float(v) for v in c])
    return np.clip(np.asarray(out, dtype=float).reshape(-1, 3), 0, 1)


def _to_linear(rgb: np.ndarray) -> np.ndarray:
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def _to_srgb(lin: np.ndarray) -> np.ndarray:
    lin = np.clip(lin, 0, 1)
    return np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * lin ** (1 / 2.4) - 0.055)


def simulate_cvd(colors, deficiency: str) -> np.ndarray:
    """How ``colors`` look to a viewer with a colour-vision deficiency, as sRGB in [0, 1], ``(n, 3)``.

    ``deficiency`` is ``"protanopia"``, ``"deuteranopia"`` or ``"tritanopia"`` (no L, M or S cones:
    Machado et al. 2009 at severity 1.0).  The matrix acts on *linear* RGB: sRGB values are
    linearised first and encoded again after, with the result clipped to the displayable range.
    """
    if deficiency not in CVD_MATRICES:
        raise ValueError(f"unknown deficiency {deficiency!r}; expected one of {sorted(CVD_MATRICES)}")
    lin = _to_linear(_srgb(colors))
    return _to_srgb(lin @ np.asarray(CVD_MATRICES[deficiency]).T)


def _lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB in [0, 1] -> CIELAB (D65 white)."""
    xyz = (
        _to_linear(rgb)
        @ np.array(
            [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]]
        ).T
    )
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=1)


def delta_e2000(colors1, colors2) -> np.ndarray:
    """The CIEDE2000 colour difference between ``colors1[i]`` and ``colors2[i]`` (Sharma, Wu & Dalal 2005).

    About 1 is the smallest difference people notice side by side; the course asks class colours to
    differ by far more (see ``tests/test_accessibility.py``).
    """
    return _ciede2000(_lab(_srgb(colors1)), _lab(_srgb(colors2)))


def _ciede2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """CIEDE2000 between two ``(n, 3)`` arrays of CIELAB colours."""
    L1, a1, b1 = np.asarray(lab1, dtype=float).reshape(-1, 3).T
    L2, a2, b2 = np.asarray(lab2, dtype=float).reshape(-1, 3).T
    C1, C2 = np.hypot(a1, b1), np.hypot(a2, b2)
    Cm = (C1 + C2) / 2
    G = 0.5 * (1 - np.sqrt(Cm**7 / (Cm**7 + 25**7)))
    a1p, a2p = (1 + G) * a1, (1 + G) * a2
    C1p, C2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p, h2p = np.degrees(np.arctan2(b1, a1p)) % 360, np.degrees(np.arctan2(b2, a2p)) % 360
    dLp, dCp = L2 - L1, C2p - C1p
    dh = h2p - h1p
    dh = np.where(C1p * C2p == 0, 0, np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh)))
    dHp = 2 * np.sqrt(C1p * C2p) * np.sin(np.radians(dh / 2))
    Lpm, Cpm = (L1 + L2) / 2, (C1p + C2p) / 2
    hsum = h1p + h2p
    hpm = np.where(
        C1p * C2p == 0,
        hsum,
        np.where(np.abs(h1p - h2p) <= 180, hsum / 2, np.where(hsum < 360, (hsum + 360) / 2, (hsum - 360) / 2)),
    )
    T = (
        1
        - 0.17 * np.cos(np.radians(hpm - 30))
        + 0.24 * np.cos(np.radians(2 * hpm))
        + 0.32 * np.cos(np.radians(3 * hpm + 6))
        - 0.20 * np.cos(np.radians(4 * hpm - 63))
    )
    dtheta = 30 * np.exp(-(((hpm - 275) / 25) ** 2))
    Rc = 2 * np.sqrt(Cpm**7 / (Cpm**7 + 25**7))
    Sl = 1 + 0.015 * (Lpm - 50) ** 2 / np.sqrt(20 + (Lpm - 50) ** 2)
    Sc, Sh = 1 + 0.045 * Cpm, 1 + 0.015 * Cpm * T
    Rt = -np.sin(np.radians(2 * dtheta)) * Rc
    return np.sqrt((dLp / Sl) ** 2 + (dCp / Sc) ** 2 + (dHp / Sh) ** 2 + Rt * (dCp / Sc) * (dHp / Sh))


# ---------------------------------------------------------------- the papers' pictures, drawn from the models


def draw_token_set(ax, mask, query: tuple[int, int, int], *, color: str = COLORS[0], label: str = "") -> set:
    """Draw which tokens one query attends to, as TimeSformer's figure does: the token frames side by side,
    each a grid of patch positions; an attended key is filled and hatched (``//``), the query is marked
    with a black star, every other token is an empty cell.

    Args:
        ax: the axes to draw into (its frame and ticks are hidden).
        mask: ``(T', rows, cols)`` booleans (a key per token) or ``(T',)`` (a key per *frame*: one summary
            token per frame, drawn as one cell as large as the frame).
        query: ``(token frame, row, column)`` of the query token.
        color: the fill of attended keys; label: the panel's title.

    Returns the set of keys drawn as attended: ``(frame, row, column)`` tuples, or ``(frame,)`` for a
    per-frame mask, so a caller can check the picture against the mask it came from.
    """
    mask = np.asarray(mask, dtype=bool)
    tq, row, col = query
    per_frame = mask.ndim == 1
    frames = mask.shape[0]
    rows, cols = (4, 4) if per_frame else mask.shape[1:]
    drawn = set()
    for f in range(frames):
        x0 = f * (cols + 1)
        cells = (
            [((f,), 0, 0, rows, cols)]
            if per_frame
            else [((f, r, c), r, c, 1, 1) for r in range(rows) for c in range(cols)]
        )
        for key, r, c, h, w in cells:
            on = bool(mask[key])
            ax.add_patch(
                plt.Rectangle(
                    (x0 + c, rows - r - h),
                    w,
                    h,
                    facecolor=color if on else "white",
                    alpha=1.0,
                    hatch="//" if on else None,
                    edgecolor="black" if on else "0.6",
                    linewidth=0.8,
                )
            )
            if on:
                drawn.add(key)
        if per_frame:
            ax.text(
                x0 + cols / 2,
                rows / 2,
                "frame\nsummary",
                ha="center",
                va="center",
                fontsize=8,
                bbox=dict(facecolor="white", edgecolor="none", pad=1),
            )
        ax.text(x0 + cols / 2, -0.3, f"frame {f}", ha="center", va="top", fontsize=8)
    if per_frame:
        ax.plot(tq * (cols + 1) + cols / 2, rows - 0.6, "*", color="black", ms=13, mec="white")
    else:
        ax.plot(tq * (cols + 1) + col + 0.5, rows - row - 0.5, "*", color="black", ms=13, mec="white")
    ax.set_xlim(-0.2, frames * (cols + 1) - 0.8)
    ax.set_ylim(-1.3, rows + 0.2)
    ax.set_aspect("equal")
    ax.axis("off")
    if label:
        ax.set_title(label, fontsize=10)
    return drawn


def draw_channel_shift(ax, source: np.ndarray, *, title: str = "") -> np.ndarray:
    """Draw a temporal shift as TSM's figure does: a grid of channels (rows) by frames (columns), each cell
    labelled with the frame its value came from: ``t`` (stayed), ``t+1`` (from the next frame, hatched ``\\``),
    ``t-1`` (from the previous frame, hatched ``//``) or ``0`` (nothing there: zero padding, dotted).

    ``source``: ``(C, T)`` ints, the frame each output value was read from, ``-1`` for a zero. Returns the
    ``(C, T)`` array of the labels drawn, so a caller can check them against the operation.
    """
    source = np.asarray(source)
    C, T = source.shape
    styles = {"t": ("white", None), "t+1": (COLORS[1], "\\\\"), "t-1": (COLORS[0], "//"), "0": ("0.85", "..")}
    labels = np.empty((C, T), dtype=object)
    for c in range(C):
        for t in range(T):
            s = source[c, t]
            key = "0" if s < 0 else "t" if s == t else "t+1" if s == t + 1 else "t-1" if s == t - 1 else f"{s}"
            labels[c, t] = key
            face, hatch = styles.get(key, ("white", None))
            ax.add_patch(plt.Rectangle((t, c), 1, 1, facecolor=face, hatch=hatch, edgecolor="black", linewidth=0.6))
            ax.text(
                t + 0.5,
                c + 0.5,
                key,
                ha="center",
                va="center",
                fontsize=9,
                bbox=dict(facecolor="white", edgecolor="none", pad=0.5, alpha=0.85),
            )
    ax.set_xlim(0, T)
    ax.set_ylim(C, 0)
    ax.set_xticks(np.arange(T) + 0.5, [str(t) for t in range(T)])
    ax.set_yticks(np.arange(C) + 0.5, [str(c) for c in range(C)])
    ax.set_xlabel("frame t")
    ax.set_ylabel("channel")
    ax.set_title(title, fontsize=10)
    return labels
