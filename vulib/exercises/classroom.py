"""Classroom kit: grade the lessons' exercises with nbgrader and hand them out on JupyterHub.

The instructor notebooks already carry nbgrader's cell metadata (set by rule by
``scripts/notebook_meta.py``: solution cells, locked one-point checker cells, read-only
set-up and exercise statements).  This module turns them into an nbgrader course:

* :func:`exercise_sheet` -- the graded notebook of a lesson: its set-up cell and its
  exercise section, nothing else.  nbgrader's ``autograde`` runs a submission from top to
  bottom; a whole lesson trains models for minutes, an exercise sheet runs in seconds.  A
  student reads the lesson and answers in the sheet; what they run is what is graded
  (``whole=True`` grades the whole lesson instead, at the lesson's run time);
* :class:`ClearSolutions` -- nbgrader's solution stripper, replaced by the one of
  :mod:`vulib.exercises.student`, so ``nbgrader generate_assignment`` and
  ``python -m vulib.exercises.student`` give the student the same text (one source),
  folded hint cells included;
* :func:`write_course` -- an nbgrader course directory: ``nbgrader_config.py`` (SQLite
  gradebook) and ``source/<lesson>/<lesson>_exercises.ipynb`` for every lesson;
* :func:`launch_links` -- Binder and JupyterHub (nbgitpuller) links for a lesson, built from
  ``classroom.toml`` at the repository root; none when the repository URL is unset.

Command line (from the repository root)::

    python -m vulib.exercises.classroom course COURSE_DIR [--whole] [--lessons 00 03]
    python -m vulib.exercises.classroom links notebooks/00_videos_as_tensors.ipynb

docs/classroom.md walks through release, collect, autograde, manual review and feedback.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
import urllib.parse
from pathlib import Path
from typing import Any, Sequence

import nbformat
import tomllib

from .student import make_student_notebook, solution_hints, strip_solutions, with_hint_cells

__all__ = [
    "exercise_sheet",
    "lesson_points",
    "write_course",
    "nbgrader_config",
    "read_settings",
    "launch_links",
    "nbgitpuller_link",
    "binder_link",
    "ClearSolutions",
    "main",
]

ROOT = Path(__file__).resolve().parents[2]
LESSONS = ROOT / "notebooks"
SETTINGS = ROOT / "classroom.toml"
COMMAND = "python -m vulib.exercises.classroom"
SHEET_TAG = "exercise-sheet-header"
DEFAULT_SETTINGS = {
    "repository": "",
    "branch": "main",
    "path": "notebooks",
    "jupyterhub": "",
    "binder": "https://mybinder.org",
}


def _grading(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def lesson_points(nb: nbformat.NotebookNode) -> dict[str, int]:
    """The autograded test cells of a notebook: ``{grade_id: points}``, in notebook order."""
    return {_grading(c)["grade_id"]: int(_grading(c).get("points", 0)) for c in nb.cells if _grading(c).get("grade")}


def exercise_sheet(
    nb: nbformat.NotebookNode, *, source_name: str = "the lesson", whole: bool = False
) -> nbformat.NotebookNode:
    """The notebook a course hands out and grades for one lesson (the input is not modified).

    Args:
        nb: an instructor lesson with nbgrader metadata (``scripts/notebook_meta.py``).
        source_name: the lesson's file name, shown in the sheet's header.
        whole: hand out the whole lesson instead of its exercise section.

    Returns:
        A copy with the solutions still in (nbgrader's ``generate_assignment`` removes
        them), outputs cleared and the widget state dropped.  The sheet is a header
        cell, the lesson's set-up cell, then every cell from the first exercise
        statement to the last checker cell.

    Raises:
        ValueError: the lesson has no nbgrader metadata, or no set-up or test cell.
    """
    nb = copy.deepcopy(nb)
    marked = [i for i, c in enumerate(nb.cells) if _grading(c)]
    tests = [i for i in marked if _grading(nb.cells[i]).get("grade")]
    setup = [i for i in marked if _grading(nb.cells[i]).get("grade_id") == "setup"]
    if not tests or not setup:
        raise ValueError(f"{source_name}: no nbgrader set-up or test cells; run python scripts/notebook_meta.py first")
    if not whole:
        first = next(i for i in marked if i > setup[0])
        title = nb.cells[0].source.splitlines()[0].lstrip("# ").strip() if nb.cells else source_name
        header = nbformat.v4.new_markdown_cell(
            f"# Exercises · {title}\n\n"
            f"The exercises of `{source_name}`, with its set-up cell. Read the lesson first; "
            "answer here, run every cell from the top, and make sure each checker cell passes "
            "before you submit. This notebook is what is graded: one point per checker."
        )
        header.metadata["tags"] = [SHEET_TAG]
        if (nb.nbformat, nb.nbformat_minor) < (4, 5):
            header.pop("id", None)  # cell ids arrived in nbformat 4.5
        else:
            header.id = SHEET_TAG  # deterministic: the same sheet every time
        nb.cells = [header, nb.cells[setup[0]]] + nb.cells[first : tests[-1] + 1]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)
    nb.metadata.pop("widgets", None)
    return nb


# --------------------------------------------------------------------------- nbgrader
def _clear_solutions_base() -> type:
    try:
        from nbgrader.preprocessors import ClearSolutions as base
    except ImportError:  # nbgrader is optional (pip install -e ".[classroom]")
        return object
    return base


class ClearSolutions(_clear_solutions_base()):  # type: ignore[misc]
    """nbgrader's ``ClearSolutions``, with :func:`vulib.exercises.student.strip_solutions` doing the work.

    A solution block becomes ``raise NotImplementedError("Exercise: write your code here
    ...")`` and its ``# HINT:`` lines a folded markdown cell right after the exercise cell,
    exactly as in ``python -m vulib.exercises.student``.  The hint cells carry no nbgrader
    metadata: nothing in them is graded, locked or checksummed.  Used by
    :func:`nbgrader_config`.
    """

    def preprocess(self, nb: Any, resources: Any) -> tuple[Any, Any]:
        hints = {
            index: solution_hints(cell.source, f"cell {cell.get('id', index)}")
            for index, cell in enumerate(nb.cells)
            if cell.cell_type == "code"
        }
        nb, resources = super().preprocess(nb, resources)  # strips the solutions, cell by cell
        return with_hint_cells(nb, hints), resources

    def _replace_solution_region(self, cell: Any, language: str) -> bool:
        if cell.cell_type != "code":
            return super()._replace_solution_region(cell, language)
        cell.source, blocks = strip_solutions(cell.source, f"cell {cell.get('id', '?')}")
        return blocks > 0


def nbgrader_config(course_id: str = "vulib") -> str:
    """The text of a course's ``nbgrader_config.py``: SQLite gradebook, vulib's solution stripper."""
    return f"""# nbgrader configuration of a course built from the vulib lessons
# (written by `{COMMAND} course`; see docs/classroom.md).
import os

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)
here = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.root = here
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(here, "gradebook.db")

