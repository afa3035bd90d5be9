"""Tests of the exercise mechanism: the checkers, the registry, and the student versions."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from IPython.core.inputtransformer2 import TransformerManager
from nbclient import NotebookClient

import vulib.exercises as ex
from vulib.exercises import EXERCISES, ExerciseError, check_equal, check_function, check_scalar, check_tensor, exercise
from vulib.exercises.student import (
    BANNER_TAG,
    HINT_TAG,
    count_solution_blocks,
    hint_cell,
    main,
    make_student_notebook,
    make_student_versions,
    solution_hints,
    strip_solutions,
)

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "exercise_demo.ipynb"
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
NOTEBOOK_00 = REPO / "notebooks" / "00_videos_as_tensors.ipynb"


def message(check, *args, **kwargs) -> str:
    """The ExerciseError message of a failing check."""
    with pytest.raises(ExerciseError) as info:
        check(*args, **kwargs)
    return str(info.value)


# --------------------------------------------------------------------------- check_tensor
def test_check_tensor_accepts_tensor_array_and_list(capsys):
    expected = torch.arange(6.0).reshape(2, 3)
    assert check_tensor(expected.clone(), expected, "frames") is True
    assert check_tensor(np.arange(6.0).reshape(2, 3), expected)
    assert check_tensor([[0, 1, 2], [3, 4, 5.0]], expected)
    assert check_tensor(expected + 1e-7, expected)  # within tolerance
    assert "✓ frames: correct" in capsys.readouterr().out


def test_check_tensor_wrong_type():
    assert "got None" in message(check_tensor, None, torch.zeros(2))
    assert "str" in message(check_tensor, "frames", torch.zeros(2))
    assert "rectangular" in message(check_tensor, [[1, 2], [3]], torch.zeros(2, 2))


def test_check_tensor_shape_mismatch():
    msg = message(check_tensor, torch.zeros(3, 2), torch.zeros(2, 3), "clip")
    assert "clip: expected shape (2, 3), got (3, 2)" in msg
    assert "permute" in msg
    assert "reshape" in message(check_tensor, torch.zeros(6), torch.zeros(2, 3))


def test_check_tensor_dtype_kind():
    assert "bool" in message(check_tensor, torch.ones(3), torch.ones(3, dtype=torch.bool))
    assert ".float()" in message(check_tensor, torch.ones(3, dtype=torch.uint8), torch.ones(3))
    assert check_tensor(torch.ones(3, dtype=torch.float64), torch.ones(3))  # precision is fine
    assert check_tensor(torch.ones(3), torch.ones(3, dtype=torch.int64), check_dtype=False)


def test_check_tensor_nan():
    answer = torch.zeros(2, 3)
    answer[1, 0] = float("nan")
    msg = message(check_tensor, answer, torch.zeros(2, 3))
    assert "1 NaN" in msg and "(1, 0)" in msg


def test_check_tensor_values_report_error_and_index():
    expected = torch.arange(6.0).reshape(2, 3)
    answer = expected.clone()
    answer[0, 1] += 0.1
    answer[1, 2] += 0.5
    msg = message(check_tensor, answer, expected)
    assert "2 of 6 elements are wrong" in msg
    assert "max abs error: 0.5 at index (1, 2)" in msg
    assert "first wrong element at index (0, 1): expected 1, got 1.1" in msg


def test_check_tensor_scale_hint_and_bools():
    expected = torch.rand(2, 4, 4) + 0.1
    assert "× 255" in message(check_tensor, expected * 255, expected)
    msg = message(check_tensor, torch.tensor([True, False]), torch.tensor([True, True]))
    assert "index (1,): expected True, got False" in msg


# --------------------------------------------------------------------------- check_scalar
def test_check_scalar_passes(capsys):
    assert check_scalar(1.5e9, 1_500_000_000, "bytes")
    assert check_scalar(torch.tensor(2.0), 2)
    assert check_scalar(np.float32(0.5), 0.5)
    assert "✓ bytes: correct" in capsys.readouterr().out


def test_check_scalar_factor_hints():
    assert "expected 1.5e9, got 1.5e6 (off by a factor of 1000" in message(check_scalar, 1.5e6, 1.5e9)
    assert "too large: bits vs bytes" in message(check_scalar, 800, 100)
    assert "sign is flipped" in message(check_scalar, -2.0, 2.0)
    assert "25.0%" in message(check_scalar, 2.5, 2)


def test_check_scalar_wrong_type():
    assert "expected a number, got tuple" in message(check_scalar, (1, 2), 3)
    assert ".item()" in message(check_scalar, torch.tensor([3.0]), 3)
    assert "got NaN" in message(check_scalar, float("nan"), 3)
    assert "bool" in message(check_scalar, True, 1)


# --------------------------------------------------------------------------- check_equal
def test_check_equal_passes():
    assert check_equal(torch.zeros(2, 3).shape, (2, 3))  # torch.Size is a tuple
    assert check_equal(np.int64(3), 3)
    assert check_equal("THWC", "THWC")
    assert check_equal({"a": [1, 2]}, {"a": [1, 2]})


def test_check_equal_diffs():
    msg = message(check_equal, (16, 3, 112, 112), (3, 16, 112, 112), "shape")
    assert "expected 3 at [0], got 16" in msg and "(3, 16, 112, 112)" in msg
    assert "expected a tuple, got a list" in message(check_equal, [2, 3], (2, 3))
    assert "expected 3 items, got 2" in message(check_equal, (2, 3), (2, 3, 4))
    assert "first difference at character 0" in message(check_equal, "THWC", "CTHW")
    assert "-B" in message(check_equal, "a\nb", "a\nB")
    assert "missing ['b']" in message(check_equal, {"a": 1}, {"a": 1, "b": 2})
    assert "expected an int, got a float" in message(check_equal, 3.0, 3)


# --------------------------------------------------------------------------- check_function
def _double(x, k=2):
    return x * 2


def test_check_function_passes(capsys):
    assert check_function(lambda x, k: x * k, _double, [(torch.ones(2, 3), 2), (torch.ones(4), 2)], "scale")
    assert check_function(len, len, [([1, 2, 3],), "abc"], compare=check_equal)
    out = capsys.readouterr().out
    assert "✓ scale: correct on all 2 cases" in out
    assert out.count("✓") == 2  # one line per check, not one per case


def test_check_function_reports_first_failing_case():
    def scale(x, k):
        return x * k

    msg = message(check_function, scale, _double, [(torch.ones(2, 3), 2), (torch.ones(4, 5), 3)])
    assert "case 2 of 2" in msg
    assert "scale(tensor(shape=(4, 5), dtype=float32), 3)" in msg
    assert "max abs error: 1" in msg


def test_check_function_wraps_other_exceptions():
    def broken(x):
        raise ValueError("boom")

    with pytest.raises(ExerciseError) as info:
        check_function(broken, _double, [(torch.ones(2),)])
    assert "case 1 of 1" in str(info.value) and "raised ValueError: boom" in str(info.value)
    assert isinstance(info.value.__cause__, ValueError)


def test_check_function_passes_not_implemented_through():
    stub_error = NotImplementedError("Exercise: write your code here")

    def stub(x):
        raise stub_error

    with pytest.raises(NotImplementedError) as info:
        check_function(stub, _double, [(torch.ones(2),)])
    assert info.value is stub_error and not isinstance(info.value, ExerciseError)


def test_check_function_does_not_leak_in_place_edits():
    def in_place(x):
        return x.mul_(2)

    x = torch.ones(3)
    assert check_function(in_place, _double, [(x,)])
    assert torch.equal(x, torch.ones(3))


# --------------------------------------------------------------------------- registry
def test_exercise_decorator_registers():
    @exercise(notebook="99", reference=(2, 3), wrong=[(3, 2), [2, 3]])
    def check_demo_shape(answer):
        return check_equal(answer, (2, 3), "shape")

    try:
        entry = EXERCISES["check_demo_shape"]
        assert entry.checker is check_demo_shape and entry.notebook == "99"
        assert entry.reference == (2, 3) and entry.wrong == [(3, 2), [2, 3]]
    finally:
        del EXERCISES["check_demo_shape"]


def test_notebook_checker_modules_are_imported():
    modules = sorted(p.stem for p in Path(ex.__file__).parent.glob("nb[0-9]*.py"))
    assert all(f"vulib.exercises.{m}" in sys.modules for m in modules)


_REGISTERED = sorted(EXERCISES) or [pytest.param(None, marks=pytest.mark.skip(reason="no exercise registered yet"))]


@pytest.mark.parametrize("name", _REGISTERED)
def test_registered_exercise_accepts_reference_and_rejects_wrong_answers(name):
    entry = EXERCISES[name]
    assert entry.wrong, f"{name} has no wrong answers to prove it rejects anything"
    entry.checker(entry.reference)
    for number, bad in enumerate(entry.wrong):
        try:
            entry.checker(bad)
        except ExerciseError:
            continue
        pytest.fail(f"{name} accepted wrong answer #{number}: {ex._describe(bad)}")


def _solution_lines(name):
    """The code lines of the solution that checker ``name`` checks, from its lesson's notebook."""
    (path,) = (REPO / "notebooks").glob(f"{EXERCISES[name].notebook}_*.ipynb")
    cells = nbformat.read(path, 4).cells
    call = next(
        i for i, c in enumerate(cells) if c.cell_type == "code" and re.search(rf"^ex\.{name}\(", c.source, re.M)
    )
    solution = next(cells[i].source for i in range(call, -1, -1) if "BEGIN SOLUTION" in cells[i].source)
    body = re.findall(r"BEGIN SOLUTION\n(.*?)END SOLUTION", solution, re.S)
    lines = [line.strip() for block in body for line in block.splitlines()]
    return [line for line in lines if len(line) >= 8 and not line.startswith("#")]


