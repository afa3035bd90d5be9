"""Text alternatives of the lessons' stored outputs, kept in ``notebooks/alt_text.toml``.

Shared by ``scripts/book.py`` (``alt`` of the website's and the slides' pictures, the description of
every animation and sound player) and ``scripts/notebook_meta.py`` (copies each text into its
output's metadata, ``{"image/png": {"alt": ...}}``, where nbconvert and JupyterLab users find it).

The file holds one table per notebook; each key is a code cell's nbformat ``id``, followed by
``/N`` when the cell has several described outputs (N counts them from 0, in order)::

    ["00_videos_as_tensors.ipynb"]
    "3f6a3b98" = "Eight frames of a clip side by side: ... Notice that ..."
    "ee632753/1" = "..."

A *described output* is a stored picture (``image/png``, ``image/jpeg``), an animation (the HTML of
``to_jshtml``, which has a frame slider) or a sound player (an HTML ``<audio>``).  A widget output
(an Explorer's saved picture) may have an entry too; it is optional.
"""

from __future__ import annotations

from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent
ALT_FILE = ROOT / "notebooks" / "alt_text.toml"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
IMAGES = ("image/png", "image/jpeg")


def _html(out) -> str:
    text = out.get("data", {}).get("text/html", "")
    return "".join(text) if isinstance(text, list) else text


def kind(out) -> str | None:
    """``"image"``, ``"animation"``, ``"sound"``, ``"widget"`` or None (text, tables, errors)."""
    data = out.get("data", {})
    html = _html(out)
    if "anim-slider" in html:
        return "animation"
    if "<audio" in html:
        return "sound"
    if any(m in data for m in IMAGES):
        return "image"
    if WIDGET_VIEW in data:
        return "widget"
    return None


def described_outputs(nb) -> list[tuple[str, object, str]]:
    """``(key, output, kind)`` for every output of ``nb`` that needs (or, for widgets, may have) a
    text alternative, keyed as in ``alt_text.toml``."""
    found = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outs = [(o, kind(o)) for o in cell.get("outputs", [])]
        outs = [(o, k) for o, k in outs if k is not None and k != "widget"]
        cid = cell.get("id", "")
        for n, (out, k) in enumerate(outs):
            found.append((cid if len(outs) == 1 else f"{cid}/{n}", out, k))
        widgets = [o for o in cell.get("outputs", []) if kind(o) == "widget"]
        for n, out in enumerate(widgets):
            found.append((f"{cid}/widget" if len(widgets) == 1 else f"{cid}/widget{n}", out, "widget"))
    return found


def load(path: Path = ALT_FILE) -> dict[str, dict[str, str]]:
    """``{notebook file name: {key: text}}`` (empty when the file does not exist)."""
    if not path.exists():
        return {}
    with open(path, "rb") as f:
        table = tomllib.load(f)
    bad = [
        f"{nb}: {k}"
        for nb, entries in table.items()
        for k, v in (entries.items() if isinstance(entries, dict) else [("(not a table)", None)])
        if not (isinstance(v, str) and v.strip())
    ]
    if bad:
        raise ValueError(f"{path.name}: every entry must be a non-empty string; not so for {bad[:5]}")
    return table


def problems(nb, name: str, table: dict[str, dict[str, str]]) -> list[str]:
    """What is wrong with notebook ``name``'s entries: an output without a text, a text whose cell
    (or output) no longer exists."""
    mine = table.get(name, {})
    outs = described_outputs(nb)
    keys = {k for k, _, _ in outs}
    out = [f"{name}: {k} ({what}) has no text alternative" for k, _, what in outs if what != "widget" and k not in mine]
    out += [f"{name}: entry {k!r} names no output (cell gone, or its outputs changed)" for k in mine if k not in keys]
    return out


def set_metadata(out, text: str) -> bool:
    """Put ``text`` into an output's metadata (``metadata[mime]["alt"]`` for each picture type, else
    ``metadata["alt"]``).  Returns True if anything changed."""
    meta = out.setdefault("metadata", {})
    mimes = [m for m in IMAGES if m in out.get("data", {})] or [None]
    changed = False
    for mime in mimes:
        place = meta.setdefault(mime, {}) if mime else meta
        if place.get("alt") != text:
            place["alt"] = text
            changed = True
    return changed


def has_metadata(out, text: str) -> bool:
    meta = out.get("metadata", {})
    mimes = [m for m in IMAGES if m in out.get("data", {})]
    if mimes:
        return all(meta.get(m, {}).get("alt") == text for m in mimes)
    return meta.get("alt") == text
