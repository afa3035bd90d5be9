"""Self-study progress: which exercises a learner has passed, kept in a small local file.

Every notebook checker (see :func:`vulib.exercises.exercise`) calls :func:`record_pass`
when an answer is right.  The record is one JSON file on the learner's own machine; it is
never sent anywhere and needs no account::

    {"version": 1, "passed": {"00": {"check_p_clip_sees": "2026-01-05T10:12:03Z"}}}

Where the file lives (first that applies):

* ``$VULIB_PROGRESS_FILE`` -- any path; ``off`` (or an empty value) records nothing.  Tests,
  CI and graders set it, so that they never write into a home directory;
* ``$XDG_DATA_HOME/vulib/progress.json``, else the platform's user data folder:
  ``~/.local/share/vulib`` (Linux), ``~/Library/Application Support/vulib`` (macOS),
  ``%APPDATA%\\vulib`` (Windows).

In a notebook::

    import vulib.exercises as ex
    ex.progress()              # a table per lesson: which exercises are done (HTML; text in a console)
    ex.progress(reset=True)    # forget everything (or ex.reset_progress())

The file is written atomically (a temporary file beside it, then renamed), so an
interrupted kernel never leaves half a file; an unreadable file is reported and treated
as empty.  A failure to write never breaks a checker: it warns once and goes on.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import os
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Mapping

__all__ = ["progress_file", "record_pass", "load_progress", "reset_progress", "progress", "Progress"]

ENV = "VULIB_PROGRESS_FILE"
VERSION = 1
_warned = False


def progress_file() -> Path | None:
    """Where progress is recorded, or ``None`` when ``$VULIB_PROGRESS_FILE`` is ``off``/empty."""
    override = os.environ.get(ENV)
    if override is not None:
        return None if override.strip().lower() in ("", "off", "none", "0") else Path(override).expanduser()
    if os.environ.get("XDG_DATA_HOME"):
        base = Path(os.environ["XDG_DATA_HOME"])
    elif sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path.home() / ".local" / "share"
    return base / "vulib" / "progress.json"


def load_progress(path: str | Path | None = None) -> dict[str, dict[str, str]]:
    """The recorded passes: ``{lesson: {checker name: UTC time of the first pass}}``.

    Args:
        path: the file to read (default: :func:`progress_file`).

    Returns:
        An empty dict when nothing is recorded yet, recording is off, or the file is not
        a progress file (a warning says so; the next pass starts it afresh).
    """
    path = progress_file() if path is None else Path(path)
    if path is None or not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        passed = data["passed"]
        if not isinstance(passed, dict) or not all(isinstance(v, dict) for v in passed.values()):
            raise ValueError("'passed' is not a mapping of lessons to exercises")
        return {str(k): {str(n): str(t) for n, t in v.items()} for k, v in passed.items()}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        warnings.warn(f"vulib progress: cannot read {path} ({exc}); starting from an empty record", stacklevel=2)
        return {}


def _write(path: Path, passed: Mapping[str, Mapping[str, str]]) -> None:
    """Write the record atomically: a temporary file in the same folder, then a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"version": VERSION, "passed": passed}, indent=1, sort_keys=True) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=".progress-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def record_pass(notebook: str, name: str) -> bool:
    """Record that exercise ``name`` of lesson ``notebook`` was answered correctly.

    Args:
        notebook: the lesson's number, e.g. ``"00"``.
        name: the checker's registry name, e.g. ``"check_p_clip_sees"``.

    Returns:
        ``True`` if the record was written (or already held this pass), ``False`` when
        recording is off or the file cannot be written (a warning says why, once).
    """
    global _warned
    path = progress_file()
    if path is None:
        return False
    try:
        passed = load_progress(path)
        if name in passed.get(notebook, {}):
            return True
        stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        passed.setdefault(notebook, {})[name] = stamp
        _write(path, passed)
        return True
    except OSError as exc:
        if not _warned:
            warnings.warn(
                f"vulib progress: cannot record to {path} ({exc}); set {ENV} to a writable file, or to 'off'",
                stacklevel=2,
            )
            _warned = True
        return False


def reset_progress() -> Path | None:
    """Forget every recorded pass (deletes the file).  Returns the file's path (``None``: off)."""
    path = progress_file()
    if path is not None:
        path.unlink(missing_ok=True)
    return path


class Progress:
    """Per lesson, which exercises are done; shown as a table in a notebook, as text elsewhere.

    Attributes:
        lessons: ``{lesson: [(exercise name, done?), ...]}`` in lesson and notebook order.
        path: the file it was read from (``None``: recording is off).
    """

    def __init__(self, lessons: dict[str, list[tuple[str, bool]]], path: Path | None):
        self.lessons = lessons
        self.path = path

    @property
    def done(self) -> int:
        """How many exercises are done, over all lessons."""
        return sum(ok for items in self.lessons.values() for _, ok in items)

    @property
    def total(self) -> int:
        """How many exercises there are, over all lessons."""
        return sum(len(items) for items in self.lessons.values())

    def _where(self) -> str:
        return f"recorded in {self.path}" if self.path else f"recording is off (${ENV})"

    def __repr__(self) -> str:
        lines = [f"Exercises done: {self.done} of {self.total} ({self._where()})"]
        for lesson, items in self.lessons.items():
            marks = "  ".join(("✓ " if ok else "· ") + name for name, ok in items)
            lines.append(f"  {lesson}  {sum(ok for _, ok in items)}/{len(items)}  {marks}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = []
        for lesson, items in self.lessons.items():
            cells = " ".join(
                f"<span style='white-space:nowrap'>{'✅' if ok else '⬜'} <code>{html.escape(n)}</code></span>"
                for n, ok in items
            )
            rows.append(
                f"<tr><td>{html.escape(lesson)}</td><td>{sum(ok for _, ok in items)}/{len(items)}</td>"
                f"<td style='text-align:left'>{cells}</td></tr>"
            )
        return (
            f"<p><b>Exercises done: {self.done} of {self.total}</b> "
            f"<small>({html.escape(self._where())})</small></p>"
            "<table><thead><tr><th>lesson</th><th>done</th><th style='text-align:left'>exercises</th>"
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )


def progress(reset: bool = False) -> Progress:
    """Which exercises are done, per lesson (all registered exercises, done or not).

    Args:
        reset: forget every recorded pass first (:func:`reset_progress`).

    Returns:
        A :class:`Progress`: a table in a notebook, readable text in a console.
    """
    from . import EXERCISES  # the registry; imported here, as this module is imported by it

    if reset:
        reset_progress()
    passed = load_progress()
    lessons: dict[str, list[tuple[str, bool]]] = {}
    for key, entry in sorted(EXERCISES.items(), key=lambda kv: kv[1].notebook):
        name = key.removeprefix("check_")
        lessons.setdefault(entry.notebook, []).append((name, key in passed.get(entry.notebook, {})))
    return Progress(lessons, progress_file())
