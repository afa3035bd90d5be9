"""Self-study progress: every checker records a pass locally; progress() shows it; reset forgets it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import vulib.exercises as ex
from vulib.exercises import EXERCISES, ExerciseError
from vulib.exercises import selfstudy as progress_mod

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def record(tmp_path, monkeypatch):
    path = tmp_path / "sub" / "progress.json"
    monkeypatch.setenv("VULIB_PROGRESS_FILE", str(path))
    return path


def passes(path):
    return json.loads(path.read_text())["passed"]


def test_a_right_answer_is_recorded_a_wrong_one_is_not(record):
    entry = EXERCISES["check_p_clip_sees"]
    with pytest.raises(ExerciseError):
        entry.checker(entry.wrong[0])
    assert not record.exists()
    passed = entry.checker(entry.reference)
    assert passed and passed == True and repr(passed) == "True"  # noqa: E712 (a Passed, equal to True)
    assert list(passes(record)) == ["00"] and list(passes(record)["00"]) == ["check_p_clip_sees"]
    stamp = passes(record)["00"]["check_p_clip_sees"]
    entry.checker(entry.reference)  # a second pass keeps the first time
    assert passes(record)["00"]["check_p_clip_sees"] == stamp
    assert not list(record.parent.glob(".progress-*"))  # no temporary file left behind


def test_every_registered_checker_records(record):
    for name, entry in EXERCISES.items():
        entry.checker(entry.reference)
    done = passes(record)
    assert sum(len(v) for v in done.values()) == len(EXERCISES) == 48
    shown = ex.progress()
    assert (shown.done, shown.total) == (48, 48)


def test_progress_shows_each_lesson_as_text_and_html(record):
    EXERCISES["check_order_blind"].checker(EXERCISES["check_order_blind"].reference)
    shown = ex.progress()
    text = repr(shown)
    assert "Exercises done: 1 of 48" in text and str(record) in text
    line01 = next(line for line in text.splitlines() if line.strip().startswith("01 "))
    assert "1/3" in line01 and "✓ order_blind" in line01 and "· cost_growth" in line01
    assert sorted(shown.lessons) == [f"{i:02d}" for i in range(14)]
    page = shown._repr_html_()
    assert "<table>" in page and "order_blind" in page and "1/3" in page


def test_reset_forgets_everything(record):
    EXERCISES["check_p_clip_sees"].checker(EXERCISES["check_p_clip_sees"].reference)
    assert ex.progress().done == 1
    assert ex.progress(reset=True).done == 0 and not record.exists()
    EXERCISES["check_p_clip_sees"].checker(EXERCISES["check_p_clip_sees"].reference)
    assert ex.reset_progress() == record and ex.progress().done == 0


def test_off_records_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("VULIB_PROGRESS_FILE", "off")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert progress_mod.progress_file() is None
    EXERCISES["check_p_clip_sees"].checker(EXERCISES["check_p_clip_sees"].reference)
    assert not any(tmp_path.rglob("*.json"))
    assert "recording is off" in repr(ex.progress())


def test_default_location_is_the_user_data_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("VULIB_PROGRESS_FILE")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert progress_mod.progress_file() == tmp_path / "vulib" / "progress.json"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    if sys.platform.startswith("linux"):
        assert progress_mod.progress_file() == tmp_path / ".local" / "share" / "vulib" / "progress.json"


def test_a_damaged_file_is_reported_and_replaced(record):
    record.parent.mkdir(parents=True)
    record.write_text("{not json")
    with pytest.warns(UserWarning, match="cannot read"):
        assert ex.progress().done == 0
    with pytest.warns(UserWarning, match="cannot read"):
        EXERCISES["check_p_clip_sees"].checker(EXERCISES["check_p_clip_sees"].reference)
    assert list(passes(record)["00"]) == ["check_p_clip_sees"]


def test_an_unwritable_place_warns_and_the_checker_still_passes(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("VULIB_PROGRESS_FILE", str(blocker / "progress.json"))  # a folder that is a file
    monkeypatch.setattr(progress_mod, "_warned", False)
    with pytest.warns(UserWarning, match="cannot record"):
        assert EXERCISES["check_p_clip_sees"].checker(EXERCISES["check_p_clip_sees"].reference)


def test_the_test_run_never_writes_to_home():
    """tests/conftest.py (and scripts/test.sh) point the record at a throw-away file."""
    assert os.environ.get("VULIB_PROGRESS_FILE"), "tests/conftest.py should set VULIB_PROGRESS_FILE"
    path = progress_mod.progress_file()
    assert path is None or (Path.home() / ".local" / "share") not in path.parents


def test_a_pass_in_a_notebook_kernel_is_recorded(record, tmp_path, monkeypatch):
    """The way learners use it: a checker cell in a kernel, then progress() in another cell."""
    v4 = nbformat.v4
    nb = v4.new_notebook(
        cells=[
            v4.new_code_cell("from vulib.exercises import nb02 as ex\nimport vulib.exercises as exercises"),
            v4.new_code_cell("ex.check_layers_to_see_clip(lambda T, k: -(-(T - 1) // (k - 1)))"),
            v4.new_code_cell("exercises.progress()"),
        ]
    )
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    NotebookClient(nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(tmp_path)}}).execute()
    shown = nb.cells[2].outputs[0]["data"]
    assert "text/html" in shown and "layers_to_see_clip" in shown["text/html"]
    assert "Exercises done: 1 of 48" in shown["text/plain"]
    assert list(passes(record)["02"]) == ["check_layers_to_see_clip"]


def test_progress_command_line_runs_without_home(tmp_path):
    env = dict(os.environ, VULIB_PROGRESS_FILE=str(tmp_path / "p.json"), PYTHONPATH=str(ROOT))
    out = subprocess.run(
        [sys.executable, "-c", "import vulib.exercises as e; print(repr(e.progress()))"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0 and "Exercises done: 0 of 48" in out.stdout, out.stderr
