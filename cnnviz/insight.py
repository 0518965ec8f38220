"""What a trained network learned: its answer for any image, its confusion matrix, its most
confident mistakes, and where it looked (beyond the book; it serves d2l 7.6, 8.2 and 8.6,
whose networks the book trains but never questions).

Everything here returns plain data (numpy arrays, tuples, dicts) and never imports Streamlit:

- :func:`prepare` turns any image (a drawing, an upload, a test image) into the network's input
  exactly as the run's training data was made (grey, Fashion-MNIST's polarity and framing,
  the spec's input size) and says, step by step, what it did;
- :func:`predict` gives the ten class probabilities, for a network or a stored run (whose
  network is built once and kept in a small LRU cache, so a drawing is classified in
  milliseconds);
- :func:`confusion_matrix`, :func:`worst_mistakes` and :func:`evaluate_run` evaluate on the
  test images through the same path as training's validation (uint8 → ``to_input`` → the net
  in eval mode, channels_last, inference mode), so the diagonal of the matrix over the run's
  validation images is its stored validation accuracy;
- :func:`saliency` computes Grad-CAM on the last convolutional stage, or plain input
  gradients, for one image and one class.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from cnnviz.data import TEXT_LABELS
from cnnviz.errors import KeyedError, KeyedText
from cnnviz.train import EVAL_BATCH_28, to_input

log = logging.getLogger("cnnviz")

BLANK_RANGE = 2 / 255  # darkest and brightest pixel closer than two grey levels: a blank image
LIGHT = 0.5  # a border pixel brighter than this is "light"
INK = 0.1  # after levels are stretched, a pixel above this belongs to the item (framing)
STORED_WORST = 40  # evaluate_run keeps the 40 most confident mistakes overall …
STORED_PER_CLASS = 6  # … and the 6 most confident of each true class: at most 100 records
RUN_CACHE_ENTRIES = 4
RUN_CACHE_BYTES = 1_500_000_000  # VGG-11's weights are 515 MB: at most two of them
POOLS = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)
METHODS = ("gradcam", "gradient")


class InsightError(KeyedError, ValueError):
    """An image, a run or a request that cannot be answered; the message is for the user."""


def class_names(num_classes: int = 10) -> list[str]:
    """Fashion-MNIST's names for the first ten classes, ``class k`` beyond (builder nets)."""
    return [TEXT_LABELS[k] if k < len(TEXT_LABELS) else f"class {k}" for k in range(num_classes)]


# -- preparing an image as the training data was -----------------------------------------------


def _size_text(H: int, W: int) -> str:
    return f"{W}×{H}"


def _grey(image) -> tuple[torch.Tensor, list[str]]:
    """(H, W) float in [0, 1] and the steps that made it grey."""
    if isinstance(image, np.ndarray):
        image = torch.from_numpy(np.ascontiguousarray(image))
    if not isinstance(image, torch.Tensor):
        raise InsightError(f"An image must be a tensor or an array, not {type(image).__name__}.")
    X = image.detach().to("cpu", torch.float32)
    steps: list[str] = []
    if X.dim() == 2:
        pass
    elif X.dim() == 3:
        c = X.shape[0]
        if c == 1:
            X = X[0]
        elif c in (3, 4):
            X = X[:3].mean(0)
            steps.append(KeyedText("grey: the mean of the red, green and blue channels",
                                   "step.grey_rgb"))  # fmt: skip
            if c == 4:
                steps.append(KeyedText("the alpha channel was ignored", "step.alpha"))
        else:
            X = X.mean(0)
            steps.append(KeyedText(f"grey: the mean of its {c} channels", "step.grey_n", c=c))
    else:
        raise InsightError(
            f"An image must be (channels, height, width) or (height, width); this one is "
            f"{tuple(X.shape)}."
        )
    if X.numel() == 0 or min(X.shape) < 2:
        raise InsightError(f"The image is {tuple(X.shape)}: too small to classify.",
                           "insight.too_small", shape=tuple(X.shape))  # fmt: skip
    if not torch.isfinite(X).all():
        raise InsightError("The image has missing (NaN or infinite) pixels.", "insight.not_finite")
    if float(X.min()) < 0 or float(X.max()) > 1:
        X = X.clamp(0, 1)
        steps.append(KeyedText("clipped to 0…1", "step.clipped"))
    return X, steps


def _border(X: torch.Tensor) -> torch.Tensor:
    return torch.cat([X[0], X[-1], X[1:-1, 0], X[1:-1, -1]])


def _frame(X: torch.Tensor) -> tuple[torch.Tensor, list[str]]:
    """Fashion-MNIST's framing of an item: a black background, the item as bright as it goes,
    cropped to itself and centred on a square whose side is its longer side."""
    steps = []
    bg = float(_border(X).median())
    top = float(X.max())
    if bg > 0.02 or top < 0.98:
        X = ((X - bg) / max(top - bg, 1e-6)).clamp(0, 1)
        steps.append(KeyedText(
            f"levels stretched: background {bg:.2f} → 0, brightest {top:.2f} → 1",
            "step.levels", bg=bg, top=top,
        ))  # fmt: skip
    H, W = X.shape
    rows = torch.nonzero((X > INK).any(1)).flatten()
    cols = torch.nonzero((X > INK).any(0)).flatten()
    if len(rows) == 0:  # only faint marks: keep the whole image
        return X, steps
    r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    h, w = r1 - r0, c1 - c0
    side = max(h, w)
    if (h, w) == (H, W) and H == W:
        steps.append(KeyedText("framing: the item already fills the square frame",
                               "step.framed_already"))  # fmt: skip
        return X, steps
    crop = X[r0:r1, c0:c1]
    out = torch.zeros(side, side)
    top_pad, left_pad = (side - h) // 2, (side - w) // 2
    out[top_pad : top_pad + h, left_pad : left_pad + w] = crop
    item, square = _size_text(h, w), _size_text(side, side)
    steps.append(KeyedText(
        f"framed as Fashion-MNIST frames its items: cropped to the item ({item} at "
        f"x {c0}, y {r0}) and centred on a black {square} square, so its longer "
        "side fills the frame", "step.framed", item=item, x=c0, y=r0, square=square,
    ))  # fmt: skip
    return out, steps


