#!/usr/bin/env python
"""The claim sweep: run the lessons on many seeds and record every asserted claim's margin.

    .venv/bin/python scripts/sweep_claims.py                       # every lesson, the default seeds
    .venv/bin/python scripts/sweep_claims.py 01 04 --seeds 0-39,1000-1009 --jobs 2
    .venv/bin/python scripts/sweep_claims.py --table-only          # rewrite docs/claims.md from the records

Each run executes a whole lesson in a fresh kernel (one thread, ``VULIB_SEED`` = the seed) with its
``assert`` statements turned into **recordings**: an IPython AST transformer rewrites every
``assert A and B and ...`` so that each conjunct is evaluated, its two sides recorded, and the lesson goes on
even where the claim fails.  The **margin** of a comparison is how far it is from failing, in the units of
the quantity (``acc >= 0.8`` with acc = 0.93: +0.13; ``err < 0.15`` with err = 0.2: -0.05); an assert
inside a loop keeps its smallest margin; a conjunct that is no comparison (``all(...)``, ``allclose``)
records only whether it held.

Records go to ``docs/claims/NN.jsonl`` (one line per lesson and seed, with a hash of the lesson's code and the
commit it ran on, ``+`` when ``vulib`` had uncommitted changes) and
are kept across sessions: the sweep is **resumable** (a seed already recorded for the lesson's current code
is skipped) and may run in the background for hours.  Records of older lesson code are ignored by the table;
a change to ``vulib`` that can move results needs the lesson's records deleted and the sweep run again.
A change of the lesson's code that cannot move its numbers (an import path, a checker call moved into a cell of
its own) need not cost a new sweep: ``--carry-over`` re-runs the current code on one seed of the older records
and, only when every recorded claim comes out **bit for bit** the same, copies those records to the current
code (each copy says which code and probe seed it was carried from).  A claim whose *bound* was restated
(``x >= 15 * c`` -> ``x >= 10 * c``) is carried too when its measured side is bit-identical on the probe and
both bounds are constants (see ``rebound``): each record is re-judged against the new bound.  Claims *added*
since are left out of the carried records (their seeds are counted apart in the table).
``docs/claims.md`` is regenerated after every run: per claim, the bound, the seeds swept, the margin's
min / 5th percentile / median / max, and the failures.  ``tests/test_claims_table.py`` fails when an
asserted claim of a lesson is missing from the table.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import math
import os
import re
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
RECORDS = ROOT / "docs" / "claims"
TABLE = ROOT / "docs" / "claims.md"
DEFAULT_SEEDS = "0-39,1000-1009"
RECORDER = "__vulib_claim__"
OPS = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
}


# ---------------------------------------------------------------- claims in a lesson's source
def cell_code(source: str) -> str:
    """A code cell's source as plain Python (IPython's ``%magics`` and ``!shell`` lines blanked)."""
    return "\n".join("pass" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def conjuncts(test: ast.expr) -> list[ast.expr]:
    """``A and (B and C)`` -> [A, B, C]; a chained ``a < b < c`` -> [a < b, b < c]."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return [part for value in test.values for part in conjuncts(value)]
    if isinstance(test, ast.Compare) and len(test.ops) > 1:
        sides = [test.left, *test.comparators]
        return [ast.Compare(left=sides[i], ops=[op], comparators=[sides[i + 1]]) for i, op in enumerate(test.ops)]
    return [test]


def claim_key(expr: ast.expr) -> str:
    """The name of a claim: its normalised source (what docs/claims.md lists)."""
    return ast.unparse(expr)


def lesson_claims(nb) -> list[str]:
    """Every asserted claim (conjunct) of a lesson, in order, without repeats."""
    keys = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell_code(cell.source))):
            if isinstance(node, ast.Assert):
                keys += [k for k in map(claim_key, conjuncts(node.test)) if k not in keys]
    return keys


