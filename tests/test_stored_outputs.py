"""Guard: no stored output that nbval compares may depend on floating-point paths.

nbval compares a cell's stored text output with a fresh run's.  torch picks its CPU kernels by the
processor's instruction set and the thread count, so anything trained, timed or computed from random data
ends a few last bits apart on another machine -- and a trained accuracy printed to three digits often
differs.  Such a cell is tagged ``nbval-ignore-output`` and carries its claim as an ``assert``.

The rule, checked on every compared cell's stored text (stream, plain text and error messages):

* no number in scientific notation (a ``3.0e-07`` is rounding noise by nature);
* no number with a fractional part, and no duration (``12 ms``, ``3 s``), unless the cell is tagged
  ``exact-numbers``: its numbers come from exact formulas on typed inputs (bytes per minute, parameter
  and multiply-add counts, a worked example), never from training, timing or random data -- so an
  ``exact-numbers`` cell must not train or time anything either.

CONTRIBUTING.md ("Stored outputs") explains the rule; ``scripts/check_portability.sh`` is the slow,
empirical check that the rule is enough.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
IGNORED_TAGS = {"nbval-ignore-output", "nbval-skip"}
IGNORED_MARKERS = ("# NBVAL_IGNORE_OUTPUT", "# NBVAL_SKIP")
EXACT_TAG = "exact-numbers"

SCIENTIFIC = re.compile(r"(?<![\w.])\d+(?:\.\d+)?e[-+]?\d+\b", re.IGNORECASE)
DECIMAL = re.compile(r"(?<![\w.])-?\d*\.\d+(?![\w.])")
DURATION = re.compile(r"(?<![\w.])\d+(?:\.\d+)?\s?(?:ms|µs|us|s|sec|seconds|min|minutes)\b")
TRAINS_OR_TIMES = re.compile(r"\bfit\w*\(|\btrain\w*\(|\.backward\(|\.step\(\)|perf_counter|\btime\.time\(|timeit")


def output_text(cell) -> str:
    """The text nbval compares for ``cell``: streams, plain-text results and error messages."""
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type in ("execute_result", "display_data"):
            parts.append(out.get("data", {}).get("text/plain", ""))
        elif out.output_type == "error":
            parts.append(f"{out.ename}: {out.evalue}")
    return "\n".join(parts)


def is_compared(cell) -> bool:
    """Whether nbval compares this code cell's outputs."""
    if cell.cell_type != "code" or not cell.get("outputs"):
        return False
    if IGNORED_TAGS & set(cell.metadata.get("tags", [])):
        return False
    return not any(marker in cell.source for marker in IGNORED_MARKERS)


def problems(text: str, *, exact: bool) -> list[str]:
    """What in a compared output ``text`` may differ between machines (empty: nothing)."""
    found = [f"scientific notation {m!r}" for m in SCIENTIFIC.findall(text)]
    if not exact:
        found += [f"a fractional number {m!r}" for m in DECIMAL.findall(text)]
        found += [f"a duration {m.group(0)!r}" for m in DURATION.finditer(text)]
    return found


def cell_problems(cell) -> list[str]:
    """Problems of one cell: its compared output, and an ``exact-numbers`` tag where it cannot hold."""
    exact = EXACT_TAG in cell.metadata.get("tags", [])
    found = problems(output_text(cell), exact=exact) if is_compared(cell) else []
    if exact and TRAINS_OR_TIMES.search(cell.source):
        found.append(f"tagged {EXACT_TAG!r} but trains or times: {TRAINS_OR_TIMES.search(cell.source)[0]!r}")
    if exact and not is_compared(cell):
        found.append(f"tagged {EXACT_TAG!r} but its output is not compared")
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_compared_outputs_hold_on_any_machine(path):
    nb = nbformat.read(path, as_version=4)
    bad = [f"cell {i}: {', '.join(p[:3])}" for i, cell in enumerate(nb.cells) if (p := cell_problems(cell))]
    assert not bad, (
        f"{path.name}: stored outputs that nbval compares depend on floating-point paths (they will not match "
        "on another CPU or thread count). Tag the cell 'nbval-ignore-output' and assert its claim, or, if its "
        f"numbers come from exact formulas, tag it '{EXACT_TAG}' (see CONTRIBUTING.md):\n  " + "\n  ".join(bad)
    )


@pytest.mark.parametrize(
    "text, exact, flagged",
    [
        ("TSN     accuracy 0.515   parameters  7,306", False, True),
        ("max difference 3.0e-07", True, True),
        ("loss 1.440 -> 0.121", False, True),
        ("per-frame latency: 12 ms", False, True),
        ("one clip: (3, 8, 24, 32)  a batch: (1, 3, 8, 24, 32)", False, False),
        ("single-frame            3,826", False, False),
        ("SD 640x480, 30 fps, 1 min:    1.54 GiB", True, False),
        ("v1.2 of the model", False, False),
    ],
)
def test_the_rule(text, exact, flagged):
    assert bool(problems(text, exact=exact)) is flagged, problems(text, exact=exact)


def test_a_trained_number_in_a_compared_cell_is_caught():
    cell = nbformat.v4.new_code_cell("acc = fit(model)\nprint(f'accuracy {acc:.3f}')")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="accuracy 0.842\n")]
    assert cell_problems(cell)
    cell.metadata["tags"] = [EXACT_TAG]
    assert any("trains or times" in p for p in cell_problems(cell))
    cell.metadata["tags"] = ["nbval-ignore-output"]
    assert not cell_problems(cell)
