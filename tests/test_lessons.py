"""Library checks for the why-convolutions, channels and pooling lessons (d2l 7.1, 7.4, 7.5)."""

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from cnnviz import images, lessons, ops
from cnnviz.kernels import KERNEL_PRESETS, kernel_tensor
from cnnviz.plots import lessons as plots

pytestmark = pytest.mark.unit

# ---------------------------------------------------------------- 7.1


def test_megapixel_counts_match_the_book():
    pc = lessons.param_counts(1000, 1000, bias=False)
    assert pc.fc == 10**12
    assert pc.conv == 9
    assert "10" not in pc.conv_formula.split("=")[0]  # arithmetic shown: 3·3·1·1
    assert pc.fc_formula.endswith("= 1,000,000,000,000")
    with_bias = lessons.param_counts(1000, 1000, c_in=3, c_out=16, kernel=5)
    assert with_bias.conv == 5 * 5 * 3 * 16 + 16
    assert with_bias.fc == (3 * 10**6) * (16 * 10**6) + 16 * 10**6
    assert with_bias.ratio > 1e9


def test_conv_output_shifts_with_input_dense_does_not():
    X = images.seed_stripes()
    for name in ("Edge [1, -1] (d2l)", "Sobel x", "Laplacian"):
        for dy, dx in ((0, 1), (2, -3), (1, 1)):
            demo = lessons.translation_demo(X, kernel_tensor(name), dy, dx)
            assert demo.conv_error < 1e-6
            assert demo.dense_error > 0.1 * demo.dense_scale
    # Equivariance against the reference: circular conv == torch with circular padding.
    K = kernel_tensor("Sobel y")
    ref = nn.Conv2d(1, 1, 3, padding=1, padding_mode="circular", bias=False)
    ref.weight.data = K[None, None]
    assert torch.allclose(lessons.conv_same_circular(X, K), ref(X[None, None])[0, 0], atol=1e-6)


def test_shift_zero_changes_nothing():
    demo = lessons.translation_demo(images.seed_stripes(), kernel_tensor("Sobel x"), 0, 0)
    assert demo.conv_error == 0 and demo.dense_error == 0


