"""Build the course website (Sphinx + myst-nb) and the static reveal.js slides from the
committed, executed notebooks.  Nothing is re-executed: nbval already proves the notebooks run.

    python scripts/book.py            # the book, slides included -> _build/html/index.html
    python scripts/book.py --slides   # only the slides -> _build/slides/NN_name.slides.html

``bash scripts/book.sh`` and ``bash scripts/slides.sh`` run these in the course's .venv.

Every ``notebooks/[0-9][0-9]_*.ipynb`` is a lesson, in file-name order; the landing page is the
README's course table.  Each notebook is copied into ``_build/src`` and prepared there (the
repository's files are never touched):

* widget outputs (``application/vnd.jupyter.widget-view+json``) are replaced by a static drawing of
  the widget's saved state (its picture, its controls greyed out; a progress bar's last value)
  and, for widgets with controls, a note that they need a kernel (JupyterLab or Binder); the
  static twin the notebook shows next to it plays in the page (``to_jshtml`` is self-contained);
* exercise solutions (``# BEGIN SOLUTION``) and drawing cells (``jupyter.source_hidden``, set by
  ``scripts/notebook_meta.py`` for cells whose first line is ``# draw: ...``) start folded;
* links to lessons not written yet become plain text;
* every stored picture, animation and sound player gets its text alternative from
  ``notebooks/alt_text.toml`` (see ``scripts/_alt_text.py``): a picture's ``alt``, an animation's
  ``alt`` plus labels on its frame slider and repetition-mode group (matplotlib's ``to_jshtml``
  leaves them unlabelled), a sound player's description under it;
* a line under the title links the notebook, its student version and its slides, and, when
  ``classroom.toml`` names the course's repository, opens the lesson on Binder and on the
  course's JupyterHub (``vulib.exercises.classroom.launch_links``; none when it is unset).

No page loads anything from the network: no MathJax (one formula in the course is shown as
its LaTeX source), no widget JavaScript from a CDN, reveal.js from the ``sphinx-revealjs``
package's copy.
"""

from __future__ import annotations

import argparse
import copy
import html
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _alt_text  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
LESSON_GLOB = "[0-9][0-9]_*.ipynb"
TEMPLATES = Path(__file__).resolve().parent / "slides_template"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
KERNEL_NOTE = (
    "Interactive widget: its controls need a running kernel. Open this notebook in JupyterLab "
    "(<code>bash scripts/lab.sh</code>) or on Binder and run the cells above. Shown here: its "
    "saved picture; the static version next to it plays without a kernel."
)


def lessons(folder: Path = NOTEBOOKS) -> list[Path]:
    """Every lesson notebook in ``folder``, in order (``NN_name.ipynb``)."""
    return sorted(folder.glob(LESSON_GLOB))


# --------------------------------------------------------------------------- saved widgets


def _ref(value) -> str | None:
    return value[len("IPY_MODEL_") :] if isinstance(value, str) and value.startswith("IPY_MODEL_") else None


