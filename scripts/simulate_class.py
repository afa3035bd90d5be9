"""Simulate a class through nbgrader's whole loop, offline, and time each step (docs/classroom.md).

    python scripts/simulate_class.py                       # 30 students, lesson 00
    python scripts/simulate_class.py --students 30 --lesson 03 --seed 1 --keep /tmp/course

A course directory and an nbgrader exchange in a temporary folder (or ``--keep DIR``); the
teacher's steps run as the teacher would type them (``nbgrader ...`` commands), the students'
fetch and submit through nbgrader's own exchange classes (one process would otherwise start per
student).  Each student's answers are generated: every exercise right, except that with
probability ``--wrong`` an exercise is answered wrongly (the function returns None) and with
probability ``--blank`` a student hands the notebook in untouched.  At the end the gradebook's
scores are compared with the scores the generated answers should get; any difference exits 1.

Steps timed: generate (``generate_assignment``), release (``release_assignment``), the students'
fetch and submit, collect (``collect``), autograde (``autograde``), manual review (one grade
changed through the gradebook, as the formgrader does), feedback (``generate_feedback`` +
``release_feedback``), the students' ``fetch_feedback``, and ``export`` (grades.csv).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BEGIN = re.compile(r"^(?P<indent>[ \t]*)#+\s*BEGIN SOLUTION\s*$")
END = re.compile(r"^[ \t]*#+\s*END SOLUTION\s*$")


def grading(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def answer_wrongly(nb, test_index: int) -> None:
    """Replace, in place, the answer checked by the test cell ``test_index`` with a wrong one."""
    fn = re.match(r"ex\.check_\w+\((\w+)", nb.cells[test_index].source)[1]
    cell = next(nb.cells[i] for i in range(test_index - 1, -1, -1) if grading(nb.cells[i]).get("solution"))
    lines = cell.source.splitlines()
    start = next((i for i, line in enumerate(lines) if re.match(rf"def {fn}\b", line)), 0)
    begin = next(i for i in range(start, len(lines)) if BEGIN.match(lines[i]))
    end = next(i for i in range(begin, len(lines)) if END.match(lines[i]))
    indent = BEGIN.match(lines[begin])["indent"]
    wrong = f"{indent}return None" if indent else f"{fn} = None"
    cell.source = "\n".join(lines[:begin] + [wrong] + lines[end + 1 :])


def depends_on(nb, test_index: int) -> set[str]:
    """grade_ids of the tests that fail too when this test's answer is wrong (a later solution uses it)."""
    fn = re.match(r"ex\.check_\w+\((\w+)", nb.cells[test_index].source)[1]
    hit, out = False, {grading(nb.cells[test_index])["grade_id"]}
    for cell in nb.cells[test_index + 1 :]:
        if grading(cell).get("solution") and re.search(rf"\b{fn}\b", cell.source):
            hit = True
        elif hit and grading(cell).get("grade"):
            out.add(grading(cell)["grade_id"])
            hit = False
    return out


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PATH"] = str(Path(sys.executable).parent) + os.pathsep + e.get("PATH", "")
    e["PYTHONPATH"] = str(ROOT) + (os.pathsep + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    e["VULIB_PROGRESS_FILE"] = "off"
    return e


def nbgrader(course: Path, *args: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args], cwd=course, env=env(), capture_output=True, text=True
    )
    if proc.returncode:
        sys.exit(f"nbgrader {' '.join(args)} failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")


def exchange_app(kind: str, course: Path, exchange: Path, assignment: str, student: str, home: Path):
    """nbgrader's exchange class ``kind`` (fetch / submit / fetch-feedback) for one student."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange.default import ExchangeFetchAssignment, ExchangeFetchFeedback, ExchangeSubmit
    from traitlets.config import Config

    cfg = Config()
    cfg.Exchange.root = str(exchange)
    cfg.Exchange.assignment_dir = str(home)
    cfg.CourseDirectory.course_id = "vulib"
    cfg.CourseDirectory.assignment_id = assignment
    cfg.CourseDirectory.student_id = student
    cfg.CourseDirectory.root = str(home)
    coursedir = CourseDirectory(config=cfg)
    cls = {"fetch": ExchangeFetchAssignment, "submit": ExchangeSubmit, "fetch-feedback": ExchangeFetchFeedback}[kind]
    return cls(coursedir=coursedir, authenticator=Authenticator(config=cfg), config=cfg)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--students", type=int, default=30)
    ap.add_argument("--lesson", default="00", help="two-digit lesson number (default 00)")
    ap.add_argument("--wrong", type=float, default=0.2, help="chance an exercise is answered wrongly")
    ap.add_argument("--blank", type=float, default=0.1, help="chance a student hands in the blank notebook")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", type=Path, help="work in this folder (kept) instead of a temporary one")
    args = ap.parse_args(argv)
    from nbgrader.api import Gradebook

    from vulib.exercises.classroom import write_course

    work = args.keep or Path(tempfile.mkdtemp(prefix="vulib-class-"))
    if args.keep and work.exists():
        shutil.rmtree(work)
    course, exchange, homes = work / "course", work / "exchange", work / "students"
    exchange.mkdir(parents=True)
    (exchange / "vulib" / "inbound").mkdir(parents=True)  # created once by the hub's admin
    (exchange / "vulib" / "outbound").mkdir()
    (exchange / "vulib" / "feedback").mkdir()
    (lesson,) = write_course(course, [args.lesson])
    sheet_path = next((course / "source" / lesson).glob("*.ipynb"))
    with open(course / "nbgrader_config.py", "a") as f:
        f.write(f"\nc.Exchange.root = {str(exchange)!r}\n")
    rng = random.Random(args.seed)
    students = [f"student{i:02d}" for i in range(1, args.students + 1)]
    times: dict[str, float] = {}

    def timed(step, fn, *a):
        t = time.perf_counter()
        fn(*a)
        times[step] = times.get(step, 0.0) + time.perf_counter() - t

    timed("generate", nbgrader, course, "generate_assignment", lesson)
    timed("release", nbgrader, course, "release_assignment", lesson)
    sheet = nbformat.read(sheet_path, 4)
    tests = [i for i, c in enumerate(sheet.cells) if grading(c).get("grade")]
    points = {grading(sheet.cells[i])["grade_id"]: grading(sheet.cells[i]).get("points", 0) for i in tests}
    expected = {}
    for student in students:
        home = homes / student
        home.mkdir(parents=True)
        timed("students fetch", lambda: exchange_app("fetch", course, exchange, lesson, student, home).start())
        fetched = home / lesson / sheet_path.name
        if rng.random() < args.blank:
            expected[student] = 0.0
        else:
            answers = nbformat.read(sheet_path, 4)  # the right answers ...
            lost: set[str] = set()
            for i in tests:  # ... some of them wrong
                if rng.random() < args.wrong:
                    answer_wrongly(answers, i)
                    lost |= depends_on(sheet, i)
            released = nbformat.read(fetched, 4)  # keep the released cells' metadata (checksums)
            theirs = {grading(c)["grade_id"]: c.source for c in answers.cells if grading(c).get("solution")}
            for mine in released.cells:  # by grade_id: the release has folded hint cells the sheet has not
                if grading(mine).get("solution"):
                    mine.source = theirs[grading(mine)["grade_id"]]
            nbformat.write(released, fetched)
            expected[student] = float(sum(p for g, p in points.items() if g not in lost))
        timed("students submit", lambda: exchange_app("submit", course, exchange, lesson, student, home).start())
    timed("collect", nbgrader, course, "collect", lesson)
    timed("autograde", nbgrader, course, "autograde", lesson)
    t = time.perf_counter()
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:  # what the formgrader does
        sub = gb.find_submission(lesson, students[0])
        grades = [g for nb in sub.notebooks for g in nb.grades]
        failed = next((g for g in grades if g.auto_score != g.max_score), None)
        if failed is not None:  # the teacher reads the code and gives the point back
            failed.manual_score = failed.max_score
            gb.db.commit()
            expected[students[0]] += failed.max_score
    times["manual review"] = time.perf_counter() - t
    timed("feedback", nbgrader, course, "generate_feedback", lesson)
    timed("feedback", nbgrader, course, "release_feedback", lesson)
    for student in students:
        timed(
            "students fetch feedback",
            lambda: exchange_app("fetch-feedback", course, exchange, lesson, student, homes / student).start(),
        )
    timed("export", nbgrader, course, "export", "--to", str(work / "grades.csv"))

    with open(work / "grades.csv") as f:
        got = {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(f) if row["assignment"] == lesson}
    feedback = sum(1 for s in students if any((homes / s / lesson / "feedback").rglob("*.html")))
    wrong = {s: (expected[s], got.get(s)) for s in students if got.get(s) != expected[s]}
    total = sum(points.values())
    print(
        f"{args.students} students, lesson {lesson}: {len(points)} exercises, {total} points; "
        f"mean score {sum(got.values()) / len(got):.2f}; {feedback} students got their feedback"
    )
    n = args.students
    for step, s in times.items():
        per = f" ({s / n:.1f} s per submission)" if step == "autograde" else ""
        print(f"  {step:<24} {s:7.1f} s{per}")
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    print(
        f"  {'total':<24} {sum(times.values()):7.1f} s   ({os.cpu_count()} CPUs, load average "
        f"{load} at the end; work folder: {work})"
    )
    if wrong or feedback != n:
        print(f"MISMATCH: expected vs gradebook {wrong}; feedback for {feedback} of {n}", file=sys.stderr)
        return 1
    if not args.keep:
        shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
