"""cnnviz.ops: every printed tensor of d2l 7.2–7.5 exactly, then the loops against torch."""

from __future__ import annotations

import itertools

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn import functional as F

from cnnviz import ops
from cnnviz.images import seed_matrix, seed_stripes

pytestmark = pytest.mark.unit

# ---------------------------------------------------------------- the seed's printed outputs


def test_corr2d_seed_7_2():
    X = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
    K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
    assert torch.equal(ops.corr2d(X, K), torch.tensor([[19.0, 25.0], [37.0, 43.0]]))
    assert torch.equal(X, seed_matrix())


def test_edge_detection_seed_7_2():
    X = torch.ones((6, 8))
    X[:, 2:6] = 0
    assert torch.equal(X, seed_stripes())
    K = torch.tensor([[1.0, -1.0]])
    Y = ops.corr2d(X, K)
    row = torch.tensor([0.0, 1.0, 0.0, 0.0, 0.0, -1.0, 0.0])
    assert torch.equal(Y, row.expand(6, 7))
    # The transposed image has horizontal stripes: the vertical-edge kernel sees nothing.
    Z = ops.corr2d(X.t(), K)
    assert Z.shape == (8, 5)
    assert torch.equal(Z, torch.zeros(8, 5))


def test_conv2d_module_seed_7_2():
    """The book's Conv2D layer: corr2d(x, weight) + bias, equal to nn.Conv2d with that weight."""
    X = seed_stripes()
    K = torch.tensor([[1.0, -1.0]])
    conv = nn.Conv2d(1, 1, kernel_size=(1, 2), bias=False)
    with torch.no_grad():
        conv.weight[:] = K
    assert torch.equal(conv(X[None, None])[0, 0], ops.corr2d(X, K))


def _comp_conv2d(conv2d, X):
    X = X.reshape((1, 1) + X.shape)
    Y = conv2d(X)
    return Y.reshape(Y.shape[2:])


@pytest.mark.parametrize(
    "kernel, padding, stride, expected",
    [
        (3, 1, 1, (8, 8)),
        ((5, 3), (2, 1), 1, (8, 8)),
        (3, 1, 2, (4, 4)),
        ((3, 5), (0, 1), (3, 4), (2, 2)),
    ],
)
def test_shapes_seed_7_3(kernel, padding, stride, expected):
    X = torch.rand(size=(8, 8))
    conv2d = nn.Conv2d(1, 1, kernel_size=kernel, padding=padding, stride=stride)
    assert tuple(_comp_conv2d(conv2d, X).shape) == expected
    assert ops.conv_output_shape((8, 8), kernel, padding, stride) == expected
    K = torch.rand(ops._pair(kernel))
    assert tuple(ops.corr2d(X, K, padding=padding, stride=stride).shape) == expected


def test_multi_in_seed_7_4():
    X = torch.tensor(
        [[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]],
         [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]]
    )  # fmt: skip
    K = torch.tensor([[[0.0, 1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]]])
    assert torch.equal(ops.corr2d_multi_in(X, K), torch.tensor([[56.0, 72.0], [104.0, 120.0]]))
    K = torch.stack((K, K + 1, K + 2), 0)
    assert K.shape == (3, 2, 2, 2)
    expected = torch.tensor(
        [[[56.0, 72.0], [104.0, 120.0]],
         [[76.0, 100.0], [148.0, 172.0]],
         [[96.0, 128.0], [192.0, 224.0]]]
    )  # fmt: skip
    assert torch.equal(ops.corr2d_multi_in_out(X, K), expected)


def test_1x1_equals_multi_in_out_seed_7_4():
    g = torch.Generator().manual_seed(0)
    X = torch.normal(0, 1, (3, 3, 3), generator=g)
    K = torch.normal(0, 1, (2, 3, 1, 1), generator=g)
    Y1 = ops.corr2d_multi_in_out_1x1(X, K)
    Y2 = ops.corr2d_multi_in_out(X, K)
    assert float(torch.abs(Y1 - Y2).sum()) < 1e-6
    assert torch.allclose(Y1, F.conv2d(X[None], K)[0], atol=1e-6)


def test_pool2d_seed_7_5():
    X = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
    assert torch.equal(ops.pool2d(X, (2, 2)), torch.tensor([[4.0, 5.0], [7.0, 8.0]]))
    assert torch.equal(ops.pool2d(X, (2, 2), "avg"), torch.tensor([[2.0, 3.0], [5.0, 6.0]]))


