"""Accessibility of the course's content (issue 32), checked without a browser.

* **Text alternatives:** every stored picture, animation and sound player of every lesson has a
  description in ``notebooks/alt_text.toml``, and no description names an output that is gone.
  The website and slides use them (``scripts/book.py``); ``scripts/notebook_meta.py`` copies them
  into the notebooks' output metadata.
* **Colour:** the course palette (``vulib.viz.COLORS``, Okabe-Ito) stays distinguishable, pair by
  pair, for the three dichromacies simulated with Machado et al. (2009); images of values use
  perceptually uniform or diverging colour maps; optical flow drawn as colour also has arrows.
* **Document structure:** one top-level heading per lesson, heading levels that never skip, link
  texts that make sense alone.
* **Widgets:** an Explorer says in text what its picture shows, and the text follows the controls.

The website itself is scanned with axe-core in ``tests/test_book.py`` (it needs the built book and
Chromium).
"""

from __future__ import annotations

import importlib.util
import itertools
import re
import sys
from pathlib import Path

import ipywidgets as W
import nbformat
import numpy as np
import pytest

from vulib import viz
from vulib.widgets import Explorer

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
sys.path.insert(0, str(ROOT / "scripts"))
import _alt_text  # noqa: E402

_spec = importlib.util.spec_from_file_location("notebook_meta", ROOT / "scripts" / "notebook_meta.py")
notebook_meta = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(notebook_meta)

# CIEDE2000 below which two class colours count as confusable.  About 1 is the smallest difference seen
# side by side; categorical palettes for charts usually aim for 10 or more.
MIN_DELTA_E = 10.0


def _code_cells(path: Path):
    return [(i, c) for i, c in enumerate(nbformat.read(path, 4).cells) if c.cell_type == "code"]


def _markdown_lines(cell_source: str):
    """The lines of a markdown cell outside fenced code blocks."""
    fenced = False
    for line in cell_source.splitlines():
        if re.match(r"^\s*(```|~~~)", line):
            fenced = not fenced
            continue
        if not fenced:
            yield line


# --------------------------------------------------------------------------- text alternatives


def test_every_stored_picture_animation_and_sound_has_a_text_alternative():
    table = _alt_text.load()
    problems, described = [], 0
    for path in LESSONS:
        nb = nbformat.read(path, 4)
        described += sum(1 for _, _, what in _alt_text.described_outputs(nb) if what != "widget")
        problems += _alt_text.problems(nb, path.name, table)
    problems += [f"{name}: no such lesson" for name in table if not (ROOT / "notebooks" / name).exists()]
    print(
        f"{described} stored pictures, animations and sound players; "
        f"{sum(len(v) for v in table.values())} entries in notebooks/alt_text.toml"
    )
    assert not problems, "notebooks/alt_text.toml is out of step:\n" + "\n".join(problems)


def test_text_alternatives_describe_rather_than_label():
    """An alt text says what the figure shows and what to notice: a sentence or more, not a title."""
    short = [
        f"{nb}: {key}: {text!r}"
        for nb, entries in _alt_text.load().items()
        for key, text in entries.items()
        if len(text.split()) < 12 or text.strip().lower().startswith(("image of", "picture of", "figure", "plot"))
    ]
    assert not short, "too short, or starting with 'image of' / 'figure':\n" + "\n".join(short)


def test_alt_text_lookup_on_a_small_notebook(tmp_path):
    v4 = nbformat.v4
    png = "iVBORw0KGgo="
    cell = v4.new_code_cell("show()", id="abc12345")
    cell.outputs = [
        v4.new_output("stream", name="stdout", text="hi"),
        v4.new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"}),
        v4.new_output("display_data", data={"text/html": '<audio controls="controls"></audio>'}),
    ]
    single = v4.new_code_cell("one()", id="def67890")
    single.outputs = [v4.new_output("display_data", data={"image/png": png})]
    nb = v4.new_notebook(cells=[cell, single])
    assert [(k, w) for k, _, w in _alt_text.described_outputs(nb)] == [
        ("abc12345/0", "image"),
        ("abc12345/1", "sound"),
        ("def67890", "image"),
    ]
    table = {"x.ipynb": {"abc12345/0": "a", "def67890": "b", "gone0000": "c"}}
    assert _alt_text.problems(nb, "x.ipynb", table) == [
        "x.ipynb: abc12345/1 (sound) has no text alternative",
        "x.ipynb: entry 'gone0000' names no output (cell gone, or its outputs changed)",
    ]
    assert notebook_meta.apply_alt_text(nb, "x.ipynb", table) == 2
    assert single.outputs[0].metadata["image/png"]["alt"] == "b"
    assert notebook_meta.alt_text_differences(nb, "x.ipynb", table) == []
    assert notebook_meta.apply_alt_text(nb, "x.ipynb", table) == 0  # nothing left to do


