# Sourced by scripts/lab.sh and scripts/test.sh: make sure ./.venv exists and holds
# vulib with the pinned packages from pyproject.toml.  The first run creates it
# (a few minutes); later runs only compare a stamp and return at once.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"
stamp_now="$(cat "$ROOT/pyproject.toml" "$ROOT/scripts/_env.sh" | sha256sum | cut -d' ' -f1)"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.vulib-stamp" 2>/dev/null)" != "$stamp_now" ]; then
    echo "[vulib] setting up $VENV (first run only; a few minutes)..."
    "$PY" -c 'import sys; assert sys.version_info >= (3, 10), "vulib needs Python >= 3.10"'
    [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    # torch first and alone, pinned: a CPU build where the machine offers one.
    torch_pin="$(grep -o '"torch==[^"]*"' "$ROOT/pyproject.toml" | tr -d '"')"
    "$VENV/bin/python" -m pip install --quiet "$torch_pin"
    "$VENV/bin/python" -m pip install --quiet -e "$ROOT[lab,test,book,classroom]"
    "$VENV/bin/python" -m ipykernel install --sys-prefix --name vulib --display-name "Python (vulib)" >/dev/null
    echo "$stamp_now" > "$VENV/.vulib-stamp"
    echo "[vulib] environment ready."
fi
export PATH="$VENV/bin:$PATH"
