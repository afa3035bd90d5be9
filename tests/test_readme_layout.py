"""The README's layout block and vulib's package docstring name every module, so the maps cannot go stale."""

import re
from pathlib import Path

import vulib

ROOT = Path(__file__).resolve().parent.parent


def vulib_modules() -> list[str]:
    """vulib's top-level modules and packages (``"models/"`` for a package)."""
    pkg = ROOT / "vulib"
    mods = [p.stem for p in pkg.glob("*.py") if p.stem != "__init__"]
    return sorted(mods + [p.name + "/" for p in pkg.iterdir() if (p / "__init__.py").exists()])


def layout_entry(name: str) -> str:
    """The text of one top-level entry (``"vulib/"``, ``"scripts/"``) of the README's layout block."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"^```\w*\n(.*?)^```", text, flags=re.S | re.M) if b.startswith("notebooks/")]
    assert len(blocks) == 1, "README.md should have one layout block starting with 'notebooks/'"
    entry = re.search(rf"^{re.escape(name)} +(.*?)(?=^\S|\Z)", blocks[0], flags=re.S | re.M)
    assert entry, f"the README's layout block has no {name!r} entry"
    return entry.group(1)


def test_readme_layout_names_every_vulib_module() -> None:
    entry = layout_entry("vulib/")
    missing = [m for m in vulib_modules() if not re.search(rf"(?<![\w.]){re.escape(m.rstrip('/'))}\b", entry)]
    assert not missing, f"README.md's layout block does not mention these vulib modules: {missing}"


def test_readme_layout_names_every_models_and_synthetic_module() -> None:
    entry = layout_entry("vulib/")
    for package in ("models", "synthetic"):
        mods = sorted(p.stem for p in (ROOT / "vulib" / package).glob("*.py") if p.stem != "__init__")
        missing = [m for m in mods if not re.search(rf"\b{m}\b", entry)]
        assert not missing, f"README.md's layout block does not mention these vulib/{package} modules: {missing}"


def test_readme_layout_names_every_script() -> None:
    entry = layout_entry("scripts/")
    missing = [p.name for p in (ROOT / "scripts").iterdir() if p.name != "__pycache__" and p.name not in entry]
    assert not missing, f"README.md's layout block does not mention these scripts: {missing}"


def test_package_docstring_lists_every_module() -> None:
    missing = [m for m in vulib_modules() if f":mod:`vulib.{m.rstrip('/')}`" not in vulib.__doc__]
    assert not missing, f"vulib/__init__.py's docstring does not list these modules: {missing}"