def test_alt_text_is_copied_into_the_notebooks_output_metadata():
    """``scripts/notebook_meta.py`` (and ``store_outputs.py``, which applies it) put each figure's text alternative
    into its output's metadata, where JupyterLab and nbconvert can read it."""
    table = _alt_text.load()
    missing = [
        d for path in LESSONS for d in notebook_meta.alt_text_differences(nbformat.read(path, 4), path.name, table)
    ]
    assert not missing, f"{len(missing)} outputs:\n" + "\n".join(missing[:20])


# --------------------------------------------------------------------------- colour


def test_cvd_simulation_and_colour_difference_match_published_values():
    # CIEDE2000 test pairs 1, 7, 17 and 25 of Sharma, Wu & Dalal (2005)
    lab1 = [[50, 2.6772, -79.7751], [50, 0, 0], [50, 2.5, 0], [60.2574, -34.0099, 36.2677]]
    lab2 = [[50, 0, -82.7485], [50, -1, 2], [73, 25, -18], [60.4626, -34.1751, 39.4387]]
    assert np.allclose(viz._ciede2000(lab1, lab2), [2.0425, 2.3669, 27.1492, 1.2644], atol=1e-4)
    # dichromats keep grey grey and white white; protanopes see red and green alike (both brownish-yellow)
    for kind in viz.CVD_MATRICES:
        assert np.allclose(viz.simulate_cvd(["#FFFFFF", "#808080"], kind), viz._srgb(["#FFFFFF", "#808080"]), atol=0.01)
    assert viz.delta_e2000(*viz.simulate_cvd(["#FF0000", "#00A000"], "protanopia")[:, None]) < 20
    assert viz.delta_e2000(["#FF0000"], ["#00A000"])[0] > 70
    with pytest.raises(ValueError, match="deficiency"):
        viz.simulate_cvd(["#000000"], "achromatopsia")
    with pytest.raises(ValueError, match="RRGGBB"):
        viz.simulate_cvd(["red"], "protanopia")


@pytest.mark.parametrize("deficiency", [None, "protanopia", "deuteranopia", "tritanopia"])
def test_every_pair_of_class_colours_stays_distinguishable(deficiency):
    seen = viz._srgb(viz.COLORS) if deficiency is None else viz.simulate_cvd(viz.COLORS, deficiency)
    pairs = list(itertools.combinations(range(len(viz.COLORS)), 2))
    d = viz.delta_e2000(seen[[i for i, _ in pairs]], seen[[j for _, j in pairs]])
    worst = int(np.argmin(d))
    i, j = pairs[worst]
    print(
        f"{deficiency or 'normal vision'}: smallest CIEDE2000 between class colours {d[worst]:.1f} "
        f"({viz.COLORS[i]} vs {viz.COLORS[j]})"
    )
    close = [f"{viz.COLORS[a]} vs {viz.COLORS[b]}: {v:.1f}" for (a, b), v in zip(pairs, d) if v < MIN_DELTA_E]
    assert not close, f"{deficiency}: class colours closer than ΔE00 {MIN_DELTA_E}: {close}"


def test_setup_style_cycles_through_the_course_palette():
    import matplotlib

    with matplotlib.rc_context():
        viz.setup_style()
        cycle = [c["color"] for c in matplotlib.rcParams["axes.prop_cycle"]]
        assert [c.upper() for c in cycle] == [c.upper() for c in viz.COLORS]
        assert matplotlib.rcParams["image.cmap"] in viz.SEQUENTIAL_CMAPS


_CMAP = re.compile(
    r"""(?:cmap\s*=\s*|get_cmap\(\s*|colormaps\[\s*)["']([A-Za-z0-9_]+)["']"""
    r"""|cmap\s*=\s*(?:plt\.)?cm\.([A-Za-z0-9_]+)"""
)


def _colormaps_used():
    """(where, name) of every colour map named in the lessons' code and in vulib."""
    used = []
    for path in LESSONS:
        for i, cell in _code_cells(path):
            used += [(f"{path.name} cell {i}", a or b) for a, b in _CMAP.findall(cell.source)]
    for path in sorted((ROOT / "vulib").rglob("*.py")):
        used += [(str(path.relative_to(ROOT)), a or b) for a, b in _CMAP.findall(path.read_text())]
    return used


