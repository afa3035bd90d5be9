#!/usr/bin/env bash
# Static reveal.js slides of every lesson (also part of the book): one HTML file per notebook,
# reveal.js beside them, nothing loaded from the network.
#   bash scripts/slides.sh [--out DIR]   -> _build/slides/NN_name.slides.html
# Live slides, whose cells run during the lecture: open a notebook with `bash scripts/lab.sh`
# and press Alt+R (RISE), or View -> Render as slideshow.  See docs/teaching.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
cd "$ROOT"
exec python scripts/book.py --slides "$@"
