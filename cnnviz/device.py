"""Which device training runs on, and how to name it in the sidebar."""

from __future__ import annotations

import torch


def cuda_available() -> bool:
    return torch.cuda.is_available()


def resolve_device(choice: str = "auto") -> torch.device:
    """'auto' picks CUDA when present; 'cuda' without a GPU falls back to the CPU."""
    if choice in ("auto", "cuda") and cuda_available():
        return torch.device("cuda")
    return torch.device("cpu")


def describe_device() -> str:
    """'CPU (2 threads)' or the GPU's name."""
    if cuda_available():
        return f"GPU: {torch.cuda.get_device_name(0)}"
    return f"CPU ({torch.get_num_threads()} threads), no GPU"