def code_hash(nb) -> str:
    """A hash of a lesson's code cells: records of other code are stale."""
    text = "\n\x00".join(c.source for c in nb.cells if c.cell_type == "code")
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# ---------------------------------------------------------------- recording asserts in the kernel
class RecordAsserts(ast.NodeTransformer):
    """Rewrites ``assert A and B, msg`` into calls that record each conjunct and never raise."""

    def visit_Assert(self, node: ast.Assert):
        items = []
        for part in conjuncts(node.test):
            key = ast.Constant(claim_key(part))
            if isinstance(part, ast.Compare):
                left = ast.Lambda(args=_no_args(), body=part.left)
                right = ast.Lambda(args=_no_args(), body=part.comparators[0])
                items.append(ast.Tuple([key, ast.Constant(OPS[type(part.ops[0])]), left, right], ast.Load()))
            else:
                whole = ast.Lambda(args=_no_args(), body=part)
                items.append(ast.Tuple([key, ast.Constant("holds"), whole, ast.Constant(None)], ast.Load()))
        call = ast.Call(ast.Name(RECORDER, ast.Load()), [ast.List(items, ast.Load())], [])
        return ast.copy_location(ast.Expr(call), node)


def _no_args() -> ast.arguments:
    return ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[])


def _number(x):
    """A float from a Python/NumPy/torch scalar, else None."""
    try:
        if hasattr(x, "item") and getattr(x, "numel", lambda: getattr(x, "size", 1))() == 1:
            x = x.item()
        if isinstance(x, bool):
            return float(x)
        if isinstance(x, (int, float)):
            return float(x)
    except Exception:  # noqa: BLE001  (a recording never stops the lesson)
        pass
    return None


def margin(op: str, left, right):
    """How far ``left op right`` is from failing (positive: it holds); None where it has no size."""
    a, b = _number(left), _number(right)
    if a is None or b is None or math.isnan(a) or math.isnan(b):
        return None
    return {"<": b - a, "<=": b - a, ">": a - b, ">=": a - b, "==": -abs(a - b), "!=": abs(a - b)}.get(op)


def evaluate(op: str, left, right) -> bool:
    import operator

    fn = {
        "<": operator.lt,
        "<=": operator.le,
        ">": operator.gt,
        ">=": operator.ge,
        "==": operator.eq,
        "!=": operator.ne,
        "is": operator.is_,
        "is not": operator.is_not,
        "in": lambda a, b: a in b,
        "not in": lambda a, b: a not in b,
    }[op]
    return bool(fn(left, right))


def make_recorder(path: str):
    """The function the rewritten asserts call in the kernel: appends one JSON line per conjunct to ``path``."""

    def record(items):
        for key, op, left_fn, right_fn in items:
            entry = {"claim": key, "op": op}
            try:
                if op == "holds":
                    entry["ok"] = bool(left_fn())
                else:
                    left, right = left_fn(), right_fn()
                    entry.update(
                        ok=evaluate(op, left, right),
                        left=_number(left),
                        right=_number(right),
                        margin=margin(op, left, right),
                    )
            except Exception as exc:  # noqa: BLE001
                entry.update(ok=False, error=f"{type(exc).__name__}: {exc}"[:200])
            with open(path, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry) + "\n")

    return record


def install(ip, path: str) -> None:
    """Called by the cell the sweep puts first: rewrite every later cell's asserts into recordings."""
    ip.user_ns[RECORDER] = make_recorder(path)
    ip.ast_transformers.append(RecordAsserts())