def prepare(image, spec, *, fit: bool = True) -> tuple[torch.Tensor, list[str]]:
    """``image`` as the network's input, prepared as the run's training data was.

    Fashion-MNIST items are light on a black background, grey, and fill a square frame along
    their longer side; training scales them to [0, 1] and resizes them bilinearly to the
    spec's input size (``cnnviz.train.to_input``). So: grey; inverted when the image's border
    is mostly light (a dark drawing on white paper); with ``fit``, levels stretched, cropped to
    the item and centred on a square; then resized to ``spec.input_size``.

    Args:
        image: (C, H, W) or (H, W) float in [0, 1], as ``cnnviz.images`` gives it.
        spec: the run's model spec (input size and channels).
        fit: frame the item as Fashion-MNIST does (for drawings and uploads; a test image is
            framed already and is passed with ``fit=False`` so it meets the network exactly as
            in validation).

    Returns:
        (X, steps): X is (1, in_channels, size, size) in [0, 1]; steps are sentences for the
        page, in order.

    Raises:
        InsightError: a blank image (one value everywhere) or not an image at all.
    """
    X, steps = _grey(image)
    H, W = X.shape
    lo, hi = float(X.min()), float(X.max())
    if hi - lo < BLANK_RANGE:
        raise InsightError(
            f"The image is blank: every pixel is {lo:.2f}. Draw, upload or pick an item of "
            "clothing first.", "insight.blank", value=lo,
        )  # fmt: skip
    light = float((_border(X) > LIGHT).float().mean())
    if light > 0.5:
        X = 1 - X
        steps.append(KeyedText(
            f"inverted: light background → black ({light:.0%} of the border was light); "
            "Fashion-MNIST shows light items on black", "step.inverted", share=light,
        ))  # fmt: skip
    else:
        steps.append(KeyedText(
            "polarity kept: the background is already dark, as in Fashion-MNIST", "step.polarity"
        ))  # fmt: skip
    if fit:
        X, framed = _frame(X)
        steps += framed
    size = spec.input_size
    h, w = X.shape
    X4 = X[None, None]
    if (h, w) != (size, size):
        shrink = min(h, w) > size
        X4 = F.interpolate(
            X4, size=(size, size), mode="bilinear", align_corners=False, antialias=shrink
        )
        how = (
            KeyedText("bilinear, antialiased", "step.how_shrink") if shrink
            else KeyedText("bilinear, as training resizes", "step.how_grow")
        )  # fmt: skip
        stretched = KeyedText(", stretching it to a square", "step.stretched") if h != w else ""
        old, new = _size_text(h, w), _size_text(size, size)
        steps.append(KeyedText(
            f"resized {old} → {new} ({how}{stretched}): the run's input size", "step.resized",
            old=old, new=new, how=how, stretched=stretched,
        ))  # fmt: skip
    else:
        new = _size_text(size, size)
        steps.append(KeyedText(f"kept at {new}, the run's input size", "step.kept", new=new))
    if spec.in_channels != 1:
        X4 = X4.expand(-1, spec.in_channels, -1, -1)
        steps.append(KeyedText(f"grey repeated on {spec.in_channels} channels", "step.repeated",
                               c=spec.in_channels))  # fmt: skip
    return X4.clamp(0, 1).contiguous(), steps


# -- networks of stored runs -------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedRun:
    """A stored run's trained network (eval mode, CPU, channels_last) and what it is."""

    run_id: str
    name: str
    status: str
    epochs_done: int
    num_epochs: int
    val_limit: int | None
    spec: object
    net: nn.Module = field(repr=False, compare=False)


_runs: OrderedDict[tuple, LoadedRun] = OrderedDict()  # read-only networks, shared
_runs_lock = threading.Lock()


def clear_cache() -> None:
    """Forget every cached network (tests; a store that was replaced)."""
    with _runs_lock:
        _runs.clear()


def _bytes(net: nn.Module) -> int:
    return sum(t.numel() * t.element_size() for t in net.state_dict().values())


def network_from_state(spec, state: dict[str, torch.Tensor]) -> nn.Module:
    """The spec's network holding ``state`` (eval mode, channels_last, on the CPU).

    Built on the meta device and given the loaded tensors as they are: no Xavier init to
    throw away (seconds for VGG-11), and no use of the global random generator.

    Raises:
        InsightError: the weights belong to another network, or the spec cannot be built.
    """
    from cnnviz.models import SpecError, network_from_weights

    try:
        net = network_from_weights(spec, state)
    except SpecError as exc:
        raise InsightError(f"The run's network cannot be built: {exc}") from None
    except ValueError as exc:
        raise InsightError(
            f"The weights do not belong to the network this run describes ({exc}).",
            "insight.mismatch", detail=str(exc),
        ) from None  # fmt: skip
    return net.to(memory_format=torch.channels_last)


def _refuse(rec) -> None:
    """Raise the reason a stored run has no trained network to classify with, if it has none."""
    name, status, done, n = rec.name, rec.status, rec.epochs_done, rec.config.num_epochs
    if status == "queued":
        raise InsightError(f"“{name}” is waiting to train: come back when it has finished.",
                           "insight.queued", name=name)  # fmt: skip
    if status == "running":
        raise InsightError(
            f"“{name}” is still training ({done} of {n} epochs done): its network can be "
            "questioned once it has finished or been stopped.", "insight.running", name=name,
            done=done, n=n,
        )  # fmt: skip
    if done == 0:
        why = {
            "stopped": KeyedText("was stopped before its first epoch ended", "why.stopped"),
            "failed": KeyedText("failed before its first epoch ended", "why.failed"),
            "interrupted": KeyedText("was interrupted before its first epoch ended",
                                     "why.interrupted"),
        }.get(status, KeyedText("has no finished epoch", "why.none"))  # fmt: skip
        detail = f" ({rec.error})" if status == "failed" and rec.error else ""
        raise InsightError(
            f"“{name}” {why}{detail}: it has no stored weights yet. Train it for at least one "
            "epoch, or pick another run.", "insight.no_epoch", name=name, why=why, detail=detail,
        )  # fmt: skip


