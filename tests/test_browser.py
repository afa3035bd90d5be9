"""The notebooks' widgets in a real browser: JupyterLab in headless Chromium.

For each case, a private JupyterLab on a temp copy of notebooks/ runs the notebook,
moves one control of a widget with the keyboard alone (Tab to the control, an arrow key)
and checks that the widget's picture is redrawn (new bytes, not only a new blob: URL),
that the control's accessible name is its visible label, and that an Explorer's text line
(what the picture shows) changes with it (accessibility, issue 32).  Screenshots before/after the move go to
artifacts/screenshots/.  The driver is tests/browser.py.  One more test opens a generated student
version and checks that its exercise hints render folded (closed <details>, text hidden, no math typeset).

Needs Debian's /usr/bin/chromium and the playwright package (bash scripts/test.sh
installs both).  Without them the test is skipped, unless CI is set: then it fails.
"""

import os
from pathlib import Path

import browser
import pytest
from browser import WidgetCase

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "screenshots"
# Whole-test budget (server, browser, running the notebook, the move); a watchdog kills
# everything this test started at the deadline.  Under test.sh the notebooks run beside it.
DEADLINE_S = float(os.environ.get("VULIB_BROWSER_DEADLINE", "180"))

# (notebook, control: description label or slider index, image: which <img> of the widget)
CASES = [
    WidgetCase("00_videos_as_tensors.ipynb", control="seconds"),  # memory calculator (Explorer)
    WidgetCase("02_receptive_fields.ipynb", control="layer"),  # receptive fields, layer by layer
    WidgetCase("04_optical_flow.ipynb", control="frame"),  # flow viewer (pre-rendered pictures)
    WidgetCase("08_video_transformers.ipynb", control="frame"),  # a video transformer's attention maps
    WidgetCase("09_action_localization.ipynb", control=0),  # detection timeline: score threshold (pre-rendered)
]
# Lessons 10-13, run by tests/test_browser_later.py (a file of its own, so that the test command's two
# workers, which take whole files, run them beside the cases above instead of after them).
LATER_CASES = [
    WidgetCase("10_audio.ipynb", control="clip", audio=True),  # sound source map: frames, sound, heat map; players load
    WidgetCase("10_audio.ipynb", control="SNR", audio=True),  # speech explorer: mouth frames, noisy log-mel, player
    WidgetCase("11_efficient_video.ipynb", control="clips/video"),  # budget explorer (Explorer)
    WidgetCase("12_video_language.ipynb", control="clip"),  # ask the video (clip slider + question dropdown)
    WidgetCase("13_slowfast_x3d.ipynb", control="β (channel ratio)"),  # pathways explorer (Explorer)
]


def require_browser():
    missing = browser.missing_requirements()
    if missing:
        why = "browser test cannot run: " + "; ".join(missing)
        if browser.in_ci():
            pytest.fail(why + " (CI is set, so this fails instead of skipping)", pytrace=False)
        pytest.skip(why)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_moving_a_control_redraws_the_picture(case):
    require_browser()
    deadline = browser.Deadline(DEADLINE_S)
    res = browser.check_widget(case, ROOT / "notebooks", SHOTS, deadline)
    print(
        f"{case}: control {res.control_before!r} -> {res.control_after!r}; timings (s): "
        + ", ".join(f"{k} {v:.1f}" for k, v in res.timings.items())
    )
    assert res.control_after != res.control_before, (
        f"the control {case.control!r} did not move ({res.control_before!r})"
    )
    assert res.src_after != res.src_before, "the picture's src did not change"
    assert res.digest_after != res.digest_before, (
        "the picture got a new src but the same bytes: the widget did not redraw"
    )
    assert all(p.stat().st_size > 0 for p in res.screenshots)
    print(
        f"keyboard: {res.tabs} Tab presses to the control; accessible name {res.accessible_name!r}, "
        f"visible label {res.visible_label!r} (focused: {res.focused}); text {res.text_before!r} -> {res.text_after!r}"
    )
    if "noUi-handle" in res.focused and not res.accessible_name:
        # ipywidgets 8.1's sliders (noUiSlider) give the handle role=slider but no name, and nothing on the kernel
        # side can add one: recorded in docs/accessibility.md ("Not fixed"); the visible label still stands beside it
        print("the slider handle has no accessible name (ipywidgets upstream; see docs/accessibility.md)")
    else:
        assert res.accessible_name.strip(), "the control has no accessible name: a screen reader announces nothing"
    assert not res.accessible_name or not res.visible_label or res.visible_label in res.accessible_name, (
        f"the accessible name {res.accessible_name!r} is not the visible label {res.visible_label!r}"
    )
    assert res.text_before and res.text_after != res.text_before, (
        f"the Explorer's text line did not follow the picture: {res.text_before!r} -> {res.text_after!r}"
    )
    if case.audio:  # every sound player loaded its WAV data, and the console shows no media error
        print(f"{len(res.audio_durations)} sound players, durations (s): {res.audio_durations}")
        assert res.audio_durations and all(d > 0 for d in res.audio_durations), res.audio_durations
        media = [e for e in res.console_errors if any(w in e.lower() for w in ("audio", "media", "decode", "wav"))]
        assert not media, media