def test_only_perceptually_uniform_or_diverging_colour_maps():
    allowed = {n for base in viz.SEQUENTIAL_CMAPS + viz.DIVERGING_CMAPS for n in (base, base + "_r")}
    used = _colormaps_used()
    print("colour maps used:", sorted({n for _, n in used}))
    bad = [f"{where}: {name}" for where, name in used if name not in allowed]
    assert used, "found no colour map at all: the pattern no longer matches the code"
    assert not bad, (
        "use a perceptually uniform sequential map (viridis, magma, cividis, inferno, plasma, gray) "
        "or, for signed data, a diverging one:\n" + "\n".join(bad)
    )


def _colour_only_flow_cells():
    """Lesson cells that draw optical flow as colour (``flow_to_color`` shown with imshow or as an
    animation) without drawing arrows (``quiver``, ``draw_arrows``, ``vulib.flow.show_flow`` or ``flow_pictures``)."""
    out = []
    for path in LESSONS:
        for i, cell in _code_cells(path):
            src = cell.source
            shown = re.search(
                r"imshow\(\s*flow_to_color|flow_to_color\(.*\n?.*animate_clips|animate_clips\(.*flow", src
            ) or ("flow_to_color" in src and "animate_clips" in src)
            if shown and not re.search(r"quiver|draw_arrows|show_flow|flow_pictures", src):
                out.append(f"{path.name} cell {i} (id {cell.get('id')}): {src.splitlines()[0][:70]}")
    return out


def test_vulib_draws_flow_with_arrows_by_default():
    import matplotlib
    import torch
    from matplotlib.figure import Figure

    from vulib.flow import show_flow

    flow = torch.zeros(2, 20, 20)
    flow[0, 5:15, 5:15] = 2.0  # a square moving right
    ax = Figure().add_subplot()
    show_flow(ax, flow)
    (quiver,) = [c for c in ax.collections if isinstance(c, matplotlib.quiver.Quiver)]
    assert (quiver.U > 0).all() and (quiver.V == 0).all()
    ax2 = Figure().add_subplot()
    show_flow(ax2, flow, arrows=False)
    assert not ax2.collections
    with pytest.raises(ValueError, match=r"\(2, H, W\)"):
        show_flow(ax, flow[None])


def test_flow_colour_is_always_paired_with_arrows_in_the_lessons():
    offenders = _colour_only_flow_cells()
    assert not offenders, "flow shown by hue alone:\n" + "\n".join(offenders)


def test_the_flow_check_finds_what_it_should(tmp_path, monkeypatch):
    """The check above must still find a colour-only flow picture when there is one."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("ax.imshow(flow_to_color(f))")])
    bad = tmp_path / "99_bad.ipynb"
    nbformat.write(nb, bad)
    monkeypatch.setattr(sys.modules[__name__], "LESSONS", [bad])
    assert _colour_only_flow_cells(), "a colour-only flow cell was not found"


# --------------------------------------------------------------------------- document structure

_VAGUE = {"here", "click here", "this", "this link", "link", "more", "read more", "this page", "there"}
_MD_LINK = re.compile(r"(?<!!)\[([^\]]+)\]\(([^)\s]+)[^)]*\)")
_HTML_LINK = re.compile(r"<a\b[^>]*>(.*?)</a>", re.S)
_BARE_URL = re.compile(r"(?<![(<\[\"'`])\bhttps?://[^\s)>\]]+")


def _vague(text: str) -> bool:
    """A link text that does not say where it leads: "here", a bare URL, a number alone."""
    return (
        text.lower() in _VAGUE
        or bool(re.match(r"https?://|www\.", text))
        or bool(re.fullmatch(r"[\d\s.,:;#()\[\]-]+", text))
    )


def structure_problems(nb, name: str) -> list[str]:
    """Heading and link problems of one notebook's markdown (see the module docstring)."""
    problems, levels = [], []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for line in _markdown_lines(cell.source):
            m = re.match(r"^(#{1,6})\s+\S", line)
            if m:
                levels.append((len(m.group(1)), i, line.strip()[:60]))
            levels += [(int(h), i, f"<h{h}>") for h in re.findall(r"<h([1-6])\b", line)]
            for text, _url in _MD_LINK.findall(line):
                plain = re.sub(r"[`*_]", "", text).strip()
                if _vague(plain):
                    problems.append(f"{name} cell {i}: link text {text!r} does not say where it leads")
            for text in _HTML_LINK.findall(line):
                plain = re.sub(r"<[^>]+>", "", text).strip()
                if _vague(plain):
                    problems.append(f"{name} cell {i}: link text {text!r} does not say where it leads")
            for url in _BARE_URL.findall(line):
                problems.append(f"{name} cell {i}: bare URL {url[:60]} (give the link a text)")
    tops = [lv for lv in levels if lv[0] == 1]
    if len(tops) != 1:
        problems.append(f"{name}: {len(tops)} top-level headings, want exactly one: {[t for _, _, t in tops]}")
    elif levels[0][0] != 1:
        problems.append(f"{name}: the first heading is {levels[0][2]!r}, not the lesson's title")
    for (prev, _, _), (level, i, text) in zip(levels, levels[1:]):
        if level > prev + 1:
            problems.append(f"{name} cell {i}: heading {text!r} skips from h{prev} to h{level}")
    return problems


