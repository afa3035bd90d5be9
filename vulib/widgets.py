"""The widget pattern of the suite: a pure *state* function and a thin widget that draws it.

A lesson's interactive picture is split in three parts:

1. ``state_fn(**control_values) -> state`` -- a pure function that computes everything
   the picture shows (numbers, arrays, text). It is unit-tested over *every* control
   position (:func:`all_positions`), so no slider value can crash the widget.
2. ``draw_fn(fig, state)`` -- draws a state onto an empty matplotlib ``Figure``.
3. :class:`Explorer` -- the thin widget: ipywidgets controls, and an ``Image`` that shows
   the drawn PNG. States can be precomputed (:meth:`Explorer.precompute`) so that a
   slider step only draws, well under 100 ms for the suite's figures.  Above the picture a
   line of text says what it shows (``describe``), updated with it, so that a screen reader
   has something to read and the picture is never the only way to learn the result.

Each widget has a *static twin* (:func:`static_twin`): the same ``draw_fn`` rendered for a
list of states as a ``to_jshtml`` animation, which plays without a kernel (GitHub, a
static book, a projector).
"""

from __future__ import annotations

import html
import io
import itertools
import time
from typing import Any, Callable, Mapping, Sequence

import ipywidgets as W
from matplotlib.animation import FuncAnimation
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .viz import to_jshtml

__all__ = ["Explorer", "all_positions", "static_twin", "render_png", "describe_values"]

StateFn = Callable[..., Any]
DrawFn = Callable[[Figure, Any], None]


def _options(control: W.ValueWidget) -> list:
    """Every value a control can take (sliders: each step; dropdowns: each option; checkboxes: both)."""
    if isinstance(control, (W.IntSlider, W.Play, W.BoundedIntText)):
        return list(range(control.min, control.max + 1, control.step or 1))
    if isinstance(control, W.FloatSlider):
        n = int(round((control.max - control.min) / control.step))
        return [control.min + i * control.step for i in range(n + 1)]
    if isinstance(control, (W.Dropdown, W.RadioButtons, W.ToggleButtons, W.SelectionSlider)):
        return [v for _, v in control._options_full] if hasattr(control, "_options_full") else list(control.options)
    if isinstance(control, (W.Checkbox, W.ToggleButton)):
        return [False, True]
    raise ValueError(
        f"cannot enumerate the positions of a {type(control).__name__}; "
        "use a slider, dropdown, radio buttons or checkbox"
    )


def all_positions(controls: Mapping[str, W.ValueWidget]) -> list[dict]:
    """Every combination of control values, as keyword dicts (for tests and precomputing)."""
    names = list(controls)
    return [dict(zip(names, combo)) for combo in itertools.product(*(_options(controls[n]) for n in names))]


def describe_values(controls: Mapping[str, W.ValueWidget], values: Mapping[str, Any]) -> str:
    """The default description of an :class:`Explorer`'s picture: its controls' labels and values,
    e.g. ``"The picture for: resolution 480×640, seconds 60."``."""
    parts = []
    for name, value in values.items():
        control = controls.get(name)
        label = (getattr(control, "description", "") or name) if control is not None else name
        shown = value
        if control is not None and hasattr(control, "_options_full"):  # dropdowns: the option's label
            shown = next((lab for lab, v in control._options_full if v == value), value)
        if isinstance(shown, float):
            shown = f"{shown:.6g}"  # 0.30000000000000004 -> 0.3
        parts.append(f"{label} {shown}")
    text = "The picture for: " + ", ".join(parts)
    return text if text.endswith((".", "?", "!")) else text + "."


def render_png(fig: Figure) -> bytes:
    """The figure as PNG bytes."""
    buf = io.BytesIO()
    FigureCanvasAgg(fig).print_png(buf)
    return buf.getvalue()


class Explorer(W.VBox):
    """A picture driven by controls: ``controls`` -> ``state_fn`` -> ``draw_fn`` -> image.

    Args:
        state_fn: pure function of the controls' values (keyword arguments) returning a state.
        draw_fn: ``draw_fn(fig, state)`` draws onto an empty figure.
        controls: name -> ipywidgets control; names are ``state_fn``'s keyword arguments.
        figsize, dpi: size of the picture.
        play: name of an integer slider to animate with a Play button (linked in the browser
            with ``jslink``, so it also plays when the kernel is busy drawing).
        interval: milliseconds between Play steps.
        below: widgets shown under the picture (e.g. an ``ipywidgets.Audio`` player the controls
            update), so the whole view is one Explorer and keeps its text form.
        describe: ``describe(state) -> str``, one or two sentences saying what the picture shows for
            that state and what to notice (e.g. ``"1080x1920 for 60 s: 11.2 GB, more than Binder's 2
            GB."``).  Shown as text above the picture, in a polite live region, and updated with it.
            Default: the controls' labels and values (:func:`describe_values`).

    Attributes:
        redraw_ms: what each redraw (one control step) cost so far, in milliseconds of the kernel
            thread's CPU time (``time.thread_time``): the work a step needs, which on an idle machine is
            also its wall time, and which other programs on a busy machine cannot inflate.
        draw_ms: the same for the actual drawings (matplotlib + PNG).
        caption: the ``ipywidgets.HTML`` line above the picture that describes it.
    """

    def __init__(
        self,
        state_fn: StateFn,
        draw_fn: DrawFn,
        controls: Mapping[str, W.ValueWidget],
        *,
        figsize: tuple[float, float] = (8, 3),
        dpi: int = 80,
        play: str | None = None,
        interval: int = 600,
        below: Sequence[W.Widget] = (),
        describe: Callable[[Any], str] | None = None,
    ) -> None:
        self.state_fn, self.draw_fn, self.controls = state_fn, draw_fn, dict(controls)
        self.describe_fn = describe
        self.caption = W.HTML(layout=W.Layout(max_width="100%"))
        self.caption.add_class("vulib-explorer-description")
        self.fig = Figure(figsize=figsize, dpi=dpi)
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%"))
        self.redraw_ms: list[float] = []
        self.draw_ms: list[float] = []
        self._cache: dict[tuple, Any] = {}
        self._pictures: dict[tuple, bytes] = {}
        rows = list(self.controls.values())
        if play is not None:
            slider = self.controls[play]
            self.player = W.Play(
                min=slider.min, max=slider.max, step=slider.step, interval=interval, description="Play"
            )
            W.jslink((self.player, "value"), (slider, "value"))
            rows = [W.HBox([self.player, slider])] + [c for n, c in self.controls.items() if n != play]
        for c in self.controls.values():
            c.observe(lambda _change: self.redraw(), names="value")
        super().__init__(rows + [self.caption, self.image] + list(below))
        self.redraw()

    REPR = "interactive: run the cells above to use it; a static version follows"

    def __repr__(self) -> str:
        """The widget's text form, e.g. ``Explorer(frame size, seconds) — interactive: run the cells
        above ...``.  A notebook opened before its cells run (JupyterLab, a code-hosting site) shows
        this instead of the picture: it says what the output is and what to do.  At most 110
        characters, where ipywidgets cuts a widget's text."""
        names = ", ".join(getattr(c, "description", "") or n for n, c in self.controls.items())
        text = f"Explorer({names}) — {self.REPR}"
        return text if len(text) <= 110 else f"Explorer — {self.REPR}"

    def values(self) -> dict:
        return {n: c.value for n, c in self.controls.items()}

    def describe(self, **values) -> str:
        """What the picture shows for these control values (default: the current ones), as text."""
        values = values or self.values()
        if self.describe_fn is None:
            return describe_values(self.controls, values)
        text = self.describe_fn(self.state(**values))
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"describe(state) must return a non-empty string, got {text!r}")
        return text

    def state(self, **values) -> Any:
        """The state for these control values (from the precomputed cache when present)."""
        key = tuple(sorted(values.items()))
        if key not in self._cache:
            self._cache[key] = self.state_fn(**values)
        return self._cache[key]

    def precompute(self, pictures: bool = False) -> "Explorer":
        """Compute the state of every control position now, so moving a control only draws.

        With ``pictures=True`` also draw every position's picture now, so moving a control only swaps
        an image (for pictures that take longer than ~50 ms to draw).
        """
        for values in all_positions(self.controls):
            self.state(**values)
            if pictures:
                self._pictures[tuple(sorted(values.items()))] = self.draw(**values)
        return self

    def draw(self, **values) -> bytes:
        """Draw the picture for these control values (default: the current ones) and return PNG bytes."""
        values = values or self.values()
        t0 = time.thread_time()
        self.fig.clear()
        self.draw_fn(self.fig, self.state(**values))
        png = render_png(self.fig)
        self.draw_ms.append(1000 * (time.thread_time() - t0))
        return png

    def render(self, **values) -> bytes:
        """The PNG for these control values: precomputed if :meth:`precompute` drew it, else drawn now."""
        values = values or self.values()
        key = tuple(sorted(values.items()))
        return self._pictures[key] if key in self._pictures else self.draw(**values)

    def redraw(self) -> None:
        t0 = time.thread_time()
        self.image.value = self.render()
        self.caption.value = f'<p role="status" aria-live="polite" style="margin:0">{html.escape(self.describe())}</p>'
        self.redraw_ms.append(1000 * (time.thread_time() - t0))

    def time_redraws(self, name: str | None = None) -> list[float]:
        """Step one control (default: the first) through all its positions; return each redraw's ms."""
        name = name or next(iter(self.controls))
        control, before = self.controls[name], self.controls[name].value
        start = len(self.redraw_ms)
        for v in _options(control):
            if v == control.value:
                self.redraw()
            else:
                control.value = v  # triggers redraw()
        control.value = before
        return self.redraw_ms[start : start + len(_options(control))]


def static_twin(
    state_fn: StateFn,
    draw_fn: DrawFn,
    positions: list[dict],
    *,
    figsize: tuple[float, float] = (8, 3),
    dpi: int = 50,
    fps: float = 2,
) -> str:
    """A kernel-free twin of an :class:`Explorer`: the same drawing for each of ``positions``,
    as a ``to_jshtml`` animation (an HTML string; show it with ``IPython.display.HTML``)."""
    if not positions:
        raise ValueError("expected at least one control position to draw")
    states = [state_fn(**p) for p in positions]
    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)

    def update(i):
        fig.clear()
        draw_fn(fig, states[i])
        return []

    return to_jshtml(FuncAnimation(fig, update, frames=len(states), interval=1000 / fps, blit=False))
