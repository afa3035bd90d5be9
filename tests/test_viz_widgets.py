"""Frame strips, kernel-free animations, and the state/draw widget pattern."""

import ipywidgets as W
import pytest
import torch

from vulib import make_clips
from vulib.viz import animate_clips, block_diagram, show_clips, show_frames, strip_image
from vulib.widgets import Explorer, all_positions, static_twin


@pytest.fixture(scope="module")
def batch():
    return make_clips("direction", 3, frames=8, size=16, seed=0)


def test_show_frames_and_clips(batch):
    fig = show_frames(batch.video[0], frames=4, title="a clip")
    assert len(fig.axes) == 4
    fig = show_clips(batch.video, labels=["a", "b", "c"], frames=[0, 7])
    assert len(fig.axes) == 6
    with pytest.raises(ValueError, match="outside"):
        show_frames(batch.video[0], frames=[0, 8])
    with pytest.raises(ValueError, match=r"\(C, T, H, W\)"):
        show_frames(batch.video)


def test_block_diagram_draws_boxes_and_arrows_between_their_edges():
    boxes = {"x": (0.0, 2.0, "x (B, C, T, H, W)"), "y": (0.0, 0.0, "y (B, F, T, H, W)"), "w": (-1.0, 0.0, "w")}
    ax = block_diagram(boxes, [("x", "y"), ("w", "y")], figsize=(4, 3), title="t")
    assert sorted(t.get_text() for t in ax.texts if t.get_text()) == sorted(b[2] for b in boxes.values())
    arrows = [a for a in ax.texts if not a.get_text()]
    assert len(arrows) == 2
    (x_start, y_start), (x_end, y_end) = arrows[0].xyann, arrows[0].xy  # x above y: bottom edge to top edge
    assert abs(x_start) < 1e-9 and abs(x_end) < 1e-9 and 0.0 < y_end < y_start < 2.0
    (_, y_side), (x_side, _) = arrows[1].xyann, arrows[1].xy  # w level with y: side to side
    assert abs(y_side) < 1e-9 and -1.0 < x_side < 0.0
    with pytest.raises(KeyError):
        block_diagram(boxes, [("x", "nowhere")])


def test_animation_is_self_contained_and_small(batch):
    html = animate_clips(batch.video, titles=["a", "b", "c"])
    assert "<script" in html and "data:image/jpeg;base64" in html
    assert len(html) < 150_000
    with pytest.raises(ValueError, match="titles"):
        animate_clips(batch.video, titles=["a"])


def _state(t, scale):
    return {"t": t, "y": [scale * v for v in range(t + 1)]}


def _draw(fig, state):
    ax = fig.subplots()
    ax.plot(state["y"])
    ax.set_title(f"t={state['t']}")


def _controls():
    return {"t": W.IntSlider(min=0, max=4, value=0), "scale": W.Dropdown(options=[("x1", 1.0), ("x2", 2.0)])}


def test_all_positions_enumerates_every_combination():
    pos = all_positions(_controls())
    assert len(pos) == 10 and {"t": 4, "scale": 2.0} in pos


def test_explorer_draws_every_position_and_times_redraws():
    ex = Explorer(_state, _draw, _controls(), play="t").precompute()
    assert len(ex._cache) == 10
    first = ex.image.value
    ex.controls["t"].value = 3
    assert ex.image.value != first and ex.image.value[:4] == b"\x89PNG"
    times = ex.time_redraws("t")
    assert len(times) == 5 and all(t > 0 for t in times)
    for values in all_positions(ex.controls):
        assert ex.render(**values)[:4] == b"\x89PNG"


def test_precomputed_pictures_make_steps_instant():
    ex = Explorer(_state, _draw, _controls()).precompute(pictures=True)
    drawn = len(ex.draw_ms)
    assert drawn >= 10
    times = ex.time_redraws("t")
    assert len(ex.draw_ms) == drawn  # no drawing happened during the steps
    assert max(times) < 50


def test_static_twin(batch):
    html = static_twin(_state, _draw, [{"t": t, "scale": 1.0} for t in range(3)])
    assert "<script" in html
    with pytest.raises(ValueError):
        static_twin(_state, _draw, [])


def test_strip_image_places_frames_side_by_side(batch):
    clip = batch.video[0]  # (3, 8, 16, 16)
    img = strip_image(clip, gap=2)
    assert img.shape == (16, 8 * 18 - 2, 3)
    assert (img[:, 3 * 18 : 3 * 18 + 16] == clip[:, 3].permute(1, 2, 0).numpy()).all()
    assert (img[:, 16:18] == 1.0).all()


def test_as_jpeg_gives_a_small_jpeg_of_real_looking_frames():
    import pytest

    from vulib.viz import as_jpeg, show_frames

    noisy = torch.rand(3, 4, 90, 160, generator=torch.Generator().manual_seed(0))  # texture like real footage
    fig = show_frames(noisy, frames=None)
    img = as_jpeg(fig, quality=80)
    assert img.format == "jpeg" and img.data[:2] == b"\xff\xd8"  # a JPEG file
    import io

    png = io.BytesIO()
    fig.savefig(png, format="png")
    assert len(img.data) < len(png.getvalue()) / 2
    with pytest.raises(ValueError, match="quality"):
        as_jpeg(fig, quality=0)