class SavedWidgets:
    """Draws widgets as static HTML from the state nbconvert saved in the notebook's metadata."""

    BOXES = {"VBoxModel": "column", "HBoxModel": "row", "BoxModel": "row", "GridBoxModel": "row"}

    def __init__(self, nb) -> None:
        self.models = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})

    def state(self, model_id: str) -> dict:
        model = self.models.get(model_id)
        if model is None:
            return {}
        state = dict(model.get("state", {}))
        for buf in model.get("buffers", []):  # binary values (an Image's PNG) as base64 buffers
            if buf.get("encoding") == "base64" and buf.get("path"):
                state[buf["path"][0]] = ("base64", buf["data"])
        return state

    def name(self, model_id: str) -> str:
        return self.models.get(model_id, {}).get("model_name", "")

    def has_controls(self, model_id: str) -> bool:
        name, state = self.name(model_id), self.state(model_id)
        if any(k in name for k in ("Slider", "Dropdown", "Play", "Select", "Toggle", "Checkbox", "Button", "Text")):
            return True
        return any(self.has_controls(_ref(c)) for c in state.get("children", []) if _ref(c))

    def html(self, model_id: str, alt: str | None = None) -> str:
        name, s = self.name(model_id), self.state(model_id)
        desc = html.escape(str(s.get("description", "") or ""))
        label = f'<span class="vw-label">{desc}</span>' if desc else ""
        if name in self.BOXES:
            inner = "".join(self.html(_ref(c), alt) for c in s.get("children", []) if _ref(c))
            style = f"display:flex;flex-direction:{self.BOXES[name]};gap:6px;align-items:center;flex-wrap:wrap"
            return f'<div class="vw-box" style="{style}">{inner}</div>'
        if name in ("HTMLModel", "HTMLMathModel"):
            return f'<span class="vw-html">{label}{s.get("value", "")}</span>'
        if name == "LabelModel":
            return f'<span class="vw-html">{html.escape(str(s.get("value", "")))}</span>'
        if name in ("FloatProgressModel", "IntProgressModel"):
            return f'{label}<progress value="{s.get("value", 0)}" max="{s.get("max", 100)}"></progress>'
        if name == "ImageModel":
            value = s.get("value")
            if isinstance(value, tuple):
                fmt = s.get("format", "png")
                text = html.escape(alt or "The widget's saved picture, its controls at their starting values.")
                return (
                    f'<img class="vw-image" alt="{text}" style="max-width:100%" '
                    f'src="data:image/{fmt};base64,{value[1]}">'
                )
            return ""
        if name in ("IntSliderModel", "FloatSliderModel", "SelectionSliderModel"):
            if name == "SelectionSliderModel":
                labels = s.get("_options_labels", [])
                idx = s.get("index", 0) or 0
                lo, hi, val, readout = 0, max(len(labels) - 1, 0), idx, labels[idx] if labels else ""
            else:
                lo, hi, val = s.get("min", 0), s.get("max", 100), s.get("value", 0)
                readout = val
            return (
                f'<label class="vw-control">{label}<input type="range" disabled min="{lo}" max="{hi}" '
                f'value="{val}"><span class="vw-readout">{html.escape(str(readout))}</span></label>'
            )
        if name in ("DropdownModel", "RadioButtonsModel", "ToggleButtonsModel", "SelectModel"):
            labels = s.get("_options_labels", [])
            idx = s.get("index")
            opts = "".join(
                f"<option{' selected' if i == idx else ''}>{html.escape(str(o))}</option>" for i, o in enumerate(labels)
            )
            return f'<label class="vw-control">{label}<select disabled>{opts}</select></label>'
        if name == "PlayModel":
            return '<button class="vw-play" disabled title="needs a kernel">&#9654;</button>'
        if name in ("CheckboxModel", "ToggleButtonModel"):
            checked = " checked" if s.get("value") else ""
            return f'<label class="vw-control">{label}<input type="checkbox" disabled{checked}></label>'
        if "value" in s and not name.endswith(("LayoutModel", "StyleModel")):
            return f'<span class="vw-control">{label} {html.escape(str(s["value"]))}</span>'
        return ""

    def output(self, model_id: str, text: str, alt: str | None = None) -> nbformat.NotebookNode | None:
        """A display_data output drawing the saved widget (None: no saved state for it); ``alt``
        describes its picture."""
        if model_id not in self.models:
            return None
        body = self.html(model_id, alt)
        if self.has_controls(model_id):
            body = f'<div class="vulib-static-widget">{body}<p class="vulib-kernel-note">{KERNEL_NOTE}</p></div>'
        return nbformat.v4.new_output("display_data", data={"text/html": body, "text/plain": text})


# --------------------------------------------------------------------------- one notebook

_FA_LINK = re.compile(r"<link[^>]*font-awesome[^>]*>\s*")
_LINK = re.compile(r"\[([^\]]+)\]\(((\d\d)_[A-Za-z0-9_]+)\.ipynb(#[^)]*)?\)")
_REPO_LINK = re.compile(r"\[([^\]]+)\]\(\.\./([^)\s]+)\)")  # [text](../docs/x.md): a file of the repository


def _repo_file(m: re.Match) -> str:
    """A link from a notebook to a repository file outside notebooks/ (the book does not hold those
    files): its path as text, so the reader knows where to find it."""
    text, path = m.group(1), m.group(2)
    return (
        f"`{path}` (in the course's repository)"
        if text.strip("`") == path
        else f"{text} (`{path}` in the course's repository)"
    )


