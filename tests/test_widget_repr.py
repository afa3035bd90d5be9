"""What a notebook shows for an Explorer before its cells run: a sentence, not a widget tree."""
import ipywidgets as W

from vulib.widgets import Explorer


def _state(t, size):
    return t * size


def _draw(fig, s):
    fig.add_subplot().set_title(str(s))


def test_text_form_says_what_to_do_and_fits_ipywidgets_cut():
    ex = Explorer(_state, _draw, {"t": W.IntSlider(0, 0, 3, description="frame"),
                                  "size": W.Dropdown(options=[1, 2], description="size")}, play="t")
    text = ex._repr_mimebundle_()["text/plain"]
    assert text == repr(ex) == "Explorer(frame, size) — " + Explorer.REPR
    assert "children=" not in text and len(text) <= 110


def test_long_control_names_give_the_short_form():
    controls = {f"c{i}": W.IntSlider(0, 0, 1, description="a rather long description " + str(i)) for i in range(4)}
    ex = Explorer(lambda **v: 0, _draw, controls)
    assert repr(ex) == "Explorer — " + Explorer.REPR
    assert not ex._repr_mimebundle_()["text/plain"].endswith("…")
