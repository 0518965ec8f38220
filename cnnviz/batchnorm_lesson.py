"""Batch normalization, watched (d2l 8.5): the library behind app_pages/batch_norm.py.

Three experiments on LeNet with batch normalization (``cnnviz.models.families.lenet_bn``):

* :class:`BNComparison` trains LeNet-BN and the same LeNet without batch norm side by side, on
  the same Fashion-MNIST batches at the same learning rate, one step at a time, and records the
  chosen BatchNorm2d layer's per-channel batch mean and variance (of its input, as it
  normalizes it) beside the running averages it keeps for prediction. :class:`BNRunner` runs it
  in a background thread that a page polls (it never touches Streamlit).
* :func:`train_vs_eval` feeds one batch through the network in training mode (batch statistics)
  and in prediction mode (running averages) and says how far the outputs differ.
* :func:`scratch_vs_torch` puts the book's from-scratch ``batch_norm`` beside ``nn.BatchNorm2d``
  on the same input: the outputs agree in both modes, the running means agree, and the running
  variances differ by exactly PyTorch's unbiased n/(n−1) factor on the batch variance.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from cnnviz.data import load_fashion_mnist
from cnnviz.models.families.lenet_bn import BatchNorm, LeNetBNSpec, build

LAYERS = ("bn1", "bn2")  # the two BatchNorm2d layers: after conv1 (6 channels), conv2 (16)
DEFAULT_LR = 1.0  # high enough that the plain sigmoid LeNet stalls for hundreds of steps
DEFAULT_STEPS = 300
MAX_STEPS = 2_000
BATCH_SIZE = 128
SUBSET = 6_000  # training images drawn from Fashion-MNIST's 60,000
MOMENTUM = 0.1  # nn.BatchNorm2d's default and the book's


def fashion_subset(n: int = SUBSET, seed: int = 0, data=None) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` training images of Fashion-MNIST (``data``, else read), drawn with ``seed``: float
    (n, 1, 28, 28) in [0, 1] and int64 labels. Raises the data module's DataNotFoundError when
    it is missing."""
    data = data if data is not None else load_fashion_mnist()
    g = torch.Generator().manual_seed(seed)
    idx = torch.randperm(len(data.train_labels), generator=g)[:n]
    X = data.train_images[idx].float().div_(255).unsqueeze(1)
    return X, data.train_labels[idx].long()


def bn_layer(net: nn.Module, layer: str) -> nn.Module:
    """The BatchNorm2d (or the book's BatchNorm) called ``layer`` ("bn1" or "bn2")."""
    if layer not in LAYERS:
        raise ValueError(f"layer must be one of {LAYERS}, got {layer!r}.")
    norms = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d | BatchNorm)]
    return norms[LAYERS.index(layer)]


def _running(module: nn.Module) -> tuple[list[float], list[float]]:
    if isinstance(module, BatchNorm):
        return module.moving_mean.flatten().tolist(), module.moving_var.flatten().tolist()
    return module.running_mean.tolist(), module.running_var.tolist()


@dataclass(frozen=True)
class BNStep:
    """One step of both networks. ``batch_mean``/``batch_var``: the chosen layer's input, per
    channel, over this batch (the biased variance it normalizes with); ``running_mean``/
    ``running_var``: its moving averages after the step (PyTorch's use the unbiased variance)."""

    step: int
    loss_bn: float
    loss_plain: float
    batch_mean: list[float]
    batch_var: list[float]
    running_mean: list[float]
    running_var: list[float]