_ANIM_IMG = re.compile(r'<img id="(_anim_img[0-9a-f]+)"')
_ANIM_SLIDER = re.compile(r'(<input id="_anim_slider[0-9a-f]+" type="range")')
_ANIM_MODE = 'title="Repetition mode" aria-label="Repetition mode"'


def _picture_html(out, alt: str) -> nbformat.NotebookNode:
    """A stored picture as an HTML ``<img>`` with its ``alt`` (myst-nb and nbconvert's slides would
    otherwise give it none, or its file name)."""
    data = out["data"]
    mime = next(m for m in _alt_text.IMAGES if m in data)
    b64 = "".join(data[mime]).replace("\n", "") if isinstance(data[mime], list) else data[mime].replace("\n", "")
    tag = f'<img class="vulib-figure" src="data:{mime};base64,{b64}" alt="{html.escape(alt)}">'
    new = copy.deepcopy(out)
    new["data"] = {"text/html": tag, "text/plain": data.get("text/plain", "")}
    return new


def _described_html(text: str, kind: str, alt: str | None, n: int) -> str:
    """An animation's or a sound player's HTML with its labels and description (``n``: its number
    on the page, so that each group's label is unique)."""
    if kind == "animation":
        if alt:
            text = _ANIM_IMG.sub(lambda m: f'<img id="{m.group(1)}" alt="{html.escape(alt)}"', text, count=1)
        text = _ANIM_SLIDER.sub(r'\1 aria-label="Frame of the animation"', text, count=1)
        text = text.replace(_ANIM_MODE, f'title="Repetition mode" aria-label="Repetition mode of animation {n}"', 1)
    elif kind == "sound" and alt:
        text = text.replace("<audio", f'<audio aria-label="{html.escape(alt)}"', 1)
        text = text.replace(
            "</audio>", f'</audio>\n<p class="vulib-sound-description">What is heard: {html.escape(alt)}</p>', 1
        )
    return text


def prepare(
    nb,
    name: str,
    existing: set[str],
    slides_href: str | None = None,
    downloads: str | None = None,
    launch: dict[str, str] | None = None,
    alt: dict | None = None,
):
    """A copy of notebook ``nb`` (file ``name``) ready for the book and the slides.

    ``launch``: ``{"Binder": url, "JupyterHub": url}`` links that open the lesson (with ``downloads``).
    ``alt``: the text alternatives (``_alt_text.load()``, read from ``notebooks/alt_text.toml`` when None)."""
    nb = copy.deepcopy(nb)
    saved = SavedWidgets(nb)
    texts = (_alt_text.load() if alt is None else alt).get(name, {})
    described = {id(out): (key, what) for key, out, what in _alt_text.described_outputs(nb)}
    counter = {"animation": 0, "sound": 0}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            # lessons not written yet: plain text, not a broken link
            cell.source = _LINK.sub(
                lambda m: m.group(0) if m.group(2) + ".ipynb" in existing else f"{m.group(1)} (not written yet)",
                cell.source,
            )
            cell.source = _REPO_LINK.sub(_repo_file, cell.source)
            continue
        if cell.cell_type != "code":
            continue
        outputs = []
        for out in cell.get("outputs", []):
            key, what = described.get(id(out), (None, None))
            text = texts.get(key) if key else None
            view = out.get("data", {}).get(WIDGET_VIEW)
            if view:
                static = saved.output(view.get("model_id", ""), out["data"].get("text/plain", ""), alt=text)
                if static is None:
                    continue
                out = static
            elif what == "image" and text:
                out = _picture_html(out, text)
            elif what in ("animation", "sound"):
                counter[what] += 1
                body = out["data"]["text/html"]
                body = "".join(body) if isinstance(body, list) else body
                out = copy.deepcopy(out)
                out["data"]["text/html"] = _described_html(body, what, text, counter[what])
            html_out = out.get("data", {}).get("text/html")
            if html_out and "font-awesome" in (html_out if isinstance(html_out, str) else "".join(html_out)):
                # matplotlib's to_jshtml links Font Awesome from a CDN for its button icons:
                # drop the link (the book theme has its own; the slides use ANIM_CSS)
                text = html_out if isinstance(html_out, str) else "".join(html_out)
                out["data"]["text/html"] = _FA_LINK.sub("", text)
            outputs.append(out)
        cell.outputs = outputs
        tags = list(cell.metadata.get("tags", []))
        first = cell.source.splitlines()[0].strip() if cell.source.strip() else ""
        if "# BEGIN SOLUTION" in cell.source:
            tags.append("hide-input")
            cell.metadata["mystnb"] = {"code_prompt_show": "Show solution", "code_prompt_hide": "Hide solution"}
        elif cell.metadata.get("jupyter", {}).get("source_hidden"):
            what = first.lstrip("#").strip() or "the drawing code"
            tags.append("hide-input")
            cell.metadata["mystnb"] = {
                "code_prompt_show": f"Show code ({html.escape(what)})",
                "code_prompt_hide": "Hide code",
            }
        if tags:
            cell.metadata["tags"] = sorted(set(tags))
    nb.metadata.pop("widgets", None)
    if downloads is not None:
        links = [
            f'<a href="{downloads}/notebooks/{name}" download>the notebook</a>',
            f'<a href="{downloads}/student/{name}" download>student version</a> (exercises without solutions)',
        ]
        if slides_href:
            links.append(f'<a href="{slides_href}">slides</a>')
        opens = " · ".join(
            f'<a class="vulib-launch" href="{html.escape(url)}">{html.escape(where)}</a>'
            for where, url in (launch or {}).items()
        )
        note = nbformat.v4.new_markdown_cell(
            '<p class="vulib-downloads">Download ' + " · ".join(links) + ". Run it in JupyterLab "
            "(<code>bash scripts/lab.sh</code>) or on Binder: the widgets need a kernel; here every "
            "output is the one stored in the notebook." + (f" Open it on {opens}." if opens else "") + "</p>"
        )
        note.metadata["tags"] = ["remove-from-slides"]
        nb.cells.insert(1, note)
    for cell in nb.cells:
        cell.pop("id", None)
    nb.nbformat_minor = min(nb.nbformat_minor, 4)
    return nb


