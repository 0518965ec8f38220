"""The numbers behind the why-convolutions, channels and pooling pages (d2l 7.1, 7.4, 7.5).

Every function here returns plain tensors, numbers or small dataclasses, so the pages only lay
them out and the tests check them without Streamlit. The teaching loops live in
:mod:`cnnviz.ops`; these helpers use torch for speed on real images and check it against the
loops on the small examples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

from cnnviz import images, ops
from cnnviz.models.build import init_from

# --------------------------------------------------------------------------------------------
# d2l 7.1: why convolutions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParamCount:
    """Parameters of one layer mapping an image to a hidden image of the same size (d2l 7.1)."""

    fc: int
    conv: int
    fc_formula: str
    conv_formula: str

    @property
    def ratio(self) -> float:
        return self.fc / self.conv


def param_counts(
    height: int, width: int, c_in: int = 1, c_out: int = 1, kernel: int = 3, bias: bool = True
) -> ParamCount:
    """A fully connected layer against a conv layer, for a (c_in, h, w) → (c_out, h, w) map.

    d2l 7.1: a 1-megapixel image with a 1-megapixel hidden representation needs 10^12 weights
    when every hidden unit sees every pixel; a conv layer shares one small kernel everywhere.
    """
    n_in, n_out = c_in * height * width, c_out * height * width
    fc = n_in * n_out + (n_out if bias else 0)
    conv = kernel * kernel * c_in * c_out + (c_out if bias else 0)
    fc_formula = f"({c_in}·{height}·{width}) · ({c_out}·{height}·{width})"
    conv_formula = f"{kernel}·{kernel}·{c_in}·{c_out}"
    if bias:
        fc_formula += f" + {n_out:,}"
        conv_formula += f" + {c_out}"
    return ParamCount(fc, conv, f"{fc_formula} = {fc:,}", f"{conv_formula} = {conv:,}")


def shift_image(X: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """Move an (…, H, W) image by (dy, dx) pixels, wrapping around the border (a circular shift).

    Wrapping keeps the translation check exact: nothing falls off the edge.
    """
    return torch.roll(X, shifts=(dy, dx), dims=(-2, -1))


def conv_same_circular(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Cross-correlate (H, W) with (kh, kw) on a circularly padded input, output (H, W).

    With circular padding a shifted input gives an exactly shifted output, so equivariance can
    be checked to the last digit. cnnviz goes further than d2l here, which uses no padding.
    """
    kh, kw = K.shape
    top, left = (kh - 1) // 2, (kw - 1) // 2
    Xp = F.pad(X[None, None], (left, kw - 1 - left, top, kh - 1 - top), mode="circular")
    return F.conv2d(Xp, K[None, None].to(X.dtype))[0, 0]


def dense_layer(height: int, width: int, seed: int = 0) -> torch.Tensor:
    """A random fully connected weight matrix (h·w, h·w) of a same-size hidden layer."""
    g = torch.Generator().manual_seed(seed)
    n = height * width
    return torch.randn((n, n), generator=g) / math.sqrt(n)


TRANSLATION_MAX_SIDE = 32  # a 32×32 dense layer already holds 1024² ≈ 10⁶ weights


@dataclass
class TranslationDemo:
    """Outputs of a conv layer and a dense layer on an image and on its shifted copy."""

    X: torch.Tensor
    X_shifted: torch.Tensor
    conv: torch.Tensor
    conv_of_shifted: torch.Tensor
    dense: torch.Tensor
    dense_of_shifted: torch.Tensor
    conv_error: float  # max |conv(shift X) − shift(conv X)|
    dense_error: float  # max |dense(shift X) − shift(dense X)|
    dense_scale: float = field(default=1.0)  # max |dense X|, to judge dense_error against


