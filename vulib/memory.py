"""How much memory this kernel may still use, and who else is using it.

A learner on Binder has 2 GB for *everything*: the Jupyter server and every kernel it runs.
JupyterLab keeps a notebook's kernel alive after its tab is closed unless told otherwise
(the course's settings in ``binder/jupyter/`` tell it), so a forgotten kernel from an earlier
lesson can leave too little for the next one, and the kernel then dies with no explanation.
The set-up cell of every notebook prints :func:`memory_report` (through
:func:`vulib.environment_summary`), which says how much is free and, when other kernels of
the same Jupyter server hold a lot of it, which notebooks they belong to and what to do.

Everything here is read from Linux's ``/proc`` and cgroup files; elsewhere the functions
return what they can (``None`` or an empty list) and never raise.
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "MemoryStatus",
    "KernelMemory",
    "memory_status",
    "process_rss",
    "other_kernels",
    "memory_advice",
    "memory_report",
    "release_freed_memory",
    "release_after_each_cell",
    "LESSON_BUDGET",
]

LESSON_BUDGET = int(1.5 * 2**30)  # the most a lesson may use at its peak (the course's budget)
_UNLIMITED = 2**60  # cgroup v1 writes ~2**63 for "no limit"


@dataclass(frozen=True)
class MemoryStatus:
    """Memory this process may use: ``total`` bytes, of which ``used`` are in use.

    ``source`` says where the numbers come from: ``"cgroup v2"`` / ``"cgroup v1"`` (a container's
    limit, as on Binder) or ``"system"`` (the machine's RAM). Reclaimable file cache is not counted
    as used.
    """

    total: int
    used: int
    source: str

    @property
    def available(self) -> int:
        return max(0, self.total - self.used)


@dataclass(frozen=True)
class KernelMemory:
    """Another kernel of this Jupyter server: its process id, resident bytes and notebook (if known)."""

    pid: int
    rss: int
    notebook: str | None = None


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def _stat_value(text: str | None, key: str) -> int | None:
    m = re.search(rf"^{key} (\d+)$", text or "", re.M)
    return int(m[1]) if m else None


def _system(root: Path) -> MemoryStatus | None:
    info = _read(root / "proc/meminfo")
    total, avail = _stat_value_kb(info, "MemTotal"), _stat_value_kb(info, "MemAvailable")
    if total is None or avail is None:
        return None
    return MemoryStatus(total, total - avail, "system")


def _stat_value_kb(text: str | None, key: str) -> int | None:
    m = re.search(rf"^{key}:\s+(\d+) kB", text or "", re.M)
    return 1024 * int(m[1]) if m else None


def memory_status(root: str | Path = "/") -> MemoryStatus | None:
    """The memory limit that applies to this process and how much of it is used.

    The tightest cgroup limit (v2: ``memory.max`` of this cgroup and its ancestors; v1:
    ``hierarchical_memory_limit``) when there is one smaller than the machine's RAM, else the
    machine's RAM (``/proc/meminfo``). ``root`` is for tests (a folder laid out like ``/``).
    Returns ``None`` when nothing can be read (not Linux).
    """
    root = Path(root)
    system = _system(root)
    groups = _read(root / "proc/self/cgroup") or ""
    candidates = []
    v2 = re.search(r"^0::(/.*)$", groups, re.M)
    if v2:
        here = root / "sys/fs/cgroup" / v2[1].lstrip("/")
        limits = []
        for d in [here, *here.parents]:
            if root / "sys/fs/cgroup" not in [d, *d.parents]:
                break
            raw = (_read(d / "memory.max") or "").strip()
            if raw.isdigit():
                limits.append(int(raw))
        current = (_read(here / "memory.current") or "").strip()
        if limits and current.isdigit():
            cache = _stat_value(_read(here / "memory.stat"), "inactive_file") or 0
            candidates.append(MemoryStatus(min(limits), int(current) - cache, "cgroup v2"))
    v1 = re.search(r"^\d+:(?:[^:]*,)?memory(?:,[^:]*)?:(/.*)$", groups, re.M)
    if v1:
        for d in (root / "sys/fs/cgroup/memory" / v1[1].lstrip("/"), root / "sys/fs/cgroup/memory"):
            stat = _read(d / "memory.stat")
            usage = (_read(d / "memory.usage_in_bytes") or "").strip()
            limit = _stat_value(stat, "hierarchical_memory_limit")
            if limit is None:
                raw = (_read(d / "memory.limit_in_bytes") or "").strip()
                limit = int(raw) if raw.isdigit() else None
            if limit is not None and usage.isdigit():
                cache = _stat_value(stat, "total_inactive_file") or 0
                candidates.append(MemoryStatus(limit, int(usage) - cache, "cgroup v1"))
                break
    limited = [c for c in candidates if c.total < _UNLIMITED and (system is None or c.total < system.total)]
    if limited:
        return min(limited, key=lambda c: c.total)
    return system


def process_rss(pid: int | None = None, root: str | Path = "/") -> int | None:
    """Resident memory of a process in bytes (default: this one), or ``None`` if unknown."""
    pid = os.getpid() if pid is None else pid
    return _stat_value_kb(_read(Path(root) / f"proc/{pid}/status"), "VmRSS")


def _sibling_kernels(root: Path) -> list[tuple[int, str]]:
    """(pid, connection file) of the other ipykernel processes started by our parent process."""
    me, parent = os.getpid(), os.getppid()
    found = []
    for entry in (root / "proc").glob("[0-9]*"):
        pid = int(entry.name)
        if pid == me:
            continue
        stat = _read(entry / "stat") or ""
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) < 2 or int(fields[1]) != parent:
            continue
        argv = (_read(entry / "cmdline") or "").split("\0")
        if any("ipykernel" in a for a in argv):
            conn = next((a for a in argv if a.endswith(".json")), "")
            found.append((pid, conn))
    return found


def _notebooks_by_kernel_id() -> dict[str, str]:
    """kernel id -> notebook path, asked of the Jupyter server that started this kernel (best effort)."""
    try:
        from jupyter_server.serverapp import list_running_servers
    except ImportError:
        return {}
    for info in list_running_servers():
        if info.get("pid") != os.getppid():
            continue
        req = urllib.request.Request(
            info["url"].rstrip("/") + "/api/sessions", headers={"Authorization": f"token {info.get('token', '')}"}
        )
        try:
            with urllib.request.urlopen(req, timeout=1) as resp:
                sessions = json.load(resp)
        except Exception:  # no token (JupyterHub), server busy...: names stay unknown
            return {}
        return {s["kernel"]["id"]: s.get("path") or s.get("name") for s in sessions if s.get("kernel")}
    return {}


def other_kernels(root: str | Path = "/") -> list[KernelMemory]:
    """The other kernels of the Jupyter server that runs this one, largest first.

    Kernels are the ipykernel processes with the same parent as this process (JupyterLab starts
    every kernel itself); their notebooks come from the server's sessions API when it answers.
    """
    root = Path(root)
    kernels = _sibling_kernels(root)
    names = _notebooks_by_kernel_id() if kernels else {}
    out = []
    for pid, conn in kernels:
        rss = process_rss(pid, root)
        if rss is None:
            continue
        kid = re.search(r"kernel-([0-9a-f-]+)\.json$", conn)
        out.append(KernelMemory(pid, rss, names.get(kid[1]) if kid else None))
    return sorted(out, key=lambda k: -k.rss)


def _gb(n: int) -> str:
    return f"{n / 2**30:.1f} GB"


def _mb(n: int) -> str:
    return f"{n / 2**20:.0f} MB"


def memory_advice(
    status: MemoryStatus | None, others: list[KernelMemory], own_rss: int | None, budget: int = LESSON_BUDGET
) -> str:
    """The memory lines of the set-up cell, from measured inputs (pure; tested with made-up numbers).

    Warns when what is free is less than this lesson may still need (``budget`` minus what this
    kernel already holds), and then names the other kernels and how to stop them.
    """
    if status is None:
        return "memory: unknown on this system"
    where = "this container's limit" if status.source.startswith("cgroup") else "this machine"
    lines = [f"memory: {_gb(status.available)} free of {_gb(status.total)} ({where})"]
    held = sum(k.rss for k in others)
    if others:
        names = ", ".join(f"{k.notebook or f'a kernel (pid {k.pid})'} {_mb(k.rss)}" for k in others[:4])
        more = f" and {len(others) - 4} more" if len(others) > 4 else ""
        lines[0] += f"; other kernels of this server hold {_gb(held)}: {names}{more}"
    need = max(0, budget - (own_rss or 0))
    if status.available < need:
        lines.append(f"⚠ This lesson may need about {_gb(need)} more, and only {_gb(status.available)} is free.")
        if others:
            lines.append(
                "  Stop the notebooks you have finished: close their tabs (with the course's settings that "
                "shuts their kernels down), or use the 'Running Terminals and Kernels' panel (the ■ icon "
                "in the left bar) → shut down the other kernels. Then carry on here."
            )
        else:
            lines.append("  Close other programs or notebooks, or the kernel may be stopped for lack of memory.")
    return "\n".join(lines)


def memory_report() -> str:
    """:func:`memory_advice` for this kernel, right now."""
    try:
        return memory_advice(memory_status(), other_kernels(), process_rss())
    except Exception as exc:  # never break a notebook's set-up cell
        return f"memory: could not be read ({type(exc).__name__})"


# ---------------------------------------------------------------------------------------------
# Giving freed memory back
# ---------------------------------------------------------------------------------------------
def _libc():
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


_LIBC = _libc() if os.name == "posix" else None


def release_freed_memory() -> bool:
    """Hand memory that Python and PyTorch have already freed back to the operating system.

    glibc's allocator keeps freed blocks to reuse them, so a kernel that once held a large dataset
    stays large after ``del``: measured on notebook 01, 130 MB of its 700 MB at the end were such
    blocks. ``malloc_trim(0)`` returns them. Returns ``False`` where it does not exist (not glibc).
    """
    if _LIBC is None:
        return False
    _LIBC.malloc_trim(0)
    return True


_HOOKED: set[int] = set()


def release_after_each_cell() -> bool:
    """In a Jupyter kernel, call :func:`release_freed_memory` after every cell (a few ms each).

    ``import vulib`` does this once, so what a lesson frees with ``del`` really leaves the kernel.
    Returns whether the hook is installed (``False`` outside IPython or without glibc).
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or _LIBC is None:
        return False
    if id(shell) not in _HOOKED:
        shell.events.register("post_run_cell", lambda *_: release_freed_memory())
        _HOOKED.add(id(shell))
    return True
