"""Learning a kernel by gradient descent (d2l 7.2): the seed's run, Sobel x, divergence, runner."""

import math

import numpy as np
import pytest
import torch

from cnnviz import images
from cnnviz import kernel_learning as kl
from cnnviz.data import load_fashion_mnist
from cnnviz.kernels import kernel_tensor
from cnnviz.plots import kernel_learning as kplots

pytestmark = pytest.mark.unit


def test_faithful_run_learns_the_seed_kernel():
    result = kl.faithful_run()
    assert len(result.losses) == 5
    # Each printed loss smaller than the one before, by the seed's kind of factor (0.17..0.24;
    # the quadratic's two eigen-directions bound it to [0.64⁴, 0.8⁴] = [0.168, 0.41]).
    ratios = [b / a for a, b in zip(result.losses, result.losses[1:], strict=False)]
    assert all(0.16 < r < 0.42 for r in ratios), ratios
    seed_ratios = [b / a for a, b in zip(kl.SEED_LOSSES, kl.SEED_LOSSES[1:], strict=False)]
    assert all(0.16 < r < 0.42 for r in seed_ratios)
    # With FAITHFUL_SEED the printout is close to the book's, loss by loss.
    for ours, book in zip(result.losses, kl.SEED_LOSSES, strict=True):
        assert abs(math.log(ours / book)) < 0.25, (ours, book)
    assert np.allclose(result.kernel, [1.0, -1.0], atol=0.05), result.kernel
    assert "epoch 10, loss 0.006" in kl.format_seed_printout(result)


def test_faithful_loop_is_the_books_code():
    """The learner's step equals the seed's four lines run by hand on nn.Conv2d."""
    X = images.seed_stripes().reshape((1, 1, 6, 8))
    K = torch.tensor([[1.0, -1.0]])
    Y = torch.nn.functional.conv2d(X, K[None, None])
    torch.manual_seed(kl.FAITHFUL_SEED)
    conv2d = torch.nn.Conv2d(1, 1, kernel_size=(1, 2), bias=False)
    learner = kl.KernelLearner(X, K, lr=3e-2, seed=kl.FAITHFUL_SEED)
    assert torch.equal(learner.kernel, conv2d.weight.data[0, 0])
    for _ in range(10):
        l = (conv2d(X) - Y) ** 2
        conv2d.zero_grad()
        l.sum().backward()
        conv2d.weight.data[:] -= 3e-2 * conv2d.weight.grad
        record = learner.step()
        assert record.loss == pytest.approx(float(l.sum().detach()), rel=1e-6)
    assert torch.allclose(learner.kernel, conv2d.weight.data[0, 0])


@pytest.mark.parametrize("init", kl.INITS)
def test_the_learner_draws_from_its_own_generator(init):
    """Same kernel as ``torch.manual_seed(seed)`` + ``nn.Conv2d`` (+ the init's redraw), and
    the global RNG neither read nor advanced."""
    X, K = images.seed_stripes(), kernel_tensor("Sobel x")
    torch.manual_seed(kl.FAITHFUL_SEED)
    conv2d = torch.nn.Conv2d(1, 1, kernel_size=(3, 3), bias=False)
    with torch.no_grad():
        if init == "zeros":
            conv2d.weight.zero_()
        elif init == "normal":
            conv2d.weight.normal_(0, 0.1)
    torch.manual_seed(123)
    before = torch.get_rng_state()
    learner = kl.KernelLearner(X, K, lr=1e-3, seed=kl.FAITHFUL_SEED, init=init)
    assert torch.equal(torch.get_rng_state(), before)
    assert torch.equal(learner.kernel, conv2d.weight.data[0, 0])


@pytest.mark.slow  # trains for seconds
def test_learns_sobel_x_from_a_fashion_mnist_sample():
    data = load_fashion_mnist()
    X = images.fashion_sample(data.test_images, data.test_labels, 5, 0)  # a sandal
    K = kernel_tensor("Sobel x")
    info = kl.identifiability(X, K.shape, K)
    assert info.rank == 9 and info.target_hidden < 1e-6
    records = list(kl.learn_kernel(X, K, lr=info.lr_suggested, num_epochs=400, seed=0))
    assert not any(r.diverged for r in records)
    assert records[-1].loss < 1e-3 * records[0].loss
    assert np.allclose(records[-1].kernel, K.numpy(), atol=0.05), records[-1].kernel


@pytest.mark.slow  # trains for seconds
def test_drawn_like_image_and_mean_loss_learn_sobel_x():
    # A drawn-like image: a ring, edges in every direction.
    yy, xx = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    r = ((yy - 13.5) ** 2 + (xx - 13.5) ** 2).sqrt()
    X = ((r > 6) & (r < 11)).float()
    K = kernel_tensor("Sobel x")
    info = kl.identifiability(X, K.shape, K)
    learner = kl.KernelLearner(
        X, K, lr=info.lr_suggested * (26 * 26), init="zeros", reduction="mean"
    )
    records, _ = kl.run_headless(learner, 600)
    assert records[-1].error < 0.05, records[-1].kernel


@pytest.mark.slow  # trains for seconds
def test_stripes_cannot_teach_sobel_x():
    K = kernel_tensor("Sobel x")
    info = kl.identifiability(images.seed_stripes(), K.shape, K)
    assert info.rank == 3 and len(info.hidden) == 6
    assert info.singular_values[3] < 1e-4 * info.singular_values[0]
    assert not info.varies_down and info.varies_across
    assert "column sums" in info.text and "not identifiable" in info.text
    # From zeros, gradient descent ends at the target's visible part, not at Sobel x.
    assert np.allclose(info.reachable, [[-4 / 3, 0, 4 / 3]] * 3, atol=1e-5)
    records = list(kl.learn_kernel(images.seed_stripes(), K, lr=0.02, num_epochs=200, init="zeros"))
    assert records[-1].loss < 1e-6
    assert np.allclose(records[-1].kernel, info.reachable, atol=1e-3)
    assert records[-1].error > 0.5