def _unreadable_weights(name: str, file: str) -> InsightError:
    """A run whose weights file cannot be read, or holds another network's weights (the
    details go to the log)."""
    return InsightError(
        f"“{name}” has no readable stored weights ({file} is damaged or not this run's): train "
        "it again for at least one epoch, or pick another run.", "insight.damaged", name=name,
        file=file,
    )  # fmt: skip


def load_run(store, run_id: str) -> LoadedRun:
    """A stored run's network, built once per (store, run, epochs done, checkpoint file) and
    kept in a small LRU cache (4 networks, 1.5 GB at most), so a drawing is classified without
    reading the checkpoint again.

    ``store`` is a ``cnnviz.runs.RunStore``: the weights come from ``load_state_dict`` (tensors
    only, never unpickled) and the spec from ``get(run_id).config.spec``.

    Raises:
        InsightError: no such run; a run still training or queued; one that stopped, failed or
            was interrupted before its first epoch ended; one without (readable) weights, or
            whose weights file holds another network's.
    """
    from cnnviz.runs.artifacts import CheckpointError

    try:
        rec = store.get(run_id)
    except KeyError:
        raise InsightError(f"There is no run {run_id!r} in {store.root}.") from None
    _refuse(rec)
    path = store.checkpoint_path(run_id)
    try:
        st = path.stat()
    except OSError:
        raise InsightError(
            f"“{rec.name}” has no stored weights ({path.name} is missing): train it again for "
            "at least one epoch, import its .safetensors file on the Training runs page, or pick "
            "another run.", "insight.no_file", name=rec.name, file=path.name,
        ) from None  # fmt: skip
    key = (str(store.root), run_id, rec.epochs_done, st.st_ino, st.st_mtime_ns, st.st_size)
    with _runs_lock:
        if key in _runs:
            _runs.move_to_end(key)
            return _runs[key]
    try:
        state = store.load_state_dict(run_id)
    except CheckpointError as exc:
        log.warning("run %s: %s", run_id, exc)
        raise _unreadable_weights(rec.name, path.name) from None
    if state is None:
        raise InsightError(
            f"“{rec.name}” has no stored weights yet: train it for at least one epoch, import "
            "its .safetensors file on the Training runs page, or pick another run.",
            "insight.no_weights", name=rec.name,
        )  # fmt: skip
    spec = rec.config.spec
    try:
        net = network_from_state(spec, state)
    except InsightError as exc:
        if exc.key != "insight.mismatch":
            raise
        log.warning("run %s: %s", run_id, exc)  # weights of another network: a damaged file
        raise _unreadable_weights(rec.name, path.name) from None
    loaded = LoadedRun(
        run_id, rec.name, rec.status, rec.epochs_done, rec.config.num_epochs,
        rec.config.val_limit, spec, net,
    )  # fmt: skip
    with _runs_lock:
        for old in [k for k in _runs if k[:2] == key[:2]]:  # an older checkpoint of this run
            del _runs[old]
        _runs[key] = loaded
        while len(_runs) > RUN_CACHE_ENTRIES or (
            len(_runs) > 1 and sum(_bytes(r.net) for r in _runs.values()) > RUN_CACHE_BYTES
        ):
            _runs.popitem(last=False)
    return loaded


def _net_and_spec(model, spec=None) -> tuple[nn.Module, object]:
    """(net, spec) from an ``nn.Module`` (with ``spec``), a :class:`LoadedRun`, or a
    ``(store, run_id)`` pair."""
    if isinstance(model, LoadedRun):
        return model.net, model.spec
    if isinstance(model, tuple) and len(model) == 2:
        loaded = load_run(*model)
        return loaded.net, loaded.spec
    if isinstance(model, nn.Module):
        if spec is None:
            raise InsightError("A network needs its spec (input size and channels).")
        return model, spec
    raise InsightError(
        f"Expected a network, a loaded run or (store, run_id), not {type(model).__name__}."
    )


def _device(net: nn.Module) -> torch.device:
    p = next(net.parameters(), None)
    return p.device if p is not None else torch.device("cpu")


# -- classifying ---------------------------------------------------------------------------------


def predict(model, image, spec=None, *, fit: bool = True) -> np.ndarray:
    """The class probabilities (softmax of the network's outputs) for one image.

    Args:
        model: an ``nn.Module`` (then ``spec`` is needed), a :class:`LoadedRun`, or
            ``(store, run_id)`` for a stored run (its network comes from the cache).
        image: any image for :func:`prepare`, or an already prepared batch
            (1, in_channels, size, size) from it.
        fit: passed to :func:`prepare`.

    Returns:
        float64 (num_classes,) summing to 1 (10 for Fashion-MNIST).

    Raises:
        InsightError: a blank image, or a run that cannot be used (see :func:`load_run`).
    """
    net, spec = _net_and_spec(model, spec)
    if isinstance(image, torch.Tensor) and image.dim() == 4:
        X = image
        want = (spec.in_channels, spec.input_size, spec.input_size)
        if tuple(X.shape[1:]) != want:
            raise InsightError(f"A prepared batch must be (N, {', '.join(map(str, want))}).")
    else:
        X, _ = prepare(image, spec, fit=fit)
    was_training = net.training
    net.eval()
    try:
        with torch.inference_mode():
            Xd = X.to(_device(net), torch.float32).contiguous(memory_format=torch.channels_last)
            out = net(Xd).double().softmax(1).cpu().numpy()
    finally:
        net.train(was_training)
    return out[0] if len(out) == 1 else out