class BNComparison:
    """LeNet-BN (``nn.BatchNorm2d``/``nn.BatchNorm1d``, sigmoid) and the same LeNet without
    batch norm, trained by plain SGD on the same batches.

    Args:
        X, y: training images (N, 1, 28, 28) and labels.
        lr: the learning rate of both networks.
        layer: the BatchNorm2d layer whose statistics are recorded.
        seed: initial weights and batch order.
    """

    def __init__(self, X, y, lr: float = DEFAULT_LR, layer: str = "bn1", seed: int = 0,
                 batch_size: int = BATCH_SIZE):  # fmt: skip
        if not (lr > 0 and lr < float("inf")):
            raise ValueError(f"The learning rate must be a positive number, got {lr!r}.")
        if len(X) < 2 or len(X) != len(y):
            raise ValueError("Batch normalization needs at least two images with labels.")
        self.X, self.y, self.lr, self.layer = X, y, float(lr), layer
        self.batch_size = max(2, min(int(batch_size), len(X)))
        torch.manual_seed(seed)
        self.bn_net = build(LeNetBNSpec(batch_norm="torch"))
        torch.manual_seed(seed)
        self.plain_net = build(LeNetBNSpec(batch_norm="none"))
        self.opt_bn = torch.optim.SGD(self.bn_net.parameters(), lr=self.lr)
        self.opt_plain = torch.optim.SGD(self.plain_net.parameters(), lr=self.lr)
        self.norm = bn_layer(self.bn_net, layer)
        self._seen: torch.Tensor | None = None
        self.norm.register_forward_hook(self._watch)
        self._gen = torch.Generator().manual_seed(seed)
        self._order = torch.randperm(len(X), generator=self._gen)
        self._at = 0
        self.steps = 0

    def _watch(self, module, inputs, output) -> None:
        self._seen = inputs[0].detach()

    def _batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self._at + self.batch_size > len(self._order):
            self._order = torch.randperm(len(self.X), generator=self._gen)
            self._at = 0
        idx = self._order[self._at : self._at + self.batch_size]
        self._at += self.batch_size
        return self.X[idx], self.y[idx]

    def step(self) -> BNStep:
        """One SGD step of each network on the next batch."""
        X, y = self._batch()
        losses = []
        for net, opt in ((self.bn_net, self.opt_bn), (self.plain_net, self.opt_plain)):
            net.train()
            loss = F.cross_entropy(net(X), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        seen = self._seen
        mean = seen.mean(dim=(0, 2, 3))
        var = ((seen - mean[None, :, None, None]) ** 2).mean(dim=(0, 2, 3))
        running_mean, running_var = _running(self.norm)
        self.steps += 1
        return BNStep(self.steps, losses[0], losses[1], mean.tolist(), var.tolist(),
                      running_mean, running_var)  # fmt: skip


class BNRunner:
    """Runs a :class:`BNComparison` in a background thread; a page polls ``snapshot()``."""

    def __init__(self, comparison: BNComparison):
        self.comparison = comparison
        self.history: list[BNStep] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error = ""

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def snapshot(self) -> list[BNStep]:
        with self._lock:
            return list(self.history)

    def start(self, num_steps: int) -> bool:
        """``num_steps`` more steps in the background; False if a run is going."""
        if self.running:
            return False
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(int(num_steps),),
                                        name="cnnviz-batch-norm", daemon=True)  # fmt: skip
        self._thread.start()
        return True

    def _run(self, num_steps: int) -> None:
        try:
            for _ in range(num_steps):
                if self._stop.is_set():
                    break
                with self._lock:
                    self.history.append(self.comparison.step())
        except Exception as exc:  # noqa: BLE001 - reported to the page, never lost in a thread
            self.error = f"{type(exc).__name__}: {exc}"

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def bn_net_copy(self) -> nn.Module:
        """A copy of the BN network as it is now (taken between two steps)."""
        with self._lock:
            return copy.deepcopy(self.comparison.bn_net)


@dataclass(frozen=True)
class TrainEval:
    """One batch through one network in both modes. ``max_diff``: the largest absolute
    difference of the logits; ``agree``: the share of images with the same predicted class;
    the layer's batch statistics (train mode) and running averages (eval mode) per channel."""

    max_diff: float
    mean_diff: float
    agree: float
    batch_mean: list[float]
    batch_var: list[float]
    running_mean: list[float]
    running_var: list[float]


