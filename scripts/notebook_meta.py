"""Set each lesson's slide, folding and grading metadata from its content, by rule, so it never drifts.

    python scripts/notebook_meta.py                 # every notebooks/NN_*.ipynb, rewritten in place
    python scripts/notebook_meta.py --check         # exit 1 and list the cells whose metadata differs
    python scripts/notebook_meta.py notebooks/08_x.ipynb
    python scripts/notebook_meta.py --split-checkers  # once: checker calls out of solution cells (edits sources)

Only cell metadata changes (``slideshow.slide_type``, ``jupyter.source_hidden`` and ``nbgrader``; not so
``--split-checkers``, which moves checker calls into cells of their own, outputs included):
sources and outputs stay as they are, so a notebook needs no re-execution afterwards.  The rules (RISE in
JupyterLab and ``jupyter nbconvert --to slides`` both read ``slide_type``):

* the first cell (title, promise, learning goals) is a **slide**, the first code cell after it (the
  set-up) a **subslide**;
* a ``## `` heading starts a **slide**, a ``### `` heading or an ``**Exercise N.**`` paragraph a
  **subslide**;
* a code cell longer than ``LONG`` lines gets a **subslide** of its own;
* a code cell that asserts, right after another code cell (claim -> experiment -> assert), is a
  **fragment**: it appears on the next key press, after the result it checks;
* everything else continues the current slide (``-``).

The notebook's ``rise`` metadata picks RISE's ``white`` theme (its default, ``simple``, loads fonts
from Google: not offline) and lets long slides scroll.

A code cell whose first line is ``# draw: <what it draws>`` only draws (figure or widget plumbing), and one
whose first line is ``# plumbing: <what it does>`` only keeps the lesson running (a redraw-timing check, freeing
memory): either starts collapsed (``jupyter.source_hidden``); the book and the slides fold it behind
"Show code (<what it draws>)".

nbgrader's cell metadata (schema version 3), from the exercise structure that
``vulib.exercises.student`` already reads, so a course can grade the lessons (docs/classroom.md):

* a code cell with ``# BEGIN SOLUTION`` / ``# END SOLUTION`` blocks is an **autograded answer**
  (``solution``; ``grade_id`` = the function or variable it defines; a predict-then-measure exercise's
  ``prediction`` cell is ``prediction-N``, N the exercise's number);
* a code cell made only of checker calls ``ex.check_<name>(...)`` is an **autograded test**:
  locked, one point per checker call, ``grade_id`` = the checker's name.  A cell that mixes a
  solution and a checker call is an error (the test must be a cell of its own);
* the set-up cell (the first code cell: imports, ``ex``) and each markdown cell with an
  ``**Exercise N.**`` statement (at the start of a line) are
  **read-only** (locked: nbgrader restores them before grading);
* every other cell carries no nbgrader metadata.

``tests/test_notebook_meta.py`` runs ``--check``; ``tests/test_classroom.py`` validates the result
with nbgrader's own validator and grades it.

Text alternatives: rewriting a notebook also copies each stored picture's, animation's and sound
player's description from ``notebooks/alt_text.toml`` into that output's metadata
(``{"image/png": {"alt": ...}}``; see ``scripts/_alt_text.py``), for nbconvert and JupyterLab users.
``--check`` does not look at them; ``tests/test_accessibility.py`` does (:func:`alt_text_differences`).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _alt_text  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LONG = 18
DRAW = re.compile(r"^#\s*(draw|plumbing):", re.IGNORECASE)
ASSERT = re.compile(r"^assert\b", re.MULTILINE)
RISE = {"theme": "white", "scroll": True}
SOLUTION = re.compile(r"^[ \t]*#+\s*BEGIN SOLUTION\s*$", re.MULTILINE)
CHECK_CALL = re.compile(r"^ex\.(check_\w+)\(.*\)\s*$")
EXERCISE = re.compile(r"^\*\*Exercise (\d+)", re.MULTILINE)
DEFINES = re.compile(r"^(?:def\s+(\w+)|(\w+)\s*=)", re.MULTILINE)
NBGRADER_SCHEMA = 3


def slide_types(nb) -> list[str]:
    """The slide type each cell should have."""
    types, seen_setup, prev = [], False, None
    for i, cell in enumerate(nb.cells):
        src = cell.source.lstrip()
        kind = "-"
        if i == 0:
            kind = "slide"
        elif cell.cell_type == "markdown":
            if src.startswith("## "):
                kind = "slide"
            elif src.startswith("### ") or re.match(r"\*\*Exercise \d+", src):
                kind = "subslide"
        elif cell.cell_type == "code":
            if not seen_setup:
                kind, seen_setup = "subslide", True
            elif len(cell.source.splitlines()) > LONG:
                kind = "subslide"
            elif ASSERT.search(cell.source) and prev == "code":
                kind = "fragment"
        types.append(kind)
        prev = cell.cell_type
    return types


def is_drawing(cell) -> bool:
    return cell.cell_type == "code" and bool(DRAW.match(cell.source.lstrip()))


def _checker_calls(cell) -> list[str] | None:
    """The checker names if every non-blank line of a code cell is a checker call, else ``None``."""
    lines = [line for line in cell.source.splitlines() if line.strip()]
    names = [m.group(1) for m in map(CHECK_CALL.match, lines) if m]
    return names if lines and len(names) == len(lines) else None


def split_checker_cells(nb) -> int:
    """Move checker calls that end a solution cell into cells of their own, one call per cell.

    The one rule here that edits sources (``--split-checkers``; run it once on a lesson written the
    old way, with ``ex.check_x(x)`` at the end of the solution cell).  Each new cell takes over
    its call's stored outputs (its ``✓`` line and the ``True`` it returns) and the execution
    count, so no re-execution is needed.  Returns the number of cells added.
    """
    out, added = [], 0
    for cell in nb.cells:
        out.append(cell)
        if cell.cell_type != "code" or not SOLUTION.search(cell.source):
            continue
        lines = cell.source.rstrip("\n").split("\n")
        k = len(lines)
        while k > 0 and (CHECK_CALL.match(lines[k - 1]) or not lines[k - 1].strip()):
            k -= 1
        calls = [line for line in lines[k:] if line.strip()]
        if not calls:
            continue
        cell.source = "\n".join(lines[:k])
        outputs, cell.outputs = cell.get("outputs", []), []
        stream = "".join(
            o.get("text", "") for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stdout"
        )
        ticks = stream.splitlines(keepends=True)
        for j, call in enumerate(calls):
            new = nbformat.v4.new_code_cell(call)
            new.id = (cell.get("id", "cell") + ("-check" if j == 0 else f"-check-{j + 1}"))[:64]
            new.execution_count = cell.execution_count
            if len(calls) == 1:
                new.outputs = outputs
            else:  # several calls: one ✓ line and one True each
                text = ticks[j] if len(ticks) == len(calls) else ""
                new.outputs = ([nbformat.v4.new_output("stream", name="stdout", text=text)] if text else []) + [
                    o for o in outputs if o.get("output_type") == "execute_result"
                ]
            out.append(new)
            added += 1
    nb.cells = out
    return added


def nbgrader_cells(nb) -> list[dict | None]:
    """The ``nbgrader`` metadata each cell should have (``None``: none).

    Raises:
        ValueError: a cell mixes a solution block with a checker call, or two cells would
            get the same ``grade_id``.
    """
    out: list[dict | None] = []
    seen_setup = False
    exercise = None  # the number of the last exercise statement: a prediction cell's grade_id names it
    for i, cell in enumerate(nb.cells):
        meta = None
        src = cell.source
        if cell.cell_type == "code":
            checks = _checker_calls(cell)
            if SOLUTION.search(src):
                if any(CHECK_CALL.match(line) for line in src.splitlines()):
                    raise ValueError(
                        f"cell {i}: a solution cell also calls a checker; move the "
                        f"checker call into the next cell (nbgrader locks it there)"
                    )
                names = [a or b for a, b in DEFINES.findall(SOLUTION.split(src, 1)[0])] or [
                    a or b for a, b in DEFINES.findall(src)
                ]
                grade_id = names[0] if names else f"answer-{i}"
                if grade_id == "prediction" and exercise:  # one prediction cell per exercise
                    grade_id = f"prediction-{exercise}"
                meta = {"grade": False, "locked": False, "solution": True, "grade_id": grade_id}
            elif checks:
                meta = {
                    "grade": True,
                    "locked": True,
                    "solution": False,
                    "points": len(checks),
                    "grade_id": "+".join(checks),
                }
            elif not seen_setup:
                meta = {"grade": False, "locked": True, "solution": False, "grade_id": "setup"}
            seen_setup = True
        elif cell.cell_type == "markdown":
            m = EXERCISE.search(src)
            if m:
                exercise = m.group(1)
                meta = {"grade": False, "locked": True, "solution": False, "grade_id": f"exercise-{m.group(1)}"}
        if meta is not None:
            meta.update(schema_version=NBGRADER_SCHEMA, task=False)
        out.append(meta)
    ids = [m["grade_id"] for m in out if m]
    dup = sorted({g for g in ids if ids.count(g) > 1})
    if dup:
        raise ValueError(f"several cells would get the grade_id {dup}; rename a function or variable")
    return out


def differences(nb) -> list[str]:
    """What :func:`apply` would change, one line per cell."""
    out = []
    have_rise = dict(nb.metadata.get("rise", {}))
    if {k: have_rise.get(k) for k in RISE} != RISE:
        out.append(f"notebook: rise {have_rise} -> {RISE}")
    for i, (cell, kind) in enumerate(zip(nb.cells, slide_types(nb))):
        have = cell.metadata.get("slideshow", {}).get("slide_type")
        if have != kind:
            out.append(f"cell {i}: slide_type {have!r} -> {kind!r}")
        hidden = bool(cell.metadata.get("jupyter", {}).get("source_hidden", False))
        if hidden != is_drawing(cell):
            out.append(f"cell {i}: source_hidden {hidden} -> {is_drawing(cell)}")
    for i, (cell, grading) in enumerate(zip(nb.cells, nbgrader_cells(nb))):
        have = cell.metadata.get("nbgrader")
        if have != grading:
            out.append(f"cell {i}: nbgrader {have} -> {grading}")
    return out


def apply(nb) -> None:
    """Set the metadata in place."""
    nb.metadata["rise"] = {**dict(nb.metadata.get("rise", {})), **RISE}
    for cell, kind, grading in zip(nb.cells, slide_types(nb), nbgrader_cells(nb)):
        cell.metadata["slideshow"] = {"slide_type": kind}
        if grading is None:
            cell.metadata.pop("nbgrader", None)
        else:
            cell.metadata["nbgrader"] = grading
        jupyter = dict(cell.metadata.get("jupyter", {}))
        if is_drawing(cell):
            jupyter["source_hidden"] = True
        else:
            jupyter.pop("source_hidden", None)
        if jupyter:
            cell.metadata["jupyter"] = jupyter
        else:
            cell.metadata.pop("jupyter", None)


def alt_text_differences(nb, name: str, table: dict | None = None) -> list[str]:
    """Outputs of notebook ``name`` whose metadata lacks (or differs from) their text in
    ``notebooks/alt_text.toml``; :func:`apply_alt_text` fixes them."""
    texts = (_alt_text.load() if table is None else table).get(name, {})
    return [
        f"{name}: output {key} ({what}): alt text not in its metadata"
        for key, out, what in _alt_text.described_outputs(nb)
        if key in texts and not _alt_text.has_metadata(out, texts[key])
    ]


def apply_alt_text(nb, name: str, table: dict | None = None) -> int:
    """Copy the text alternatives of notebook ``name`` into its outputs' metadata; returns how many
    outputs changed (outputs without an entry are left alone)."""
    texts = (_alt_text.load() if table is None else table).get(name, {})
    return sum(
        _alt_text.set_metadata(out, texts[key]) for key, out, _ in _alt_text.described_outputs(nb) if key in texts
    )


def _write(path: Path, nb) -> None:
    text = nbformat.writes(nb) + "\n"
    tmp = path.with_suffix(".ipynb.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)  # never half-written


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebooks", nargs="*", type=Path)
    ap.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook differs")
    ap.add_argument(
        "--split-checkers",
        action="store_true",
        help="first move checker calls out of solution cells into cells of their own (edits sources)",
    )
    args = ap.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    bad = 0
    for path in paths:
        nb = nbformat.read(path, 4)
        if args.split_checkers and not args.check:
            added = split_checker_cells(nb)
            if added:
                apply(nb)
                _write(path, nb)
                print(f"{path}: {added} checker cells split off")
                continue
        try:
            diff = differences(nb)
        except ValueError as exc:
            print(f"{path}: {exc}")
            bad += 1
            continue
        if not args.check:
            diff += alt_text_differences(nb, path.name)
        if not diff:
            continue
        if args.check:
            bad += 1
            print(f"{path}: {len(diff)} cells differ from the rules:\n  " + "\n  ".join(diff[:10]))
        else:
            apply(nb)
            apply_alt_text(nb, path.name)
            _write(path, nb)
            print(f"{path}: {len(diff)} cells updated")
    if bad:
        print("run: python scripts/notebook_meta.py  (metadata only; no re-execution needed)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