def test_closing_a_tab_ends_its_kernel_and_the_next_lesson_names_it():
    """With the course's Jupyter settings (binder/jupyter, used by scripts/lab.sh and Binder), closing a
    notebook's tab shuts its kernel down; while it is open, the next notebook's set-up report names it."""
    require_browser()
    res = browser.check_close_tab(ROOT / "notebooks", browser.Deadline(DEADLINE_S))
    print(
        f"kernels with both open: {len(res.kernels_with_both_open)}, after closing the first tab: "
        f"{len(res.kernels_after_close)}; timings (s): "
        + ", ".join(f"{k} {v:.1f}" for k, v in res.timings.items())
        + f"\nthe second notebook's set-up report:\n{res.report}"
    )
    assert len(res.kernels_with_both_open) == 2, res.kernels_with_both_open
    assert "first_lesson.ipynb" in res.report, f"the set-up report does not name the other notebook:\n{res.report}"
    assert res.kernels_after_close == [res.second_kernel], (
        f"closing the tab left its kernel running: {res.kernels_after_close}"
    )


# Hints that would turn into markup, math or a list if they were not escaped (and one plain)
TRICKY_HINTS = [
    "convert to float first, then divide by 255",
    "write prediction = <a whole number>: <b>not bold</b>, 2 * x * y, not *emphasis*, snake_case & [a](b)",
    "$x^2$ is no math here, nor \\(this\\) or $$that$$; a backslash \\ and a `$code$ span` that stays",
    "1. is no list, # nor a heading",
]


def test_exercise_hints_are_folded_in_jupyterlab():
    """A student version's hint cells render folded in JupyterLab (its sanitizer keeps <details>):
    the hint's text is hidden until the summary is clicked, then shows exactly as written."""
    import nbformat

    from vulib.exercises.student import make_student_notebook

    require_browser()
    cells = [nbformat.v4.new_markdown_cell("# Hints")]
    for k, hint in enumerate(TRICKY_HINTS):
        cells.append(
            nbformat.v4.new_code_cell(
                f"def f{k}(x):\n    # BEGIN SOLUTION\n    # HINT: {hint}\n    return x\n    # END SOLUTION"
            )
        )
    student = make_student_notebook(nbformat.v4.new_notebook(cells=cells), source_name="hints.ipynb")
    res = browser.check_folded_hints(student, browser.Deadline(DEADLINE_S), SHOTS)
    print(f"hint cells: {len(res.folded)}, folded: {res.folded}; timings (s): {res.timings}\nbefore: {res.raw}")
    assert res.folded == [True] * len(TRICKY_HINTS), res.folded
    assert res.summaries == ["Hint (open it only when stuck)"] * len(TRICKY_HINTS)
    assert res.opened == [h.replace("`", "") for h in TRICKY_HINTS], res.opened  # `...`: a code span
