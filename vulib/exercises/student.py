"""Generate the student version of the instructor notebooks.

In an instructor notebook, the solution of an exercise sits between two marker lines
in a code cell (any indentation, several blocks per cell allowed)::

    def to_unit_float(frames):
        # BEGIN SOLUTION
        # HINT: convert to float first, then divide by 255
        return frames.float() / 255
        # END SOLUTION

and the checker call follows in a cell of its own (nbgrader locks that cell and gives it
a point: see ``vulib.exercises.classroom``)::

    check_to_unit_float(to_unit_float)

The student version replaces each block by one line at the block's indentation,
``raise NotImplementedError("Exercise: write your code here")``, so the cell still
parses, and running it stops exactly at the exercise.  The ``# HINT:`` lines are not
shown in the stub: they go into a markdown cell inserted right after the exercise cell,
folded by default (an HTML ``<details>`` element, which JupyterLab, Notebook 7 and
nbconvert's HTML show closed until its summary line is clicked)::

    <details><summary>Hint (open it only when stuck)</summary>

    convert to float first, then divide by 255

    </details>

and the stub of a block that has a hint says where it is: ``"Exercise: write your code
here (a hint is folded in the cell below)"``.  Several hinted blocks in one cell share
one hint cell, numbered in the order of the blocks ("hint 2 is folded in the cell
below"); a cell without hints gets no hint cell.  The hint text is escaped, so that
``<``, ``*``, ``_``, ``$`` ... show as typed; a pair of backticks in a hint stays a code
span.  A hint cell carries the tag ``exercise-hint`` (:data:`HINT_TAG`) and the id
``<exercise cell id>-hint``, so it is the same in every generated version and tools can
recognise it; it has no nbgrader metadata (nothing to grade or lock).  The hints are
written in one place only, as ``# HINT:`` lines in the instructor notebook.

The student version also clears all outputs and execution counts, drops the saved
widget state, and adds a banner cell on top.  Tags and ``# NBVAL_...`` markers are left
as they are.

Write exercises so that no later cell needs their result: in the student version
only the exercise cells should raise.

Command line (run from the repository root)::

    python -m vulib.exercises.student                      # notebooks/ -> student/
    python -m vulib.exercises.student notebooks/00_videos_as_tensors.ipynb -o student
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path
from typing import Iterable, Sequence

import nbformat

__all__ = [
    "strip_solutions",
    "solution_hints",
    "hint_cell",
    "with_hint_cells",
    "count_solution_blocks",
    "make_student_notebook",
    "make_student_versions",
    "main",
    "BANNER_TAG",
    "HINT_TAG",
]

COMMAND = "python -m vulib.exercises.student"
BANNER_TAG = "student-version-banner"
"""Tag of the banner cell, which also marks a notebook as a generated student version."""
HINT_TAG = "exercise-hint"
"""Tag of the folded hint cell inserted after an exercise cell whose solution blocks have hints."""
STUB = "write your code here"

_BEGIN = re.compile(r"^(?P<indent>[ \t]*)#+\s*BEGIN SOLUTION\s*$")
_END = re.compile(r"^[ \t]*#+\s*END SOLUTION\s*$")
_HINT = re.compile(r"^[ \t]*#+\s*HINT:\s*(?P<hint>.*?)\s*$")


def _quote(text: str) -> str:
    """``text`` as a double-quoted Python string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _strip(source: str, where: str) -> tuple[str, list[str]]:
    """The stubbed source and each block's hint (``""`` for a block without one)."""
    out: list[str | tuple[str, int]] = []  # lines, and (indent, block number) where a stub goes
    hints: list[str] = []
    indent: str | None = None  # the open block's indentation, None outside blocks
    lines: list[str] = []  # the open block's hint lines
    opened_at = 0
    for lineno, line in enumerate(source.splitlines(keepends=True), 1):
        text = line.rstrip("\r\n")
        begin = _BEGIN.match(text)
        if begin:
            if indent is not None:
                raise ValueError(
                    f"{where}, line {lineno}: '# BEGIN SOLUTION' inside the block "
                    f"opened at line {opened_at} (missing '# END SOLUTION'?)"
                )
            indent, lines, opened_at = begin["indent"], [], lineno
        elif _END.match(text):
            if indent is None:
                raise ValueError(f"{where}, line {lineno}: '# END SOLUTION' without a '# BEGIN SOLUTION' before it")
            out.append((indent, len(hints)))
            hints.append(" ".join(lines))
            indent = None
        elif indent is not None:
            hint = _HINT.match(text)
            if hint and hint["hint"]:
                lines.append(hint["hint"])
        else:
            out.append(line)
    if indent is not None:
        raise ValueError(f"{where}, line {opened_at}: '# BEGIN SOLUTION' is never closed by '# END SOLUTION'")
    numbers = {}  # block number -> hint number, counted over the hinted blocks only
    for block, hint in enumerate(hints):
        if hint:
            numbers[block] = len(numbers) + 1
    parts = []
    for item in out:
        if isinstance(item, str):
            parts.append(item)
            continue
        block_indent, block = item
        message = "Exercise: " + STUB
        if block in numbers:
            which = "a hint is" if len(numbers) == 1 else f"hint {numbers[block]} is"
            message += f" ({which} folded in the cell below)"
        parts.append(f"{block_indent}raise NotImplementedError({_quote(message)})\n")
    result = "".join(parts)
    if result.endswith("\n") and not source.endswith("\n"):
        result = result[:-1]
    return result, hints


