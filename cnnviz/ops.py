"""Convolution and pooling as the book writes them, extended with padding, stride and dilation.

d2l 7.2–7.5. Each op keeps the book's explicit double loop over output cells, so a reader sees
that one output number is the sum of an element-wise product of a window and the kernel (or the
max/mean of a window). The loops are checked against ``F.conv2d`` / ``F.max_pool2d`` /
``F.avg_pool2d`` in ``tests/test_ops.py``.

Fast path: a Python loop costs ~10 µs per output cell, fine for lessons but slow for a 512×512
upload. When the output has more than ``LOOP_MAX_CELLS`` cells (64×64), or ``fast=True`` is
passed, the op calls the torch function instead; ``fast=False`` forces the loop. Both give the
same numbers (to float rounding).

Shapes follow PyTorch. For one axis with input ``n``, kernel ``k``, padding ``p``, stride ``s``
and dilation ``d``::

    out = floor((n + 2p - d(k - 1) - 1) / s) + 1

(the book's 7.3 formula ``floor((n - k + 2p + s) / s)`` is the case d = 1). Pooling may use
``ceil`` instead of ``floor`` (``ceil_mode=True``), with PyTorch's rule that the last window must
start inside the input or its left padding.
"""

from __future__ import annotations

import math
from dataclasses import astuple, dataclass

import torch
from torch.nn import functional as F

from cnnviz.errors import KeyedText

LOOP_MAX_CELLS = 64 * 64

Pair = int | tuple[int, int]


def _pair(v: Pair, name: str = "value") -> tuple[int, int]:
    """``3`` → ``(3, 3)``; ``(3, 5)`` stays; anything else is a ValueError."""
    if isinstance(v, bool):
        raise ValueError(f"{name} must be an integer or a (height, width) pair, got {v!r}")
    if isinstance(v, int):
        return (v, v)
    try:
        a, b = v
        return (int(a), int(b))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an integer or a (height, width) pair, got {v!r}") from exc


def _use_fast(fast: bool | None, out_hw: tuple[int, int]) -> bool:
    if fast is not None:
        return fast
    return out_hw[0] * out_hw[1] > LOOP_MAX_CELLS


# --------------------------------------------------------------------------------------------
# Shapes (d2l 7.3)
# --------------------------------------------------------------------------------------------


def out_size(n: int, k: int, p: int = 0, s: int = 1, d: int = 1, ceil_mode: bool = False) -> int:
    """The output length along one axis, the one place this formula is written. d2l 7.3.

    ``floor((n + 2p - d(k - 1) - 1) / s) + 1``, PyTorch's conv and pooling shape; with
    ``ceil_mode`` (pooling) rounded up, except that the last window must start inside the
    input or its left padding (PyTorch's ``pooling_output_shape``). May be ≤ 0: the caller
    decides what an empty output means.
    """
    span = n + 2 * p - d * (k - 1) - 1
    if ceil_mode:
        out = -((-span) // s) + 1  # ceil division
        # The last window must start inside the input or the left padding.
        if (out - 1) * s >= n + p:
            out -= 1
        return out
    return span // s + 1


@dataclass(frozen=True)
class Geometry:
    """The five settings of a conv or pooling layer, each an (h, w) pair. d2l 7.3.

    Made by :meth:`of` from ints or pairs (a bad value is a ValueError that names it), so each
    op reads its settings once.
    """

    input: tuple[int, int]
    kernel: tuple[int, int]
    padding: tuple[int, int] = (0, 0)
    stride: tuple[int, int] = (1, 1)
    dilation: tuple[int, int] = (1, 1)

    @classmethod
    def of(
        cls,
        input_hw: Pair,
        kernel_hw: Pair,
        padding: Pair = 0,
        stride: Pair = 1,
        dilation: Pair = 1,
        window: str = "kernel",
    ) -> Geometry:
        return cls(
            _pair(input_hw, "input size"),
            _pair(kernel_hw, f"{window} size"),
            _pair(padding, "padding"),
            _pair(stride, "stride"),
            _pair(dilation, "dilation"),
        )

    def axis(self, i: int) -> tuple[int, int, int, int, int]:
        """(n, k, p, s, d) along axis i (0 = height, 1 = width)."""
        return (self.input[i], self.kernel[i], self.padding[i], self.stride[i], self.dilation[i])

    @property
    def span(self) -> tuple[int, int]:
        """The kernel's footprint on the input, dilation included: d(k - 1) + 1 per axis."""
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilation, strict=True))

    def out_shape(self, ceil_mode: bool = False) -> tuple[int, int]:
        return tuple(out_size(*self.axis(i), ceil_mode) for i in range(2))  # type: ignore