@pytest.mark.parametrize("name", _REGISTERED)
def test_failure_messages_never_give_the_answer_away(name):
    """No wrong answer (nor an empty one) gets a message that shows the solution: for a value
    exercise, no member of the expected answer the learner left out; for any exercise, no line of
    the notebook's solution."""
    entry = EXERCISES[name]
    solution = _solution_lines(name)
    value = not callable(entry.reference)
    wrong = list(entry.wrong) + ([type(entry.reference)()] if value else [])
    for bad in wrong:
        with pytest.raises(ExerciseError) as info:
            entry.checker(bad)
        text = str(info.value)
        if value:
            assert repr(entry.reference) not in text
            members = entry.reference if isinstance(entry.reference, (set, frozenset, dict, list, tuple)) else ()
            for member in set(members) - set(bad if isinstance(bad, (set, frozenset, dict, list, tuple)) else ()):
                assert member not in text, f"{name}: the message names {member!r}, missing from {bad!r}:\n{text}"
        for line in solution:
            assert line not in text, f"{name}: the message shows the solution line {line!r}:\n{text}"


# --------------------------------------------------------------------------- student versions
def test_strip_solutions_keeps_indentation_and_leaves_hints_out_of_the_stub():
    source = (
        "def f(x):\n"
        "    # BEGIN SOLUTION\n"
        "    # HINT: double it\n"
        "    return 2 * x\n"
        "    # END SOLUTION\n"
        "# BEGIN SOLUTION\n"
        "y = f(1)\n"
        "# END SOLUTION\n"
        "print('after')"
    )
    stub, blocks = strip_solutions(source)
    assert blocks == 2
    assert stub == (
        "def f(x):\n"
        '    raise NotImplementedError("Exercise: write your code here (a hint is folded in the cell below)")\n'
        'raise NotImplementedError("Exercise: write your code here")\n'
        "print('after')"
    )
    ast.parse(stub)
    assert solution_hints(source) == ["double it", ""]