def test_gap_net_takes_any_size_flatten_head_does_not():
    shapes = lessons.gap_shapes([28, 64, 97])
    for size, rows in shapes.items():
        assert rows[0] == ("input", (1, 1, size, size))
        assert rows[3] == ("MaxPool2d", (1, 8, size // 2, size // 2))
        assert rows[-2] == ("Flatten", (1, 16))
        assert rows[-1] == ("Linear", (1, 10))
    assert "cannot be multiplied" in lessons.flatten_head_error(28, 64)
    assert lessons.flatten_head_error(28, 28) is None
    table = plots.shapes_table(shapes)
    assert list(table.columns) == ["28×28 input", "64×64 input", "97×97 input"]
    assert table.loc["Linear"].tolist() == ["1×10"] * 3


def test_gap_net_is_seeded_by_its_own_generator():
    before = torch.get_rng_state()
    first, again = lessons.GapNet(seed=5).state_dict(), lessons.GapNet(seed=5).state_dict()
    assert torch.equal(torch.get_rng_state(), before)
    assert all(torch.equal(first[k], again[k]) for k in first)
    assert not torch.equal(
        first["net.0.weight"], lessons.GapNet(seed=6).state_dict()["net.0.weight"]
    )


# ---------------------------------------------------------------- 7.4


def test_seed_multi_in_and_out_exact():
    X, K = lessons.seed_multi_in()
    res = lessons.channel_sum(X, list(K))
    assert torch.equal(res.total, torch.tensor([[56.0, 72.0], [104.0, 120.0]]))
    assert res.max_abs_diff == 0 and res.loop_diff == 0
    assert torch.equal(res.per_channel.sum(0), res.total)
    X, K, Y = lessons.seed_multi_in_out()
    assert K.shape == (3, 2, 2, 2)
    expected = torch.tensor(
        [[[56.0, 72.0], [104.0, 120.0]], [[76.0, 100.0], [148.0, 172.0]],
         [[96.0, 128.0], [192.0, 224.0]]]
    )  # fmt: skip
    assert torch.equal(Y, expected)


def test_channel_sum_with_kernels_of_different_sizes_matches_torch():
    g = torch.Generator().manual_seed(1)
    X = torch.rand((3, 20, 17), generator=g)
    names = ["Edge [1, -1] (d2l)", "Sobel x", "Edge [1, -1]ᵀ"]
    res = lessons.channel_sum(X, [kernel_tensor(n) for n in names])
    assert res.K.shape == (3, 3, 3)
    assert res.per_channel.shape == (3, 18, 15)
    assert res.max_abs_diff < 1e-5 and res.loop_diff < 1e-5
    # The zero-padded [1, -1] gives the small kernel's map, cropped to the common size.
    small = F.conv2d(X[0][None, None], kernel_tensor(names[0])[None, None])[0, 0]
    assert torch.allclose(res.per_channel[0], small[:18, :15], atol=1e-6)
    with pytest.raises(ValueError, match="3 channels need 3 kernels"):
        lessons.channel_sum(X, [kernel_tensor("Sobel x")])


def test_channel_sum_large_image_skips_the_loop():
    X = torch.rand((3, 200, 200))
    res = lessons.channel_sum(X, [kernel_tensor("Sobel x")] * 3)
    assert res.loop_diff is None and res.max_abs_diff < 1e-4


def test_kernel_bank_stacks_output_maps():
    X = torch.rand((3, 12, 12))
    names = ["Sobel x", "Sobel y", "Laplacian", "Edge [1, -1] (d2l)"]
    Y = lessons.kernel_bank(X, [kernel_tensor(n) for n in names])
    assert Y.shape == (4, 10, 10)
    gray = X.mean(0)
    ref = ops.corr2d(gray, kernel_tensor("Laplacian"), fast=False)
    assert torch.allclose(Y[2], ref, atol=1e-5)


@pytest.mark.parametrize("shape", [(3, 3, 3), (3, 40, 30), (5, 100, 100)])
def test_one_by_one_is_a_matmul(shape):
    X = torch.normal(0, 1, shape, generator=torch.Generator().manual_seed(0))
    res = lessons.one_by_one(X, 2)
    c_i, h, w = shape
    assert res.X_matrix.shape == (c_i, h * w) and res.K_matrix.shape == (2, c_i)
    assert res.Y_matmul.shape == (2, h, w)
    assert res.max_abs_diff < 1e-5
    assert (res.loop_diff is None) == (2 * c_i * h * w > lessons.LOOP_LIMIT)
    if res.loop_diff is not None:
        assert res.loop_diff < 1e-5


# ---------------------------------------------------------------- 7.5


def test_seed_pool_outputs_exact():
    ex = lessons.seed_pool_examples()
    assert torch.equal(ex["max 2×2 on 0..8"][1], torch.tensor([[4.0, 5.0], [7.0, 8.0]]))
    assert torch.equal(ex["avg 2×2 on 0..8"][1], torch.tensor([[2.0, 3.0], [5.0, 6.0]]))
    assert torch.equal(ex["MaxPool2d(3)"][1], torch.tensor([[[[10.0]]]]))
    assert torch.equal(
        ex["MaxPool2d(3, padding=1, stride=2)"][1], torch.tensor([[[[5.0, 7.0], [13.0, 15.0]]]])
    )


SETTINGS = [
    lessons.PoolSettings(k, s, p, d, c, m)
    for k in (1, 2, 3)
    for s in (None, 1, 2)
    for p in (0, 1)
    for d in (1, 2)
    for c in (False, True)
    for m in ("max", "avg")
]


def _torch_pool(X, s):
    if s.mode == "max":
        Y = F.max_pool2d(X[None, None], s.kernel_size, s.step, s.padding, s.dilation, s.ceil_mode)
    else:
        Y = F.avg_pool2d(X[None, None], s.kernel_size, s.step, s.padding, s.ceil_mode)
    return Y[0, 0]


@pytest.mark.parametrize("hw", [(4, 4), (7, 9)])
def test_pool_matches_torch_or_explains(hw):
    X = torch.rand(hw, generator=torch.Generator().manual_seed(3))
    valid = looped = 0
    for s in SETTINGS:
        problems = lessons.pool_problems(*hw, s)
        try:
            expected = _torch_pool(X, s)
        except RuntimeError:
            expected = None
        if s.mode == "avg" and s.dilation != 1:
            assert problems, s  # avg has no dilation in torch
            continue
        if expected is None or expected.numel() == 0:
            assert problems, s
            with pytest.raises(ValueError):
                lessons.pool(X, s)
            continue
        assert not problems, (s, problems)
        res = lessons.pool(X, s)
        assert torch.allclose(res.Y, expected, atol=1e-6), s
        assert res.Y.shape == (lessons.pool_size_1d(hw[0], s), lessons.pool_size_1d(hw[1], s))
        assert res.loop_diff is None or res.loop_diff < 1e-5, s
        valid += 1
        looped += res.loop_diff is not None
        if s.mode == "max":
            assert int(res.wins.sum()) == res.Y.numel()
            assert torch.equal(X.flatten()[res.indices], res.Y)
    assert valid > 40 and looped >= valid - 4  # the teaching loop was checked almost everywhere


def test_padding_more_than_half_kernel_is_explained():
    msg = " ".join(lessons.pool_problems(4, 4, lessons.PoolSettings(2, padding=2)))
    assert "padding = 2" in msg and "kernel_size / 2" in msg
    # torch refuses padding > kernel // 2 even when dilation widens the window.
    s = lessons.PoolSettings(2, padding=2, dilation=3)
    assert lessons.pool_problems(8, 8, s)
    with pytest.raises(RuntimeError):
        F.max_pool2d(torch.zeros(1, 1, 8, 8), 2, 2, 2, 3)
    msg = " ".join(lessons.pool_problems(4, 4, lessons.PoolSettings(5)))
    assert "output would be empty" in msg


def test_winners_on_seed_example():
    X = torch.arange(16, dtype=torch.float32).reshape(4, 4)
    res = lessons.pool(X, lessons.PoolSettings(3, 2, 1))
    assert torch.equal(res.Y, torch.tensor([[5.0, 7.0], [13.0, 15.0]]))
    assert torch.equal(res.indices, torch.tensor([[5, 7], [13, 15]]))
    assert res.wins.flatten().nonzero().flatten().tolist() == [5, 7, 13, 15]
    fig = plots.winners_figure(X, res.wins)
    assert list(fig.data[1].x) == [1, 3, 1, 3] and list(fig.data[1].y) == [1, 1, 3, 3]


def test_pooling_tolerates_a_one_pixel_shift_better_than_conv():
    X = images.seed_stripes()
    res = lessons.shift_tolerance(X, kernel_tensor("Edge [1, -1] (d2l)"), dx=1, pool_size=2)
    assert res.conv.shape == (6, 7) and res.pooled.shape == (5, 6)
    assert res.conv_changed == pytest.approx(4 / 7)
    assert res.pooled_changed == pytest.approx(2 / 6)
    assert res.pooled_changed < res.conv_changed
    unchanged = lessons.shift_tolerance(X, kernel_tensor("Sobel x"), dx=0)
    assert unchanged.conv_changed == 0 and unchanged.pooled_changed == 0


def test_shift_with_edges_repeats_the_border():
    X = torch.arange(6.0).reshape(2, 3)
    assert lessons.shift_with_edges(X, 1).tolist() == [[0, 0, 1], [3, 3, 4]]
    assert lessons.shift_with_edges(X, -1).tolist() == [[1, 2, 2], [4, 5, 5]]


def test_figures_build():
    fig = plots.param_bars(10**12, 10)
    assert fig.layout.yaxis.type == "log" and list(fig.data[0].y) == [10**12, 10]
    fig = plots.heatmap_row([torch.rand(3, 3), -torch.rand(4, 5)], ["a", "b"], shared_scale=True)
    assert len(fig.data) == 2 and fig.data[1].colorscale[0][1] != fig.data[0].colorscale[0][1]
    assert set(KERNEL_PRESETS) >= {"Sobel x", "Laplacian"}


def test_heatmap_grid_domains_for_any_count():
    for n in range(1, 9):
        for cols in range(1, n + 1):
            fig = plots.heatmap_row([torch.rand(3, 4)] * n, [str(i) for i in range(n)], cols=cols)
            assert len(fig.data) == n and len(fig.layout.annotations) == n
