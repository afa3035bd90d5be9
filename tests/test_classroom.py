"""The classroom kit: nbgrader metadata on the lessons, and the whole grading loop, offline.

A course directory in tmp (SQLite gradebook), ``nbgrader generate_assignment`` for every lesson,
three submissions per lesson (the instructor version, the blank student version, and the
instructor version with one exercise answered wrongly), ``nbgrader autograde`` and
``nbgrader generate_feedback``; then the scores, the feedback, and the student text compared
with ``vulib.exercises.student``'s.  One nbgrader call per step for all lessons (one autograde
per student, the three side by side): the whole loop takes a few minutes on two cores.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from nbgrader.nbgraderformat import MetadataValidator

import vulib.exercises as ex
from vulib.exercises import classroom
from vulib.exercises.student import BANNER_TAG, HINT_TAG, make_student_notebook, solution_hints

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
STUDENTS = ("instructor", "blank", "wrong")
BEGIN = re.compile(r"^(?P<indent>[ \t]*)#+\s*BEGIN SOLUTION\s*$")
END = re.compile(r"^[ \t]*#+\s*END SOLUTION\s*$")


def read(path):
    return nbformat.read(path, as_version=4)


def grading(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def nbgrader_env():
    """The environment nbgrader runs in: this Python's tools first (nbgrader calls `alembic`),
    this checkout importable (its kernels too), and no progress written anywhere."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["VULIB_PROGRESS_FILE"] = "off"
    env.setdefault("VULIB_NUM_THREADS", "1")
    return env


def nbgrader(course, *args):
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        env=nbgrader_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
    return proc.stdout + proc.stderr


def break_one_answer(sheet, lesson_number):
    """The instructor sheet with one exercise answered wrongly.

    Returns (notebook, failing grade_id, the solution lines removed).  The exercise is picked by
    the lesson's number (so the lessons' choices differ) among those whose answer no later
    solution uses (none does today, see docs/classroom.md; the rule keeps one wrong answer from
    costing two points should one ever do).  The wrong answer returns None (a
    function) or sets the answer variable to None (a value exercise)."""
    nb = nbformat.from_dict(sheet)  # a copy
    tests = [i for i, c in enumerate(nb.cells) if grading(c).get("grade")]
    for k in range(len(tests)):
        test = tests[(lesson_number + k) % len(tests)]
        fn = re.match(r"ex\.check_\w+\((\w+)", nb.cells[test].source)[1]
        later = "".join(c.source for c in nb.cells[test + 1 :] if grading(c).get("solution"))
        if not re.search(rf"\b{fn}\b", later):
            break
    cell = next(nb.cells[i] for i in range(test - 1, -1, -1) if grading(nb.cells[i]).get("solution"))
    lines = cell.source.splitlines()
    start = next((i for i, line in enumerate(lines) if re.match(rf"def {fn}\b", line)), 0)
    begin = next(i for i in range(start, len(lines)) if BEGIN.match(lines[i]))
    end = next(i for i in range(begin, len(lines)) if END.match(lines[i]))
    indent = BEGIN.match(lines[begin])["indent"]
    wrong = f"{indent}return None" if indent else f"{fn} = None"
    removed = [line.strip() for line in lines[begin + 1 : end] if line.strip() and not line.strip().startswith("#")]
    cell.source = "\n".join(lines[:begin] + [wrong] + lines[end + 1 :])
    return nb, grading(nb.cells[test])["grade_id"], removed


# --------------------------------------------------------------------------- metadata
@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem[:2])
def test_lesson_metadata_is_valid_nbgrader_and_survives_a_jupyterlab_save(path, tmp_path):
    from jupyter_server.services.contents.filemanager import FileContentsManager

    nb = read(path)
    MetadataValidator().validate_nb(nb)  # nbgrader's own validator (schema version 3)
    points = classroom.lesson_points(nb)
    registered = sorted(k for k, e in ex.EXERCISES.items() if e.notebook == path.name[:2])
    assert sorted(points) == registered and set(points.values()) == {1}, (
        "one locked one-point test cell per registered checker"
    )
    for cell in nb.cells:
        g = grading(cell)
        if g.get("grade"):
            assert g["locked"] and not g["solution"], cell.source
        if g.get("solution"):
            assert not g["locked"] and "BEGIN SOLUTION" in cell.source
    # JupyterLab saves through the server's contents manager: load and save the model as it does.
    shutil.copy(path, tmp_path / path.name)
    cm = FileContentsManager(root_dir=str(tmp_path))
    cm.save(cm.get(path.name), path.name)
    saved = read(tmp_path / path.name)
    MetadataValidator().validate_nb(saved)
    assert [grading(c) for c in saved.cells] == [grading(c) for c in nb.cells]


def test_a_lesson_without_grading_metadata_is_an_error():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 99 · nothing graded")])
    with pytest.raises(ValueError, match="notebook_meta"):
        classroom.exercise_sheet(nb)


