"""Which device training runs on, and how to name it in the sidebar."""

from __future__ import annotations

import torch


def cuda_available() -> bool:
    return torch.cuda.is_available()


NO_GPU = "No GPU (CUDA) is available here: training on the CPU instead."


def pick_device(choice: str = "auto") -> tuple[torch.device, str | None]:
    """The device to train on, and a notice when a GPU was asked for but is missing.

    'auto' picks CUDA when present; 'cuda' without a GPU falls back to the CPU (with the
    notice); 'cpu' is the CPU.
    """
    if choice in ("auto", "cuda") and cuda_available():
        return torch.device("cuda"), None
    return torch.device("cpu"), NO_GPU if choice == "cuda" else None


def describe_device() -> str:
    """'CPU (2 threads)' or the GPU's name."""
    if cuda_available():
        return f"GPU: {torch.cuda.get_device_name(0)}"
    return f"CPU ({torch.get_num_threads()} threads), no GPU"