# --------------------------------------------------------------------------- the landing page


def landing_page(readme: str, names: list[str]) -> str:
    """index.md: the README's title and first paragraph, its course table with the lessons linked."""
    lines = readme.splitlines()
    title = next(l for l in lines if l.startswith("# "))
    intro = []
    for line in lines[lines.index(title) + 1 :]:
        if line.startswith("#"):
            break
        intro.append(line)
    table, in_table = [], False
    for line in lines:
        if line.startswith("| # |"):
            in_table = True
        if in_table:
            if not line.startswith("|"):
                break
            table.append(line)
    stems = {n[:2]: Path(n).stem for n in names}
    rows = []
    for line in table:
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) >= 3 and cells[0] in stems:
            text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", cells[1])
            cells[1] = f"[{text}]({stems[cells[0]]}.ipynb)"
        elif len(cells) >= 3 and re.fullmatch(r"\d\d", cells[0]):
            cells[1] = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", cells[1]) + " *(not written yet)*"
        rows.append("| " + " | ".join(cells) + " |")
    listed = {r.split("|")[1].strip() for r in rows}
    for number, stem in stems.items():  # a lesson the README does not list yet
        if number not in listed:
            rows.append(f"| {number} | [{stem[3:].replace('_', ' ')}]({stem}.ipynb) | |")
    toc = "\n".join(Path(n).stem for n in names)
    return (
        f"{title}\n\n" + "\n".join(intro).strip() + "\n\n"
        "Every lesson below is shown with the outputs stored in its notebook; animations play in the page. "
        "Widgets need a kernel: run the notebooks in JupyterLab or on Binder. Each lesson also has "
        "slides (reveal.js; in JupyterLab, the RISE slideshow runs the cells live).\n\n"
        "## The lessons\n\n" + "\n".join(rows) + "\n\n"
        f"```{{toctree}}\n:hidden:\n:maxdepth: 1\n:caption: Lessons\n\n{toc}\n```\n"
    )


