"""Kernel presets shared by the cross-correlation and kernel-learning pages (d2l 7.2)."""

from __future__ import annotations

import torch

KERNEL_PRESETS: dict[str, list[list[float]]] = {
    # d2l 7.2: K = [1, -1] responds to vertical edges (changes along a row).
    "Edge [1, -1] (d2l)": [[1.0, -1.0]],
    # Its transpose responds to horizontal edges.
    "Edge [1, -1]ᵀ": [[1.0], [-1.0]],
    "Sobel x": [[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]],
    "Sobel y": [[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]],
    "Laplacian": [[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]],
    "Blur (box 3×3)": [[1 / 9] * 3 for _ in range(3)],
    "Sharpen": [[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]],
    "Identity": [[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]],
}


def kernel_tensor(name: str) -> torch.Tensor:
    """A preset as a float32 (h, w) tensor."""
    return torch.tensor(KERNEL_PRESETS[name], dtype=torch.float32)
