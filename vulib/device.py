"""Where models run: one place that picks the device and the CPU thread count."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Mapping

import torch

from .seed import env_int

__all__ = ["get_device", "configure_threads", "default_num_threads", "cpu_quota", "THREADS_ENV_VAR"]

THREADS_ENV_VAR = "VULIB_NUM_THREADS"


def get_device(verbose: bool = False) -> torch.device:
    """Pick the best available device: CUDA, then Apple's MPS, then the CPU.

    Nothing in vulib or the notebooks calls ``.cuda()``; everything moves tensors
    with ``.to(get_device())`` so the same code runs on a laptop, on Binder and on
    a GPU server.

    Args:
        verbose: print which device was chosen and why.
    """
    if torch.cuda.is_available():
        device = torch.device("cuda")
        why = torch.cuda.get_device_name(0)
    elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        device = torch.device("mps")
        why = "Apple GPU (MPS)"
    else:
        device = torch.device("cpu")
        why = f"no GPU found; {torch.get_num_threads()} CPU thread(s)"
    if verbose:
        print(f"vulib device: {device} ({why})")
    return device


def cpu_quota(cgroup_root: str | os.PathLike = "/sys/fs/cgroup") -> float | None:
    """How many CPUs' worth of time this process's control group may use, or ``None`` for no limit.

    Reads cgroup v2's ``cpu.max`` (``"<quota> <period>"`` or ``"max <period>"``), else cgroup v1's
    ``cpu/cpu.cfs_quota_us`` and ``cpu/cpu.cfs_period_us`` (quota ``-1`` = no limit), under ``cgroup_root``.
    Binder, for example, runs each user in a container limited this way.
    """
    root = Path(cgroup_root)
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    for v1 in (root / "cpu", root / "cpu,cpuacct", root):
        try:
            quota = int((v1 / "cpu.cfs_quota_us").read_text())
            period = int((v1 / "cpu.cfs_period_us").read_text())
        except (OSError, ValueError):
            continue
        return None if quota <= 0 or period <= 0 else quota / period
    return None


_READ = object()  # "read it from this machine"


def default_num_threads(
    *, env: Mapping[str, str] | None = None, quota=_READ, affinity=_READ, cpu_count: int | None = None, load=_READ
) -> int:
    """The number of CPU threads the suite should use, from what this process may actually run on.

    A pure decision when every input is given (as the tests do); left out, each is read from this machine.
    ``quota``: CPUs' worth of time allowed (``None``: no limit); ``affinity``: the set of CPUs this
    process may run on (``None``: unknown); ``cpu_count``: CPUs when the affinity is unknown; ``load``: the
    1-minute load average (``os.getloadavg``; ``None``: unknown).

    1. ``VULIB_NUM_THREADS`` in ``env`` wins;
    2. under pytest-xdist with several workers (``PYTEST_XDIST_WORKER_COUNT > 1``) each worker, and each
       notebook kernel it starts, takes 1 thread: the workers already fill the cores, and two threads per
       worker on a 2-core machine fight for them (a small training step was measured 50 times slower);
    3. otherwise: the CPUs in the affinity mask (``os.sched_getaffinity``; else ``os.cpu_count()``),
       capped by the control group's CPU quota (:func:`cpu_quota`; a quota of 1.5 CPUs gives 1 thread);
    4. but 1 thread when the machine is already busy (load average >= those CPUs): threads that wait for
       busy cores spin and slow everything down -- measured on a 2-core machine at load ~13, notebook 11
       with 2 threads had used 277 s of CPU after 22 minutes without finishing; with 1 thread it took 58 s
       of CPU and about 4 minutes.

    Measured on an idle 2-core machine, two threads instead of one run notebook 01 in 30 s instead of
    37 s and notebook 05 in 27 s instead of 39 s; a learner's 8-core laptop gains more.
    """
    env = os.environ if env is None else env
    if env.get(THREADS_ENV_VAR) is not None:
        return env_int(THREADS_ENV_VAR, env=env)
    workers = env_int("PYTEST_XDIST_WORKER_COUNT", 1, env=env)
    if workers > 1:
        return 1
    if affinity is _READ:
        try:
            affinity = os.sched_getaffinity(0)
        except (AttributeError, OSError):  # macOS, Windows: no affinity masks
            affinity = None
    cpus = len(affinity) if affinity else (cpu_count or os.cpu_count() or 1)
    if quota is _READ:
        quota = cpu_quota()
    if quota is not None:
        cpus = min(cpus, max(1, math.floor(quota + 1e-9)))
    if load is _READ:
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):  # Windows
            load = None
    if cpus > 1 and load is not None and load >= cpus:
        return 1
    return max(1, cpus)


def configure_threads(num_threads: int | None = None) -> int:
    """Set how many threads PyTorch uses on the CPU, once, for the whole suite.

    ``num_threads=None`` takes :func:`default_num_threads`: ``VULIB_NUM_THREADS`` if set, 1 per
    pytest-xdist worker, else the CPUs this process may use (affinity mask and cgroup CPU quota).

    Returns:
        The number of threads now in use.
    """
    if num_threads is None:
        num_threads = default_num_threads()
    if num_threads < 1:
        raise ValueError(f"expected at least 1 thread, got {num_threads}")
    torch.set_num_threads(num_threads)
    return torch.get_num_threads()