def test_several_hinted_blocks_are_numbered_in_the_stubs_and_in_one_hint_cell():
    source = (
        "# BEGIN SOLUTION\n# HINT: first half\n# HINT: of the first hint\na = 1\n# END SOLUTION\n"
        "# BEGIN SOLUTION\nb = 2\n# END SOLUTION\n"
        "# BEGIN SOLUTION\n# HINT: the third block's\nc = 3\n# END SOLUTION\n"
    )
    stub, _ = strip_solutions(source)
    assert stub.splitlines() == [
        'raise NotImplementedError("Exercise: write your code here (hint 1 is folded in the cell below)")',
        'raise NotImplementedError("Exercise: write your code here")',
        'raise NotImplementedError("Exercise: write your code here (hint 2 is folded in the cell below)")',
    ]
    hints = solution_hints(source)
    assert hints == ["first half of the first hint", "", "the third block's"]
    cell = hint_cell(hints, "abc")
    assert cell.id == "abc-hint" and cell.metadata["tags"] == [HINT_TAG] and "nbgrader" not in cell.metadata
    assert cell.source == (
        "<details><summary>Hints (open them only when stuck)</summary>\n\n"
        "**Hint 1.** first half of the first hint\n\n"
        "**Hint 2.** the third block's\n\n"
        "</details>"
    )
    assert hint_cell(["", ""], "abc") is None  # no hint: no hint cell


