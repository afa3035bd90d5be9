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

    The suite's models are small. Measured on the 2-core machines this suite is
    tested on, one thread is several times faster than two for such models when
    anything else runs beside them (two threads fight for two busy cores), and no
    slower when the machine is idle. So the default is 1; set ``VULIB_NUM_THREADS``
    (or pass ``num_threads``) to use more on a bigger machine.

    Returns:
        The number of threads now in use.
    """
    if num_threads is None:
        num_threads = env_int(THREADS_ENV_VAR, 1)
    if num_threads < 1:
        raise ValueError(f"expected at least 1 thread, got {num_threads}")
    torch.set_num_threads(num_threads)
    return torch.get_num_threads()