def test_lr_limit_matches_the_seed():
    info = kl.identifiability(images.seed_stripes(), (1, 2), kl.SEED_KERNEL)
    assert info.rank == 2
    assert info.lr_limit == pytest.approx(1 / 30)  # AᵀA = 6·[[3, 2], [2, 3]]
    assert kl.SEED_LR < info.lr_limit


def test_the_patch_spectrum_is_computed_once_per_image_and_kernel_size(monkeypatch):
    """A change of target builds a learner (its stable lr) and asks for the image's
    identifiability: both read one AᵀA per image and kernel size, remembered across changes."""
    calls = []
    real = kl._gram
    monkeypatch.setattr(kl, "_gram", lambda X, shape: calls.append(tuple(shape)) or real(X, shape))
    X = torch.rand(9, 11, generator=torch.Generator().manual_seed(7))
    for name in ("Sobel x", "Edge [1, -1] (d2l)", "Sobel x", "Laplacian", "Edge [1, -1] (d2l)"):
        K = kernel_tensor(name)
        learner = kl.KernelLearner(X, K)
        info = kl.identifiability(X, K.shape, K)
        A = kl.patch_matrix(X, K.shape).double()
        smax2 = float(torch.linalg.svdvals(A)[0]) ** 2  # computed here without the cache
        assert learner.lr_limit == pytest.approx(1 / smax2, rel=1e-9)
        assert info.lr_limit == pytest.approx(1 / smax2, rel=1e-9)
    assert calls == [(3, 3), (1, 2)]
    X2 = X.clone()
    X2[4, 5] += 0.5  # another image, even one pixel apart, is its own entry
    kl.KernelLearner(X2, kernel_tensor("Sobel x"))
    assert calls == [(3, 3), (1, 2), (3, 3)]
    for k in range(kl.SPECTRA_KEPT + 5):  # bounded: the oldest entries are dropped
        kl.gram_spectrum(X + k, (2, 2))
    assert len(kl._spectra) == kl.SPECTRA_KEPT


@pytest.mark.parametrize("lr", [0.04, 1.0, 1e6])
def test_divergence_is_caught_and_explained(lr):
    records = list(kl.learn_kernel(images.seed_stripes(), kl.SEED_KERNEL, lr=lr, num_epochs=500))
    assert records[-1].diverged and not any(r.diverged for r in records[:-1])
    assert len(records) < 500
    assert "diverged" in records[-1].message and "1/σ_max²" in records[-1].message
    fig = kplots.loss_figure(records)
    assert fig.data[-1].name == "diverged"


@pytest.mark.parametrize("init", kl.INITS)
def test_inits_and_bad_inputs(init):
    learner = kl.KernelLearner(images.seed_stripes(), kl.SEED_KERNEL, init=init, seed=1)
    if init == "zeros":
        assert learner.kernel.abs().sum() == 0
    assert learner.kernel.shape == (1, 2)
    with pytest.raises(ValueError, match="smaller than the kernel"):
        kl.KernelLearner(torch.ones(2, 2), kernel_tensor("Sobel x"))
    with pytest.raises(ValueError, match="learning rate"):
        kl.KernelLearner(images.seed_stripes(), kl.SEED_KERNEL, lr=float("nan"))
    with pytest.raises(ValueError):
        kl.as_kernel([[1, 2], [3]])
    with pytest.raises(ValueError, match="NaN"):
        kl.as_kernel([[1.0, float("inf")]])


def test_runner_stops_a_long_run():
    X = torch.rand(256, 256, generator=torch.Generator().manual_seed(0))
    learner = kl.KernelLearner(X, kernel_tensor("Sobel x"), lr=1e-6, seed=0)
    runner = kl.KernelRunner(learner)
    assert runner.step_once().step == 1
    assert runner.start(100_000)
    assert not runner.start(10)  # one run at a time
    assert runner.step_once() is None
    while len(runner.snapshot()) < 4:
        runner.wait(0.05)
    runner.stop()
    assert not runner.running
    n = len(runner.snapshot())
    assert 4 <= n < 100_000
    assert [r.step for r in runner.snapshot()] == list(range(1, n + 1))
    assert runner.snapshot()[-1].loss < runner.snapshot()[0].loss
    assert not runner.error


def test_runner_paced_run_finishes_and_stops_on_divergence():
    learner = kl.KernelLearner(images.seed_stripes(), kl.SEED_KERNEL, lr=10.0)
    runner = kl.KernelRunner(learner, steps_per_second=1000)
    runner.start(1000)
    runner.wait(30)
    assert runner.diverged and runner.snapshot()[-1].diverged
    assert not runner.start(5)


def test_figures_build():
    records = kl.faithful_run().records
    assert len(kplots.loss_figure(records).data[0].x) == 10
    assert kplots.kernel_figure(records[-1].kernel).data[0].z.shape == (1, 2)
    assert len(kplots.compare_figure(records[-1].kernel, kl.SEED_KERNEL).data) == 3
    assert len(kplots.kernel_paths_figure(records, kl.SEED_KERNEL).data) == 2
    info = kl.identifiability(images.seed_stripes(), (3, 3))
    assert len(kplots.singular_values_figure(info).data[0].y) == 9