def test_maxpool_module_seed_7_5():
    X = torch.arange(16, dtype=torch.float32).reshape((1, 1, 4, 4))
    # nn.MaxPool2d(3): the stride defaults to the window (3); our pool2d needs it explicitly.
    assert torch.equal(nn.MaxPool2d(3)(X), torch.tensor([[[[10.0]]]]))
    assert torch.equal(ops.pool2d(X, 3, stride=3), torch.tensor([[[[10.0]]]]))
    expected = torch.tensor([[[[5.0, 7.0], [13.0, 15.0]]]])
    assert torch.equal(nn.MaxPool2d(3, padding=1, stride=2)(X), expected)
    assert torch.equal(ops.pool2d(X, 3, padding=1, stride=2), expected)
    # The book's default stride is 1: a 4×4 input and a 3×3 window give 2×2.
    assert torch.equal(ops.pool2d(X[0, 0], 3), torch.tensor([[10.0, 11.0], [14.0, 15.0]]))


# ---------------------------------------------------------------- shapes and explanations


def test_shape_formula_text():
    h, w = ops.shape_formula((8, 8), (3, 5), (0, 1), (3, 4))
    assert h == "⌊(8 + 2·0 − 1·(3 − 1) − 1) / 3⌋ + 1 = ⌊5 / 3⌋ + 1 = 2"
    assert w.endswith("= 2")
    h, _ = ops.shape_formula(5, 2, 0, 2, ceil_mode=True)
    assert h.startswith("⌈") and h.endswith("= 3")


def test_invalid_settings_are_explained():
    msg = ops.check_conv_shape((4, 4), (7, 3), 1, 1, 1)
    assert len(msg) == 1 and "larger than the padded input height 4 + 2·1 = 6" in msg[0]
    assert "dilated by 3" in ops.check_conv_shape(5, 3, 0, 1, 3)[0]
    assert "Stride (width) is 0" in ops.check_conv_shape(5, 3, 0, (1, 0))[0]
    assert "cannot be negative" in ops.check_conv_shape(5, 3, -1)[0]
    assert "half of the pooling window" in ops.check_pool_shape(5, 2, 2)[0]
    assert ops.check_conv_shape((8, 8), 3, 1, 2) == []
    assert ops.check_pool_shape((4, 4), 3, 1, 2) == []
    with pytest.raises(ValueError, match="larger than the padded input"):
        ops.corr2d(torch.ones(3, 3), torch.ones(5, 5))
    with pytest.raises(ValueError, match="larger than the padded input"):
        ops.conv_output_shape(3, 5)
    with pytest.raises(ValueError, match="half of the pooling window"):
        ops.pool2d(torch.ones(4, 4), 2, padding=2)
    with pytest.raises(ValueError, match="no dilation"):
        ops.pool2d(torch.ones(4, 4), 2, "avg", dilation=2)
    with pytest.raises(ValueError, match="channels"):
        ops.corr2d_multi_in(torch.ones(3, 4, 4), torch.ones(2, 2, 2))


def test_a_rule_broken_alike_on_both_axes_is_said_once():
    (msg,) = ops.check_pool_shape(4, 2, 2)
    assert msg.startswith("padding = 2 is more than half of the pooling window (2 // 2 = 1)")
    assert len(ops.check_pool_shape((4, 6), 2, 2)) == 1  # padding vs window: not the input
    (msg,) = ops.check_conv_shape(3, 5)
    assert "kernel size 5 is larger than the padded input size 3 + 2·0 = 3" in msg
    height, width = ops.check_conv_shape((3, 4), 5)
    assert "input height 3" in height and "input width 4" in width
    assert ops.check_pool_shape(4, 2, 0, 2, 2, mode="avg") == [ops.AVG_NO_DILATION]


def test_one_formula_for_every_output_size():
    """The lessons and the spec checks use ops.out_size (floor((n + 2p − d(k − 1) − 1)/s) + 1)."""
    from cnnviz import lessons
    from cnnviz.models import LeNetSpec, count_parameters

    s = lessons.PoolSettings(3, 2, 1, ceil_mode=True)
    assert lessons.pool_size_1d(4, s) == ops.out_size(4, 3, 1, 2, 1, True) == 3
    assert lessons.pool_size_1d(2, lessons.PoolSettings(5)) == 0  # empty, not negative
    # LeNet at 32×32 without padding: 28 → 14 → 10 → 5, so the first FC layer sees 16·5·5.
    spec = LeNetSpec(input_size=32, padding=0)
    assert count_parameters(spec) == count_parameters(LeNetSpec())


def test_torch_refuses_what_we_explain():
    """What check_* calls invalid, torch refuses too (and the reverse on a grid)."""
    for n, k, p, s, d in itertools.product((3, 5), (1, 2, 4), (0, 1, 2, 3), (1, 2), (1, 2)):
        bad = bool(ops.check_conv_shape(n, k, p, s, d))
        try:
            F.conv2d(torch.ones(1, 1, n, n), torch.ones(1, 1, k, k), padding=p, stride=s,
                     dilation=d)  # fmt: skip
            torch_bad = False
        except RuntimeError:
            torch_bad = True
        assert bad == torch_bad, (n, k, p, s, d)
        for ceil in (False, True):
            bad = bool(ops.check_pool_shape(n, k, p, s, d, ceil))
            try:
                F.max_pool2d(torch.ones(1, 1, n, n), k, s, p, d, ceil_mode=ceil)
                torch_bad = False
            except RuntimeError:
                torch_bad = True
            assert bad == torch_bad, (n, k, p, s, d, ceil)