def eval_batch_size(size: int, device: torch.device) -> int:
    """Training's validation batch (``cnnviz.train.evaluate``): the same batches give the same
    numbers, so the matrix's accuracy is the stored one to the last image."""
    return EVAL_BATCH_28 if size <= 28 else 256 if device.type == "cuda" else 64


def class_probabilities(
    model, images_u8: torch.Tensor, spec=None, batch_size: int | None = None,
    amp: bool | None = None,
) -> np.ndarray:  # fmt: skip
    """Softmax probabilities (N, num_classes) for uint8 test images (N, 28, 28), computed as
    training validates: ``to_input`` per batch, eval mode, channels_last, inference mode, on
    the network's device (bf16 autocast on CUDA, as training; ``amp`` overrides)."""
    net, spec = _net_and_spec(model, spec)
    device = _device(net)
    amp = device.type == "cuda" if amp is None else amp
    bs = batch_size or eval_batch_size(spec.input_size, device)
    out = []
    was_training = net.training
    net.eval()
    try:
        with torch.inference_mode():
            for i in range(0, len(images_u8), bs):
                Xb = to_input(images_u8[i : i + bs].to(device), spec.input_size)
                Xb = Xb.contiguous(memory_format=torch.channels_last)
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                    logits = net(Xb)
                out.append(logits.float().softmax(1).cpu())
    finally:
        net.train(was_training)
    if not out:
        return np.zeros((0, spec.num_classes), dtype=np.float32)
    return torch.cat(out).numpy()


# -- confusion matrices ------------------------------------------------------------------------


def confusion_from_predictions(labels, predicted, num_classes: int = 10) -> np.ndarray:
    """(num_classes, num_classes) counts: row = true class, column = predicted class."""
    y = np.asarray(labels, dtype=np.int64).ravel()
    p = np.asarray(predicted, dtype=np.int64).ravel()
    if y.shape != p.shape:
        raise InsightError(f"{len(y)} labels but {len(p)} predictions.")
    k = max(num_classes, int(y.max(initial=-1)) + 1, int(p.max(initial=-1)) + 1)
    return np.bincount(y * k + p, minlength=k * k).reshape(k, k)


def confusion_matrix(
    net, images_u8: torch.Tensor, labels, spec=None, batch_size: int | None = None
) -> np.ndarray:
    """Counts (num_classes × num_classes, 10×10 for Fashion-MNIST) of the network's answers on
    uint8 test images, through training's validation path: over a run's ``val_limit`` first
    test images, ``trace / total`` is its stored final validation accuracy."""
    net, spec = _net_and_spec(net, spec)
    probs = class_probabilities(net, images_u8, spec, batch_size)
    return confusion_from_predictions(_np_labels(labels), probs.argmax(1), spec.num_classes)


def _np_labels(labels) -> np.ndarray:
    if isinstance(labels, torch.Tensor):
        labels = labels.cpu().numpy()
    return np.asarray(labels, dtype=np.int64)


def accuracy(cm: np.ndarray) -> float:
    """The diagonal over the total (0 for an empty matrix)."""
    total = int(np.sum(cm))
    return float(np.trace(cm)) / total if total else 0.0


def per_class_accuracy(cm: np.ndarray) -> np.ndarray:
    """Each true class's share of correct answers (the diagonal over the row sums; NaN for a
    class with no test image)."""
    cm = np.asarray(cm, dtype=np.float64)
    rows = cm.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(rows > 0, np.diag(cm) / rows, np.nan)


def row_normalised(cm: np.ndarray) -> np.ndarray:
    """Each row divided by its sum: where the images of each true class went (rows of 0 stay 0)."""
    cm = np.asarray(cm, dtype=np.float64)
    rows = cm.sum(1, keepdims=True)
    return np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0)


def confusion_difference(cm_a: np.ndarray, cm_b: np.ndarray) -> np.ndarray:
    """``cm_b − cm_a`` in counts: on the diagonal, more right answers are positive; off it, more
    confusions are positive.

    Raises:
        InsightError: the matrices differ in shape, or count different numbers of images.
    """
    a, b = np.asarray(cm_a, dtype=np.int64), np.asarray(cm_b, dtype=np.int64)
    if a.shape != b.shape:
        raise InsightError(f"The matrices differ in shape: {a.shape} and {b.shape}.")
    if not np.array_equal(a.sum(1), b.sum(1)):
        raise InsightError(
            f"The matrices count different test images ({int(a.sum()):,} and "
            f"{int(b.sum()):,}): compare runs on the same images.", "insight.counts",
            a=int(a.sum()), b=int(b.sum()),
        )  # fmt: skip
    return b - a


# How describe_difference reads; a page passes its language's (ui/locales: "insight").
DIFFERENCE_WORDS = {
    "fixes": "{b} fixes {pair} confusions: {k} fewer ({before} → {after})",
    "confuses": "{b} confuses {pair} more: {k} more ({before} → {after})",
    "more": "{b} gets {k:,} more of the {n:,} test images right than {a} ({acc_a} → {acc_b})",
    "fewer": "{b} gets {k:,} fewer of the {n:,} test images right than {a} ({acc_a} → {acc_b})",
    "largest": "the largest change in one class: {name}, {pa} → {pb} correct",
}


