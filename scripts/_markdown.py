"""Shared by the benchmark scripts: put a generated table into a Markdown page between markers."""

from __future__ import annotations

from pathlib import Path


def replace_block(path: Path, name: str, text: str) -> None:
    """Replace what lies between ``<!-- name:start -->`` and ``<!-- name:end -->`` in ``path`` with
    ``text`` (the markers are appended when missing; the file is created when absent)."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    old = path.read_text() if path.exists() else ""
    if start not in old or end not in old:
        old = old.rstrip("\n") + ("\n\n" if old else "") + f"{start}\n{end}\n"
    head, _, rest = old.partition(start)
    _, _, tail = rest.partition(end)
    path.write_text(f"{head}{start}\n{text}\n{end}{tail}")