def _explain(g: Geometry, fields: tuple[str, ...], fails, message) -> list[str]:
    """``message(axis, *values)`` for each axis where ``fails(*values)``, where values are
    ``fields`` of ``g`` along that axis; said once, with no axis named, when both axes agree."""
    h, w = (tuple(getattr(g, f)[i] for f in fields) for i in range(2))
    axes = [("", h)] if h == w else [("height", h), ("width", w)]
    return [message(axis, *values) for axis, values in axes if fails(*values)]


def _basic_problems(g: Geometry) -> list[str]:
    def par(axis):
        return f" ({axis})" if axis else ""

    rules = (
        (("input",), lambda n: n < 1,
         lambda a, n: f"The input {a or 'size'} is {n}; it must be at least 1."),
        (("kernel",), lambda k: k < 1,
         lambda a, k: f"The kernel {a or 'size'} is {k}; it must be at least 1."),
        (("padding",), lambda p: p < 0,
         lambda a, p: f"Padding{par(a)} is {p}; it cannot be negative."),
        (("stride",), lambda s: s < 1,
         lambda a, s: f"Stride{par(a)} is {s}; it must be at least 1."),
        (("dilation",), lambda d: d < 1,
         lambda a, d: f"Dilation{par(a)} is {d}; it must be at least 1."),
    )  # fmt: skip
    return [m for fields, fails, message in rules for m in _explain(g, fields, fails, message)]


AXES = {"height": KeyedText("height", "axis.height"), "width": KeyedText("width", "axis.width"),
        "": KeyedText("size", "axis.size")}  # fmt: skip


def _too_big(axis: str, n: int, k: int, p: int, s: int, d: int) -> str:
    span = d * (k - 1) + 1
    dil = (
        KeyedText(f" (dilated by {d}: it spans {span} cells)", "ops.dilated", d=d, span=span)
        if d > 1 else ""
    )  # fmt: skip
    what = AXES[axis]
    return KeyedText(
        f"The kernel {what} {k}{dil} is larger than the padded input {what} "
        f"{n} + 2·{p} = {n + 2 * p}: not even one window fits, so the output would be empty. "
        "Use a smaller kernel or dilation, or more padding.",
        "ops.too_big", what=what, k=k, dil=dil, n=n, p=p, total=n + 2 * p,
    )  # fmt: skip


def _empty_output(g: Geometry, ceil_mode: bool = False) -> list[str]:
    """Why not even one window fits, per axis: the output size formula gives less than 1."""
    fields = ("input", "kernel", "padding", "stride", "dilation")
    return _explain(g, fields, lambda *v: out_size(*v, ceil_mode) < 1, _too_big)