def strip_solutions(source: str, where: str = "cell") -> tuple[str, int]:
    """Replace every solution block in one cell's source by a ``NotImplementedError`` stub.

    The stub never shows the block's ``# HINT:`` lines; when the block has some, it says
    that a hint is folded in the cell below (see :func:`solution_hints` and
    :func:`hint_cell` for that cell).

    Args:
        source: the cell's code.
        where: names the cell in error messages, e.g. ``"00_intro.ipynb, cell 7"``.

    Returns:
        The new source and the number of solution blocks replaced.

    Raises:
        ValueError: unbalanced markers (an ``END`` without ``BEGIN``, a nested or an
            unclosed ``BEGIN``), naming ``where`` and the line.
    """
    result, hints = _strip(source, where)
    return result, len(hints)


def solution_hints(source: str, where: str = "cell") -> list[str]:
    """The hint of each solution block of one cell's source, in order.

    A block's ``# HINT:`` lines are joined by spaces; a block without one gives ``""``.

    Raises:
        ValueError: unbalanced markers, as :func:`strip_solutions`.
    """
    return _strip(source, where)[1]


_ORDERED = re.compile(r"^(\d+)([.)])")
_PUNCTUATION = re.compile(r"([`*_\[\]~|#])")


def _escape_text(text: str) -> str:
    """Plain text as Markdown/HTML that shows exactly ``text`` (no markup, no math).

    Backslash escapes stop Markdown, but not MathJax: JupyterLab typesets the rendered
    page, so an escaped ``\\$`` still pairs with the next ``$``.  A ``$`` or a backslash
    therefore sits in an element of its own, which no math delimiter can reach across.
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;")  # no HTML tag or entity
    text = re.sub(r"[\\$]", lambda m: f"<span>\\{m[0]}</span>", text)
    text = _PUNCTUATION.sub(r"\\\1", text)  # after the spans, whose backslashes are markup
    text = _ORDERED.sub(r"\1\\\2", text)  # "1. x" at the start would open a list
    if text[:1] in ("-", "+", "=", ">"):  # nor a bullet, a heading line or a quote
        text = "\\" + text
    return text


_CODE_SPAN = re.compile(r"(`+)(?=[^`])(.+?)(?<=[^`])\1(?!`)")


def _hint_markdown(hint: str) -> str:
    """A hint as Markdown: literal text, except that a pair of backticks stays a code span."""
    parts, at = [], 0
    for span in _CODE_SPAN.finditer(hint):
        parts.append(_escape_text(hint[at : span.start()]))
        parts.append(span.group(0))  # Markdown shows a code span's content as typed
        at = span.end()
    parts.append(_escape_text(hint[at:]))
    return "".join(parts)


def hint_cell(hints: Sequence[str], exercise_id: str | None = None) -> nbformat.NotebookNode | None:
    """The folded markdown cell that holds an exercise cell's hints (``None``: no hint).

    Args:
        hints: each solution block's hint, as :func:`solution_hints` returns them.
        exercise_id: the exercise cell's id; the hint cell's id is ``<exercise_id>-hint``.

    Returns:
        A markdown cell tagged :data:`HINT_TAG` whose text is a closed ``<details>``
        element: one hint as a paragraph, several as "**Hint 1.** ...", "**Hint 2.** ..."
        (numbered like the stubs), each escaped so that it shows as written.
    """
    given = [h for h in hints if h]
    if not given:
        return None
    if len(given) == 1:
        summary, body = "Hint (open it only when stuck)", _hint_markdown(given[0])
    else:
        summary = "Hints (open them only when stuck)"
        body = "\n\n".join(f"**Hint {k}.** {_hint_markdown(h)}" for k, h in enumerate(given, 1))
    cell = nbformat.v4.new_markdown_cell(f"<details><summary>{summary}</summary>\n\n{body}\n\n</details>")
    cell.metadata["tags"] = [HINT_TAG]
    if exercise_id:
        cell.id = exercise_id[: 64 - len("-hint")] + "-hint"
    return cell


def with_hint_cells(nb: nbformat.NotebookNode, hints: dict[int, Sequence[str]]) -> nbformat.NotebookNode:
    """Insert the folded hint cell after each cell of ``nb`` that ``hints`` names (in place).

    Args:
        nb: the notebook (solutions already stripped or not: only ``hints`` is read).
        hints: ``{cell index: the hints of its solution blocks}``.

    Returns:
        ``nb``.  The inserted cells' ids are unique in the notebook (a clash gets a
        number); before nbformat 4.5, which has no cell ids, they have none.
    """
    has_ids = (nb.nbformat, nb.nbformat_minor) >= (4, 5)
    taken = {c.get("id") for c in nb.cells}
    cells = []
    for index, cell in enumerate(nb.cells):
        cells.append(cell)
        extra = hint_cell(hints.get(index, ()), cell.get("id") or f"cell-{index}")
        if extra is None:
            continue
        if not has_ids:
            extra.pop("id", None)
        else:
            base, k = extra.id, 2
            while extra.id in taken:
                extra.id = f"{base[:60]}-{k}"
                k += 1
            taken.add(extra.id)
        cells.append(extra)
    nb.cells = cells
    return nb


def count_solution_blocks(nb: nbformat.NotebookNode) -> int:
    """How many solution blocks the code cells of an instructor notebook hold."""
    return sum(strip_solutions(_source(c), f"cell {i}")[1] for i, c in enumerate(nb.cells) if c.cell_type == "code")


def _banner(source_name: str) -> nbformat.NotebookNode:
    regenerate = f"{COMMAND} {source_name}"
    text = (
        f"> **Student version** of `{source_name}`, generated by `{regenerate}`.\n"
        ">\n"
        '> Each exercise cell stops at a line `raise NotImplementedError("Exercise: ...")`: '
        "replace that line with your code and run the cell; the checker after it tells you "
        "what is wrong and by how much. Where the exercise has a hint, it is folded in the cell "
        "right below the exercise: click *Hint* to open it, only when you are stuck.\n"
        ">\n"
        "> This file is generated: don't fix the lesson here, fix the instructor notebook and "
        f"regenerate with `{regenerate}`. Regenerating overwrites this file, so keep your own "
        "work under another name."
    )
    cell = nbformat.v4.new_markdown_cell(text)
    cell.metadata["tags"] = [BANNER_TAG]
    return cell


def make_student_notebook(
    nb: nbformat.NotebookNode, *, source_name: str = "the instructor notebook"
) -> nbformat.NotebookNode:
    """The student version of an instructor notebook (the input is not modified).

    Args:
        nb: the instructor notebook, as read by :func:`nbformat.read`.
        source_name: its path, shown in the banner and in error messages.

    Raises:
        ValueError: unbalanced solution markers (naming the notebook and the cell
            index), or ``nb`` is already a student version.
    """
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if BANNER_TAG in cell.get("metadata", {}).get("tags", []):
            raise ValueError(f"{source_name} is already a student version")
    hints = {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        cell.source, hints[index] = _strip(_source(cell), f"{source_name}, cell index {index}")
        cell.outputs = []
        cell.execution_count = None
        cell.metadata.pop("execution", None)  # timings stored by nbclient
    with_hint_cells(nb, hints)
    nb.metadata.pop("widgets", None)
    banner = _banner(source_name)
    if (nb.nbformat, nb.nbformat_minor) < (4, 5):
        banner.pop("id", None)  # cell ids arrived in nbformat 4.5
    nb.cells.insert(0, banner)
    return nb


def _notebooks(paths: Iterable[str | Path]) -> list[Path]:
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.glob("*.ipynb") if p.is_file())
        elif path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(f"no such notebook or folder: {path}")
    return found


def _display_name(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def make_student_versions(paths: Sequence[str | Path], outdir: str | Path) -> list[Path]:
    """Write the student version of each notebook (or of each notebook in each folder).

    Args:
        paths: notebook files and/or folders of notebooks (not searched recursively).
        outdir: where to write; created if needed.  Files keep their names.

    Returns:
        The paths written.
    """
    outdir = Path(outdir)
    notebooks = _notebooks(paths)
    names = [p.name for p in notebooks]
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes:
        raise ValueError(f"several input notebooks share a name: {clashes}")
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        student = make_student_notebook(nb, source_name=_display_name(path))
        target = outdir / path.name
        nbformat.write(student, target)
        written.append(target)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(
        prog=COMMAND,
        description="Write the student version of instructor notebooks: "
        "solution blocks become NotImplementedError stubs, outputs are cleared.",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        default=["notebooks"],
        metavar="NOTEBOOK_OR_DIR",
        help="notebooks or folders of notebooks (default: notebooks/)",
    )
    parser.add_argument("-o", "--outdir", default="student", help="output folder (default: student/)")
    args = parser.parse_args(argv)
    try:
        written = make_student_versions(args.paths, args.outdir)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    if not written:
        print("no notebooks found", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