def train_vs_eval(net: nn.Module, X: torch.Tensor, layer: str = "bn1") -> TrainEval:
    """``net`` on ``X`` in training mode (each BN layer normalizes with this batch's mean and
    variance) and in eval mode (with its running averages). ``net`` itself is left unchanged:
    a forward pass in training mode would move the running averages, so a copy runs it."""
    net = copy.deepcopy(net)
    norm = bn_layer(net, layer)
    running_mean, running_var = _running(norm)  # before the train-mode pass moves them
    seen = {}

    def watch(module, inputs, output) -> None:  # returns None: the output stays as it is
        seen["x"] = inputs[0].detach()

    norm.register_forward_hook(watch)
    with torch.no_grad():
        net.eval()
        out_eval = net(X)
        net.train()
        out_train = net(X)
    x = seen["x"]
    mean = x.mean(dim=(0, 2, 3))
    var = ((x - mean[None, :, None, None]) ** 2).mean(dim=(0, 2, 3))
    diff = (out_train - out_eval).abs()
    agree = (out_train.argmax(1) == out_eval.argmax(1)).float().mean()
    return TrainEval(float(diff.max()), float(diff.mean()), float(agree), mean.tolist(),
                     var.tolist(), running_mean, running_var)  # fmt: skip


@dataclass(frozen=True)
class ScratchVsTorch:
    """The book's ``batch_norm`` beside ``nn.BatchNorm2d`` on the same input and parameters.

    ``train_out``: max |difference| of the outputs in training mode; ``running_mean``,
    ``running_var``: of the moving averages after ``steps`` training batches;
    ``var_unbiased``: of the moving variance once the book's batch variance is scaled by
    n/(n−1) (``n`` values per channel), as PyTorch does; ``eval_out``: of the outputs in
    prediction mode, each with its own moving averages; ``eval_same_stats``: with the book's
    layer given PyTorch's averages."""

    train_out: float
    running_mean: float
    running_var: float
    var_unbiased: float
    eval_out: float
    eval_same_stats: float
    n: int
    steps: int


def scratch_vs_torch(X: torch.Tensor, steps: int = 3, seed: int = 0) -> ScratchVsTorch:
    """Both layers on ``steps`` batches ``X[i]`` of shape (N, C, H, W) (or one batch, repeated
    ``steps`` times), with the same random γ and β."""
    batches = list(X) if X.dim() == 5 else [X] * steps
    C = batches[0].shape[1]
    g = torch.Generator().manual_seed(seed)
    gamma, beta = torch.rand(C, generator=g) + 0.5, torch.randn(C, generator=g)
    torch_bn, book = nn.BatchNorm2d(C, eps=1e-5, momentum=MOMENTUM), BatchNorm(C, num_dims=4)
    with torch.no_grad():
        torch_bn.weight.copy_(gamma)
        torch_bn.bias.copy_(beta)
        book.gamma.copy_(gamma.view(1, C, 1, 1))
        book.beta.copy_(beta.view(1, C, 1, 1))
    torch_bn.train()
    expected_var = torch.ones(C)  # PyTorch's rule: the unbiased batch variance
    train_out = 0.0
    n = batches[0].numel() // C
    for x in batches:
        with torch.enable_grad():  # the book's function reads training mode from autograd
            y_book = book(x)
        y_torch = torch_bn(x)
        train_out = max(train_out, float((y_book - y_torch).detach().abs().max()))
        unbiased = x.var(dim=(0, 2, 3), unbiased=True)
        expected_var = (1 - MOMENTUM) * expected_var + MOMENTUM * unbiased
    book_mean, book_var = book.moving_mean.flatten(), book.moving_var.flatten()
    torch_bn.eval()
    probe = batches[-1]
    with torch.no_grad():
        y_torch, y_book = torch_bn(probe), book(probe)
        eval_out = float((y_book - y_torch).abs().max())
        same = copy.deepcopy(book)
        same.moving_mean.copy_(torch_bn.running_mean.view(1, C, 1, 1))
        same.moving_var.copy_(torch_bn.running_var.view(1, C, 1, 1))
        eval_same = float((same(probe) - y_torch).abs().max())
    return ScratchVsTorch(
        train_out=train_out,
        running_mean=float((book_mean - torch_bn.running_mean).abs().max()),
        running_var=float((book_var - torch_bn.running_var).abs().max()),
        var_unbiased=float((expected_var - torch_bn.running_var).abs().max()),
        eval_out=eval_out,
        eval_same_stats=eval_same,
        n=n,
        steps=len(batches),
    )


def conv1_maps(X: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """What a BN layer sees in LeNet: conv1's outputs on ``X`` (seeded weights), no grad."""
    torch.manual_seed(seed)
    conv = nn.Conv2d(X.shape[1], 6, kernel_size=5)
    with torch.no_grad():
        return conv(X)