def _pool_padding(axis: str, k: int, p: int) -> str:
    of = f" ({axis})" if axis else ""
    window = f"pooling window's {axis}" if axis else "pooling window"
    text = (
        f"padding{of} = {p} is more than half of the {window} ({k} // 2 = {k // 2}): PyTorch "
        "requires padding ≤ kernel_size / 2, because otherwise a window could hold nothing "
        "but padding."
    )
    key = "ops.pool_padding_axis" if axis else "ops.pool_padding"
    return KeyedText(text, key, axis=AXES[axis], p=p, k=k, half=k // 2)


AVG_NO_DILATION = KeyedText(
    "Average pooling has no dilation in PyTorch (nn.AvgPool2d, F.avg_pool2d): set dilation to 1.",
    "ops.avg_dilation",
)


def check_conv_shape(
    input_hw: Pair,
    kernel_hw: Pair,
    padding_hw: Pair = 0,
    stride_hw: Pair = 1,
    dilation_hw: Pair = 1,
) -> list[str]:
    """Why a convolution setting is invalid, in words; an empty list means it is fine. d2l 7.3.

    Mirrors the checks ``F.conv2d`` makes, but says what to change.
    """
    g = Geometry.of(input_hw, kernel_hw, padding_hw, stride_hw, dilation_hw)
    return _basic_problems(g) or _empty_output(g)


def check_pool_shape(
    input_hw: Pair,
    pool_size: Pair,
    padding_hw: Pair = 0,
    stride_hw: Pair = 1,
    dilation_hw: Pair = 1,
    ceil_mode: bool = False,
    mode: str = "max",
) -> list[str]:
    """Why a pooling setting is invalid, in words (``[]`` = fine). d2l 7.5.

    PyTorch's pooling rules: padding at most half of the window (``k // 2``, whatever the
    dilation), so that no window is padding only; at least one output cell (with ceil_mode a
    window may hang over the input's end: a window larger than the input can still be valid);
    and average pooling (``mode="avg"``) has no dilation.
    """
    g = Geometry.of(input_hw, pool_size, padding_hw, stride_hw, dilation_hw, "pool")
    problems = _basic_problems(g) or _explain(
        g, ("kernel", "padding"), lambda k, p: p > k // 2, _pool_padding
    )
    if not problems:
        problems = _empty_output(g, ceil_mode)
    if mode == "avg" and g.dilation != (1, 1):
        problems.append(AVG_NO_DILATION)
    return problems


def conv_output_shape(
    input_hw: Pair,
    kernel_hw: Pair,
    padding_hw: Pair = 0,
    stride_hw: Pair = 1,
    dilation_hw: Pair = 1,
) -> tuple[int, int]:
    """(h, w) of a convolution's output by the floor formula. d2l 7.3.

    Raises:
        ValueError: with :func:`check_conv_shape`'s explanation when the setting is invalid.
    """
    problems = check_conv_shape(input_hw, kernel_hw, padding_hw, stride_hw, dilation_hw)
    if problems:
        raise ValueError(" ".join(problems))
    return Geometry.of(input_hw, kernel_hw, padding_hw, stride_hw, dilation_hw).out_shape()


def pool_output_shape(
    input_hw: Pair,
    pool_size: Pair,
    padding_hw: Pair = 0,
    stride_hw: Pair = 1,
    dilation_hw: Pair = 1,
    ceil_mode: bool = False,
) -> tuple[int, int]:
    """(h, w) of a pooling output, floor or ceil formula as ``nn.MaxPool2d`` does. d2l 7.5.

    The stride is *not* defaulted to the window here; pass it explicitly.
    """
    problems = check_pool_shape(input_hw, pool_size, padding_hw, stride_hw, dilation_hw, ceil_mode)
    if problems:
        raise ValueError(" ".join(problems))
    g = Geometry.of(input_hw, pool_size, padding_hw, stride_hw, dilation_hw, "pool")
    return g.out_shape(ceil_mode)


def shape_formula(
    input_hw: Pair,
    kernel_hw: Pair,
    padding_hw: Pair = 0,
    stride_hw: Pair = 1,
    dilation_hw: Pair = 1,
    ceil_mode: bool = False,
) -> tuple[str, str]:
    """The output-shape formula with the numbers substituted, one line per axis. d2l 7.3.

    E.g. ``"⌊(8 + 2·1 − 1·(3 − 1) − 1) / 2⌋ + 1 = ⌊7 / 2⌋ + 1 = 4"``. Invalid settings still get
    their arithmetic (the result may be ≤ 0), so a page can show why.
    """
    g = Geometry.of(input_hw, kernel_hw, padding_hw, stride_hw, dilation_hw)
    lo, hi = ("⌈", "⌉") if ceil_mode else ("⌊", "⌋")
    lines = []
    for i in range(2):
        n, k, p, s, d = g.axis(i)
        span = n + 2 * p - d * (k - 1) - 1
        if s >= 1:
            out = out_size(n, k, p, s, d, ceil_mode)
            raw = math.ceil(span / s) + 1 if ceil_mode else span // s + 1
            note = "  (last window would start in the right padding: −1)" if raw != out else ""
            result = f"{lo}{span} / {s}{hi} + 1 = {out}{note}"
        else:
            result = "undefined (stride < 1)"
        lines.append(f"{lo}({n} + 2·{p} − {d}·({k} − 1) − 1) / {s}{hi} + 1 = {result}")
    return lines[0], lines[1]


# --------------------------------------------------------------------------------------------
# Cross-correlation (d2l 7.2, 7.4)
# --------------------------------------------------------------------------------------------


def pad2d(X: torch.Tensor, padding: Pair, value: float = 0.0) -> torch.Tensor:
    """Surround the last two axes with ``padding`` rows/columns of ``value``. d2l 7.3."""
    ph, pw = _pair(padding, "padding")
    if ph == 0 and pw == 0:
        return X
    return F.pad(X, (pw, pw, ph, ph), value=value)


def corr2d(
    X: torch.Tensor,
    K: torch.Tensor,
    padding: Pair = 0,
    stride: Pair = 1,
    dilation: Pair = 1,
    fast: bool | None = None,
) -> torch.Tensor:
    """2-D cross-correlation of X (h, w) with K (kh, kw). d2l 7.2, extended as in 7.3.

    The book's loop, plus zero padding around X, a stride between windows and a dilation
    inside the kernel. Outputs larger than 64×64 use ``F.conv2d`` (see the module docstring).

    Raises:
        ValueError: the setting is invalid (see :func:`check_conv_shape`).
    """
    g = Geometry.of(X.shape, K.shape, padding, stride, dilation)
    out_h, out_w = conv_output_shape(*astuple(g))
    dtype = X.dtype if X.is_floating_point() else torch.float32
    X, K = X.to(dtype), K.to(dtype)
    if _use_fast(fast, (out_h, out_w)):
        Y = F.conv2d(X[None, None], K[None, None], padding=g.padding, stride=g.stride,
                     dilation=g.dilation)  # fmt: skip
        return Y[0, 0]
    Xp = pad2d(X, g.padding)
    (sh, sw), (dh, dw), (span_h, span_w) = g.stride, g.dilation, g.span
    Y = torch.zeros((out_h, out_w), dtype=dtype)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            r, c = i * sh, j * sw
            Y[i, j] = (Xp[r : r + span_h : dh, c : c + span_w : dw] * K).sum()
    return Y


def corr2d_multi_in(X: torch.Tensor, K: torch.Tensor, **kwargs) -> torch.Tensor:
    """Sum over input channels of per-channel cross-correlations. d2l 7.4.

    X: (c_i, h, w), K: (c_i, kh, kw); keyword arguments go to :func:`corr2d`.
    """
    if X.shape[0] != K.shape[0]:
        raise ValueError(
            f"The input has {X.shape[0]} channels but the kernel has {K.shape[0]}: "
            "each input channel needs its own kernel slice."
        )
    return sum(corr2d(x, k, **kwargs) for x, k in zip(X, K, strict=True))


def corr2d_multi_in_out(X: torch.Tensor, K: torch.Tensor, **kwargs) -> torch.Tensor:
    """One output channel per kernel in K (c_o, c_i, kh, kw), stacked on axis 0. d2l 7.4."""
    return torch.stack([corr2d_multi_in(X, k, **kwargs) for k in K], 0)


def corr2d_multi_in_out_1x1(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """A 1×1 convolution is a matrix product over channels at every pixel. d2l 7.4.

    X: (c_i, h, w), K: (c_o, c_i, 1, 1) → (c_o, h, w).
    """
    c_i, h, w = X.shape
    c_o = K.shape[0]
    X = X.reshape((c_i, h * w))
    K = K.reshape((c_o, c_i))
    Y = torch.matmul(K, X)  # matrix multiplication in the fully connected layer
    return Y.reshape((c_o, h, w))


# --------------------------------------------------------------------------------------------
# Pooling (d2l 7.5)
# --------------------------------------------------------------------------------------------


def pool2d(
    X: torch.Tensor,
    pool_size: Pair,
    mode: str = "max",
    stride: Pair | None = None,
    padding: Pair = 0,
    dilation: Pair = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
    count_include_pad: bool = True,
    fast: bool | None = None,
):
    """Max or average pooling of X (h, w), or (..., h, w) one map at a time. d2l 7.5.

    **Stride default:** when ``stride`` is not given the window slides by 1, as the book's
    ``pool2d`` does (its 3×3 example gives a 2×2 output). ``nn.MaxPool2d`` instead defaults the
    stride to the window size; pass ``stride=pool_size`` to get torch's behaviour.

    Semantics otherwise follow ``F.max_pool2d`` / ``F.avg_pool2d``: max pads with −inf (padding
    never wins), average pads with zeros and by default counts them in the divisor
    (``count_include_pad=True``), except for window parts beyond the padding, which ceil_mode
    can create. Average pooling has no dilation in torch, so ``dilation`` must be 1 for it.

    Returns:
        Y, or (Y, indices) with ``return_indices``: the flat position ``row * w + col`` of each
        maximum in the *unpadded* input, as torch returns it (max mode only).

    Raises:
        ValueError: invalid setting, explained (see :func:`check_pool_shape`).
    """
    if mode not in ("max", "avg"):
        raise ValueError(f"mode must be 'max' or 'avg', got {mode!r}")
    g = Geometry.of(X.shape[-2:], pool_size, padding, 1 if stride is None else stride, dilation,
                    "pool")  # fmt: skip
    if return_indices and mode != "max":
        raise ValueError("return_indices only makes sense for max pooling.")
    problems = check_pool_shape(*astuple(g), ceil_mode, mode)
    if problems:
        raise ValueError(" ".join(problems))
    dtype = X.dtype if X.is_floating_point() else torch.float32
    X = X.to(dtype)
    if X.dim() > 2:  # one map at a time, like nn.MaxPool2d over (N, C, h, w)
        opts = dict(
            mode=mode, stride=g.stride, padding=g.padding, dilation=g.dilation,
            ceil_mode=ceil_mode, return_indices=return_indices,
            count_include_pad=count_include_pad, fast=fast,
        )  # fmt: skip
        results = [pool2d(x, g.kernel, **opts) for x in X]
        if return_indices:
            return torch.stack([r[0] for r in results]), torch.stack([r[1] for r in results])
        return torch.stack(results)
    out_h, out_w = g.out_shape(ceil_mode)
    if _use_fast(fast, (out_h, out_w)):
        return _pool2d_torch(X, g, mode, ceil_mode, return_indices, count_include_pad)
    h, w = X.shape
    Xp = pad2d(X, g.padding, value=-math.inf if mode == "max" else 0.0)
    # Where each padded cell came from (flat index into X), −1 for padding.
    where = pad2d(torch.arange(h * w).reshape(h, w), g.padding, value=-1)
    (sh, sw), (dh, dw), (span_h, span_w) = g.stride, g.dilation, g.span
    Y = torch.zeros((out_h, out_w), dtype=dtype)
    indices = torch.zeros((out_h, out_w), dtype=torch.int64)
    for i in range(out_h):
        for j in range(out_w):
            r, c = i * sh, j * sw
            # Slicing stops at the padded edge: ceil_mode's overhanging windows are cut there.
            rows, cols = slice(r, r + span_h, dh), slice(c, c + span_w, dw)
            window = Xp[rows, cols]
            if mode == "max":
                Y[i, j] = window.max()
                if return_indices:
                    inside = where[rows, cols] >= 0
                    best = torch.argmax(window[inside])  # first maximum in row-major order
                    indices[i, j] = where[rows, cols][inside][best]
            elif count_include_pad:
                Y[i, j] = window.mean()
            else:
                Y[i, j] = window.sum() / (where[rows, cols] >= 0).sum()
    return (Y, indices) if return_indices else Y


def _pool2d_torch(X, g: Geometry, mode, ceil_mode, return_indices, count_include_pad):
    """The fast path of :func:`pool2d`: the same call through torch."""
    x, k, s, p = X[None, None], g.kernel, g.stride, g.padding
    if mode == "max":
        out = F.max_pool2d(
            x, k, s, p, g.dilation, ceil_mode=ceil_mode, return_indices=return_indices
        )
        if return_indices:
            return out[0][0, 0], out[1][0, 0]
        return out[0, 0]
    Y = F.avg_pool2d(x, k, s, p, ceil_mode=ceil_mode, count_include_pad=count_include_pad)
    return Y[0, 0]


# --------------------------------------------------------------------------------------------
# One window, for the step-through (d2l 7.2)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The input window under output cell (i, j), in input coordinates.

    ``rows``/``cols`` are the input indices the kernel touches (negative or ≥ size = padding);
    ``values`` the padded input there; ``products`` the element-wise products with ``kernel``
    and ``total`` their sum (= the output cell), when a kernel tensor was given.
    """

    i: int
    j: int
    rows: tuple[int, ...]
    cols: tuple[int, ...]
    values: torch.Tensor
    products: torch.Tensor | None
    total: float | None
    kernel: torch.Tensor | None = None

    @property
    def top_left(self) -> tuple[int, int]:
        return self.rows[0], self.cols[0]

    @property
    def bottom_right(self) -> tuple[int, int]:
        return self.rows[-1], self.cols[-1]


def window(
    X: torch.Tensor,
    i: int,
    j: int,
    kernel: torch.Tensor | Pair,
    padding: Pair = 0,
    stride: Pair = 1,
    dilation: Pair = 1,
) -> Window:
    """The window of X (h, w) that output cell (i, j) sees, and its products with K. d2l 7.2.

    ``kernel`` is the kernel tensor K (products and their sum are filled in) or just its
    (h, w) size. Raises ValueError for an invalid setting or a cell outside the output.
    """
    K = kernel if isinstance(kernel, torch.Tensor) else None
    g = Geometry.of(X.shape, tuple(K.shape) if K is not None else kernel, padding, stride,
                    dilation)  # fmt: skip
    out_h, out_w = conv_output_shape(*astuple(g))
    if not (0 <= i < out_h and 0 <= j < out_w):
        raise ValueError(f"Output cell ({i}, {j}) is outside the {out_h}×{out_w} output.")
    X = X.float()
    (kh, kw), (ph, pw), (sh, sw), (dh, dw) = g.kernel, g.padding, g.stride, g.dilation
    rows = tuple(i * sh - ph + a * dh for a in range(kh))
    cols = tuple(j * sw - pw + b * dw for b in range(kw))
    # Gather just the window (padding the whole input would cost more for a large image).
    r, c = torch.tensor(rows), torch.tensor(cols)
    h, w = X.shape
    inside = ((r >= 0) & (r < h))[:, None] & ((c >= 0) & (c < w))[None, :]
    values = X[r.clamp(0, h - 1)][:, c.clamp(0, w - 1)] * inside
    products = total = None
    if K is not None:
        products = values * K.float()
        total = float(products.sum())
    return Window(i, j, rows, cols, values, products, total, None if K is None else K.float())


def is_padding(rows: tuple[int, ...], cols: tuple[int, ...], hw: tuple[int, int]) -> torch.Tensor:
    """(len(rows), len(cols)) mask: True where (row, col) lies outside an (h, w) input."""
    h, w = hw
    r = torch.tensor([0 <= x < h for x in rows])
    c = torch.tensor([0 <= x < w for x in cols])
    return ~(r[:, None] & c[None, :])


def sum_expression(
    win: Window, max_terms: int = 9, fmt: str = ".3g", total: str | None = None
) -> str:
    """The window's products written out, e.g. ``"1·1 + 0·(−1) = 1"``. d2l 7.2.

    Longer sums are shortened to their first terms and a count. ``total`` is the sum as the
    page prints it elsewhere (the same digits everywhere); by default ``fmt`` of the sum.
    """
    if win.products is None:
        raise ValueError("The window was taken without a kernel: there are no products.")

    def num(v: float) -> str:
        s = format(v + 0.0, fmt).replace("-", "−")  # + 0.0 turns −0 into 0
        return f"({s})" if v < 0 else s

    xs, ks = win.values.flatten().tolist(), win.kernel.flatten().tolist()
    terms = [f"{num(x)}·{num(k)}" for x, k in zip(xs, ks, strict=True)]
    if len(terms) > max_terms:
        shown = " + ".join(terms[:max_terms])
        body = f"{shown} + … ({len(terms)} products)"
    else:
        body = " + ".join(terms)
    if total is None:
        total = format(win.total + 0.0, fmt).replace("-", "−")
    return f"{body} = {total}"


def torch_output_shape(
    input_hw: Pair,
    kernel_hw: Pair,
    padding_hw: Pair = 0,
    stride_hw: Pair = 1,
    dilation_hw: Pair = 1,
) -> tuple[int, int]:
    """The (h, w) that ``nn.Conv2d`` actually returns for a zero input of this size. d2l 7.3.

    Shown beside :func:`conv_output_shape` so students see the formula agree with torch.

    Raises:
        ValueError: with torch's own message when torch refuses the setting.
    """
    g = Geometry.of(input_hw, kernel_hw, padding_hw, stride_hw, dilation_hw)
    # On the "meta" device torch runs its shape checks and shape arithmetic, no arithmetic.
    X = torch.zeros(1, 1, *g.input, device="meta")
    K = torch.zeros(1, 1, *g.kernel, device="meta")
    try:
        Y = F.conv2d(X, K, padding=g.padding, stride=g.stride, dilation=g.dilation)
    except RuntimeError as exc:
        raise ValueError(str(exc).strip().splitlines()[0]) from exc
    return tuple(Y.shape[-2:])  # type: ignore


def box_kernel(kh: int, kw: int) -> torch.Tensor:
    """A (kh, kw) kernel that averages its window: 1 / (kh·kw) everywhere."""
    return torch.full((kh, kw), 1.0 / (kh * kw))