def _rendered_text(markdown: str, renderer: str) -> tuple[str, str]:
    """(HTML, its visible text) of a markdown cell, by nbconvert's renderer or CommonMark's."""
    import html

    if renderer == "mistune":
        from nbconvert.filters.markdown_mistune import markdown2html_mistune

        page = markdown2html_mistune(markdown)
    else:
        from markdown_it import MarkdownIt

        page = MarkdownIt("commonmark").render(markdown)
    return page, html.unescape(re.sub(r"<[^>]+>", "", page))


@pytest.mark.parametrize("renderer", ["mistune", "commonmark"])
@pytest.mark.parametrize(
    "hint",
    [
        "write prediction = <a whole number from 1 to 64>: <b>not bold</b> & &amp; stays",
        "2 * x * y, not *emphasis*, __nor this__, snake_case_name, [a](link) ![img](x) ~~no~~ | a | b |",
        "$x^2$ is no math here, nor \\(this\\); a trailing backslash \\",
        "1. is no list",
        "- nor this",
        "# nor a heading, > nor a quote",
        "a `code span` stays code, an unpaired ` stays a backtick",
    ],
)
def test_hint_text_is_escaped_and_folded(hint, renderer):
    cell = hint_cell([hint], "x")
    assert cell.source.startswith("<details><summary>") and cell.source.endswith("</details>")
    assert "<details open" not in cell.source  # folded: closed until clicked
    page, text = _rendered_text(cell.source, renderer)
    assert "<details>" in page and "<summary>Hint (open it only when stuck)</summary>" in page
    for tag in ("<b>", "<em>", "<strong>", "<a ", "<img", "<h1", "<ol", "<ul", "<blockquote", "<del"):
        assert tag not in page, f"{tag} in {page}"
    shown = text.replace("Hint (open it only when stuck)", "").strip()
    assert shown == hint.replace("`code span`", "code span"), (shown, page)
    if "`code span`" in hint:
        assert "<code>code span</code>" in page


@pytest.mark.parametrize(
    "source, problem",
    [
        ("# BEGIN SOLUTION\nx = 1\n", "never closed"),
        ("x = 1\n# END SOLUTION\n", "without a '# BEGIN SOLUTION'"),
        ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION\n", "inside the block"),
    ],
)
def test_unbalanced_markers_name_notebook_and_cell(source, problem):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("hi"), nbformat.v4.new_code_cell(source)])
    with pytest.raises(ValueError, match=problem) as info:
        make_student_notebook(nb, source_name="demo.ipynb")
    assert "demo.ipynb, cell index 1" in str(info.value)


def test_student_notebook_is_cleaned_and_input_untouched():
    nb = nbformat.read(FIXTURE, as_version=4)
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
    nb.cells[4].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "x"}, execution_count=3)]
    nb.cells[4].execution_count = 3
    student = make_student_notebook(nb, source_name="tests/fixtures/exercise_demo.ipynb")

    assert BANNER_TAG in student.cells[0].metadata["tags"]
    assert "regenerate with `python -m vulib.exercises.student" in student.cells[0].source
    assert "widgets" not in student.metadata
    code = [c for c in student.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    by_id = {c.id: c for c in student.cells}
    assert by_id["d0ff5efd"].metadata["tags"] == ["nbval-ignore-output"]  # tags kept
    assert by_id["1149c067"].source.startswith("# NBVAL_IGNORE_OUTPUT")  # markers kept
    assert count_solution_blocks(student) == 0
    assert nb.cells[4].execution_count == 3 and "widgets" in nb.metadata  # input unchanged
    nbformat.validate(student)
    with pytest.raises(ValueError, match="already a student version"):
        make_student_notebook(student)


def test_command_line(tmp_path):
    assert main([str(FIXTURE), "-o", str(tmp_path / "a")]) == 0
    assert (tmp_path / "a" / FIXTURE.name).is_file()
    done = subprocess.run(
        [sys.executable, "-m", "vulib.exercises.student", str(FIXTURE.parent), "-o", str(tmp_path / "b")],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout and (tmp_path / "b" / FIXTURE.name).is_file()
    assert main([str(tmp_path / "missing.ipynb"), "-o", str(tmp_path)]) == 1


def parse_cell(source: str) -> ast.Module:
    """Parse a code cell as Python, after turning IPython syntax (``%magic``, ``!cmd``) into calls."""
    return ast.parse(TransformerManager().transform_cell(source))


def solution_cells(nb: nbformat.NotebookNode) -> list[int]:
    """Indices of the code cells that hold at least one solution block."""
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and strip_solutions(c.source)[1] > 0]


def execute(nb: nbformat.NotebookNode, cwd: Path) -> dict[int, str]:
    """Run a notebook in the ``python3`` kernel of this environment; return {cell index: error name}."""
    NotebookClient(
        nb, timeout=300, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(cwd)}}
    ).execute()
    return {
        i: out.ename
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.output_type == "error"
    }