CONF = """# Generated by scripts/book.py: edit that file, not this one.
project = "Video understanding with deep learning"
author = "the course authors"
extensions = ["myst_nb"]
exclude_patterns = ["_extra", "_build", "_templates"]
html_theme = "sphinx_book_theme"
html_title = project
html_static_path = ["_static"]
templates_path = ["_templates"]
# the theme's default primary sidebar, its course-title link wrapped in a landmark (_templates/vulib-home.html):
# axe-core's "region" rule wants all content inside landmarks
html_sidebars = {"**": ["vulib-home.html", "icon-links.html", "search-button-field.html", "sbt-sidebar-nav.html"]}
html_css_files = ["vulib.css"]
html_favicon = "_static/favicon.svg"
html_extra_path = ["_extra"]
html_theme_options = {"show_toc_level": 2, "use_download_button": False, "use_fullscreen_button": False,
                      "use_repository_button": False, "home_page_in_toc": True}
html_show_sourcelink = False
html_copy_source = False            # the notebooks are downloadable as they are
html_context = {"default_mode": "light"}
nb_execution_mode = "off"          # the committed outputs; nbval proves the notebooks run
nb_ipywidgets_js = {}              # widgets are drawn statically from their saved state: no CDN
nb_merge_streams = True
myst_enable_extensions = []        # no dollar math: MathJax would load from a CDN
suppress_warnings = ["myst.header", "mystnb.unknown_mime_type"]
"""

# to_jshtml's buttons in the slides, drawn with characters (its icon font would come from a CDN;
# in the book, the theme's own Font Awesome draws them)
ANIM_CSS = """.anim-buttons button i { display: none; }
.anim-buttons button { font-size: 16px; line-height: 1.6; font-family: monospace; }
.anim-buttons button[title="Decrease speed"]::after { content: "-"; }
.anim-buttons button[title="First frame"]::after { content: "|<"; }
.anim-buttons button[title="Previous frame"]::after { content: "<"; }
.anim-buttons button[title="Play backwards"]::after { content: "\\25C0"; }
.anim-buttons button[title="Pause"]::after { content: "||"; }
.anim-buttons button[title="Play"]::after { content: "\\25B6"; }
.anim-buttons button[title="Next frame"]::after { content: ">"; }
.anim-buttons button[title="Last frame"]::after { content: ">|"; }
.anim-buttons button[title="Increase speed"]::after { content: "+"; }
"""

# The sidebar's link to the landing page, inside a navigation landmark of its own.
HOME_TEMPLATE = '<nav class="vulib-home" aria-label="Course home">{% include "navbar-logo.html" %}</nav>\n'

FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
    '<rect width="16" height="16" rx="3" fill="#0072B2"/><path d="M6 4l6 4-6 4z" fill="#fff"/></svg>'
)

CSS = """/* scripts/book.py: the course's additions to the theme */
.vulib-static-widget { border: 1px dashed #999; padding: .5em; margin: .3em 0; }
.vulib-kernel-note { font-size: .9em; color: #555; margin: .4em 0 0 0; }
.vulib-downloads { font-size: .9em; }
.vw-control { display: inline-flex; gap: .4em; align-items: center; }
.vw-label { margin-right: .4em; }
.cell_output img { max-width: 100%; height: auto; }
.vulib-sound-description { font-size: .9em; margin: .2em 0 .6em 0; }
"""


# --------------------------------------------------------------------------- slides


def reveal_dist() -> Path:
    """reveal.js as shipped inside the sphinx-revealjs package (no download)."""
    try:
        import sphinx_revealjs
    except ImportError as e:
        raise SystemExit("reveal.js comes with the 'book' extra: .venv/bin/pip install -e '.[book]'") from e
    path = Path(sphinx_revealjs.__file__).parent / "_static" / "revealjs"
    if not (path / "dist" / "reveal.js").is_file():
        raise SystemExit(f"no reveal.js in {path}")
    return path