def translation_demo(
    X: torch.Tensor, K: torch.Tensor, dy: int, dx: int, seed: int = 0
) -> TranslationDemo:
    """d2l 7.1 translation equivariance: conv(shift X) = shift(conv X); a dense layer breaks it.

    Args:
        X: (H, W) or (C, H, W) image (channels averaged); downscaled to
            ``TRANSLATION_MAX_SIDE`` (the dense layer has (H·W)² weights).
        K: (kh, kw) kernel.
        dy, dx: shift in pixels.
        seed: for the dense layer's random weights.
    """
    if X.dim() == 3:
        X = X.float().mean(0)  # channels averaged: one grey image
    X = images.fit_side(X.float()[None], TRANSLATION_MAX_SIDE)[0]
    h, w = X.shape
    Xs = shift_image(X, dy, dx)
    conv, conv_s = conv_same_circular(X, K), conv_same_circular(Xs, K)
    W = dense_layer(h, w, seed)
    dense = (W @ X.reshape(-1)).reshape(h, w)
    dense_s = (W @ Xs.reshape(-1)).reshape(h, w)
    conv_err = float((conv_s - shift_image(conv, dy, dx)).abs().max())
    dense_err = float((dense_s - shift_image(dense, dy, dx)).abs().max())
    return TranslationDemo(
        X, Xs, conv, conv_s, dense, dense_s, conv_err, dense_err, float(dense.abs().max())
    )


class GapNet(nn.Module):
    """A small conv net ending in global average pooling, so any input size works (d2l 7.1 notes).

    conv 3×3 (8) → ReLU → max-pool 2 → conv 3×3 (16) → ReLU → global average pool → linear (10).
    """

    def __init__(self, num_classes: int = 10, seed: int = 0):
        super().__init__()
        with torch.device("meta"):  # made empty, then drawn from its own generator
            self.net = nn.Sequential(
                nn.Conv2d(1, 8, kernel_size=3, padding=1),
                nn.ReLU(),
                nn.MaxPool2d(2),
                nn.Conv2d(8, 16, kernel_size=3, padding=1),
                nn.ReLU(),
                nn.AdaptiveAvgPool2d(1),
                nn.Flatten(),
                nn.Linear(16, num_classes),
            )
        self.to_empty(device="cpu")
        init_from(self, torch.Generator().manual_seed(seed))  # d2l's init, global RNG untouched

    def forward(self, X):
        return self.net(X)


def layer_shapes(net: nn.Module, X: torch.Tensor) -> list[tuple[str, tuple[int, ...]]]:
    """(layer name, output shape) after each layer of ``net.net`` for input X."""
    rows = [("input", tuple(X.shape))]
    with torch.no_grad():
        for layer in net.net:
            X = layer(X)
            rows.append((type(layer).__name__, tuple(X.shape)))
    return rows


def gap_shapes(sizes: list[int], seed: int = 0) -> dict[int, list[tuple[str, tuple[int, ...]]]]:
    """Layer shapes of one :class:`GapNet` on square inputs of each size: the last is (1, 10)."""
    net = GapNet(seed=seed).eval()
    g = torch.Generator().manual_seed(seed)
    return {s: layer_shapes(net, torch.rand((1, 1, s, s), generator=g)) for s in sizes}


def flatten_head_error(first: int, second: int) -> str | None:
    """What a Flatten → Linear head says when fed a size other than the one it was built for.

    Returns torch's message, or None if ``second`` happens to fit.
    """
    net = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.Flatten(), nn.Linear(8 * first**2, 10))
    try:
        with torch.no_grad():
            net(torch.zeros(1, 1, second, second))
    except RuntimeError as exc:
        return str(exc).splitlines()[0]
    return None


# --------------------------------------------------------------------------------------------
# d2l 7.4: multiple input and output channels
# --------------------------------------------------------------------------------------------


def seed_multi_in() -> tuple[torch.Tensor, torch.Tensor]:
    """The seed's two-channel X (2, 3, 3) and kernel K (2, 2, 2) of d2l 7.4."""
    X = torch.tensor(
        [[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]],
         [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]]
    )  # fmt: skip
    K = torch.tensor([[[0.0, 1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]]])
    return X, K


def seed_multi_out_kernel() -> torch.Tensor:
    """The seed's bank K, K + 1, K + 2 stacked on a new dim 0: shape (3, 2, 2, 2)."""
    _, K = seed_multi_in()
    return torch.stack((K, K + 1, K + 2), 0)


def seed_multi_in_out() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The seed's multi-output example: X (2, 3, 3), K (3, 2, 2, 2), Y (3, 2, 2) by the loops."""
    X, _ = seed_multi_in()
    K = seed_multi_out_kernel()
    return X, K, ops.corr2d_multi_in_out(X, K, fast=False)