# ---------------------------------------------------------------- window for the step-through


def test_window_products_sum_to_output_cell():
    X = torch.arange(20.0).reshape(4, 5)
    K = torch.tensor([[1.0, -1.0, 2.0], [0.5, 0.0, 3.0]])
    Y = ops.corr2d(X, K, padding=(1, 2), stride=(2, 1), dilation=(1, 2))
    for i, j in itertools.product(range(Y.shape[0]), range(Y.shape[1])):
        win = ops.window(X, i, j, K, padding=(1, 2), stride=(2, 1), dilation=(1, 2))
        assert win.total == pytest.approx(float(Y[i, j]))
        assert torch.equal(win.products, win.values * K)
    win = ops.window(X, 0, 0, K, padding=(1, 2), stride=(2, 1), dilation=(1, 2))
    assert win.rows == (-1, 0) and win.cols == (-2, 0, 2)
    assert win.values[0].abs().sum() == 0  # the first row is padding
    mask = ops.is_padding(win.rows, win.cols, X.shape)
    assert mask.tolist() == [[True, True, True], [True, False, False]]
    assert ops.window(X, 1, 1, (2, 2)).products is None
    with pytest.raises(ValueError, match="outside"):
        ops.window(X, 9, 0, K)


# ---------------------------------------------------------------- loops against torch (grids)


@pytest.mark.parametrize("n", [(5, 5), (6, 9)])
@pytest.mark.parametrize("k", [(1, 1), (2, 3), (3, 3)])
@pytest.mark.parametrize("p", [0, (1, 2)])
@pytest.mark.parametrize("s", [1, (2, 3)])
@pytest.mark.parametrize("d", [1, 2])
def test_corr2d_matches_conv2d_grid(n, k, p, s, d):
    g = torch.Generator().manual_seed(hash((n, k, p, s, d)) % 2**31)
    X, K = torch.randn(n, generator=g), torch.randn(k, generator=g)
    if ops.check_conv_shape(n, k, p, s, d):
        with pytest.raises(ValueError):
            ops.corr2d(X, K, p, s, d)
        return
    expected = F.conv2d(X[None, None], K[None, None], padding=p, stride=s, dilation=d)[0, 0]
    got = ops.corr2d(X, K, p, s, d, fast=False)
    assert got.shape == expected.shape == ops.conv_output_shape(n, k, p, s, d)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(ops.corr2d(X, K, p, s, d, fast=True), expected)


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("n", [(5, 5), (4, 7)])
@pytest.mark.parametrize("k", [2, 3, (2, 3)])
@pytest.mark.parametrize("p", [0, 1])
@pytest.mark.parametrize("s", [None, 2, (3, 2)])
@pytest.mark.parametrize("ceil_mode", [False, True])
def test_pool2d_matches_torch_grid(mode, n, k, p, s, ceil_mode):
    X = torch.randn(n, generator=torch.Generator().manual_seed(1))
    stride = 1 if s is None else s
    if mode == "max":
        expected = F.max_pool2d(X[None, None], k, stride, p, ceil_mode=ceil_mode)[0, 0]
    else:
        expected = F.avg_pool2d(X[None, None], k, stride, p, ceil_mode=ceil_mode)[0, 0]
    got = ops.pool2d(X, k, mode, stride=s, padding=p, ceil_mode=ceil_mode, fast=False)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)
    assert got.shape == ops.pool_output_shape(n, k, p, stride, 1, ceil_mode)


def test_pool2d_ceil_mode_last_window_rule():
    X = torch.arange(25.0).reshape(5, 5)
    for k, s, p in [(2, 2, 1), (3, 3, 1), (2, 3, 1), (3, 2, 0), (2, 4, 1)]:
        t = F.max_pool2d(X[None, None], k, s, p, ceil_mode=True)[0, 0]
        assert ops.pool_output_shape(5, k, p, s, 1, True) == tuple(t.shape)
        torch.testing.assert_close(ops.pool2d(X, k, stride=s, padding=p, ceil_mode=True), t)
    # n=4, k=2, s=3, p=1: ⌈4/3⌉ + 1 = 3, but the third window would start at 6 − 1 = 5,
    # in the right padding, so torch keeps 2.
    assert ops.pool_output_shape(4, 2, 1, 3, 1, True) == (2, 2)
    assert F.max_pool2d(torch.ones(1, 1, 4, 4), 2, 3, 1, ceil_mode=True).shape[-2:] == (2, 2)
    assert "right padding" in ops.shape_formula(4, 2, 1, 3, 1, ceil_mode=True)[0]