def build_slides(prepared: dict[str, object], out: Path) -> list[Path]:
    """One reveal.js HTML file per notebook in ``out``, reveal.js copied beside them."""
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    out.mkdir(parents=True, exist_ok=True)
    src = reveal_dist()
    dest = out / "reveal"
    if dest.exists():
        shutil.rmtree(dest)
    for part in ("dist", "plugin/notes", "LICENSE"):
        s = src / part
        (shutil.copytree if s.is_dir() else shutil.copy)(s, dest / part)
    c = Config()
    c.SlidesExporter.reveal_url_prefix = "reveal"
    c.SlidesExporter.reveal_scroll = True
    c.SlidesExporter.reveal_theme = "white"  # "simple" would load Google fonts
    c.SlidesExporter.extra_template_basedirs = [str(TEMPLATES)]
    c.SlidesExporter.template_name = "vulib_reveal"
    c.SlidesExporter.exclude_input_prompt = True
    c.SlidesExporter.exclude_output_prompt = True
    c.TagRemovePreprocessor.remove_cell_tags = {"remove-from-slides"}
    c.TagRemovePreprocessor.enabled = True
    exporter = SlidesExporter(config=c)
    exporter.register_preprocessor("nbconvert.preprocessors.TagRemovePreprocessor", enabled=True)
    written = []
    for name, nb in prepared.items():
        body, _ = exporter.from_notebook_node(copy.deepcopy(nb), resources={"metadata": {"name": Path(name).stem}})
        path = out / f"{Path(name).stem}.slides.html"
        body = body.replace("</head>", f'<style type="text/css">\n{ANIM_CSS}</style>\n</head>', 1)
        body = re.sub(r'href="(\d\d_[A-Za-z0-9_]+)\.ipynb', r'href="\1.slides.html', body)  # deck to deck
        path.write_text(body, encoding="utf-8")
        written.append(path)
    return written


# --------------------------------------------------------------------------- the book


def build(out: Path, slides_only: bool = False) -> Path:
    from vulib.exercises.classroom import launch_links
    from vulib.exercises.student import make_student_notebook

    paths = lessons()
    if not paths:
        raise SystemExit(f"no lessons in {NOTEBOOKS} ({LESSON_GLOB})")
    names = [p.name for p in paths]
    existing = set(names)
    t0 = time.perf_counter()
    if slides_only:
        alt = _alt_text.load()
        prepared = {n: prepare(nbformat.read(p, 4), n, existing, alt=alt) for n, p in zip(names, paths)}
        written = build_slides(prepared, out / "slides")
        print(f"[slides] {len(written)} slide decks in {out / 'slides'} ({time.perf_counter() - t0:.1f} s)")
        return out / "slides"
    src, html_out = out / "src", out / "html"
    if src.exists():
        shutil.rmtree(src)
    (src / "_static").mkdir(parents=True)
    extra = src / "_extra"
    for sub in ("notebooks", "student"):
        (extra / sub).mkdir(parents=True)
    prepared = {}
    alt = _alt_text.load()
    for name, path in zip(names, paths):
        nb = nbformat.read(path, 4)
        shutil.copy(path, extra / "notebooks" / name)
        nbformat.write(make_student_notebook(nb, source_name=f"notebooks/{name}"), extra / "student" / name)
        for_book = prepare(
            nb,
            name,
            existing,
            slides_href=f"slides/{Path(name).stem}.slides.html",
            downloads=".",
            launch=launch_links(name),
            alt=alt,
        )
        nbformat.write(for_book, src / name)
        prepared[name] = prepare(nb, name, existing, alt=alt)
    build_slides(prepared, extra / "slides")
    (src / "conf.py").write_text(CONF)
    (src / "_static" / "vulib.css").write_text(CSS)
    (src / "_static" / "favicon.svg").write_text(FAVICON)
    (src / "_templates").mkdir()
    (src / "_templates" / "vulib-home.html").write_text(HOME_TEMPLATE)
    (src / "index.md").write_text(landing_page((ROOT / "README.md").read_text(), names))
    t1 = time.perf_counter()
    from sphinx.cmd.build import build_main

    code = build_main(["-b", "html", "-q", "-j", "1", str(src), str(html_out), "-d", str(out / "doctrees")])
    if code:
        raise SystemExit(f"sphinx-build failed ({code})")
    size = sum(f.stat().st_size for f in html_out.rglob("*") if f.is_file())
    print(
        f"[book] {len(names)} lessons -> {html_out / 'index.html'} ({size / 2**20:.1f} MB; "
        f"prepare + slides {t1 - t0:.1f} s, sphinx {time.perf_counter() - t1:.1f} s)"
    )
    return html_out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "_build", help="build folder (default: _build)")
    ap.add_argument("--slides", action="store_true", help="only the slides, into OUT/slides")
    args = ap.parse_args(argv)
    build(args.out.resolve(), slides_only=args.slides)
    return 0


if __name__ == "__main__":
    sys.exit(main())