def stack_kernels(kernels: list[torch.Tensor]) -> torch.Tensor:
    """Kernels of different sizes → one (n, kh, kw) tensor, zero-padded at the bottom and right.

    A zero-padded kernel gives the same numbers as the small one, cropped to the common output
    size, so kernels of different sizes can share one multi-channel convolution.
    """
    kh = max(k.shape[0] for k in kernels)
    kw = max(k.shape[1] for k in kernels)
    return torch.stack(
        [F.pad(k.float(), (0, kw - k.shape[1], 0, kh - k.shape[0])) for k in kernels]
    )


# Above this the teaching loops would slow a rerun noticeably: torch alone is used.
LOOP_LIMIT = 1024  # window operations (cells × channels) the teaching loops may run per rerun


@dataclass
class ChannelSum:
    """d2l 7.4 multi-input-channel cross-correlation, one channel at a time and summed."""

    K: torch.Tensor  # (c_i, kh, kw)
    per_channel: torch.Tensor  # (c_i, h', w')
    total: torch.Tensor  # (h', w') = per_channel.sum(0)
    torch_total: torch.Tensor  # F.conv2d with weight (1, c_i, kh, kw)
    max_abs_diff: float  # |total − torch_total|
    loop_diff: float | None  # |ops.corr2d_multi_in − torch_total|, None when too big to loop


def channel_sum(X: torch.Tensor, kernels: list[torch.Tensor]) -> ChannelSum:
    """Each channel of X (c_i, H, W) with its own kernel, the maps summed, checked with torch."""
    if len(kernels) != X.shape[0]:
        raise ValueError(f"{X.shape[0]} channels need {X.shape[0]} kernels, got {len(kernels)}")
    K = stack_kernels(kernels)
    X = X.float()
    per = F.conv2d(X[None], K[:, None], groups=X.shape[0])[0]  # channel c with kernel c only
    total = per.sum(0)
    ref = F.conv2d(X[None], K[None])[0, 0]
    loop = None
    if X.shape[0] * total.numel() <= LOOP_LIMIT:
        loop = float((ops.corr2d_multi_in(X, K, fast=False) - ref).abs().max())
    return ChannelSum(K, per, total, ref, float((total - ref).abs().max()), loop)


def kernel_bank(X: torch.Tensor, kernels: list[torch.Tensor]) -> torch.Tensor:
    """A bank of c_o kernels on X (c_i, H, W) → a stack of c_o output maps (d2l 7.4).

    Output channel o uses kernel o on every input channel, divided by c_i: it sees the channel
    average. The weight has shape (c_o, c_i, kh, kw), as ``corr2d_multi_in_out`` expects.
    """
    c_i = X.shape[0]
    K = stack_kernels(kernels)[:, None].expand(-1, c_i, -1, -1) / c_i
    return F.conv2d(X.float()[None], K)[0]


@dataclass
class OneByOne:
    """A 1×1 convolution computed as a matrix product and by torch (d2l 7.4)."""

    X: torch.Tensor  # (c_i, h, w)
    K: torch.Tensor  # (c_o, c_i, 1, 1)
    X_matrix: torch.Tensor  # (c_i, h·w)
    K_matrix: torch.Tensor  # (c_o, c_i)
    Y_matmul: torch.Tensor  # (c_o, h, w)
    Y_conv: torch.Tensor  # F.conv2d
    max_abs_diff: float
    loop_diff: float | None  # ops.corr2d_multi_in_out against the matmul


def one_by_one(X: torch.Tensor, c_o: int, seed: int = 0) -> OneByOne:
    """d2l's corr2d_multi_in_out_1x1 with a random (c_o, c_i, 1, 1) kernel, checked two ways."""
    X = X.float()
    c_i, h, w = X.shape
    g = torch.Generator().manual_seed(seed)
    K = torch.normal(0.0, 1.0, (c_o, c_i, 1, 1), generator=g)
    Xm, Km = X.reshape((c_i, h * w)), K.reshape((c_o, c_i))
    Y1 = ops.corr2d_multi_in_out_1x1(X, K)  # d2l's reshape → matmul → reshape
    Y2 = F.conv2d(X[None], K)[0]
    loop = None
    if c_o * c_i * h * w <= LOOP_LIMIT:
        loop = float((ops.corr2d_multi_in_out(X, K, fast=False) - Y1).abs().max())
    return OneByOne(X, K, Xm, Km, Y1, Y2, float((Y1 - Y2).abs().max()), loop)


