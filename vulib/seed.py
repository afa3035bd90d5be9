"""One source of truth for randomness.

Every notebook calls :func:`seed_everything` once at the top and draws all its
randomness afterwards, so the whole suite can be re-run under another seed with
``VULIB_SEED=3 ...`` and no code change.
"""

from __future__ import annotations

import os
import random
from typing import Mapping

import numpy as np
import torch

__all__ = ["seed_everything", "current_seed", "SEED_ENV_VAR"]

SEED_ENV_VAR = "VULIB_SEED"
_current_seed: int | None = None


def seed_everything(seed: int | None = None) -> int:
    """Seed Python's, NumPy's and PyTorch's random number generators.

    Args:
        seed: the seed. ``None`` reads the environment variable ``VULIB_SEED``
            (default ``0``).

    Returns:
        The seed that was used, so a notebook can print it.
    """
    if seed is None:
        seed = env_int(SEED_ENV_VAR, 0)
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise ValueError(f"expected an integer seed, got {seed!r}")
    if not 0 <= int(seed) < 2**32:
        raise ValueError(f"expected a seed in [0, 2**32), got {seed}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    global _current_seed
    _current_seed = seed
    return seed


def env_int(name: str, default: int | None = None, env: Mapping[str, str] | None = None) -> int:
    """An integer setting from the environment variable ``name`` (``default`` when unset).

    ``env`` reads another mapping instead of ``os.environ`` (a test's, say). Without a ``default`` an
    unset variable is an error. Every integer setting of the suite (``VULIB_SEED``, ``VULIB_NUM_THREADS``)
    is read here.
    """
    raw = (os.environ if env is None else env).get(name)
    if raw is None:
        if default is None:
            raise ValueError(f"{name} is not set")
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None


def current_seed() -> int | None:
    """The seed last given to :func:`seed_everything` (``None`` before the first call)."""
    return _current_seed


def fresh_seed() -> int:
    """Draw a new integer seed from torch's global generator.

    Used by vulib functions whose ``seed`` argument is ``None``: their randomness then
    follows :func:`seed_everything` like everything else in a notebook.
    """
    return int(torch.randint(0, 2**31 - 1, (1,)).item())