# Solutions are stripped by vulib's own rule (the same text as the generated student
# notebooks): `raise NotImplementedError("Exercise: write your code here ...")` in place of
# each block, and the block's hints in a folded markdown cell after the exercise cell.
from nbgrader.converters import GenerateAssignment  # noqa: E402
from vulib.exercises.classroom import ClearSolutions  # noqa: E402

c.GenerateAssignment.preprocessors = [
    ClearSolutions if p.__name__ == "ClearSolutions" else p
    for p in GenerateAssignment.class_traits()["preprocessors"].default()]

# A checker prints one line when right and a short message when wrong; a wrong answer's
# traceback is the feedback.  Grading never records self-study progress on this machine.
os.environ.setdefault("VULIB_PROGRESS_FILE", "off")
c.Execute.timeout = 600
# The outputs are in once the last cell has run: stop the kernel at once, don't wait for
# it to exit by itself (saves about 3 s per submission).
c.Execute.shutdown_kernel = "immediate"
"""


def _lessons(paths: Sequence[str | Path] | None) -> list[Path]:
    if not paths:
        return sorted(LESSONS.glob("[0-9][0-9]_*.ipynb"))
    found = []
    for p in map(str, paths):
        if re.fullmatch(r"\d\d", p):
            matches = sorted(LESSONS.glob(f"{p}_*.ipynb"))
            if not matches:
                raise FileNotFoundError(f"no lesson {p} in {LESSONS}")
            found += matches
        else:
            found.append(Path(p))
    for p in found:
        if not p.is_file():
            raise FileNotFoundError(f"no such lesson: {p}")
    return found


def _write_text(path: Path, text: str) -> None:
    """Write a file atomically (a temporary file beside it, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def write_course(
    course_dir: str | Path,
    lessons: Sequence[str | Path] | None = None,
    *,
    whole: bool = False,
    course_id: str = "vulib",
) -> dict[str, Path]:
    """Write an nbgrader course directory: the config and one assignment per lesson.

    Args:
        course_dir: the course's root folder (created if needed).
        lessons: lesson notebooks or two-digit lesson numbers (default: every lesson).
        whole: grade whole lessons instead of exercise sheets (see :func:`exercise_sheet`).
        course_id: nbgrader's course id.

    Returns:
        ``{assignment id: source notebook written}``; the assignment id is the lesson's
        file name without ``.ipynb``, e.g. ``00_videos_as_tensors``.
    """
    course = Path(course_dir)
    _write_text(course / "nbgrader_config.py", nbgrader_config(course_id))
    written = {}
    for lesson in _lessons(lessons):
        nb = nbformat.read(lesson, as_version=4)
        sheet = exercise_sheet(nb, source_name=lesson.name, whole=whole)
        name = lesson.stem if whole else f"{lesson.stem}_exercises"
        target = course / "source" / lesson.stem / f"{name}.ipynb"
        _write_text(target, nbformat.writes(sheet) + "\n")
        written[lesson.stem] = target
    return written


def student_sheet(
    nb: nbformat.NotebookNode, *, source_name: str = "the lesson", whole: bool = False
) -> nbformat.NotebookNode:
    """What ``nbgrader generate_assignment`` should release, made by vulib alone (for comparison)."""
    return make_student_notebook(exercise_sheet(nb, source_name=source_name, whole=whole), source_name=source_name)


# --------------------------------------------------------------------------- hand-out
def read_settings(path: str | Path | None = None) -> dict[str, str]:
    """The ``[classroom]`` settings of ``classroom.toml`` (empty strings when unset).

    Keys: ``repository`` (the URL learners' notebooks come from), ``branch``,
    ``path`` (the folder of notebooks in it), ``jupyterhub`` (the hub's URL),
    ``binder`` (a BinderHub, default mybinder.org).

    Raises:
        ValueError: a key that is not one of these, or a value that is not a string.
    """
    path = SETTINGS if path is None else Path(path)
    defaults = dict(DEFAULT_SETTINGS)
    if not path.exists():
        return defaults
    data = tomllib.loads(path.read_text(encoding="utf-8")).get("classroom", {})
    unknown = sorted(set(data) - set(defaults))
    if unknown:
        raise ValueError(f"{path}: unknown [classroom] settings {unknown}; known: {sorted(defaults)}")
    bad = sorted(k for k, v in data.items() if not isinstance(v, str))
    if bad:
        raise ValueError(f"{path}: [classroom] {bad} must be strings")
    return {**defaults, **{k: v.strip() for k, v in data.items()}}


def _repo_name(repository: str) -> str:
    return repository.rstrip("/").removesuffix(".git").rsplit("/", 1)[-1]


def nbgitpuller_link(hub: str, repository: str, notebook: str, branch: str = "main") -> str:
    """A JupyterHub link that clones/updates ``repository`` for the user and opens ``notebook``.

    Args:
        hub: the hub's URL, e.g. ``https://hub.example.edu``.
        repository: a git URL the hub can clone.
        notebook: the notebook's path inside the repository.
        branch: the branch to pull.
    """
    if not hub or not repository:
        raise ValueError("nbgitpuller_link needs both the hub's URL and the repository URL")
    target = f"lab/tree/{_repo_name(repository)}/{notebook}"
    query = urllib.parse.urlencode({"repo": repository, "branch": branch, "urlpath": target})
    return f"{hub.rstrip('/')}/hub/user-redirect/git-pull?{query}"


def binder_link(repository: str, notebook: str, branch: str = "main", binder: str = "https://mybinder.org") -> str:
    """A Binder link that builds ``repository`` (its binder/ folder) and opens ``notebook`` in JupyterLab."""
    if not repository:
        raise ValueError("binder_link needs the repository URL")
    urlpath = urllib.parse.quote(f"lab/tree/{notebook}", safe="")
    m = re.fullmatch(r"https?://github\.com/([^/]+)/([^/]+?)(?:\.git)?/?", repository)
    spec = (
        f"gh/{m[1]}/{m[2]}/{urllib.parse.quote(branch, safe='')}"
        if m
        else f"git/{urllib.parse.quote(repository, safe='')}/{urllib.parse.quote(branch, safe='')}"
    )
    return f"{binder.rstrip('/')}/v2/{spec}?urlpath={urlpath}"


def launch_links(notebook: str, settings: dict[str, str] | None = None) -> dict[str, str]:
    """``{"Binder": url, "JupyterHub": url}`` for a lesson file name, from ``classroom.toml``.

    A link is left out when what it needs is unset: both without ``repository``, the
    JupyterHub one without ``jupyterhub``.
    """
    s = read_settings() if settings is None else {**DEFAULT_SETTINGS, **settings}
    if not s["repository"]:
        return {}
    where = f"{s['path'].strip('/')}/{notebook}" if s["path"].strip("/") else notebook
    links = {"Binder": binder_link(s["repository"], where, s["branch"], s["binder"] or "https://mybinder.org")}
    if s["jupyterhub"]:
        links["JupyterHub"] = nbgitpuller_link(s["jupyterhub"], s["repository"], where, s["branch"])
    return links


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    ap = argparse.ArgumentParser(prog=COMMAND, description="nbgrader course and launch links for the lessons")
    sub = ap.add_subparsers(dest="command", required=True)
    course = sub.add_parser("course", help="write an nbgrader course directory")
    course.add_argument("course_dir")
    course.add_argument("--lessons", nargs="*", help="lesson numbers or notebooks (default: all)")
    course.add_argument("--whole", action="store_true", help="grade whole lessons, not exercise sheets")
    course.add_argument("--course-id", default="vulib")
    links = sub.add_parser("links", help="print a lesson's launch links (from classroom.toml)")
    links.add_argument("notebooks", nargs="+")
    args = ap.parse_args(argv)
    try:
        if args.command == "course":
            for name, path in write_course(
                args.course_dir, args.lessons, whole=args.whole, course_id=args.course_id
            ).items():
                print(f"{name}: {path}")
        else:
            for nb in args.notebooks:
                found = launch_links(Path(nb).name)
                print(
                    f"{nb}: "
                    + (
                        ", ".join(f"{k} {v}" for k, v in found.items())
                        or "no links (set [classroom] repository in classroom.toml)"
                    )
                )
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