# --------------------------------------------------------------------------------------------
# d2l 7.5: pooling
# --------------------------------------------------------------------------------------------

# nn.MaxPool2d's parameters and defaults, as the seed's takeaway lists them.
MAXPOOL_PARAMS = [
    ("kernel_size", "required", "size of the pooling window"),
    ("stride", "kernel_size", "step of the window across the input"),
    ("padding", "0", "-inf added on each border (max); at most kernel_size // 2"),
    ("dilation", "1", "spacing between the window's elements (max pooling only)"),
    ("return_indices", "False", "also return where each maximum came from"),
    ("ceil_mode", "False", "round the output size up instead of down"),
]


def seed_pool_examples() -> dict[str, tuple[str, torch.Tensor]]:
    """The seed's pooling outputs of d2l 7.5, computed now: name → (code, tensor)."""
    X = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
    X16 = torch.arange(16, dtype=torch.float32).reshape((1, 1, 4, 4))
    return {
        "max 2×2 on 0..8": ("pool2d(X, (2, 2))", ops.pool2d(X, (2, 2))),
        "avg 2×2 on 0..8": ("pool2d(X, (2, 2), 'avg')", ops.pool2d(X, (2, 2), "avg")),
        "MaxPool2d(3)": ("nn.MaxPool2d(3)(X)", nn.MaxPool2d(3)(X16)),
        "MaxPool2d(3, padding=1, stride=2)": (
            "nn.MaxPool2d(3, padding=1, stride=2)(X)",
            nn.MaxPool2d(3, padding=1, stride=2)(X16),
        ),
    }


def seed_pool_input() -> torch.Tensor:
    """The seed's 4×4 input of d2l 7.5: ``torch.arange(16).reshape(4, 4)`` as floats."""
    return torch.arange(16, dtype=torch.float32).reshape((4, 4))


@dataclass(frozen=True)
class PoolSettings:
    """nn.MaxPool2d / nn.AvgPool2d arguments (square), as the pooling page sets them."""

    kernel_size: int = 2
    stride: int | None = None  # None: kernel_size, torch's default
    padding: int = 0
    dilation: int = 1
    ceil_mode: bool = False
    mode: str = "max"

    @property
    def step(self) -> int:
        return self.stride or self.kernel_size

    def code(self, return_indices: bool = False) -> str:
        """The torch call these settings stand for, defaults left out."""
        name = "nn.MaxPool2d" if self.mode == "max" else "nn.AvgPool2d"
        args = [str(self.kernel_size)]
        if self.stride is not None:
            args.append(f"stride={self.stride}")
        if self.padding:
            args.append(f"padding={self.padding}")
        if self.dilation != 1 and self.mode == "max":
            args.append(f"dilation={self.dilation}")
        if self.ceil_mode:
            args.append("ceil_mode=True")
        if return_indices and self.mode == "max":
            args.append("return_indices=True")
        return f"{name}({', '.join(args)})"


def pool_size_1d(n: int, s: PoolSettings) -> int:
    """torch's pooling output length along one axis (floor, or ceil with ceil_mode); 0 if empty."""
    return max(ops.out_size(n, s.kernel_size, s.padding, s.step, s.dilation, s.ceil_mode), 0)


def pool_problems(height: int, width: int, s: PoolSettings) -> list[str]:
    """Why torch would refuse these settings, in words (empty when they are valid).

    The rules are :func:`cnnviz.ops.check_pool_shape`'s, written once there.
    """
    return ops.check_pool_shape(
        (height, width), s.kernel_size, s.padding, s.step, s.dilation, s.ceil_mode, s.mode
    )