def is_marked_raising(cell: nbformat.NotebookNode) -> bool:
    """Whether a cell is meant to raise even in the instructor notebook."""
    return "raises-exception" in cell.metadata.get("tags", []) or "NBVAL_RAISES_EXCEPTION" in cell.source


def exercise_groups(nb: nbformat.NotebookNode) -> list[list[int]]:
    """Each exercise's cells: its solution cell and the checker-call cells right after it
    (the lessons call each checker in a cell of its own, which nbgrader locks), with a predict-then-verify
    exercise's prediction cell (a solution cell right before the answer's) in the same group."""
    groups = []
    for i in solution_cells(nb):
        group, j = [i], i + 1
        while (
            j < len(nb.cells)
            and nb.cells[j].cell_type == "code"
            and re.fullmatch(r"(\s*ex\.check_\w+\(.*\)\s*)+", nb.cells[j].source)
        ):
            group.append(j)
            j += 1
        if groups and groups[-1] == [i - 1] and re.search(r"^prediction\w*\s*=", nb.cells[i - 1].source, re.M):
            group = groups.pop() + group  # the prediction cell: the checker call reads its `prediction`
        groups.append(group)
    return groups


def assert_only_exercises_raise(
    instructor: nbformat.NotebookNode, student_errors: dict[int, str], student: nbformat.NotebookNode
) -> None:
    # the student version has a banner on top and hint cells after some exercises: find cells by id
    where = {c.id: i for i, c in enumerate(student.cells)}
    groups = [[where[instructor.cells[i].id] for i in g] for g in exercise_groups(instructor)]
    exercise_cells = {i for g in groups for i in g}
    raising = {i for i, name in student_errors.items() if name == "NotImplementedError"}
    assert raising <= exercise_cells and all(raising & set(g) for g in groups), (
        f"NotImplementedError in cells {sorted(raising)}, exercises (solution, checker cells) are {groups}"
    )
    # after a stubbed value exercise, its checker cell fails with NameError: still the exercise
    inside = {
        i: n for i, n in student_errors.items() if i in exercise_cells and n not in ("NotImplementedError", "NameError")
    }
    assert not inside, f"exercise cells failed with something else than the stub: {inside}"
    others = {
        i: n for i, n in student_errors.items() if i not in exercise_cells and not is_marked_raising(student.cells[i])
    }
    assert not others, (
        f"non-exercise cells failed in the student version (cell index: error; the banner is cell 0): {others}"
    )


def test_fixture_instructor_runs_without_error():
    nb = nbformat.read(FIXTURE, as_version=4)
    assert execute(nb, FIXTURE.parent) == {}


def test_fixture_student_version_stops_exactly_at_exercises():
    instructor = nbformat.read(FIXTURE, as_version=4)
    assert solution_cells(instructor) == [3, 5, 7]
    student = make_student_notebook(instructor)
    for cell in student.cells:
        if cell.cell_type == "code":
            parse_cell(cell.source)
            assert "SOLUTION" not in cell.source
    for secret in ("frames.float() / 255", "permute(1, 2, 3, 0)", "height * width * 3"):
        assert all(secret not in c.source for c in student.cells)
    errors = execute(student, FIXTURE.parent)
    # the banner on top, a hint cell after exercises 1 and 2 (3 has no hint)
    assert errors == {4: "NotImplementedError", 7: "NotImplementedError", 10: "NotImplementedError"}
    assert_only_exercises_raise(instructor, errors, student)