def _all_structure_problems():
    return [p for path in LESSONS for p in structure_problems(nbformat.read(path, 4), path.name)]


def test_lessons_have_one_title_and_ordered_headings():
    problems = [p for p in _all_structure_problems() if "link text" not in p and "bare URL" not in p]
    assert not problems, "\n".join(problems)


def test_lessons_link_texts_make_sense_alone():
    problems = [p for p in _all_structure_problems() if "link text" in p or "bare URL" in p]
    assert not problems, "\n".join(problems)


def test_the_structure_check_catches_what_it_should():
    v4 = nbformat.v4
    nb = v4.new_notebook(
        cells=[
            v4.new_markdown_cell("# Title\n\n## A\n\n#### Too deep\n\nSee [here](x.md)."),
            v4.new_markdown_cell(
                "```\n# not a heading\n```\n# Second title\n"
                "Go to https://example.org now, or [https://example.org](https://example.org)."
            ),
        ]
    )
    nb.cells.append(v4.new_markdown_cell("| [07](07_inflation.ipynb) | inflation |"))
    found = "\n".join(structure_problems(nb, "x"))
    for want in (
        "skips from h2 to h4",
        "'here'",
        "2 top-level headings",
        "bare URL https://example.org",
        "link text 'https://example.org'",
        "link text '07'",
    ):
        assert want in found, (want, found)


# --------------------------------------------------------------------------- widgets


def _state(t, size):
    return {"t": t, "size": size, "area": size * size}


def _draw(fig, s):
    fig.add_subplot().set_title(str(s["area"]))


def test_explorer_describes_its_picture_and_follows_the_controls():
    controls = {
        "t": W.IntSlider(0, 0, 3, description="frame"),
        "size": W.Dropdown(options=[("small", 1), ("large", 2)], value=1, description="size"),
    }
    ex = Explorer(_state, _draw, controls)
    assert ex.describe() == "The picture for: frame 0, size small."
    from vulib.widgets import describe_values

    assert (
        describe_values({"s": W.FloatSlider(0.3, min=0.1, max=0.8, step=0.1, description="score ≥")}, {"s": 0.1 + 0.2})
        == "The picture for: score ≥ 0.3."
    )
    assert describe_values({}, {"question": "why?"}) == "The picture for: question why?"
    assert 'aria-live="polite"' in ex.caption.value and "frame 0, size small" in ex.caption.value
    assert ex.children.index(ex.caption) == ex.children.index(ex.image) - 1  # right above the picture
    controls["size"].value = 2
    assert "frame 0, size large" in ex.caption.value

    told = Explorer(
        _state,
        _draw,
        {"t": W.IntSlider(0, 0, 3, description="frame"), "size": W.Dropdown(options=[1, 2], description="size")},
        describe=lambda s: f"Frame {s['t']}: the square covers {s['area']} pixels & more.",
    )
    assert "covers 1 pixels &amp; more" in told.caption.value  # escaped HTML
    told.controls["size"].value = 2
    assert "covers 4 pixels" in told.caption.value
    with pytest.raises(ValueError, match="non-empty string"):
        Explorer(
            _state,
            _draw,
            {"t": W.IntSlider(0, 0, 1, description="frame"), "size": W.Dropdown(options=[1], description="size")},
            describe=lambda s: " ",
        )


def test_every_control_of_the_lessons_explorers_has_a_visible_label():
    """A control's ``description`` is its visible label, and ipywidgets makes it the accessible name
    (a ``<label>`` tied to the input).  Checked on the widget state stored in each lesson: every slider,
    dropdown, checkbox or text box inside a saved widget has a non-empty description."""
    unlabelled = []
    kinds = (
        "SliderModel",
        "DropdownModel",
        "CheckboxModel",
        "TextModel",
        "SelectModel",
        "RadioButtonsModel",
        "ToggleButtonsModel",
        "IntTextModel",
        "FloatTextModel",
    )
    for path in LESSONS:
        nb = nbformat.read(path, 4)
        state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
        for model_id, model in state.items():
            described = (model.get("state", {}).get("description") or "").strip()
            if model.get("model_name", "").endswith(kinds) and not described:
                unlabelled.append(f"{path.name}: {model['model_name']} {model_id[:8]}")
    assert not unlabelled, "controls without a visible label:\n" + "\n".join(unlabelled)