@dataclass
class PoolResult:
    """Pooling output, and for max pooling the flat input index each output cell came from."""

    Y: torch.Tensor  # (h', w')
    indices: torch.Tensor | None  # (h', w') flat indices into H·W (max pooling only)
    wins: torch.Tensor | None  # (H, W) how many output cells each input pixel won
    loop_diff: float | None  # teaching loop (ops.pool2d) against torch, when small enough;
    # inf if the loop picked different winners


def pool(X: torch.Tensor, s: PoolSettings) -> PoolResult:
    """Max or average pooling of X (H, W) with torch, winners counted (d2l 7.5).

    Raises:
        ValueError: with :func:`pool_problems`' message when torch would refuse the settings.
    """
    h, w = X.shape
    problems = pool_problems(h, w, s)
    if problems:
        raise ValueError(" ".join(problems))
    X4 = X.float()[None, None]
    if s.mode == "max":
        Y, idx = F.max_pool2d(
            X4, s.kernel_size, s.step, s.padding, s.dilation, s.ceil_mode, return_indices=True
        )
        Y, idx = Y[0, 0], idx[0, 0]
        wins = torch.bincount(idx.flatten(), minlength=h * w).reshape(h, w)
    else:
        Y = F.avg_pool2d(X4, s.kernel_size, s.step, s.padding, s.ceil_mode)[0, 0]
        idx = wins = None
    loop = None
    if Y.numel() <= LOOP_LIMIT:
        out = _loop_pool(X.float(), s)
        Y_loop = out[0] if s.mode == "max" else out
        loop = float((Y_loop - Y).abs().max())
        if s.mode == "max" and not torch.equal(out[1], idx):
            loop = float("inf")  # a different winner would be a bug in the teaching loop
    return PoolResult(Y, idx, wins, loop)


def _loop_pool(X: torch.Tensor, s: PoolSettings) -> torch.Tensor:
    """The teaching loop of :mod:`cnnviz.ops` with the page's settings."""
    return ops.pool2d(
        X,
        s.kernel_size,
        s.mode,
        stride=s.step,
        padding=s.padding,
        dilation=s.dilation,
        ceil_mode=s.ceil_mode,
        return_indices=s.mode == "max",
        fast=False,
    )


def shift_with_edges(X: torch.Tensor, dx: int) -> torch.Tensor:
    """Move (H, W) right by dx pixels (left if negative), repeating the border column.

    Like a camera moved by a pixel: content moves, nothing wraps around.
    """
    if dx == 0:
        return X.clone()
    n = abs(dx)
    Xp = F.pad(X[None, None], (n, n, 0, 0), mode="replicate")[0, 0]
    return Xp[:, : X.shape[1]] if dx > 0 else Xp[:, 2 * n :]


@dataclass
class ShiftTolerance:
    """How much a conv output and its max-pooled version change when the input moves a pixel."""

    conv: torch.Tensor
    conv_shifted: torch.Tensor
    pooled: torch.Tensor
    pooled_shifted: torch.Tensor
    conv_changed: float  # fraction of output cells that changed
    pooled_changed: float
    conv_change: float  # mean |change| / max |output|
    pooled_change: float


def shift_tolerance(
    X: torch.Tensor, K: torch.Tensor, dx: int = 1, pool_size: int = 2, tol: float = 1e-6
) -> ShiftTolerance:
    """d2l 7.5: max pooling (stride 1, like d2l's pool2d) after a conv absorbs small shifts.

    The conv output moves with the input, so almost every cell changes; the max over a window
    often stays the same when its maximum just moves within the window.
    """
    X = X.float()
    Xs = shift_with_edges(X, dx)
    conv = F.conv2d(X[None, None], K[None, None].float())[0, 0]
    conv_s = F.conv2d(Xs[None, None], K[None, None].float())[0, 0]
    pooled = F.max_pool2d(conv[None, None], pool_size, stride=1)[0, 0]
    pooled_s = F.max_pool2d(conv_s[None, None], pool_size, stride=1)[0, 0]

    def change(a, b):
        d = (a - b).abs()
        scale = float(a.abs().max()) or 1.0
        return float((d > tol).float().mean()), float(d.mean()) / scale

    cf, cm = change(conv, conv_s)
    pf, pm = change(pooled, pooled_s)
    return ShiftTolerance(conv, conv_s, pooled, pooled_s, cf, pf, cm, pm)
