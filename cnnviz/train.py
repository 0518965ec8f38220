"""Training on Fashion-MNIST as a plain generator of records (d2l 6.6 ``train_ch6``, 7.6, 8.2, 8.6).

d2l trains every network of chapters 7–8 with the same loop: SGD, cross-entropy, batch 128,
Xavier init, 10 epochs, inputs resized for the bigger networks. cnnviz keeps those defaults but
not the data path: instead of a DataLoader over PIL images, the whole split stays one uint8
tensor on the training device; each batch is sliced by index, scaled to [0, 1] (what
``ToTensor`` does) and resized there with ``F.interpolate`` (bilinear, like torchvision's
``Resize`` on tensors). Convolutions run channels_last; on CUDA the forward pass runs in
bf16 autocast, and after three eager batches the whole step (batch gather and resize included)
is captured once as a CUDA graph and replayed for every full batch (no compilation involved;
``CNNVIZ_CUDA_GRAPHS=0`` turns it off).

:func:`train` never prints or plots: it yields records and the caller (the run manager, the
CLI, a test) decides what to do with them.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Iterator

import torch
from torch import nn
from torch.nn import functional as F

from cnnviz.config import RunConfig
from cnnviz.device import pick_device
from cnnviz.models import ModelSpec, build_model

PROGRESS_EVERY_S = 0.25
ENV_CUDA_GRAPHS = "CNNVIZ_CUDA_GRAPHS"
# the notice of a run whose CUDA-graph capture failed ({error}: the exception's type)
GRAPHS_OFF = "CUDA graphs could not be used here ({error}); training goes on without them."
EVAL_BATCH_28 = 1024  # evaluation batch for 28×28 inputs (no effect on results, only speed)
# RunConfig: cnnviz.config
__all__ = ["RunConfig", "TrainingError", "build_net", "failure_message", "train"]


class TrainingError(RuntimeError):
    """A run that cannot go on; the message is meant for the user (e.g. CUDA out of memory)."""


class _Stopped(Exception):
    """Raised from a hook when the stop event is set, to leave a long batch early."""


def build_net(config: RunConfig) -> nn.Module:
    """The spec's network with d2l's Xavier init (d2l 7.6 ``init_cnn``), every parameter drawn
    from a generator seeded by ``config.seed``: the same seed gives the same network whatever
    other threads do with the global RNG meanwhile."""
    return build_model(config.spec, generator=torch.Generator().manual_seed(config.seed))


class SeededDropout(nn.Module):
    """``nn.Dropout`` (d2l 8.2's VGG) drawing its masks from the run's own generator, so a run's
    dropout stream belongs to the run: nothing another thread or page does changes it."""

    def __init__(self, p: float, generator: torch.Generator):
        super().__init__()
        self.p, self.generator = p, generator

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return X
        if self.p == 1:
            return torch.zeros_like(X)
        keep = torch.empty_like(X).bernoulli_(1 - self.p, generator=self.generator)
        return X * keep / (1 - self.p)

    def extra_repr(self) -> str:
        return f"p={self.p}"


def own_dropout(net: nn.Module, generator: torch.Generator) -> list[torch.Generator]:
    """Replace every ``nn.Dropout`` of ``net`` by :class:`SeededDropout` on ``generator`` (no
    parameters change, so the state dict is the same); returns the generators in use."""
    swaps = [
        (parent, name, child)
        for parent in net.modules()
        for name, child in parent.named_children()
        if type(child) is nn.Dropout
    ]
    for parent, name, child in swaps:
        setattr(parent, name, SeededDropout(child.p, generator))
    return [generator] if swaps else []


def subset_indices(n: int, limit: int | None, seed: int) -> torch.Tensor:
    """The first ``limit`` indices of a permutation seeded by ``seed`` (all of them if None)."""
    if limit is None or limit >= n:
        return torch.arange(n)
    g = torch.Generator().manual_seed(seed + 1_000_003)
    return torch.randperm(n, generator=g)[:limit].sort().values


def to_input(Xu8: torch.Tensor, size: int, dtype=torch.float32) -> torch.Tensor:
    """uint8 (B, 28, 28) → float (B, 1, size, size) in [0, 1]: ToTensor, then Resize (bilinear)."""
    X = Xu8.unsqueeze(1).to(dtype).div_(255.0)
    if X.shape[-1] != size:
        X = F.interpolate(X, size=(size, size), mode="bilinear", align_corners=False)
    return X


SLOW_BATCH_S = 0.2


def _install_stop_hooks(net: nn.Module, stop_event: threading.Event) -> list:
    """Hooks that leave a batch as soon as Stop is pressed, so stop takes effect within 1 s
    even for a ResNet-18 batch that takes 1.5 s on a CPU."""

    def check(*_args):
        if stop_event.is_set():
            raise _Stopped

    handles = []
    for m in net.modules():
        if not list(m.children()):
            handles.append(m.register_forward_pre_hook(check))
    for p in net.parameters():
        if p.requires_grad:
            handles.append(p.register_hook(lambda g: (check(), g)[1]))
    return handles


def _is_oom(exc: BaseException) -> bool:
    from cnnviz.errors import is_out_of_memory

    return is_out_of_memory(exc)


OOM_PREFIXES = ("The GPU ran out of memory", "The computer ran out of memory")


def _oom_message(config: RunConfig, device: torch.device) -> str:
    """cnnviz's own words for a run that ran out of memory (never the allocator's byte count);
    a page recognises them by :data:`OOM_PREFIXES` and says them in its language."""
    where = "The GPU" if device.type == "cuda" else "The computer"
    return (
        f"{where} ran out of memory training {config.spec.family} at "
        f"{config.spec.input_size}×{config.spec.input_size} with batch size {config.batch_size}. "
        "Try a smaller batch size or a smaller input size (or a smaller model)."
    )


def failure_message(exc: BaseException, config: RunConfig) -> str:
    """What a failed run says: cnnviz's own message when memory ran out (building the
    network, training or the final evaluation, on any device), else the error itself."""
    if isinstance(exc, TrainingError):
        return str(exc)
    if _is_oom(exc):
        from cnnviz.device import pick_device

        return _oom_message(config, pick_device(config.device)[0])
    return f"{type(exc).__name__}: {exc}"


def evaluate(net: nn.Module, X: torch.Tensor, y: torch.Tensor, size: int, device, amp: bool):
    """Mean loss and accuracy of ``net`` on uint8 images ``X`` (d2l's evaluate_accuracy_gpu)."""
    net.eval()
    bs = EVAL_BATCH_28 if size <= 28 else 256 if device.type == "cuda" else 64
    loss_sum = torch.zeros((), device=device, dtype=torch.float64)
    correct = torch.zeros((), device=device, dtype=torch.int64)
    with torch.inference_mode():
        for i in range(0, len(X), bs):
            Xb = to_input(X[i : i + bs], size).contiguous(memory_format=torch.channels_last)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                out = net(Xb)
            out = out.float()
            yb = y[i : i + bs]
            loss_sum += F.cross_entropy(out, yb, reduction="sum").double()
            correct += (out.argmax(1) == yb).sum()
    n = max(len(X), 1)
    return float(loss_sum) / n, int(correct) / n


def train(
    config: RunConfig,
    data=None,
    stop_event: threading.Event | None = None,
    net: nn.Module | None = None,
) -> Iterator[dict]:
    """Train ``config.spec`` on Fashion-MNIST, yielding records (d2l 6.6 ``train_ch6``).

    Yields:
        ``{"kind": "notice", "message"}`` when the device asked for is not there, or when
        CUDA graphs cannot be captured (the run goes on without them);
        ``{"kind": "progress", "epoch", "batch", "num_batches", "loss"}`` within epochs, at
        most every 0.25 s and right after the very first batch (the chart's first point) (``epoch``
        1-based, ``batch`` batches done so far);
        ``{"kind": "epoch", "epoch", "train_loss", "train_acc", "val_loss", "val_acc",
        "examples_per_s", "seconds"}`` after each epoch;
        finally ``{"kind": "done", "state_dict", "stopped", "device"}`` (CPU tensors).

    Raises:
        TrainingError: CUDA ran out of memory (the message suggests smaller settings).
        ValueError: settings that cannot train.
    """
    config.validate()
    device, notice = pick_device(config.device)
    if notice:
        yield {"kind": "notice", "message": notice}
    if data is None:
        from cnnviz.data import load_fashion_mnist

        data = load_fashion_mnist()
    try:
        yield from _train(config, data, stop_event, net, device)
    except TrainingError:
        raise
    except Exception as exc:
        if _is_oom(exc):
            if device.type == "cuda":
                torch.cuda.empty_cache()
            raise TrainingError(_oom_message(config, device)) from exc
        raise


def cuda_graphs_enabled() -> bool:
    """CUDA graphs are opt-in (``CNNVIZ_CUDA_GRAPHS=1``) until ``benchmarks/device_check.sh``
    has passed on a real GPU; benchmarks compare both."""
    from cnnviz.config import setting

    return bool(setting(ENV_CUDA_GRAPHS))


class _Step:
    """One SGD step on the batch ``X[idx]``, with the epoch's loss and accuracy sums kept on the
    device (d2l's ``Accumulator``, without a host sync per batch).

    The same body runs eagerly (on the CPU; on CUDA for the first batches and a short last
    batch) and, on CUDA, is captured once into a CUDA graph that every later full batch replays:
    gather, scale, resize, forward, loss, backward, SGD update and the sums. Replaying costs one
    launch instead of hundreds, which is what bounds LeNet and ResNet-18 on a fast GPU.
    """

    WARMUP = 3  # eager batches on the capture stream first (cuDNN, cuBLAS, autograd set-up)

    def __init__(self, net, optimizer, X, y, size: int, amp: bool, graphs: bool, generators=()):
        self.net, self.optimizer, self.X, self.y = net, optimizer, X, y
        self.generators = list(generators)  # the run's own (dropout): a graph replays them
        self.size, self.amp, self.graphs = size, amp, graphs
        self.loss_sum = torch.zeros((), device=X.device, dtype=torch.float64)
        self.correct = torch.zeros((), device=X.device, dtype=torch.int64)
        self.graph = None
        self._static_idx = None
        self._stream = None
        self._warmed = 0

    def reset(self) -> None:
        self.loss_sum.zero_()
        self.correct.zero_()

    def __call__(self, idx: torch.Tensor, full: bool) -> str | None:
        """Train on ``X[idx]`` (``full``: a whole batch, the only shape a graph replays).
        Returns a notice for the user when a capture failed and graphs were turned off."""
        if not self.graphs or not full:
            self.eager(idx)
        elif self.graph is not None:
            self._static_idx.copy_(idx)
            self.graph.replay()
        elif self._warmed < self.WARMUP:
            self.warm(idx)
        else:
            try:
                self.capture(idx)
            except Exception as exc:
                if _is_oom(exc):
                    raise
                self.graphs = False  # a failed capture recorded kernels, it ran none
                self.eager(idx)
                return GRAPHS_OFF.format(error=type(exc).__name__)
        return None

    def eager(self, idx: torch.Tensor) -> None:
        """Raises ``_Stopped`` from a stop hook inside backward; the update is then skipped."""
        Xb = to_input(self.X[idx], self.size).contiguous(memory_format=torch.channels_last)
        yb = self.y[idx]
        # No autocast weight cache: a cached cast would not be refreshed inside a graph replay.
        with torch.autocast(
            self.X.device.type, dtype=torch.bfloat16, enabled=self.amp, cache_enabled=False
        ):
            out = self.net(Xb)
        loss = F.cross_entropy(out.float(), yb)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        with torch.no_grad():
            self.loss_sum += loss.detach().double() * len(idx)
            self.correct += (out.argmax(1) == yb).sum()

    def warm(self, idx: torch.Tensor) -> None:
        """An eager step on the stream the capture will use, as PyTorch's CUDA-graph recipe
        asks: lazily created handles and workspaces then exist before capture."""
        if self._stream is None:
            self._stream = torch.cuda.Stream()
        self._stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(self._stream):
            self.eager(idx)
        torch.cuda.current_stream().wait_stream(self._stream)
        self._warmed += 1

    def capture(self, idx: torch.Tensor) -> None:
        """Record the step for batches of ``len(idx)``, then replay it once for ``idx`` itself
        (capture records kernels without running them)."""
        self._static_idx = idx.clone()
        graph = torch.cuda.CUDAGraph()
        for g in self.generators:  # each replay then draws fresh masks from the run's generator
            graph.register_generator_state(g)
        self.optimizer.zero_grad(set_to_none=True)
        with torch.cuda.graph(graph, stream=self._stream, capture_error_mode="thread_local"):
            self.eager(self._static_idx)
        self.graph = graph
        graph.replay()


def _train(config, data, stop_event, net, device) -> Iterator[dict]:
    spec = config.spec
    size = spec.input_size
    cuda = device.type == "cuda"
    idx = subset_indices(len(data.train_images), config.limit, config.seed)
    X_train = data.train_images[idx].to(device)
    y_train = data.train_labels[idx].to(device)
    n_val = len(data.test_images)
    if config.val_limit is not None:
        n_val = min(n_val, config.val_limit)
    X_val = data.test_images[:n_val].to(device)
    y_val = data.test_labels[:n_val].to(device)

    if net is None:
        net = build_net(config)
    # channels_last pays on both devices: cuDNN's and oneDNN's convolutions prefer NHWC
    # (LeNet on a 2-core CPU: 10.7k → 13.1k examples/s).
    net = net.to(device, memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(net.parameters(), lr=config.effective_lr)
    order_gen = torch.Generator().manual_seed(config.seed)
    # Dropout (VGG) draws from a generator of the run's own, on the training device.
    generators = own_dropout(net, torch.Generator(device=device).manual_seed(config.seed + 1))
    # Stop is checked before every batch. Hooks inside forward/backward (which cost ~25% on a
    # LeNet batch) are added only when one batch takes long enough to delay a Stop.
    hooks: list = []
    watch_first_batch = stop_event is not None and not cuda
    n = len(X_train)
    bs = config.batch_size
    num_batches = (n + bs - 1) // bs
    step = _Step(net, optimizer, X_train, y_train, size, amp=cuda,
                 graphs=cuda and cuda_graphs_enabled(), generators=generators)  # fmt: skip
    stopped = False
    last_report = time.perf_counter()  # across epochs: short epochs still report progress
    try:
        for epoch in range(1, config.num_epochs + 1):
            if stop_event is not None and stop_event.is_set():
                stopped = True
                break
            t0 = time.perf_counter()
            net.train()
            perm = torch.randperm(n, generator=order_gen).to(device)
            step.reset()
            seen = 0
            for b in range(num_batches):
                if stop_event is not None and stop_event.is_set():
                    stopped = True
                    break
                t_batch = time.perf_counter()
                bidx = perm[b * bs : (b + 1) * bs]
                if len(bidx) == 1 and b > 0:
                    break  # one example left over: batch norm cannot train on a batch of one
                try:
                    notice = step(bidx, full=len(bidx) == bs)
                except _Stopped:
                    optimizer.zero_grad(set_to_none=True)
                    stopped = True
                    break
                if notice:
                    yield {"kind": "notice", "message": notice}
                seen += len(bidx)
                now = time.perf_counter()
                if watch_first_batch:
                    watch_first_batch = False
                    if now - t_batch > SLOW_BATCH_S:
                        hooks = _install_stop_hooks(net, stop_event)
                # The first batch reports at once: the chart's first point comes without waiting.
                if now - last_report >= PROGRESS_EVERY_S or (epoch == 1 and b == 0):
                    last_report = now
                    yield {
                        "kind": "progress",
                        "epoch": epoch,
                        "batch": b + 1,
                        "num_batches": num_batches,
                        "loss": float(step.loss_sum) / seen,
                    }
            if stopped:
                break
            if cuda:
                torch.cuda.synchronize()
            train_s = time.perf_counter() - t0
            try:
                val_loss, val_acc = evaluate(net, X_val, y_val, size, device, cuda)
            except _Stopped:
                stopped = True
                break
            yield {
                "kind": "epoch",
                "epoch": epoch,
                "train_loss": float(step.loss_sum) / max(seen, 1),
                "train_acc": int(step.correct) / max(seen, 1),
                "val_loss": val_loss,
                "val_acc": val_acc,
                "examples_per_s": seen / max(train_s, 1e-9),
                "seconds": time.perf_counter() - t0,
            }
    finally:
        for h in hooks:
            h.remove()
    yield {
        "kind": "done",
        "state_dict": state_dict_cpu(net),
        "stopped": stopped,
        "device": str(device),
    }


def warm_up() -> None:
    """Pay the one-time costs of a first run before anyone presses Start: the first optimizer
    imports ``torch._dynamo`` (about 2 s on a 2-core CPU), and CUDA creates its context and
    loads cuDNN on first use. Safe to call from a background thread."""
    w = torch.zeros(1, 1, 3, 3, requires_grad=True)
    torch.optim.SGD([w], lr=0.1)
    if torch.cuda.is_available():
        x = torch.zeros(2, 1, 8, 8, device="cuda")
        F.conv2d(x, w.detach().cuda().requires_grad_()).sum().backward()
        torch.cuda.synchronize()


def state_dict_cpu(net: nn.Module) -> dict[str, torch.Tensor]:
    """Contiguous CPU copies of the weights (safetensors needs unshared, contiguous tensors)."""
    return {k: v.detach().to("cpu").contiguous().clone() for k, v in net.state_dict().items()}


@functools.lru_cache(maxsize=256)
def count_macs(spec: ModelSpec) -> int:
    """Multiply-adds of one forward pass of one image, from the builder's ``layer_summary``
    (on the meta device; remembered per spec: the estimates ask on every rerun)."""
    from cnnviz.models.summary import layer_summary, totals

    return totals(layer_summary(spec))["multiply-adds"]
