"""Where models run: one place that picks the device and the CPU thread count."""
from __future__ import annotations


import torch

from .seed import env_int

__all__ = ["get_device", "configure_threads", "THREADS_ENV_VAR"]

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


def configure_threads(num_threads: int | None = None) -> int:
    """Set how many threads PyTorch uses on the CPU, once, for the whole suite.

    The suite's models are small, and what is fastest depends on what else runs. Measured on the 2-core
    machines this suite is tested on: alone on an idle machine, two threads run notebook 01 in 30 s
    instead of 37 s and notebook 05 in 27 s instead of 39 s; but with anything else busy on the cores
    (the test suite's second worker, Binder's shared CPUs) two threads fight for them and a small
    training step was measured 50 times slower (1.1 s instead of 0.02 s). So the default is the safe
    one, 1 thread; set ``VULIB_NUM_THREADS=2`` (or pass ``num_threads``) on a machine of your own.

    Returns:
        The number of threads now in use.
    """
    if num_threads is None:
        num_threads = env_int(THREADS_ENV_VAR, 1)
    if num_threads < 1:
        raise ValueError(f"expected at least 1 thread, got {num_threads}")
    torch.set_num_threads(num_threads)
    return torch.get_num_threads()