# ---------------------------------------------------------------- one run, the records, the table
def run_lesson(path: Path, seed: int, timeout: int = 900) -> dict:
    """Execute lesson ``path`` on ``seed`` with recorded asserts; returns its record."""
    import nbformat
    from nbclient import NotebookClient

    sys.path.insert(0, str(ROOT / "scripts"))
    from store_outputs import storage_env

    nb = nbformat.read(path, as_version=4)
    digest = code_hash(nb)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "claims.jsonl"
        setup = (
            f"import sys; sys.path.insert(0, {str(ROOT / 'scripts')!r})\n"
            f"import sweep_claims; sweep_claims.install(get_ipython(), {str(log)!r})"
        )
        nb.cells.insert(0, nbformat.v4.new_code_cell(setup))
        env = storage_env()
        env["VULIB_SEED"] = str(seed)
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(env)
        start = time.perf_counter()
        errors = []
        try:
            client = NotebookClient(
                nb,
                timeout=timeout,
                kernel_name="python3",
                allow_errors=True,
                resources={"metadata": {"path": str(path.parent)}},
            )
            client.execute()
        except Exception as exc:  # noqa: BLE001  (a dead kernel: record what we have)
            errors.append(f"{type(exc).__name__}: {exc}"[:300])
        finally:
            os.environ.clear()
            os.environ.update(saved)
        took = time.perf_counter() - start
        for i, cell in enumerate(nb.cells[1:]):
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    errors.append(f"cell {i}: {out.ename}: {out.evalue}"[:300])
        lines = [json.loads(x) for x in log.read_text().splitlines()] if log.exists() else []
    claims: dict[str, dict] = {}
    for e in lines:  # an assert in a loop: keep its worst case
        have = claims.get(e["claim"])
        if have is None:
            claims[e["claim"]] = e
        else:
            worse = (not e["ok"] and have["ok"]) or (
                e["ok"] == have["ok"]
                and e.get("margin") is not None
                and have.get("margin") is not None
                and e["margin"] < have["margin"]
            )
            if worse:
                claims[e["claim"]] = e
    for e in claims.values():
        e.pop("claim", None)
    return {
        "lesson": path.name,
        "seed": seed,
        "code": digest,
        "seconds": round(took, 1),
        "commit": _commit(),
        "errors": errors,
        "claims": claims,
    }