def test_pool2d_channels_and_fast_path():
    X = torch.randn(2, 3, 70, 70, generator=torch.Generator().manual_seed(2))
    Y, idx = ops.pool2d(X, 2, stride=1, return_indices=True)  # 69×69 output: torch path
    Yt, idxt = F.max_pool2d(X, 2, 1, return_indices=True)
    assert torch.equal(Y, Yt) and torch.equal(idx, idxt)
    Y = ops.pool2d(X[0], 3, "avg", stride=2, padding=1, count_include_pad=False, fast=False)
    Yt = F.avg_pool2d(X[0:1], 3, 2, 1, count_include_pad=False)[0]
    torch.testing.assert_close(Y, Yt, atol=1e-5, rtol=1e-5)


def test_corr2d_fast_path_for_large_inputs():
    X = torch.rand(100, 100)
    K = torch.rand(3, 3)
    Y = ops.corr2d(X, K, padding=1)
    assert Y.shape == (100, 100)
    torch.testing.assert_close(Y, F.conv2d(X[None, None], K[None, None], padding=1)[0, 0])
    # Integer images are promoted to float, as the book's zeros() output is float.
    assert ops.corr2d(torch.ones(3, 3, dtype=torch.uint8), torch.ones(2, 2)).dtype == torch.float32


# ---------------------------------------------------------------- property tests (hypothesis)

PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
sizes = st.integers(1, 9)
small = st.integers(1, 4)


@PROPS
@given(
    c_i=st.integers(1, 3), c_o=st.integers(1, 3), h=sizes, w=sizes, kh=small, kw=small,
    ph=st.integers(0, 3), pw=st.integers(0, 3), sh=small, sw=small,
    dh=st.integers(1, 3), dw=st.integers(1, 3), seed=st.integers(0, 10_000),
)  # fmt: skip
def test_corr2d_multi_in_out_property(c_i, c_o, h, w, kh, kw, ph, pw, sh, sw, dh, dw, seed):
    args = dict(padding=(ph, pw), stride=(sh, sw), dilation=(dh, dw))
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(c_i, h, w, generator=g)
    K = torch.randn(c_o, c_i, kh, kw, generator=g)
    problems = ops.check_conv_shape((h, w), (kh, kw), (ph, pw), (sh, sw), (dh, dw))
    try:
        expected = F.conv2d(X[None], K, **args)[0]
    except RuntimeError:
        assert problems
        return
    assert not problems
    assert tuple(expected.shape[-2:]) == ops.conv_output_shape(
        (h, w), (kh, kw), (ph, pw), (sh, sw), (dh, dw)
    )
    got = ops.corr2d_multi_in_out(X, K, fast=False, **args)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


@PROPS
@given(
    mode=st.sampled_from(["max", "avg"]), c=st.integers(1, 2), h=sizes, w=sizes,
    kh=small, kw=small, ph=st.integers(0, 2), pw=st.integers(0, 2), sh=small, sw=small,
    dh=st.integers(1, 3), dw=st.integers(1, 3), ceil_mode=st.booleans(),
    include_pad=st.booleans(), seed=st.integers(0, 10_000),
)  # fmt: skip
def test_pool2d_property(
    mode, c, h, w, kh, kw, ph, pw, sh, sw, dh, dw, ceil_mode, include_pad, seed
):
    if mode == "avg":
        dh = dw = 1
    X = torch.randn(c, h, w, generator=torch.Generator().manual_seed(seed))
    k, p, s, d = (kh, kw), (ph, pw), (sh, sw), (dh, dw)
    problems = ops.check_pool_shape((h, w), k, p, s, d, ceil_mode)
    try:
        if mode == "max":
            expected, idx = F.max_pool2d(X[None], k, s, p, d, ceil_mode, return_indices=True)
            expected, idx = expected[0], idx[0]
        else:
            expected = F.avg_pool2d(X[None], k, s, p, ceil_mode, count_include_pad=include_pad)[0]
    except RuntimeError:
        assert problems
        return
    assert not problems, problems
    assert tuple(expected.shape[-2:]) == ops.pool_output_shape((h, w), k, p, s, d, ceil_mode)
    kwargs = dict(stride=s, padding=p, dilation=d, ceil_mode=ceil_mode, fast=False)
    if mode == "max":
        got, got_idx = ops.pool2d(X, k, "max", return_indices=True, **kwargs)
        torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)
        finite = torch.isfinite(expected)  # a window of padding only has no index to compare
        assert torch.equal(got_idx[finite], idx[finite])
    else:
        got = ops.pool2d(X, k, "avg", count_include_pad=include_pad, **kwargs)
        torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)