def describe_difference(
    cm_a: np.ndarray, cm_b: np.ndarray, name_a: str = "A", name_b: str = "B", top: int = 3,
    words: dict = DIFFERENCE_WORDS, names: list[str] | None = None,
) -> list[str]:  # fmt: skip
    """The biggest changes from run A to run B in words, biggest first:
    ``"ReLU fixes shirt↔t-shirt confusions: 120 fewer (345 → 225)"``, then the overall and the
    largest per-class accuracy change. ``words`` and ``names`` (the class names): how they
    read."""
    diff = confusion_difference(cm_a, cm_b)
    a, b = np.asarray(cm_a), np.asarray(cm_b)
    names = list(names) if names is not None and len(names) >= len(a) else class_names(len(a))
    pairs = []
    for i in range(len(a)):
        for j in range(i + 1, len(a)):
            before, after = int(a[i, j] + a[j, i]), int(b[i, j] + b[j, i])
            if after != before:
                pairs.append((abs(after - before), i, j, before, after))
    pairs.sort(key=lambda t: (-t[0], t[1], t[2]))
    lines = []
    for k, i, j, before, after in pairs[:top]:
        pair = f"{names[i]}↔{names[j]}"
        verb = "fixes" if after < before else "confuses"
        lines.append(words[verb].format(b=name_b, pair=pair, k=k, before=before, after=after))
    right = int(np.trace(diff))
    n = int(a.sum())
    lines.append(words["more" if right >= 0 else "fewer"].format(
        b=name_b, a=name_a, k=abs(right), n=n, acc_a=f"{accuracy(a):.1%}",
        acc_b=f"{accuracy(b):.1%}",
    ))  # fmt: skip
    pa, pb = per_class_accuracy(a), per_class_accuracy(b)
    change = np.nan_to_num(pb - pa)
    if len(change) and np.abs(change).max() > 0:
        k = int(np.abs(change).argmax())
        lines.append(words["largest"].format(name=names[k], pa=f"{pa[k]:.0%}", pb=f"{pb[k]:.0%}"))
    return lines


# -- mistakes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mistake:
    """A test image the network got wrong: its index into the test set, the true and the
    predicted class, the probability it gave its wrong answer, and its top three answers."""

    index: int
    true: int
    predicted: int
    confidence: float
    top3: tuple[tuple[int, float], ...]

    def as_dict(self) -> dict:
        """Plain JSON: {"index", "true", "predicted", "confidence", "top3": [[class, p]…]}."""
        return {
            "index": self.index, "true": self.true, "predicted": self.predicted,
            "confidence": round(self.confidence, 5),
            "top3": [[c, round(p, 5)] for c, p in self.top3],
        }  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict) -> Mistake:
        return cls(
            int(d["index"]), int(d["true"]), int(d["predicted"]), float(d["confidence"]),
            tuple((int(c), float(p)) for c, p in d["top3"]),
        )  # fmt: skip


