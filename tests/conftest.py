"""Session-wide settings for the tests.

Every checker records a passed exercise for self-study (vulib.exercises.selfstudy); the tests
run checkers hundreds of times, so they record into a throw-away file, never into the home
directory.  Set at import, so that kernels started by the tests (nbval, nbclient, nbgrader)
inherit it too.  scripts/test.sh sets the same variable for the notebooks it runs.
"""

import os
import tempfile
from pathlib import Path

if "VULIB_PROGRESS_FILE" not in os.environ:
    os.environ["VULIB_PROGRESS_FILE"] = str(Path(tempfile.mkdtemp(prefix="vulib-progress-")) / "progress.json")
