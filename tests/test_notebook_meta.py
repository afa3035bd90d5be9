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
            v4.new_code_cell("# plumbing: free memory\ndel acc"),
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
        "-",
    ]
    path = tmp_path / "99_small.ipynb"
    nbformat.write(nb, path)
    assert meta.main(["--check", str(path)]) == 1
    assert meta.main([str(path)]) == 0
    assert meta.main(["--check", str(path)]) == 0
    nb2 = nbformat.read(path, 4)
    assert nb2.cells[5].metadata["jupyter"]["source_hidden"] is True
    assert nb2.cells[9].metadata["jupyter"]["source_hidden"] is True  # a '# plumbing:' cell folds too
    assert "jupyter" not in nb2.cells[3].metadata
    assert nb2.metadata["rise"]["theme"] == "white"
    assert [c.source for c in nb2.cells] == [c.source for c in nb.cells]  # metadata only


def test_grading_rules_on_a_small_lesson():
    """nbgrader metadata from the exercise structure: set-up and statements read-only, solution cells,
    one locked one-point test cell per checker call; a solution cell that calls a checker is an error."""
    import pytest

    v4 = nbformat.v4
    nb = v4.new_notebook(
        cells=[
            v4.new_markdown_cell("# 99 · Title"),
            v4.new_code_cell("import vulib\nfrom vulib.exercises import nb00 as ex"),
            v4.new_code_cell("x = 1"),
            v4.new_markdown_cell("## Exercises\n\n**Exercise 1.** Write `f`."),
            v4.new_code_cell("def f(a):\n    # BEGIN SOLUTION\n    return a\n    # END SOLUTION"),
            v4.new_code_cell("ex.check_f(f)\nex.check_g(f)"),
            v4.new_markdown_cell("**Exercise 2.** Name them."),
            v4.new_code_cell("# BEGIN SOLUTION\nnames = {'a'}\n# END SOLUTION"),
            v4.new_code_cell("ex.check_names(names)"),
            v4.new_markdown_cell("**Exercise 3 (predict, then measure).** Guess, then write `h`."),
            v4.new_code_cell("# BEGIN SOLUTION\n# HINT: write prediction = <a number>\nprediction = 3\n# END SOLUTION"),
            v4.new_code_cell("def h():\n    # BEGIN SOLUTION\n    return 3\n    # END SOLUTION"),
            v4.new_code_cell("ex.check_h(h, prediction)"),
        ]
    )
    grades = meta.nbgrader_cells(nb)
    ids = [g and g["grade_id"] for g in grades]
    assert ids == [None, "setup", None, "exercise-1", "f", "check_f+check_g", "exercise-2", "names", "check_names",
                   "exercise-3", "prediction-3", "h", "check_h"]  # fmt: skip
    assert grades[10]["solution"] and not grades[10]["grade"]  # a prediction is asked for, never graded
    assert grades[1]["locked"] and not grades[1]["grade"] and not grades[1]["solution"]
    assert grades[4]["solution"] and not grades[4]["locked"]
    assert grades[5]["grade"] and grades[5]["locked"] and grades[5]["points"] == 2
    assert all(g["schema_version"] == 3 for g in grades if g)
    nb.cells[4].source += "\n\nex.check_f(f)"
    with pytest.raises(ValueError, match="own cell|next cell"):
        meta.nbgrader_cells(nb)


def test_split_checkers_moves_calls_and_their_outputs():
    v4 = nbformat.v4
    cell = v4.new_code_cell(
        "def f(a):\n    # BEGIN SOLUTION\n    return a\n    # END SOLUTION\n\nex.check_f(f)\nex.check_g(f)"
    )
    cell.execution_count = 7
    cell.outputs = [
        v4.new_output("stream", name="stdout", text="✓ f: correct\n✓ g: correct\n"),
        v4.new_output("execute_result", data={"text/plain": "True"}, execution_count=7),
    ]
    nb = v4.new_notebook(cells=[v4.new_code_cell("import vulib"), cell])
    assert meta.split_checker_cells(nb) == 2 and meta.split_checker_cells(nb) == 0
    assert [c.source for c in nb.cells[1:]] == [
        "def f(a):\n    # BEGIN SOLUTION\n    return a\n    # END SOLUTION",
        "ex.check_f(f)",
        "ex.check_g(f)",
    ]
    assert nb.cells[1].outputs == []
    assert [o.get("text") for o in nb.cells[2].outputs] == ["✓ f: correct\n", None]
    assert [o.get("text") for o in nb.cells[3].outputs] == ["✓ g: correct\n", None]
    assert nb.cells[3].execution_count == 7 and nb.cells[3].id.endswith("-check-2")