def _check_class(name: str, value, k: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 0 <= value < k:
        raise InsightError(f"{name} must be a class number from 0 to {k - 1}, got {value!r}.")
    return int(value)


def mistakes_from_probabilities(
    probs: np.ndarray, labels, k: int | None = 24, true_class: int | None = None,
    predicted_class: int | None = None,
) -> list[Mistake]:  # fmt: skip
    """The ``k`` most confident wrong answers (all of them for ``k=None``), most confident
    first (ties: lower index first), optionally only of one true and/or predicted class."""
    probs = np.asarray(probs)
    y = _np_labels(labels)
    n_classes = probs.shape[1] if probs.ndim == 2 else 10
    true_class = _check_class("true_class", true_class, n_classes)
    predicted_class = _check_class("predicted_class", predicted_class, n_classes)
    pred = probs.argmax(1)
    keep = pred != y
    if true_class is not None:
        keep &= y == true_class
    if predicted_class is not None:
        keep &= pred == predicted_class
    idx = np.flatnonzero(keep)
    conf = probs[idx, pred[idx]]
    order = idx[np.lexsort((idx, -conf))]
    if k is not None:
        order = order[: max(int(k), 0)]
    out = []
    for i in order:
        row = probs[i]
        top = np.argsort(-row, kind="stable")[:3]
        out.append(Mistake(int(i), int(y[i]), int(pred[i]), float(row[pred[i]]),
                           tuple((int(c), float(row[c])) for c in top)))  # fmt: skip
    return out


def filter_mistakes(
    mistakes: list[Mistake], true_class: int | None = None, predicted_class: int | None = None,
    k: int | None = None,
) -> list[Mistake]:  # fmt: skip
    """Stored mistakes (already sorted) filtered by true and/or predicted class."""
    got = [
        m for m in mistakes
        if (true_class is None or m.true == true_class)
        and (predicted_class is None or m.predicted == predicted_class)
    ]  # fmt: skip
    return got if k is None else got[:k]


def worst_mistakes(
    net, images_u8: torch.Tensor, labels, spec=None, k: int | None = 24,
    true_class: int | None = None, predicted_class: int | None = None,
    batch_size: int | None = None,
) -> list[Mistake]:  # fmt: skip
    """The test images the network got most confidently wrong (see
    :func:`mistakes_from_probabilities`), evaluated as in training's validation."""
    net, spec = _net_and_spec(net, spec)
    probs = class_probabilities(net, images_u8, spec, batch_size)
    return mistakes_from_probabilities(probs, labels, k, true_class, predicted_class)


# -- evaluating a whole run ----------------------------------------------------------------------


@dataclass(frozen=True)
class Evaluation:
    """A network's answers on the first ``num_images`` test images: the confusion matrix, and
    either every probability (computed here: any filter of mistakes, any sub-range of images)
    or the ≤100 mistakes a run kept (read back from :func:`evaluate_run`'s dict)."""

    confusion: np.ndarray  # (num_classes, num_classes) int64, row = true class
    seconds: float
    probs: np.ndarray | None = None  # (N, num_classes) float32
    labels: np.ndarray | None = None  # (N,) int64
    kept: tuple[Mistake, ...] = ()  # the stored mistakes, when there are no probabilities

    @property
    def num_images(self) -> int:
        return int(self.confusion.sum())

    @property
    def accuracy(self) -> float:
        return accuracy(self.confusion)

    def confusion_on_first(self, n: int) -> np.ndarray:
        """The matrix over the first ``n`` images only (to compare with a run validated on
        fewer).

        Raises:
            InsightError: only the whole matrix was stored.
        """
        if n >= self.num_images:
            return self.confusion
        if self.probs is None:
            raise InsightError(
                f"Only the matrix over all {self.num_images:,} images was kept, not over the "
                f"first {n:,}."
            )
        return confusion_from_predictions(
            self.labels[:n], self.probs[:n].argmax(1), self.confusion.shape[0]
        )

    def mistakes(self, k: int | None = 24, true_class=None, predicted_class=None):
        """The most confident mistakes, filtered (see :func:`mistakes_from_probabilities`);
        from the kept ones when the probabilities were not stored."""
        if self.probs is None:
            n = self.confusion.shape[0]
            true_class = _check_class("true_class", true_class, n)
            predicted_class = _check_class("predicted_class", predicted_class, n)
            return filter_mistakes(list(self.kept), true_class, predicted_class, k)
        return mistakes_from_probabilities(self.probs, self.labels, k, true_class,
                                           predicted_class)  # fmt: skip

    def to_stored(self) -> dict:
        """What a run keeps (see :func:`evaluate_run`)."""
        kept = self.kept if self.probs is None else stored_mistakes(self.probs, self.labels)
        return {
            "version": 1,
            "num_images": self.num_images,
            "accuracy": self.accuracy,
            "confusion": self.confusion.tolist(),
            "mistakes": [m.as_dict() for m in kept],
            "seconds": round(self.seconds, 3),
        }

    @classmethod
    def from_stored(cls, stored: dict, num_classes: int | None = None) -> Evaluation:
        """Back from :func:`evaluate_run`'s dict (as JSON read it), checked in full (see
        :func:`stored_evaluation`); ``num_classes``: the run's network's.

        Raises:
            InsightError: a dict of another version, or damaged (and nothing else).
        """
        cm, kept, seconds = stored_evaluation(stored, num_classes)
        return cls(cm, seconds, kept=tuple(kept))


def evaluate(model, images_u8: torch.Tensor, labels, spec=None,
             batch_size: int | None = None) -> Evaluation:  # fmt: skip
    """One pass over the images: probabilities, the confusion matrix, the time it took."""
    import time

    net, spec = _net_and_spec(model, spec)
    t0 = time.perf_counter()
    probs = class_probabilities(net, images_u8, spec, batch_size)
    y = _np_labels(labels)
    cm = confusion_from_predictions(y, probs.argmax(1), spec.num_classes)
    return Evaluation(cm, time.perf_counter() - t0, probs, y)


def stored_mistakes(probs: np.ndarray, labels) -> list[Mistake]:
    """The mistakes a run keeps: the 40 most confident overall and the 6 most confident of
    each true class (so every filter of the gallery finds some), at most 100, sorted."""
    worst = mistakes_from_probabilities(probs, labels, STORED_WORST)
    per_class = [
        m
        for c in range(np.asarray(probs).shape[1])
        for m in mistakes_from_probabilities(probs, labels, STORED_PER_CLASS, true_class=c)
    ]
    seen, out = set(), []
    for m in sorted(worst + per_class, key=lambda m: (-m.confidence, m.index)):
        if m.index not in seen:
            seen.add(m.index)
            out.append(m)
    return out


def evaluate_run(net: nn.Module, data, config) -> dict:
    """What a run keeps of its final evaluation, for the worker to call once training ends.

    The network is evaluated on the run's validation images (the first ``config.val_limit``
    test images, all 10,000 when None) on its own device, as training's validation does, so
    ``accuracy`` equals the last epoch's ``val_acc`` (for a run stopped mid-epoch, the weights
    changed after that epoch: the matrix describes the weights that were kept).

    Args:
        net: the trained network (any device; put in eval mode for the pass and restored).
        data: a ``cnnviz.data.FashionMNIST``.
        config: the run's ``cnnviz.train.RunConfig``.

    Returns:
        Plain JSON (about 10 KB): ``{"version": 1, "num_images": N, "accuracy": float,
        "confusion": 10×10 nested list of int counts (row = true class), "mistakes": at most
        100 dicts {"index", "true", "predicted", "confidence", "top3": [[class, p]×3]},
        sorted most confident first, "seconds": float}``.
    """
    n = len(data.test_images)
    if config.val_limit is not None:
        n = min(n, config.val_limit)
    return evaluate(net, data.test_images[:n], data.test_labels[:n], config.spec).to_stored()


MAX_STORED_CLASSES = 1000  # the builder's largest num_classes
MAX_STORED_IMAGES = 10_000  # Fashion-MNIST's test set: every evaluation is over part of it
MAX_STORED_SECONDS = 10**7  # far beyond any evaluation; a bound, so a page can print it
TOP_SLACK = 1e-4  # stored probabilities are rounded to 5 digits


def _damaged(detail: str) -> InsightError:
    return InsightError(
        f"The stored evaluation is damaged ({detail}).", "insight.damaged_evaluation",
        detail=detail,
    )  # fmt: skip


def _int_field(where: str, value, low: int, high: int) -> int:
    """An integer (not a bool, not a float) in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise _damaged(f"{where} must be a whole number, got {_short(value)}")
    if not low <= value <= high:
        raise _damaged(f"{where} must be from {low:,} to {high:,}, got {_short(value)}")
    return int(value)


def _real_field(where: str, value, low: float, high: float) -> float:
    """A finite number (not a bool) in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise _damaged(f"{where} must be a number, got {_short(value)}")
    try:
        x = float(value)
    except OverflowError:  # an integer too large for a float
        raise _damaged(f"{where} must be from {low:g} to {high:g}, got {_short(value)}") from None
    if not math.isfinite(x) or not low <= x <= high:
        raise _damaged(f"{where} must be from {low:g} to {high:g}, got {_short(value)}")
    return x


def _short(value) -> str:
    """A value quoted in a message, cut short (a crafted one may be megabytes)."""
    text = repr(value) if isinstance(value, str) else type(value).__name__
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        text = str(value) if len(str(value)) <= 40 else f"a {len(str(value))}-digit number"
    elif isinstance(value, bool) or value is None:
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _list_field(where: str, value, low: int, high: int) -> list:
    if not isinstance(value, list | tuple):
        raise _damaged(f"{where} must be a list, got {_short(value)}")
    if not low <= len(value) <= high:
        raise _damaged(f"{where} must have {low:,} to {high:,} entries, got {len(value):,}")
    return list(value)


def _stored_mistake(i: int, d, k: int, n: int) -> Mistake:
    where = f"mistakes[{i}]"
    if not isinstance(d, dict):
        raise _damaged(f"{where} must be a record, got {_short(d)}")
    for name in ("index", "true", "predicted", "confidence", "top3"):
        if name not in d:
            raise _damaged(f"{where} has no {name}")
    index = _int_field(f"{where}.index", d["index"], 0, n - 1)
    true = _int_field(f"{where}.true", d["true"], 0, k - 1)
    predicted = _int_field(f"{where}.predicted", d["predicted"], 0, k - 1)
    if true == predicted:
        raise _damaged(f"{where} is not a mistake (true and predicted class are both {true})")
    confidence = _real_field(f"{where}.confidence", d["confidence"], 0.0, 1.0)
    entries = _list_field(f"{where}.top3", d["top3"], min(3, k), min(3, k))
    top3 = []
    for j, pair in enumerate(entries):
        pair = _list_field(f"{where}.top3[{j}]", pair, 2, 2)
        c = _int_field(f"{where}.top3[{j}] class", pair[0], 0, k - 1)
        top3.append((c, _real_field(f"{where}.top3[{j}] probability", pair[1], 0.0, 1.0)))
    classes = [c for c, _ in top3]
    if len(set(classes)) != len(classes):
        raise _damaged(f"{where}.top3 repeats a class")
    ps = [p for _, p in top3]
    if (
        any(a < b - TOP_SLACK for a, b in zip(ps, ps[1:], strict=False))
        or sum(ps) > 1 + 3 * TOP_SLACK
    ):
        raise _damaged(f"{where}.top3 is not a ranking of probabilities")
    if classes[0] != predicted or abs(ps[0] - confidence) > TOP_SLACK:
        raise _damaged(f"{where}.top3 does not start with the predicted class and its confidence")
    return Mistake(index, true, predicted, confidence, tuple(top3))


def stored_evaluation(
    stored, num_classes: int | None = None
) -> tuple[np.ndarray, list[Mistake], float]:
    """(confusion matrix, mistakes as stored (most confident first), seconds) back from
    :func:`evaluate_run`'s dict (as JSON read it), checked as strictly as every other stored
    field, so nothing a page draws from it can be wrong, crash or allocate much:

    - ``version`` 1; a square matrix of 1 to :data:`MAX_STORED_CLASSES` classes
      (``num_classes`` when given) of whole non-negative counts summing to ``num_images``
      (1 to :data:`MAX_STORED_IMAGES`); ``accuracy``, when present, its trace over its sum;
    - at most :data:`STORED_WORST` + :data:`STORED_PER_CLASS` per class mistakes, each at a
      distinct index below ``num_images``, true ≠ predicted class numbers in range, a
      confidence in [0, 1] that heads a top-3 of distinct classes in falling order, and no more
      of one (true, predicted) pair than the matrix counts;
    - ``seconds`` a finite number from 0 to :data:`MAX_STORED_SECONDS`; ``epochs_done``, when
      present, a whole number ≥ 0.

    Raises:
        InsightError: and only it, for anything else (any type, any value).
    """
    try:
        return _stored_evaluation(stored, num_classes)
    except InsightError:
        raise
    except Exception as exc:  # noqa: BLE001 - a defect not foreseen above is still "damaged"
        raise _damaged(f"{type(exc).__name__}: {_short(str(exc))}") from None


def _stored_evaluation(stored, num_classes):
    if not isinstance(stored, dict):
        raise _damaged(f"it must be a record, got {_short(stored)}")
    version = stored.get("version")
    if isinstance(version, bool) or version != 1:
        raise InsightError(f"Unknown evaluation version {_short(version)}.",
                           "insight.eval_version", version=_short(version))  # fmt: skip
    for name in ("num_images", "confusion", "mistakes"):
        if name not in stored:
            raise _damaged(f"it has no {name}")
    n = _int_field("num_images", stored["num_images"], 1, MAX_STORED_IMAGES)
    high = MAX_STORED_CLASSES if num_classes is None else num_classes
    low = 1 if num_classes is None else num_classes
    rows = _list_field("confusion", stored["confusion"], low, high)
    k = len(rows)
    cm = np.zeros((k, k), dtype=np.int64)
    for t, row in enumerate(rows):
        row = _list_field(f"confusion[{t}]", row, k, k)
        for p, count in enumerate(row):
            cm[t, p] = _int_field(f"confusion[{t}][{p}]", count, 0, n)
    if int(cm.sum()) != n:
        raise _damaged(f"the matrix counts {int(cm.sum()):,} images, num_images says {n:,}")
    if "accuracy" in stored:
        acc = _real_field("accuracy", stored["accuracy"], 0.0, 1.0)
        if abs(acc - accuracy(cm)) > 1e-6:
            raise _damaged(f"accuracy {acc:.4f} is not the matrix's {accuracy(cm):.4f}")
    entries = _list_field("mistakes", stored["mistakes"], 0, STORED_WORST + STORED_PER_CLASS * k)
    mistakes = [_stored_mistake(i, d, k, n) for i, d in enumerate(entries)]
    if len({m.index for m in mistakes}) != len(mistakes):
        raise _damaged("mistakes repeat a test image")
    cells: dict[tuple[int, int], int] = {}
    for m in mistakes:
        cells[m.true, m.predicted] = cells.get((m.true, m.predicted), 0) + 1
    for (t, p), count in cells.items():
        if count > cm[t, p]:
            raise _damaged(f"{count} mistakes of class {t} as {p}, the matrix counts {cm[t, p]}")
    seconds = _real_field("seconds", stored.get("seconds", 0.0), 0.0, MAX_STORED_SECONDS)
    if "epochs_done" in stored:
        _int_field("epochs_done", stored["epochs_done"], 0, 10**6)
    return cm, mistakes, seconds


def evaluation_from_stored(
    stored, num_classes: int | None = None
) -> tuple[np.ndarray, list[Mistake]]:
    """(confusion matrix, mistakes) back from :func:`evaluate_run`'s dict: see
    :func:`stored_evaluation`, which also gives the seconds.

    Raises:
        InsightError: and only it, for any damage.
    """
    cm, mistakes, _ = stored_evaluation(stored, num_classes)
    return cm, mistakes


# -- where it looked -----------------------------------------------------------------------------


def _is_pool_output(t: torch.Tensor, pooled: list[torch.Tensor]) -> bool:
    return any(t is p for p in pooled)


def _record_activations(net: nn.Module):
    """Forward hooks on every submodule that record 4-D outputs of this thread's passes (a
    cached network may be evaluated by another thread meanwhile); returns (records, pooled,
    handles)."""
    me = threading.get_ident()
    records: list[tuple[str, str, torch.Tensor]] = []
    pooled: list[torch.Tensor] = []

    def hook_for(name):
        def hook(module, args, out):
            if threading.get_ident() != me or not isinstance(out, torch.Tensor):
                return
            if out.dim() == 4:
                if isinstance(module, POOLS):
                    pooled.append(out)
                records.append((name, type(module).__name__, out))

        return hook

    handles = [m.register_forward_hook(hook_for(n)) for n, m in net.named_modules() if n]
    return records, pooled, handles


def _last_stage(records, pooled) -> tuple[str, str, torch.Tensor]:
    """(name, layer type, activation): the last 4-D activation larger than 1×1 that is not a
    pooling layer's output: LeNet's second sigmoid, VGG's last ReLU, ResNet's last residual
    block (d2l 7.6, 8.2, 8.6)."""
    found = None
    for name, kind, t in records:
        if t.shape[-1] * t.shape[-2] > 1 and not _is_pool_output(t, pooled):
            if found is None or t is not found[2]:
                found = (name, kind, t)  # a block and its last child share a tensor: the child
    if found is None:
        raise InsightError("The network has no convolutional stage larger than 1×1 to explain.")
    return found


class GradCamLayer(NamedTuple):
    """The layer Grad-CAM explains: its module name, its type and its output shape."""

    name: str
    kind: str
    shape: tuple[int, ...]


def gradcam_layer(model, spec=None) -> GradCamLayer:
    """The layer Grad-CAM explains (name, type, output shape (1, C, h, w)): for a spec, found
    on the meta device (no memory, no arithmetic); for a network (as :func:`predict` takes
    it), by one pass over zeros."""
    from cnnviz.models import build_model

    if isinstance(model, nn.Module | LoadedRun | tuple):
        net, spec = _net_and_spec(model, spec)
        device = _device(net)
    else:
        spec = model
        net, device = build_model(spec, device="meta"), torch.device("meta")
    records, pooled, handles = _record_activations(net)
    was_training = net.training
    net.eval()
    try:
        with torch.no_grad():
            net(torch.zeros(1, spec.in_channels, spec.input_size, spec.input_size, device=device))
    finally:
        for h in handles:
            h.remove()
        net.train(was_training)
    name, kind, t = _last_stage(records, pooled)
    return GradCamLayer(name, kind, tuple(t.shape))


def _normalise(m: torch.Tensor) -> np.ndarray:
    m = m.detach().float().cpu()
    top = float(m.max())
    out = m / top if top > 0 else torch.zeros_like(m)
    return out.clamp(0, 1).numpy()


def saliency(
    model, X: torch.Tensor, spec=None, target_class: int = 0, method: str = "gradcam"
) -> np.ndarray:
    """Where the network looked for ``target_class`` in the prepared image ``X`` (beyond the
    book), as an (H, W) map in [0, 1] at the input size (1 = the most).

    - ``"gradcam"``: Grad-CAM (Selvaraju et al., 2017) on the last convolutional stage (see
      :func:`gradcam_layer`): its channels weighted by the mean gradient of the class score,
      summed, ReLU, upsampled bilinearly to the input. Coarse (LeNet's stage is 10×10,
      ResNet-18's 3×3 at 96) but about the class.
    - ``"gradient"``: the plain input gradient, |d score / d input|, the maximum over channels:
      sharp, but it shows which pixels would change the score, not what the network found.

    The class score is the network's output before the softmax. The network is put in eval
    mode for the pass and restored; no hook is left behind; no random numbers are used.

    Raises:
        InsightError: an unknown method or class, or ``X`` not a prepared batch of one.
    """
    net, spec = _net_and_spec(model, spec)
    if method not in METHODS:
        raise InsightError(f"method must be one of {', '.join(METHODS)}, got {method!r}.")
    target_class = _check_class("target_class", target_class, spec.num_classes)
    if not isinstance(X, torch.Tensor) or X.dim() != 4 or X.shape[0] != 1:
        raise InsightError("saliency needs one prepared image (1, C, H, W) from prepare().")
    device = _device(net)
    was_training = net.training
    net.eval()
    records, pooled, handles = [], [], []
    if method == "gradcam":
        records, pooled, handles = _record_activations(net)
    try:
        with torch.inference_mode(False), torch.enable_grad():
            # A copy made here is an ordinary tensor even if X was made in inference mode.
            Xg = X.detach().to(device, torch.float32).clone(memory_format=torch.channels_last)
            Xg.requires_grad_(True)
            score = net(Xg)[0, target_class]
            if method == "gradient":
                (g,) = torch.autograd.grad(score, Xg)
                return _normalise(g.abs().amax(1)[0])
            _, _, A = _last_stage(records, pooled)
            (g,) = torch.autograd.grad(score, A)
            weights = g.mean((2, 3), keepdim=True)
            cam = F.relu((weights * A).sum(1, keepdim=True))
            cam = F.interpolate(cam, size=X.shape[-2:], mode="bilinear", align_corners=False)
            return _normalise(cam[0, 0])
    finally:
        for h in handles:
            h.remove()
        net.train(was_training)
