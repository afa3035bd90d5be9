"""The lessons' slide and folding metadata follow scripts/notebook_meta.py's rules (so RISE, the
static slides and the book agree, and a new lesson gets them by running the script)."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("notebook_meta", ROOT / "scripts" / "notebook_meta.py")
meta = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(meta)


def test_every_lesson_follows_the_rules():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "notebook_meta.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_rules_on_a_small_lesson(tmp_path):
    v4 = nbformat.v4
    nb = v4.new_notebook(
        cells=[
            v4.new_markdown_cell("# 99 · Title\n\n**Learning goals.** ..."),
            v4.new_code_cell("import vulib"),
            v4.new_markdown_cell("## 1 · A section"),
            v4.new_code_cell("acc = 0.9"),
            v4.new_code_cell("assert acc > 0.5, acc"),
            v4.new_code_cell("# draw: the accuracy as a bar\nfig = None"),
            v4.new_code_cell("\n".join(f"x{i} = {i}" for i in range(meta.LONG + 1))),
            v4.new_markdown_cell("### A subsection"),
            v4.new_markdown_cell("**Exercise 1.** Write `f`."),
        ]
    )
    assert meta.slide_types(nb) == [
        "slide",
        "subslide",
        "slide",
        "-",
        "fragment",
        "-",
        "subslide",
        "subslide",
        "subslide",
    ]
    path = tmp_path / "99_small.ipynb"
    nbformat.write(nb, path)
    assert meta.main(["--check", str(path)]) == 1
    assert meta.main([str(path)]) == 0
    assert meta.main(["--check", str(path)]) == 0
    nb2 = nbformat.read(path, 4)
    assert nb2.cells[5].metadata["jupyter"]["source_hidden"] is True
    assert "jupyter" not in nb2.cells[3].metadata
    assert nb2.metadata["rise"]["theme"] == "white"
    assert [c.source for c in nb2.cells] == [c.source for c in nb.cells]  # metadata only
