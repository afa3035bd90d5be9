"""The habits, checked: ruff (lint and format) and the import rules of pyproject.toml (import-linter).

ruff lints vulib/, tests/, scripts/ and the notebooks' code cells, and checks the formatting of the
Python files (the notebooks' cells are laid out by hand and only linted). lint-imports checks the
layers of vulib and that the models never import training or data loading. The tools are pinned in
pyproject.toml's `test` extra; without them (a bare environment) these tests are skipped.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return path


def _run(*cmd: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)


def test_ruff_lint_is_clean() -> None:
    proc = _run(_tool("ruff"), "check", "--no-cache", "vulib", "tests", "scripts", "notebooks")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_format_is_clean() -> None:
    proc = _run(_tool("ruff"), "format", "--check", "--no-cache", "vulib", "tests", "scripts")
    assert proc.returncode == 0, "run `ruff format vulib tests scripts`:\n" + proc.stdout + proc.stderr


def test_import_rules_hold() -> None:
    proc = _run(_tool("lint-imports"), "--no-cache")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout
