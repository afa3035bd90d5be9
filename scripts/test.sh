#!/usr/bin/env bash
# README command 2: the unit tests, the browser test of the widgets (installs Debian's
# Chromium first when missing and root) and every notebook (run by nbval, outputs
# compared with the stored ones) in one pytest run.
#   bash scripts/test.sh [extra pytest options, e.g. -x or -k tensors]
# The first run creates ./.venv with the pinned packages (a few minutes).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
cd "$ROOT"
bash scripts/_browser.sh  # Debian's Chromium for tests/test_browser.py, when missing
# Checkers record passed exercises for self-study (vulib.exercises.selfstudy): in a test run,
# into a throw-away file (its folder is removed when the run ends), never into the home folder.
progress_dir="$(mktemp -d)"
trap 'rm -rf "$progress_dir"' EXIT
export VULIB_PROGRESS_FILE="$progress_dir/progress.json"
# A headless matplotlib backend for this run only (not in _env.sh, which JupyterLab
# also uses).  Not plain "Agg": nbval's kernels inherit this variable, and under Agg
# they would show no figures, so every cell with a stored plot would fail.  The
# inline backend draws with Agg, never opens a window, and is what ipykernel picks.
# -n 2 --dist loadfile: two workers, each notebook whole in one of them.
MPLBACKEND=module://matplotlib_inline.backend_inline python -m pytest \
    tests notebooks --nbval --nbval-current-env \
    --nbval-sanitize-with notebooks/nbval-sanitize.cfg \
    -n 2 --dist loadfile -p no:cacheprovider "$@"
