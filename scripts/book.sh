#!/usr/bin/env bash
# The course website: every notebooks/NN_*.ipynb as committed (outputs stored, nothing re-run),
# the README's course table as landing page, each lesson's reveal.js slides included.
#   bash scripts/book.sh [--out DIR]     -> _build/html/index.html (open it in a browser)
# The first run creates ./.venv with the pinned packages (a few minutes).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
cd "$ROOT"
exec python scripts/book.py "$@"
