"""Learning a convolution kernel by gradient descent (d2l 7.2, "Learning a Kernel").

The book trains ``nn.LazyConv2d(1, kernel_size=(1, 2), bias=False)`` on the 6×8 stripes image
X against Y = corr2d(X, [1, −1]) with the summed squared loss and the plain update
``weight.data[:] -= lr * weight.grad``; after 10 epochs the kernel is close to [1, −1].

This module keeps exactly that loop (:class:`KernelLearner`), runs it as a generator of per-step
records (:func:`learn_kernel`) or in a background thread a page can poll (:class:`KernelRunner`),
catches divergence instead of raising, and explains with the singular values of the im2col patch
matrix which kernels an image can teach at all (:func:`identifiability`). It never imports
Streamlit.

Why the patch matrix: with A the matrix whose rows are the image's flattened h×w patches and w
the flattened kernel, the output is A·w and the summed loss is ‖A·w − y‖². Its Hessian is 2·AᵀA,
with eigenvalues 2·σᵢ² (σᵢ the singular values of A), so plain gradient descent is stable only
for lr < 1/σ_max², converges in about σ_max²/σ_min² steps, and never moves the kernel along
directions with σ = 0: those the image does not show.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

from cnnviz.errors import KeyedError, KeyedText
from cnnviz.ops import corr2d  # the book's loop on small images, F.conv2d on large ones

# The seed's setting (d2l 7.2).
SEED_KERNEL = ((1.0, -1.0),)
SEED_LR = 3e-2
SEED_NUM_EPOCHS = 10
SEED_PRINT_EVERY = 2
SEED_LOSSES = (3.635, 0.638, 0.118, 0.025, 0.006)  # printed at epochs 2, 4, 6, 8, 10
SEED_LEARNED = (0.9844, -0.9961)
# The book's init is random and unseeded; with this seed the same loop prints losses close to
# the book's (see faithful_run and the tests).
FAITHFUL_SEED = 389

INITS = ("random", "zeros", "normal")
INIT_LABELS = {
    "random": "random (kaiming-uniform, as LazyConv2d)",
    "zeros": "zeros",
    "normal": "normal (std 0.1)",
}
REDUCTIONS = ("sum", "mean")
MAX_KERNEL_SIDE = 7
MAX_KERNEL_TEXT = 2_000  # characters of a typed kernel: 49 numbers with room to spare
EXPLODE_FACTOR = 1e6  # loss this many times its first value counts as diverged
RANK_RTOL = 1e-4  # singular values below this fraction of the largest count as zero


@dataclass(frozen=True)
class StepRecord:
    """One gradient step: the loss before the update (as d2l prints it) and the kernel after.

    ``error`` is the largest absolute difference between the kernel and the target.
    ``diverged`` marks the last record of a run that blew up; ``message`` explains why.
    """

    step: int
    loss: float
    kernel: list[list[float]]
    grad_norm: float
    error: float
    diverged: bool = False
    message: str = ""


class KernelError(KeyedError, ValueError):
    """A kernel or training image that cannot be learned from; the message says why."""


def as_kernel(K) -> torch.Tensor:
    """A kernel from a tensor or nested list as a float32 (h, w) tensor.

    Raises:
        ValueError: not a non-empty rectangular grid of finite numbers up to 7×7.
    """
    try:
        T = torch.as_tensor(K, dtype=torch.float32)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise ValueError(f"A kernel must be a rectangular grid of numbers ({exc}).") from exc
    if T.dim() == 1:
        T = T.unsqueeze(0)
    if T.dim() != 2 or T.numel() == 0:
        raise ValueError(f"A kernel must be a 2-D grid of numbers, not shape {tuple(T.shape)}.")
    if max(T.shape) > MAX_KERNEL_SIDE:
        raise KernelError(f"Kernels up to {MAX_KERNEL_SIDE}×{MAX_KERNEL_SIDE} can be learned here.",
                          "kernel.too_big", side=MAX_KERNEL_SIDE)  # fmt: skip
    if not torch.isfinite(T).all():
        raise KernelError("The kernel contains a NaN or an infinite value.", "kernel.not_finite")
    return T


def parse_kernel(raw) -> torch.Tensor:
    """A kernel typed as text (one row per line, numbers split by spaces or commas) or given as
    a nested list (the Cross-correlation page's ``current_kernel``).

    Raises:
        ValueError: with a message for the user.
    """
    if isinstance(raw, str):
        if len(raw) > MAX_KERNEL_TEXT:  # before splitting: a huge text would make huge lists
            raise KernelError(
                f"That is {len(raw):,} characters; a kernel of up to {MAX_KERNEL_SIDE}×"
                f"{MAX_KERNEL_SIDE} numbers fits in {MAX_KERNEL_TEXT:,}.",
                "kernel.too_long", n=len(raw), side=MAX_KERNEL_SIDE, most=MAX_KERNEL_TEXT,
            )  # fmt: skip
        rows = [line.replace(",", " ").split() for line in raw.strip().splitlines() if line.strip()]
        if not rows:
            raise KernelError("Type at least one row of numbers.", "kernel.empty")
        try:
            raw = [[float(v) for v in row] for row in rows]
        except ValueError as exc:
            raise KernelError(f"Only numbers can go in a kernel ({exc}).", "kernel.not_numbers",
                              detail=str(exc)) from exc  # fmt: skip
        if len({len(row) for row in raw}) != 1:
            raise KernelError("Every kernel row needs the same number of values.", "kernel.ragged")
    return as_kernel(raw)


def as_image(X) -> torch.Tensor:
    """An image (H, W), (1, H, W) or (1, 1, H, W) as a float32 (H, W) tensor."""
    X = torch.as_tensor(X, dtype=torch.float32)
    while X.dim() > 2 and X.shape[0] == 1:
        X = X[0]
    if X.dim() == 3:  # several channels: learn on their mean (grey)
        X = X.mean(0)
    if X.dim() != 2:
        raise ValueError(f"The training image must be 2-D, not shape {tuple(X.shape)}.")
    return X


def patch_matrix(X: torch.Tensor, kernel_shape: Sequence[int]) -> torch.Tensor:
    """im2col: one row per output pixel, the h·w input values the kernel sees there."""
    h, w = kernel_shape
    return F.unfold(as_image(X)[None, None], (h, w))[0].T


def _gram(X: torch.Tensor, kernel_shape: Sequence[int]) -> torch.Tensor:
    A = patch_matrix(X, kernel_shape).double()
    return A.T @ A


SPECTRA_KEPT = 16  # (image, kernel size) pairs whose AᵀA eigen-decomposition is remembered
_spectra: OrderedDict[tuple, tuple[torch.Tensor, torch.Tensor]] = OrderedDict()
_spectra_lock = threading.Lock()


def gram_spectrum(X, kernel_shape: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """Eigenvalues (ascending) and eigenvectors of AᵀA, A the image's patch matrix for an
    h×w kernel, in float64; shared, so read them without changing them in place.

    A page asks for it twice per change of the target (the learner's stable lr, the image's
    identifiability), and a student flips between a few kernel sizes on one image: the last
    :data:`SPECTRA_KEPT` are remembered, by the image's bytes and the kernel's size. Building
    AᵀA costs little arithmetic, but in a server's fresh script thread torch's unfold and
    float64 matmul took 5-20 ms."""
    X = as_image(X).detach().contiguous()
    h, w = int(kernel_shape[0]), int(kernel_shape[1])
    key = (tuple(X.shape), h, w, hashlib.sha1(X.numpy()).digest())
    with _spectra_lock:
        found = _spectra.get(key)
        if found is not None:
            _spectra.move_to_end(key)
            return found
    found = torch.linalg.eigh(_gram(X, (h, w)))
    found = (found.eigenvalues, found.eigenvectors)
    with _spectra_lock:
        _spectra[key] = found
        while len(_spectra) > SPECTRA_KEPT:
            _spectra.popitem(last=False)
    return found


@dataclass(frozen=True)
class Identifiability:
    """What an image can teach about an h×w kernel (d2l 7.2 exercise; cnnviz goes further).

    ``singular_values`` of the patch matrix, largest first; ``rank`` how many are non-zero;
    ``condition`` σ_max²/σ_min² over the non-zero ones (≈ steps gradient descent needs);
    ``lr_limit`` the largest stable lr for the summed loss (1/σ_max²); ``hidden`` kernels
    (h×w) the image cannot see at all; ``target_hidden`` the share (0..1) of the target's
    norm that lies in them; ``reachable`` the best kernel plain gradient descent from zeros can
    reach (the target's visible part); ``text`` a markdown explanation.
    """

    kernel_shape: tuple[int, int]
    singular_values: list[float]
    rank: int
    condition: float
    lr_limit: float
    lr_suggested: float
    hidden: list[list[list[float]]]
    target_hidden: float
    reachable: list[list[float]] | None
    varies_across: bool
    varies_down: bool
    text: str


def identifiability(X, kernel_shape: Sequence[int], K_target=None) -> Identifiability:
    """Why an image needs edges in both directions before a 3×3 kernel can be learned.

    Gradient descent on ‖A·w − y‖² only ever moves w inside the row space of the patch matrix A:
    a kernel direction v with A·v = 0 changes no output pixel, so no loss can push it. On the
    stripes image every patch is the same from row to row, so a 3×3 kernel's rows cannot be told
    apart: only its three column sums are visible (rank 3 of 9) and Sobel x is not identifiable.
    """
    X = as_image(X)
    h, w = (int(kernel_shape[0]), int(kernel_shape[1]))
    n = h * w
    evals, evecs = gram_spectrum(X, (h, w))  # ascending
    evals = evals.clamp_min(0).flip(0)
    evecs = evecs.flip(1)
    sv = evals.sqrt()
    smax = float(sv[0]) if n else 0.0
    nonzero = sv > RANK_RTOL * max(smax, 1e-30)
    rank = int(nonzero.sum())
    smin = float(sv[rank - 1]) if rank else 0.0
    condition = (smax / smin) ** 2 if rank else math.inf
    lr_limit = 1.0 / smax**2 if smax > 0 else math.inf
    lr_suggested = 1.0 / (smax**2 + smin**2) if rank else math.inf
    N = evecs[:, rank:]
    hidden = [N[:, k].reshape(h, w).float().tolist() for k in range(N.shape[1])]
    target_hidden, reachable = 0.0, None
    if K_target is not None:
        K = as_kernel(K_target).double().flatten()
        if K.numel() == n:
            hidden_part = N @ (N.T @ K)
            target_hidden = float(hidden_part.norm() / K.norm()) if float(K.norm()) else 0.0
            reachable = (K - hidden_part).reshape(h, w).float().tolist()
    dx = (X[:, 1:] - X[:, :-1]).abs().sum() if X.shape[1] > 1 else torch.tensor(0.0)
    dy = (X[1:, :] - X[:-1, :]).abs().sum() if X.shape[0] > 1 else torch.tensor(0.0)
    varies_across, varies_down = bool(dx > 1e-6), bool(dy > 1e-6)
    info = Identifiability(
        (h, w), sv.float().tolist(), rank, condition, lr_limit, lr_suggested, hidden,
        target_hidden, reachable, varies_across, varies_down, "",
    )  # fmt: skip
    return Identifiability(**{**info.__dict__, "text": explain_identifiability(info)})


# How the explanations read; a page passes its language's (ui/locales: "learn_kernel").
IDENT_WORDS = {
    "span": "The image's {h}×{w} patches span **{rank} of {n}** kernel directions "
    "(singular values of the patch matrix above {rtol}·σ_max).",
    "flat": "The image is flat: no edge at all, so only the kernel's sum is visible.",
    "rows_same": "Every row of the image is the same (it only has **vertical** edges): each "
    "patch repeats down its rows, so only the kernel's **column sums** change the output. "
    "The kernel's rows cannot be told apart.",
    "cols_same": "Every column of the image is the same (it only has **horizontal** edges): "
    "only the kernel's **row sums** change the output.",
    "invisible": "{k} direction(s) are **invisible**: adding them to a kernel changes no "
    "output pixel, so the loss cannot push the kernel along them. Gradient descent drives "
    "the loss to 0 and still stops at a different kernel: the target's visible part plus "
    "whatever the initialisation put in the invisible part.",
    "not_identifiable": "Here **{share:.0%}** of the target's size lies in the invisible part: "
    "it is **not identifiable** from this image. Use an image with edges in both directions "
    "(a drawing, a photo, a Fashion-MNIST sample).",
    "target_visible": "The target itself lies in the visible part, so starting from zeros it is "
    "learned exactly; a random start keeps its invisible part.",
    "all_visible": "Every direction is visible, so the target is identifiable. The slowest "
    "direction is {condition:,.0f}× weaker than the strongest (σ_max²/σ_min²): plain gradient "
    "descent needs roughly that many steps.",
    "lr": "Stable learning rates for the summed loss: lr < 1/σ_max² = **{lr_limit:.3g}**; "
    "fastest steady choice 1/(σ_max² + σ_min²) = {lr_suggested:.3g}.",
}
DIVERGE_WORDS = {
    "diverged": "The run diverged at step {step}: {reason}. ",
    "above": "The learning rate {lr:g} is above this image's stability limit 1/σ_max² = "
    "{lr_limit:.3g}. Along the steepest direction every step overshoots the minimum and lands "
    "{factor:.2f}× as far on the other side, so the error grows geometrically instead of "
    "shrinking until the numbers overflow. Use lr below {lr_limit:.3g}.",
    "lower": "Lower the learning rate and start again.",
    "nan": "the loss became NaN or infinite",
    "exploded": "the loss exploded from {first:.3g} to {loss:.3g}",
    "overflow": "the kernel's values overflowed to infinity",
}


def explain_identifiability(info: Identifiability, words: dict = IDENT_WORDS) -> str:
    """Markdown: what the singular values say about learning this kernel from this image."""
    h, w = info.kernel_shape
    n = h * w
    lines = [words["span"].format(h=h, w=w, rank=info.rank, n=n, rtol=f"{RANK_RTOL:g}")]
    if not info.varies_across and not info.varies_down:
        lines.append(words["flat"])
    elif not info.varies_down and h > 1:
        lines.append(words["rows_same"])
    elif not info.varies_across and w > 1:
        lines.append(words["cols_same"])
    if info.rank < n:
        lines.append(words["invisible"].format(k=n - info.rank))
        if info.reachable is not None:
            share = info.target_hidden
            if share > 1e-3:
                lines.append(words["not_identifiable"].format(share=share))
            else:
                lines.append(words["target_visible"])
    else:
        lines.append(words["all_visible"].format(condition=info.condition))
    lines.append(words["lr"].format(lr_limit=info.lr_limit, lr_suggested=info.lr_suggested))
    return "\n\n".join(lines)


def explain_divergence(
    lr: float, lr_limit: float, step: int, reason: str, words: dict = DIVERGE_WORDS,
    **values: float,
) -> str:  # fmt: skip
    """Why a run blew up, in words for the class. ``reason``: "nan", "exploded" (``values``:
    first, loss) or "overflow"."""
    text = words["diverged"].format(step=step, reason=words[reason].format(**values))
    if math.isfinite(lr_limit) and lr > lr_limit:
        factor = abs(1 - lr / lr_limit * 2)
        text += words["above"].format(lr=lr, lr_limit=lr_limit, factor=factor)
    else:
        text += words["lower"]
    return text


class KernelLearner:
    """The seed's training loop, one step at a time (d2l 7.2).

    ``conv2d = nn.Conv2d(1, 1, kernel_size=K.shape, bias=False)`` (LazyConv2d's default init
    is the same kaiming-uniform), ``l = (Y_hat − Y) ** 2``, ``l.sum().backward()``,
    ``conv2d.weight.data[:] -= lr * conv2d.weight.grad``.

    Args:
        X: the training image (H, W) (or (1, H, W)).
        K_target: the kernel that makes Y = corr2d(X, K_target).
        lr: learning rate.
        seed: seeds the initial kernel.
        init: "random" (kaiming-uniform), "zeros" or "normal" (std 0.1).
        reduction: "sum" (the book) or "mean" over output pixels (lr then barely depends on
            the image size).
        explode_factor: a loss this many times its first value counts as diverged.
    """

    def __init__(
        self,
        X,
        K_target,
        lr: float = SEED_LR,
        seed: int = FAITHFUL_SEED,
        init: str = "random",
        reduction: str = "sum",
        explode_factor: float = EXPLODE_FACTOR,
    ):
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS}, not {init!r}.")
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {REDUCTIONS}, not {reduction!r}.")
        if not (isinstance(lr, int | float) and math.isfinite(lr) and lr > 0):
            raise ValueError(f"The learning rate must be a positive number, not {lr!r}.")
        self.X2 = as_image(X)
        self.K = as_kernel(K_target)
        kh, kw = self.K.shape
        H, W = self.X2.shape
        if H < kh or W < kw:
            raise KernelError(f"The image ({H}×{W}) is smaller than the kernel ({kh}×{kw}).",
                              "kernel.image_small", H=H, W=W, kh=kh, kw=kw)  # fmt: skip
        self.lr, self.init, self.reduction = float(lr), init, reduction
        self.explode_factor = explode_factor
        self.X = self.X2.reshape((1, 1, H, W))
        self.Y = corr2d(self.X2, self.K).reshape((1, 1, H - kh + 1, W - kw + 1))
        self.conv2d = _seeded_conv(kh, kw, seed, init)
        smax2 = float(gram_spectrum(self.X2, (kh, kw))[0][-1])
        scale = self.Y.numel() if reduction == "mean" else 1
        self.lr_limit = scale / smax2 if smax2 > 0 else math.inf
        self.step_count = 0
        self.first_loss: float | None = None
        self.diverged = False

    @property
    def kernel(self) -> torch.Tensor:
        """The current kernel as an (h, w) tensor (a copy)."""
        return self.conv2d.weight.detach()[0, 0].clone()

    def step(self) -> StepRecord:
        """One full-batch gradient step; never raises on divergence (the record says so)."""
        conv2d = self.conv2d
        Y_hat = conv2d(self.X)
        l = (Y_hat - self.Y) ** 2
        loss_t = l.sum() if self.reduction == "sum" else l.mean()
        conv2d.zero_grad()
        loss_t.backward()
        grad = conv2d.weight.grad
        loss = float(loss_t.detach())
        grad_norm = float(grad.norm())
        self.step_count += 1
        if self.first_loss is None:
            self.first_loss = loss
        reason = ""
        if not (math.isfinite(loss) and math.isfinite(grad_norm)):
            reason = "nan"
        elif loss > self.explode_factor * max(self.first_loss, 1e-6):
            reason = "exploded"
        if not reason:
            conv2d.weight.data[:] -= self.lr * grad
            if not torch.isfinite(conv2d.weight).all():
                reason = "overflow"
        K = self.kernel
        error = float((K - self.K).abs().max())
        if reason:
            self.diverged = True
            why = dict(lr=self.lr, lr_limit=self.lr_limit, step=self.step_count, reason=reason,
                       first=self.first_loss, loss=loss)  # fmt: skip
            msg = KeyedText(explain_divergence(**why), "learn.diverged", **why)
            return StepRecord(self.step_count, loss, K.tolist(), grad_norm, error, True, msg)
        return StepRecord(self.step_count, loss, K.tolist(), grad_norm, error)


def _seeded_conv(kh: int, kw: int, seed: int, init: str) -> nn.Conv2d:
    """The book's ``LazyConv2d(1, kernel_size, bias=False)``, drawn from its own generator.

    The draws are those of seeding the global RNG with ``seed`` and making ``nn.Conv2d(...)``
    (kaiming-uniform with a = √5; "normal" redraws after it), but the global RNG is never
    touched: a lesson in one session cannot shift the random numbers of another session's run.
    """
    g = torch.Generator().manual_seed(seed)
    conv2d = nn.Conv2d(1, 1, kernel_size=(kh, kw), bias=False, device="meta").to_empty(device="cpu")
    with torch.no_grad():
        nn.init.kaiming_uniform_(conv2d.weight, a=math.sqrt(5), generator=g)
        if init == "zeros":
            conv2d.weight.zero_()
        elif init == "normal":
            conv2d.weight.normal_(0, 0.1, generator=g)
    return conv2d


def learn_kernel(
    X,
    K_target,
    lr: float = SEED_LR,
    num_epochs: int = SEED_NUM_EPOCHS,
    seed: int = FAITHFUL_SEED,
    init: str = "random",
    reduction: str = "sum",
    explode_factor: float = EXPLODE_FACTOR,
) -> Iterator[StepRecord]:
    """Train a kernel by gradient descent, yielding one :class:`StepRecord` per epoch (d2l 7.2).

    One epoch is one full-batch step on the single image, as in the book. A run that diverges
    yields a last record with ``diverged=True`` and an explanation, then stops.
    """
    learner = KernelLearner(X, K_target, lr, seed, init, reduction, explode_factor)
    for _ in range(int(num_epochs)):
        record = learner.step()
        yield record
        if record.diverged:
            return


@dataclass(frozen=True)
class FaithfulResult:
    """The seed's run: losses at epochs 2, 4, 6, 8, 10 and the learned (1, 2) kernel."""

    losses: list[float]
    kernel: list[float]
    records: list[StepRecord] = field(repr=False)


def faithful_run(seed: int = FAITHFUL_SEED) -> FaithfulResult:
    """d2l 7.2's setting exactly (stripes, K = [1, −1], lr 3e-2, 10 epochs, summed loss), with
    :data:`FAITHFUL_SEED`, a seed chosen because its printout lands near the book's."""
    from cnnviz.images import seed_stripes

    records = list(learn_kernel(seed_stripes(), SEED_KERNEL, SEED_LR, SEED_NUM_EPOCHS, seed))
    losses = [r.loss for r in records if r.step % SEED_PRINT_EVERY == 0]
    return FaithfulResult(losses, records[-1].kernel[0], records)


def format_seed_printout(result: FaithfulResult) -> str:
    """The run printed the way the book prints it."""
    lines = [
        f"epoch {SEED_PRINT_EVERY * (i + 1)}, loss {loss:.3f}"
        for i, loss in enumerate(result.losses)
    ]
    k = ", ".join(f"{v: .4f}" for v in result.kernel)
    return "\n".join([*lines, f"tensor([[{k}]])"])


class KernelRunner:
    """Runs a :class:`KernelLearner` in a background thread; a page polls ``snapshot()``.

    The thread never touches Streamlit. ``step_once()`` does one step on the caller's thread
    (the page's Step button) when no run is going. ``stop()`` asks the thread to finish after the
    current step and waits for it briefly.

    Args:
        learner: the problem and its current kernel.
        steps_per_second: pace for watching a short run; None runs at full speed.
    """

    def __init__(self, learner: KernelLearner, steps_per_second: float | None = None):
        self.learner = learner
        self.steps_per_second = steps_per_second
        self.history: list[StepRecord] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: str = ""

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def diverged(self) -> bool:
        return self.learner.diverged

    def snapshot(self) -> list[StepRecord]:
        """A copy of the history so far (safe to read while the thread appends)."""
        with self._lock:
            return list(self.history)

    def _record(self, record: StepRecord) -> None:
        with self._lock:
            self.history.append(record)

    def step_once(self) -> StepRecord | None:
        """One step now, unless a run is going or the run diverged."""
        if self.running or self.learner.diverged:
            return None
        with self._lock:
            record = self.learner.step()
            self.history.append(record)
        return record

    def start(self, num_steps: int) -> bool:
        """Run ``num_steps`` more steps in the background; False if already running."""
        if self.running or self.learner.diverged:
            return False
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, args=(int(num_steps),), name="cnnviz-kernel-learning", daemon=True
        )
        self._thread.start()
        return True

    def _run(self, num_steps: int) -> None:
        pause = 1.0 / self.steps_per_second if self.steps_per_second else 0.0
        try:
            for _ in range(num_steps):
                if self._stop.is_set():
                    break
                with self._lock:
                    record = self.learner.step()
                    self.history.append(record)
                if record.diverged:
                    break
                if pause and self._stop.wait(pause):
                    break
        except Exception as exc:  # noqa: BLE001 - reported to the page, never lost in a thread
            self.error = f"{type(exc).__name__}: {exc}"

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the run to stop after the current step and wait up to ``timeout`` seconds."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def wait(self, timeout: float | None = None) -> None:
        """Block until the background run ends (tests, CLI)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)


def run_headless(learner: KernelLearner, num_steps: int) -> tuple[list[StepRecord], float]:
    """Run to the end on this thread; returns the records and the seconds taken (benchmarks)."""
    t0 = time.perf_counter()
    records = []
    for _ in range(num_steps):
        records.append(learner.step())
        if records[-1].diverged:
            break
    return records, time.perf_counter() - t0
