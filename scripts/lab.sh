#!/usr/bin/env bash
# README command 1: start JupyterLab on the course notebooks.
#   bash scripts/lab.sh [extra jupyter lab options, e.g. --port 8889 --no-browser]
# The first run creates ./.venv with the pinned packages (a few minutes).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
cd "$ROOT"
extra=()
if [ "$(id -u)" -eq 0 ]; then extra+=(--allow-root); fi  # Jupyter refuses root without it
# New notebooks get the "Python (vulib)" kernel; the course notebooks ask for
# "python3", which is this same .venv's Python, so vulib imports in both.
# binder/start adds the course's Jupyter settings (binder/jupyter: a kernel ends when its tab
# is closed, idle kernels are culled, no news pop-up), exactly as on Binder.
exec bash "$ROOT/binder/start" jupyter lab --notebook-dir="$ROOT/notebooks" \
    --MappingKernelManager.default_kernel_name=vulib "${extra[@]}" "$@"
