"""The widgets of lessons 10-12 in a real browser: the same check as tests/test_browser.py.

A file of its own only for speed: the test command runs two pytest-xdist workers that each take
whole files (``--dist loadfile``), and every case runs its whole notebook in JupyterLab, so the
cases are split over two files to run side by side.
"""

import pytest
import test_browser

CASES = test_browser.LATER_CASES  # defined beside the other cases


@pytest.mark.parametrize("case", CASES, ids=str)
def test_moving_a_control_redraws_the_picture(case):
    test_browser.test_moving_a_control_redraws_the_picture(case)
