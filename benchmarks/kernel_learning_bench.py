"""Kernel learning (d2l 7.2) speed: ms per gradient step and identifiability, by image size.

Run: .venv/bin/python benchmarks/kernel_learning_bench.py [steps]
"""

import sys
import time

import torch

from cnnviz import kernel_learning as kl
from cnnviz.images import seed_stripes
from cnnviz.kernels import kernel_tensor


def bench(name, X, K, steps):
    learner = kl.KernelLearner(X, K, lr=1e-7, seed=0)
    learner.step()  # warm-up
    _, seconds = kl.run_headless(learner, steps)
    t0 = time.perf_counter()
    kl.identifiability(X, K.shape, K)
    ident = time.perf_counter() - t0
    ms = 1000 * seconds / steps
    print(f"| {name} | {ms:.2f} | {ms * 5:.1f} s | {1000 * ident:.1f} |")


if __name__ == "__main__":
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {steps} steps each")
    print("| image, kernel | ms per step | 5000 steps | identifiability (ms) |")
    print("|---|---|---|---|")
    g = torch.Generator().manual_seed(0)
    bench("stripes 6×8, 1×2 (the seed)", seed_stripes(), torch.tensor([[1.0, -1.0]]), steps)
    bench("28×28, Sobel 3×3", torch.rand(28, 28, generator=g), kernel_tensor("Sobel x"), steps)
    bench("512×512, Sobel 3×3", torch.rand(512, 512, generator=g), kernel_tensor("Sobel x"), steps)
