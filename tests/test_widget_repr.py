"""What a notebook shows for an Explorer before its cells run: a sentence, not a widget tree."""

import ipywidgets as W

from vulib.widgets import Explorer


def _state(t, size):
    return t * size


def _draw(fig, s):
    fig.add_subplot().set_title(str(s))


def test_text_form_says_what_to_do_and_fits_ipywidgets_cut():
    ex = Explorer(
        _state,
        _draw,
        {"t": W.IntSlider(0, 0, 3, description="frame"), "size": W.Dropdown(options=[1, 2], description="size")},
        play="t",
    )
    text = ex._repr_mimebundle_()["text/plain"]
    assert text == repr(ex) == "Explorer(frame, size) — " + Explorer.REPR
    assert "children=" not in text and len(text) <= 110


def test_long_control_names_give_the_short_form():
    controls = {f"c{i}": W.IntSlider(0, 0, 1, description="a rather long description " + str(i)) for i in range(4)}
    ex = Explorer(lambda **v: 0, _draw, controls)
    assert repr(ex) == "Explorer — " + Explorer.REPR
    assert not ex._repr_mimebundle_()["text/plain"].endswith("…")


def test_no_stored_widget_shows_its_widget_tree():
    """Every notebook, as stored: a widget output's text form (what JupyterLab or a code-hosting site
    shows before the cells run) is a sentence, never ``VBox(children=(Explorer(children=(...``.  A
    composite view is one ``Explorer`` (extra widgets go in its ``below=``), not a bare container."""
    from pathlib import Path

    import nbformat

    trees = []
    for path in sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                if "application/vnd.jupyter.widget-view+json" in data and "children=" in data.get("text/plain", ""):
                    trees.append(f"{path.name} cell {i}: {data['text/plain'][:60]}")
    assert not trees, "widgets stored as their widget tree:\n" + "\n".join(trees)


def test_widgets_below_the_picture_join_the_explorer():
    player = W.Audio(value=b"", format="wav")
    ex = Explorer(
        _state,
        _draw,
        {"t": W.IntSlider(0, 0, 3, description="frame"), "size": W.Dropdown(options=[1, 2], description="size")},
        below=[player],
    )
    assert ex.children[-1] is player and ex.children[-2] is ex.image
    assert repr(ex).startswith("Explorer(frame, size)")