# --------------------------------------------------------------------------- the grading loop
@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """Generate, submit, autograde and feed back every lesson; returns what the tests check."""
    root = tmp_path_factory.mktemp("course")
    sources = classroom.write_course(root)
    assert sorted(sources) == [p.stem for p in LESSONS]
    timings = {}
    t = time.perf_counter()
    nbgrader(root, "generate_assignment", "*")
    timings["generate_assignment"] = time.perf_counter() - t
    wrong, hidden = {}, {}
    for lesson, source in sources.items():
        released = root / "release" / lesson / source.name
        sheet = read(source)
        broken, wrong[lesson], hidden[lesson] = break_one_answer(sheet, int(lesson[:2]))
        for student, nb in [("instructor", sheet), ("blank", read(released)), ("wrong", broken)]:
            target = root / "submitted" / student / lesson / source.name
            target.parent.mkdir(parents=True)
            nbformat.write(nb, target)
    t = time.perf_counter()
    with ThreadPoolExecutor(len(STUDENTS)) as pool:  # one process per student, side by side
        list(pool.map(lambda s: nbgrader(root, "autograde", "*", f"--student={s}"), STUDENTS))
    timings["autograde"] = time.perf_counter() - t
    t = time.perf_counter()
    nbgrader(root, "generate_feedback", "*", "--student=wrong")
    timings["generate_feedback"] = time.perf_counter() - t
    scores = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for lesson in sources:
            for student in STUDENTS:
                sub = gb.find_submission(lesson, student)
                cells = {g.name: (g.score, g.max_score) for nb in sub.notebooks for g in nb.grades}
                scores[lesson, student] = (sub.score, sub.max_score, cells)
    n = len(sources) * len(STUDENTS)
    print(
        f"\n[classroom] {len(sources)} lessons, {n} submissions: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
        + f"; autograde {timings['autograde'] / n:.1f} s per submission (3 processes side by side)"
    )
    return {"root": root, "sources": sources, "scores": scores, "wrong": wrong, "hidden": hidden, "timings": timings}


def test_every_lesson_is_released(course):
    assert sorted(course["sources"]) == [p.stem for p in LESSONS]
    total = sum(course["scores"][lesson, "instructor"][1] for lesson in course["sources"])
    assert total == len(ex.EXERCISES) == 48


def test_instructor_version_gets_full_marks(course):
    for lesson in course["sources"]:
        score, max_score, cells = course["scores"][lesson, "instructor"]
        assert max_score > 0 and score == max_score, (lesson, cells)


def test_blank_student_version_gets_zero(course):
    for lesson in course["sources"]:
        score, max_score, cells = course["scores"][lesson, "blank"]
        assert score == 0 and max_score > 0, (lesson, cells)


def test_one_wrong_answer_loses_exactly_its_points(course):
    for lesson, failing in course["wrong"].items():
        score, max_score, cells = course["scores"][lesson, "wrong"]
        lost = {name for name, (got, most) in cells.items() if got != most}
        assert lost == {failing}, (lesson, cells)
        assert score == max_score - cells[failing][1]


def test_feedback_names_the_failing_check_and_never_the_solution(course):
    root = course["root"]
    for lesson, failing in course["wrong"].items():
        (page,) = (root / "feedback" / "wrong" / lesson).glob("*.html")
        text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))
        name = failing.removeprefix("check_")
        assert "ExerciseError" in text and f"{failing}(" in text, (lesson, failing)
        assert re.search(rf"\b{name}\b", text), (lesson, failing)
        shown = {line.strip() for line in text.splitlines()}
        for line in course["hidden"][lesson]:  # the solution of the exercise answered wrongly
            assert line not in shown, f"{lesson}: the feedback shows the solution line {line!r}"


