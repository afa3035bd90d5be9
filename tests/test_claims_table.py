"""docs/claims.md lists every asserted claim of every lesson (scripts/sweep_claims.py writes it).

The sweep itself is slow (hours) and runs by hand; this test only catches a table that has fallen behind
the lessons: a new or changed ``assert`` must be swept (or at least listed) before it lands.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import sweep_claims  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_every_claim_is_in_the_table(path):
    table = (ROOT / "docs" / "claims.md").read_text(encoding="utf-8")
    section = table.split(f"## {path.stem}\n", 1)
    assert len(section) == 2, f"docs/claims.md has no section for {path.stem}: run scripts/sweep_claims.py"
    section = section[1].split("\n## ", 1)[0]
    missing = [
        k
        for k in sweep_claims.lesson_claims(nbformat.read(path, as_version=4))
        if sweep_claims.md_cell(k) not in section
    ]
    assert not missing, (
        f"{path.name}: asserted claims missing from docs/claims.md (run "
        f".venv/bin/python scripts/sweep_claims.py {path.name[:2]}, or --table-only): {missing}"
    )


def test_asserts_become_recordings(tmp_path):
    import ast

    log = tmp_path / "log.jsonl"
    ns = {sweep_claims.RECORDER: sweep_claims.make_recorder(str(log))}
    tree = sweep_claims.RecordAsserts().visit(ast.parse("acc = 0.7\nassert acc >= 0.8 and 0 < acc < 1, acc"))
    exec(compile(ast.fix_missing_locations(tree), "<cell>", "exec"), ns)  # no AssertionError: recorded
    rows = [__import__("json").loads(x) for x in log.read_text().splitlines()]
    assert [(r["claim"], r["ok"]) for r in rows] == [("acc >= 0.8", False), ("0 < acc", True), ("acc < 1", True)]
    assert abs(rows[0]["margin"] + 0.1) < 1e-9 and abs(rows[2]["margin"] - 0.3) < 1e-9


def test_seed_ranges():
    assert sweep_claims.parse_seeds("0-2,1000") == [0, 1, 2, 1000]
    assert sweep_claims._ranges([0, 1, 2, 5, 7, 8]) == "0-2, 5, 7-8"
    with pytest.raises(Exception, match="seeds look like"):
        sweep_claims.parse_seeds("a-b")


def _lesson(tmp_path, code):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    path = tmp_path / "99_toy.ipynb"
    nbformat.write(nb, path)
    return path


def _rec(code, seed, acc, ms=5.0):
    return {
        "lesson": "99_toy.ipynb",
        "seed": seed,
        "code": code,
        "seconds": 1.0,
        "commit": "x",
        "errors": [],
        "claims": {
            "acc >= 0.5": {"ok": acc >= 0.5, "op": ">=", "left": acc, "right": 0.5, "margin": acc - 0.5},
            "max(ms) < 100": {"ok": True, "op": "<", "left": ms, "right": 100, "margin": 100 - ms},
        },
    }


@pytest.mark.parametrize("probe_acc, carried", [(0.75, True), (0.7500001, False)])
def test_carry_over_copies_records_only_when_the_probe_is_bit_identical(tmp_path, monkeypatch, probe_acc, carried):
    monkeypatch.setattr(sweep_claims, "RECORDS", tmp_path / "claims")
    path = _lesson(tmp_path, "import vulib\nassert acc >= 0.5")
    for seed, acc in ((0, 0.75), (1, 0.8), (2, 0.9)):
        sweep_claims.append_record(_rec("old", seed, acc))
    digest = sweep_claims.code_hash(nbformat.read(path, as_version=4))
    monkeypatch.setattr(sweep_claims, "run_lesson", lambda p, s: _rec(digest, s, probe_acc, ms=7.0))  # timings differ
    report = sweep_claims.carry_over(path)
    now = [r for r in sweep_claims.records_of(path.name) if r["code"] == digest]
    if carried:
        assert "2 records carried over" in report, report
        assert sorted(r["seed"] for r in now) == [0, 1, 2]
        assert all(r.get("carried_from") == "old" and r.get("probe_seed") == 0 for r in now if r["seed"])
    else:
        assert "NOT carried over" in report and "acc >= 0.5" in report, report
        assert [r["seed"] for r in now] == [0]  # only the probe run itself is kept


def _rebound_rec(code, seed, acc, key, bound, op=">="):
    rec = _rec(code, seed, acc)
    del rec["claims"]["acc >= 0.5"]
    ok = sweep_claims.evaluate(op, acc, bound)
    rec["claims"][key] = {
        "ok": ok,
        "op": op,
        "left": acc,
        "right": bound,
        "margin": sweep_claims.margin(op, acc, bound),
    }
    return rec


@pytest.mark.parametrize("new_bound, left_moves, carried", [("0.55", False, True), ("0.55", True, False)])
def test_carry_over_rejudges_a_restated_bound(tmp_path, monkeypatch, new_bound, left_moves, carried):
    monkeypatch.setattr(sweep_claims, "RECORDS", tmp_path / "claims")
    path = _lesson(tmp_path, f"import vulib\nassert acc > {new_bound}")
    for seed, acc in ((0, 0.75), (1, 0.52), (2, 0.9)):
        sweep_claims.append_record(_rebound_rec("old", seed, acc, "acc >= 0.6", 0.6))
    digest = sweep_claims.code_hash(nbformat.read(path, as_version=4))
    probe_acc = 0.7500001 if left_moves else 0.75
    monkeypatch.setattr(
        sweep_claims,
        "run_lesson",
        lambda p, s: _rebound_rec(digest, s, probe_acc, f"acc > {new_bound}", float(new_bound), op=">"),
    )
    report = sweep_claims.carry_over(path)
    now = {r["seed"]: r for r in sweep_claims.records_of(path.name) if r["code"] == digest}
    if carried:
        assert "re-judged against new bounds" in report, report
        assert sorted(now) == [0, 1, 2]
        claim = now[1]["claims"]["acc > 0.55"]  # 0.52 failed the old bound 0.6 and fails the new one too
        assert claim["ok"] is False and abs(claim["margin"] + 0.03) < 1e-9 and claim["rebound_from"] == "acc >= 0.6"
        assert now[2]["claims"]["acc > 0.55"]["ok"] is True and "acc >= 0.6" not in now[2]["claims"]
    else:
        assert "NOT carried over" in report, report
        assert sorted(now) == [0]


def test_carry_over_leaves_added_claims_out(tmp_path, monkeypatch):
    monkeypatch.setattr(sweep_claims, "RECORDS", tmp_path / "claims")
    path = _lesson(tmp_path, "import vulib\nassert acc >= 0.5\nassert n == 3")
    for seed, acc in ((0, 0.75), (1, 0.8)):
        sweep_claims.append_record(_rec("old", seed, acc))
    digest = sweep_claims.code_hash(nbformat.read(path, as_version=4))

    def probe(p, s):
        rec = _rec(digest, s, 0.75)
        rec["claims"]["n == 3"] = {"ok": True, "op": "==", "left": 3, "right": 3, "margin": 0}
        return rec

    monkeypatch.setattr(sweep_claims, "run_lesson", probe)
    report = sweep_claims.carry_over(path)
    now = {r["seed"]: r for r in sweep_claims.records_of(path.name) if r["code"] == digest}
    assert "1 records carried over" in report and "added since, not carried: ['n == 3']" in report, report
    assert "n == 3" in now[0]["claims"] and "n == 3" not in now[1]["claims"]
    assert now[1]["claims"]["acc >= 0.5"]["left"] == 0.8


def test_rebound_same_bound_and_shifted_bound():
    def rec(claims):
        return {"claims": claims}

    def c(op, left, right):
        return {"ok": sweep_claims.evaluate(op, left, right), "op": op, "left": left, "right": right}

    old = rec({"a > b": c(">", 0.5, 0.5), "g2 <= g1 - 0.15": c("<=", 0.1, 0.3)})
    new = rec({"a >= b": c(">=", 0.5, 0.5), "g2 <= g1 - 0.05": c("<=", 0.1, 0.4)})
    pairs = sweep_claims.rebound(new, old, {0: old})
    assert pairs["a >= b"] == ("a > b", "same", None)
    assert pairs["g2 <= g1 - 0.05"][:2] == ("g2 <= g1 - 0.15", "shift")
    rejudged = sweep_claims._rejudged(old["claims"], pairs, new["claims"])
    assert rejudged["a >= b"]["ok"] is True and abs(rejudged["g2 <= g1 - 0.05"]["right"] - 0.4) < 1e-12
    moved = rec({"a >= b": c(">=", 0.5, 0.6), "g2 <= g1 - 0.05": c("<=", 0.1, 0.4)})
    assert sweep_claims.rebound(moved, old, {0: old}) is None  # the bound's value moved: not the same claim


@pytest.mark.parametrize(
    "key, timed",
    [
        ("max(ms) < 100", True),
        ("step_ms['TSM'] < step_ms['3D CNN']", True),
        ("ns_per_mac['depthwise'] >= 3 * ns_per_mac['dense']", True),
        ("total_seconds < 2", True),
        ("gap_timed > 0.001", False),  # a name with "time" in it is no timing
        ("acc['+ non-local, time offsets'] >= 0.9", False),
        ("len(msgs) == 3", False),
    ],
)
def test_timed_claims_are_known_by_their_unit(key, timed):
    assert bool(sweep_claims.TIMED.search(key)) is timed