def test_fixture_hints_are_folded_in_a_cell_after_the_exercise_and_not_in_the_stub():
    instructor = nbformat.read(FIXTURE, as_version=4)
    student = make_student_notebook(instructor)
    ids = [c.id for c in student.cells]
    assert len(set(ids)) == len(ids)
    hints = {"822cc0d9": "convert to float first, then divide by 255", "571fbdc9": "permute the axes"}
    for cell_id, hint in hints.items():
        at = ids.index(cell_id)
        exercise, folded = student.cells[at], student.cells[at + 1]
        assert hint not in exercise.source and "HINT" not in exercise.source
        assert "(a hint is folded in the cell below)" in exercise.source
        assert folded.cell_type == "markdown" and folded.id == f"{cell_id}-hint"
        assert folded.metadata["tags"] == [HINT_TAG]
        assert folded.source.startswith("<details><summary>Hint (open it only when stuck)</summary>\n\n")
        assert folded.source.endswith("\n\n</details>") and hint in folded.source
    # exercise 3 has no hint: no hint cell after it, and its stub promises none
    at = ids.index("804ddbd9")
    assert student.cells[at + 1].id == "6e596c57"
    assert "folded" not in student.cells[at].source
    assert sum(HINT_TAG in c.metadata.get("tags", []) for c in student.cells) == 2
    assert all(
        "HINT" not in c.source and hints["822cc0d9"] not in c.source for c in student.cells if c.cell_type == "code"
    )
    assert "folded in the cell" in student.cells[0].source  # the banner says where hints are
    nbformat.validate(student)
    # the same notebook every time: the inserted cells' ids come from the exercise cells'
    assert [c.id for c in make_student_notebook(instructor).cells][1:] == ids[1:]


# --------------------------------------------------------------------------- real notebooks
@pytest.mark.parametrize(
    "path",
    NOTEBOOKS or [pytest.param(None, marks=pytest.mark.skip(reason="no notebooks in notebooks/ yet"))],
    ids=lambda p: p.name if p else "none",
)
def test_real_notebook_student_version(path, tmp_path):
    instructor = nbformat.read(path, as_version=4)
    blocks = count_solution_blocks(instructor)
    assert blocks == 0 or blocks >= 3, f"{path.name} has only {blocks} solution block(s); lessons have at least 3"
    [written] = make_student_versions([path], tmp_path)
    student = nbformat.read(written, as_version=4)
    for index, cell in enumerate(student.cells):
        if cell.cell_type == "code":
            assert "# BEGIN SOLUTION" not in cell.source and "# END SOLUTION" not in cell.source
            try:
                parse_cell(cell.source)
            except SyntaxError as exc:
                raise AssertionError(f"{path.name}, cell index {index} does not parse: {exc}")
    # every hint is folded in the cell right after its exercise, and shown nowhere else
    hinted = {c.id: [h for h in solution_hints(c.source) if h] for c in instructor.cells if c.cell_type == "code"}
    hinted = {k: v for k, v in hinted.items() if v}
    code = "".join(c.source for c in student.cells if c.cell_type == "code")
    folded = [i for i, c in enumerate(student.cells) if HINT_TAG in c.metadata.get("tags", [])]
    assert [student.cells[i - 1].id for i in folded] == list(hinted), "one hint cell after each hinted exercise"
    for i in folded:
        cell = student.cells[i]
        assert cell.cell_type == "markdown" and cell.id == student.cells[i - 1].id + "-hint"
        assert cell.source.startswith("<details><summary>Hint") and "<details open" not in cell.source
        assert "nbgrader" not in cell.metadata
    for hints in hinted.values():
        for hint in hints:
            assert hint not in code, f"{path.name}: a stub shows the hint {hint!r}"
    assert len({c.id for c in student.cells}) == len(student.cells)


@pytest.mark.skipif(not NOTEBOOK_00.exists(), reason="notebooks/00_videos_as_tensors.ipynb not written yet")
def test_notebook_00_student_version_stops_exactly_at_exercises():
    instructor = nbformat.read(NOTEBOOK_00, as_version=4)
    assert solution_cells(instructor), "notebook 00 has no exercises"
    student = make_student_notebook(instructor, source_name="notebooks/" + NOTEBOOK_00.name)
    errors = execute(student, NOTEBOOK_00.parent)
    assert_only_exercises_raise(instructor, errors, student)


def test_a_passed_checker_shows_nothing_after_its_tick_line():
    """A notebook checker's cell shows its ✓ line only: the value it returns is true and equal to True, but
    displays nothing (no stray ``Out: True`` under every exercise)."""
    from vulib.exercises import EXERCISES, Passed

    entry = EXERCISES["check_p_clip_sees"]
    passed = entry.checker(entry.reference)
    assert isinstance(passed, Passed) and bool(passed) and passed == True  # noqa: E712
    assert passed._ipython_display_() is None