def test_nbgrader_and_vulib_give_the_student_the_same_text(course):
    root = course["root"]
    for path in LESSONS:
        source = course["sources"][path.stem]
        released = read(root / "release" / path.stem / source.name)
        ours = classroom.student_sheet(read(path), source_name=path.name)
        ours.cells = [c for c in ours.cells if BANNER_TAG not in c.metadata.get("tags", [])]
        assert [c.source for c in released.cells] == [c.source for c in ours.cells], path.name
        # ... and the same exercise cells as the whole lesson's student version
        full = {c.id: c.source for c in make_student_notebook(read(path)).cells}
        for cell in released.cells:
            if grading(cell).get("solution") or grading(cell).get("grade"):
                assert cell.source == full[cell.id], (path.name, cell.source)
        assert "YOUR CODE HERE" not in "".join(c.source for c in released.cells)
        # the folded hint cells too: same ids and text, and nothing for nbgrader to grade or lock
        hints = [c for c in released.cells if HINT_TAG in c.metadata.get("tags", [])]
        assert hints and all(c.source == full[c.id] and not grading(c) for c in hints), path.name


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem[:2])
def test_nbgrader_stripper_folds_the_hints_like_the_student_version(path):
    """vulib's ClearSolutions (what generate_assignment runs) on a lesson's sheet, without the course:
    each hinted exercise cell is followed by its folded hint cell, no stub shows a hint, and the
    text equals the student version's."""
    sheet = classroom.exercise_sheet(read(path), source_name=path.name)
    released, _ = classroom.ClearSolutions().preprocess(nbformat.from_dict(sheet), {})
    ours = classroom.student_sheet(read(path), source_name=path.name)
    ours.cells = [c for c in ours.cells if BANNER_TAG not in c.metadata.get("tags", [])]
    assert [(c.id, c.source) for c in released.cells] == [(c.id, c.source) for c in ours.cells]
    hinted = [c for c in sheet.cells if c.cell_type == "code" and any(solution_hints(c.source))]
    at = {c.id: i for i, c in enumerate(released.cells)}
    for cell in hinted:
        folded = released.cells[at[cell.id] + 1]
        assert folded.id == cell.id + "-hint" and folded.metadata["tags"] == [HINT_TAG] and not grading(folded)
        assert folded.source.startswith("<details><summary>Hint")
        stub = released.cells[at[cell.id]].source
        assert all(h not in stub for h in solution_hints(cell.source) if h) and "folded in the cell below" in stub
    assert sum(HINT_TAG in c.metadata.get("tags", []) for c in released.cells) == len(hinted)
    MetadataValidator().validate_nb(released)


# --------------------------------------------------------------------------- hand-out links
def test_launch_links_come_from_one_setting(tmp_path):
    settings = {"repository": "https://github.com/example/video-course", "jupyterhub": "https://hub.example.edu/"}
    links = classroom.launch_links("03_3d_convolution.ipynb", settings)
    assert links["Binder"] == (
        "https://mybinder.org/v2/gh/example/video-course/main?urlpath=lab%2Ftree%2Fnotebooks%2F03_3d_convolution.ipynb"
    )
    hub = links["JupyterHub"]
    assert hub.startswith("https://hub.example.edu/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com")
    assert "branch=main" in hub and "urlpath=lab%2Ftree%2Fvideo-course%2Fnotebooks%2F03_3d_convolution.ipynb" in hub
    assert list(classroom.launch_links("x.ipynb", {"repository": settings["repository"]})) == ["Binder"]
    assert classroom.launch_links("x.ipynb", {"jupyterhub": "https://hub.example.edu"}) == {}
    git = classroom.launch_links("x.ipynb", {"repository": "https://git.example.edu/course.git", "path": ""})
    assert git["Binder"].startswith("https://mybinder.org/v2/git/https%3A%2F%2Fgit.example.edu%2Fcourse.git/main?")
    # the repository's own classroom.toml: unset, so no links; a typo is an error, not silence
    assert classroom.read_settings()["repository"] == "" and classroom.launch_links("00_x.ipynb") == {}
    bad = tmp_path / "classroom.toml"
    bad.write_text('[classroom]\nrepo = "https://github.com/example/video-course"\n')
    with pytest.raises(ValueError, match="unknown"):
        classroom.read_settings(bad)


def test_book_lesson_pages_carry_the_launch_links_only_when_set():
    import importlib.util

    spec = importlib.util.spec_from_file_location("vulib_book", ROOT / "scripts" / "book.py")
    book = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(book)
    nb = read(LESSONS[0])
    links = classroom.launch_links(
        LESSONS[0].name,
        {"repository": "https://github.com/example/video-course", "jupyterhub": "https://hub.example.edu"},
    )
    with_links = book.prepare(nb, LESSONS[0].name, {LESSONS[0].name}, downloads=".", launch=links)
    note = with_links.cells[1].source
    assert 'class="vulib-launch"' in note and "mybinder.org/v2/gh/example/video-course" in note
    assert "hub.example.edu/hub/user-redirect/git-pull" in note
    without = book.prepare(nb, LESSONS[0].name, {LESSONS[0].name}, downloads=".", launch={})
    assert "vulib-launch" not in without.cells[1].source


def test_command_line_writes_a_course_and_prints_links(tmp_path, capsys):
    assert classroom.main(["course", str(tmp_path / "c"), "--lessons", "02"]) == 0
    (sheet,) = (tmp_path / "c" / "source" / "02_receptive_fields").glob("*.ipynb")
    nb = read(sheet)
    assert sum(classroom.lesson_points(nb).values()) == 3
    assert nb.cells[0].metadata["tags"] == [classroom.SHEET_TAG]
    assert grading(nb.cells[1])["grade_id"] == "setup"
    assert "nbgrader" in (tmp_path / "c" / "nbgrader_config.py").read_text()
    assert classroom.main(["course", str(tmp_path / "d"), "--lessons", "99"]) == 1
    assert classroom.main(["links", "notebooks/00_videos_as_tensors.ipynb"]) == 0
    assert "no links" in capsys.readouterr().out