def _commit() -> str:
    """The repository's commit (``+`` when the tree has changes): which vulib a record ran with."""
    import subprocess

    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "vulib"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        return head + ("+" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def records_of(lesson: str) -> list[dict]:
    path = RECORDS / f"{lesson[:2]}.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()] if path.exists() else []


def append_record(rec: dict) -> None:
    RECORDS.mkdir(parents=True, exist_ok=True)
    with open(RECORDS / f"{rec['lesson'][:2]}.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps(rec, sort_keys=True) + "\n")


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def fmt(x) -> str:
    if x is None:
        return "–"
    x = x + 0.0  # no "-0"
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def md_cell(text: str) -> str:
    """A claim's source as a markdown table cell."""
    return "`" + text.replace("|", "\\|").replace("`", "'") + "`"


def table() -> str:
    """docs/claims.md: every asserted claim of every lesson with its distribution over the swept seeds."""
    import nbformat

    out = [
        "# The claims, swept over seeds",
        "",
        "Generated by `scripts/sweep_claims.py` from the records in `docs/claims/` (do not edit by hand).",
        "Each lesson was run in a fresh kernel with one thread and `VULIB_SEED` = each seed, its asserts",
        "recorded instead of raised. **Margin** = how far the claim is from failing, in the quantity's units",
        "(positive: it holds); for a claim that is no comparison only failures are counted. Only records of",
        "the lesson's current code count. Every asserted claim of the lessons is listed (checked by",
        "`tests/test_claims_table.py`); a claim with 0 seeds has not been swept since its code changed.",
        "",
    ]
    summary = []
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        digest = code_hash(nb)
        recs = [r for r in records_of(path.name) if r["code"] == digest]
        seeds = sorted({r["seed"] for r in recs})
        recs = list({r["seed"]: r for r in recs}.values())
        out += [
            f"## {path.stem}",
            "",
            f"Seeds swept for the current code: {len(seeds)}"
            + (f" ({_ranges(seeds)})" if seeds else "")
            + "; "
            + (
                f"median run {percentile([r['seconds'] for r in recs], 0.5):.0f} s; runs with a cell error: "
                f"{sum(bool(r['errors']) for r in recs)}."
                if recs
                else "no records yet."
            ),
            "",
            "| claim | seeds | failures | margin min | 5 % | median | max | measured (left side) | failing seeds |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        fails_total = 0
        for key in lesson_claims(nb):
            got = [(r["seed"], r["claims"][key]) for r in recs if key in r["claims"]]
            margins = [e["margin"] for _, e in got if e.get("margin") is not None]
            failing = sorted(s for s, e in got if not e["ok"])
            fails_total += len(failing)
            stats = (
                [fmt(min(margins)), fmt(percentile(margins, 0.05)), fmt(percentile(margins, 0.5)), fmt(max(margins))]
                if margins
                else ["–"] * 4
            )
            lefts = [e["left"] for _, e in got if e.get("left") is not None]
            measured = f"{fmt(min(lefts))} … {fmt(max(lefts))}" if lefts else "–"
            out.append(
                f"| {md_cell(key)} | {len(got)} | {len(failing)} | "
                + " | ".join(stats)
                + f" | {measured} | {_ranges(failing) if failing else ''} |"
            )
        summary.append(f"| {path.stem} | {len(seeds)} | {len(lesson_claims(nb))} | {fails_total} |")
        out.append("")
    head = [
        "## Summary",
        "",
        "| lesson | seeds swept | claims | failed (claim, seed) pairs |",
        "|---|---|---|---|",
        *summary,
        "",
    ]
    return "\n".join(out[:9] + head + out[9:]) + "\n"


def _ranges(seeds: list[int]) -> str:
    """[0, 1, 2, 5] -> '0-2, 5'."""
    parts, start = [], None
    for i, s in enumerate(seeds):
        if start is None:
            start = s
        if i + 1 == len(seeds) or seeds[i + 1] != s + 1:
            parts.append(f"{start}" if start == s else f"{start}-{s}")
            start = None
    return ", ".join(parts)


def parse_seeds(text: str) -> list[int]:
    """'0-39,1000-1009' -> [0, ..., 39, 1000, ..., 1009]."""
    seeds = []
    for part in text.split(","):
        lo, _, hi = part.strip().partition("-")
        if not lo.isdigit() or (hi and not hi.isdigit()):
            raise argparse.ArgumentTypeError(f"seeds look like 0-39,1000-1009; got {text!r}")
        seeds += list(range(int(lo), int(hi or lo) + 1))
    return seeds


def write_table() -> None:
    tmp = TABLE.with_suffix(".md.tmp")
    tmp.write_text(table(), encoding="utf-8")
    tmp.replace(TABLE)


# Claims on measured time differ in the last bits on every run, so carry-over compares only their verdict.
# A timed claim names its unit: ``ms``, ``step_ms``, ``seconds``, ``ns_per_mac``.
TIMED = re.compile(r"\bms\b|\w_ms\b|\bseconds\b|\w_seconds\b|\b(?:ns|us|ms|s)_per_\w+")


def _verdicts(claims: dict) -> dict:
    """What must match bit for bit: each claim's record, or only its verdict for a claim on timings."""
    return {
        k: {f: v.get(f) for f in (("ok",) if TIMED.search(k) else ("ok", "left", "right", "margin"))}
        for k, v in claims.items()
    }


def _sides(key: str):
    """A comparison claim's (left source, op, right expression); None for a claim that is no comparison."""
    expr = ast.parse(key, mode="eval").body
    if not (isinstance(expr, ast.Compare) and len(expr.ops) == 1):
        return None
    return ast.unparse(expr.left), OPS[type(expr.ops[0])], expr.comparators[0]


def _constant_bound(expr: ast.expr) -> bool:
    """A bound made of numbers, names and subscripts (``0.25``, ``10 * chance[1]``, ``CHANCE['motion']``): no call."""
    allowed = (ast.Constant, ast.Name, ast.Subscript, ast.BinOp, ast.UnaryOp, ast.operator, ast.unaryop, ast.Load)
    return all(isinstance(n, allowed) for n in ast.walk(expr))


def _signed_constant(expr: ast.expr):
    """``E - 0.15`` -> (``E``'s source, -0.15); ``E + c`` -> (E, c); anything else -> None."""
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Add, ast.Sub)):
        if isinstance(expr.right, ast.Constant) and isinstance(expr.right.value, (int, float)):
            sign = 1 if isinstance(expr.op, ast.Add) else -1
            return ast.unparse(expr.left), sign * expr.right.value
    return None


def rebound(new: dict, old: dict, group: dict) -> dict | None:
    """Claims restated with another bound or comparison but the same measured side: {new key: how}, or None.

    A restated claim measures the same ``x`` as before, so its records can be carried and re-judged, when the
    probe's ``x`` is bit-identical to the old record's and the new bound's value on every old seed is known:
    ``"same"``  the bound's expression is unchanged (only the comparison changed: ``a > b`` -> ``a >= b``);
    ``"const"`` both bounds are constant expressions (numbers, names, subscripts; no call) and the old one had
    one value on every recorded seed (``x >= 15 * c`` -> ``x >= 10 * c``): the new one is the probe's;
    ``"shift"`` the bound moved by a number (``y - 0.15`` -> ``y - 0.05``): old bound + the difference, checked
    on the probe.  Each value is ``(old key, how, parameter)``.
    """
    gone = [k for k in old["claims"] if k not in new["claims"]]
    pairs = {}
    for key in (k for k in new["claims"] if k not in old["claims"]):
        sides = _sides(key)
        match = [g for g in gone if sides is not None and (_sides(g) or (None,))[0] == sides[0]]
        if not match:
            continue  # a claim added since: see ``added_claims``
        if TIMED.search(key) or len(match) != 1:
            return None
        was = match[0]
        now_c, old_c = new["claims"][key], old["claims"][was]
        if now_c.get("left") != old_c.get("left"):
            return None
        right, old_right = sides[2], _sides(was)[2]
        shift, old_shift = _signed_constant(right), _signed_constant(old_right)
        if ast.unparse(right) == ast.unparse(old_right):
            if now_c.get("right") != old_c.get("right"):
                return None
            pairs[key] = (was, "same", None)
        elif shift and old_shift and shift[0] == old_shift[0]:
            delta = shift[1] - old_shift[1]
            a, b = _number(now_c.get("right")), _number(old_c.get("right"))
            if a is None or b is None or abs(a - (b + delta)) > 1e-9 * max(1.0, abs(a)):
                return None
            pairs[key] = (was, "shift", delta)
        elif _constant_bound(right) and _constant_bound(old_right):
            if len({json.dumps(r["claims"].get(was, {}).get("right")) for r in group.values()}) != 1:
                return None
            pairs[key] = (was, "const", now_c.get("right"))
        else:
            return None
    if len(pairs) != len(gone):
        return None
    return pairs


def added_claims(new: dict, old: dict, pairs: dict) -> list[str]:
    """Claims of the current code that the older code did not assert (not re-bounded ones).

    Older records are carried for the claims both codes share; an added claim has no value on those seeds,
    so ``docs/claims.md`` counts its seeds apart (only the runs of the current code).
    """
    return [k for k in new["claims"] if k not in old["claims"] and k not in pairs]


def _rejudged(claims: dict, pairs: dict, probe_claims: dict) -> dict:
    """``claims`` (an old record's) with each restated claim (see ``rebound``) judged against its new bound."""
    out = {k: v for k, v in claims.items() if k not in {was for was, _, _ in pairs.values()}}
    for key, (was, how, param) in pairs.items():
        left, op, right = claims[was]["left"], _sides(key)[1], claims[was]["right"]
        if how == "const":
            right = param
        elif how == "shift":
            right = _number(right) + param
        out[key] = {
            "ok": evaluate(op, left, right),
            "op": op,
            "left": left,
            "right": right,
            "margin": margin(op, left, right),
            "rebound_from": was,
        }
    return out


def carry_over(path: Path) -> str:
    """Carry the records of ``path``'s older code versions over to its current code, where they still hold.

    For each older code (newest first) with seeds the current code lacks, one seed is compared: a seed already
    recorded for the current code if there is one, else a new run of the current lesson. Every claim's record
    (``ok``, ``left``, ``right``, ``margin``; only ``ok`` for a claim on timings) must be identical and the
    claims the same set; only then are that code's records copied (with ``carried_from`` and ``probe_seed``).
    Returns one report line per older code.
    """
    import nbformat

    digest = code_hash(nbformat.read(path, as_version=4))
    recs = records_of(path.name)
    codes = list(dict.fromkeys(r["code"] for r in reversed(recs) if r["code"] != digest))  # newest first
    if not codes:
        return f"{path.name}: no records of older code"
    lines = []
    for old_code in codes:
        current = {r["seed"]: r for r in records_of(path.name) if r["code"] == digest}
        group = {r["seed"]: r for r in recs if r["code"] == old_code}
        todo = sorted(set(group) - set(current))
        if not todo:
            lines.append(f"{path.name}: every seed of code {old_code} is already recorded for the current code")
            continue
        shared = sorted(set(group) & set(current))
        probe = shared[0] if shared else min(group)
        new = current.get(probe) or run_lesson(path, probe)
        if probe not in current:
            append_record(new)
        old = group[probe]
        pairs = rebound(new, old, group) or {}
        if pairs:  # compare the probe with its own old record re-judged against the new bounds
            old = dict(old, claims=_rejudged(old["claims"], pairs, new["claims"]))
            for key, (_, how, _) in pairs.items():  # a shifted bound was checked to 1e-9 by ``rebound``
                if how == "shift":
                    old["claims"][key].update({f: new["claims"][key][f] for f in ("right", "margin")})
        added = added_claims(new, old, pairs)
        common = {k: v for k, v in new["claims"].items() if k not in added}
        if _verdicts(common) != _verdicts(old["claims"]) or new["errors"]:
            a, b = _verdicts(common), _verdicts(old["claims"])
            diff = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            lines.append(
                f"{path.name}: NOT carried over: seed {probe} differs from code {old_code} in "
                f"{len(diff)} claim(s), e.g. {diff[:2]}; sweep again"
            )
            continue
        for seed in todo:
            if seed != probe:
                rec = dict(group[seed], code=digest, carried_from=old_code, probe_seed=probe)
                if pairs:
                    rec["claims"] = _rejudged(rec["claims"], pairs, new["claims"])
                append_record(rec)
        lines.append(
            f"{path.name}: {len([t for t in todo if t != probe])} records carried over from code {old_code} "
            f"(seed {probe} identical in all {len(new['claims'])} claims"
            + (f"; re-judged against new bounds: {sorted(pairs)}" if pairs else "")
            + (f"; added since, not carried: {added}" if added else "")
            + ")"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    import nbformat

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("lessons", nargs="*", help="lesson numbers (01 04) or notebook paths; default: all")
    ap.add_argument("--seeds", type=parse_seeds, default=parse_seeds(DEFAULT_SEEDS))
    ap.add_argument("--jobs", type=int, default=1, help="lessons run at once (one thread each)")
    ap.add_argument("--table-only", action="store_true", help="only rewrite docs/claims.md")
    ap.add_argument(
        "--carry-over",
        action="store_true",
        help="copy older code's records to the current code where one probe seed is bit-identical",
    )
    args = ap.parse_args(argv)
    if args.table_only:
        write_table()
        return 0
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if args.lessons:
        wanted = {Path(x).name[:2] for x in args.lessons}
        paths = [p for p in paths if p.name[:2] in wanted]
    if args.carry_over:
        for p in paths:
            print(carry_over(p), flush=True)
        write_table()
        return 0
    todo = []
    for seed in args.seeds:  # seed-major: every lesson gets its first seeds early
        for p in paths:
            digest = code_hash(nbformat.read(p, as_version=4))
            if not any(r["code"] == digest and r["seed"] == seed for r in records_of(p.name)):
                todo.append((p, seed))
    print(f"{len(todo)} runs to do ({len(paths)} lessons x {len(args.seeds)} seeds, minus those recorded)", flush=True)
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(run_lesson, p, s): (p, s) for p, s in todo}
        for fut in as_completed(futures):
            p, s = futures[fut]
            try:
                rec = fut.result()
            except Exception as exc:  # noqa: BLE001
                print(f"{p.name} seed {s}: the run failed: {exc}", flush=True)
                continue
            append_record(rec)
            bad = [k for k, e in rec["claims"].items() if not e["ok"]]
            print(
                f"{p.name} seed {s}: {rec['seconds']:.0f} s, {len(rec['claims'])} claims, "
                f"{len(bad)} failed{': ' + '; '.join(bad)[:300] if bad else ''}"
                f"{'; errors: ' + rec['errors'][0][:200] if rec['errors'] else ''}",
                flush=True,
            )
            write_table()
    write_table()
    return 0


if __name__ == "__main__":
    sys.exit(main())
