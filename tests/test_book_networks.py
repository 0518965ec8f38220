"""The networks of d2l chapter 8 (AlexNet, NiN, GoogLeNet, LeNet with batch normalization,
ResNeXt, DenseNet): the book's printed shapes, parameters and multiply-adds counted by hand,
the book's from-scratch batch norm against PyTorch's, and the diagram's branches."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import nn

from cnnviz.models import PRESETS, build_model, d2l_lines, layer_summary, to_code, totals
from cnnviz.models.families import densenet, googlenet, lenet_bn, resnet

pytestmark = pytest.mark.unit

# d2l 1.0's printouts (``layer_summary((1, 1, 224, 224))`` etc.), layer and torch.Size.
BOOK_ALEXNET = [
    ("Conv2d", [1, 96, 54, 54]), ("ReLU", [1, 96, 54, 54]), ("MaxPool2d", [1, 96, 26, 26]),
    ("Conv2d", [1, 256, 26, 26]), ("ReLU", [1, 256, 26, 26]), ("MaxPool2d", [1, 256, 12, 12]),
    ("Conv2d", [1, 384, 12, 12]), ("ReLU", [1, 384, 12, 12]), ("Conv2d", [1, 384, 12, 12]),
    ("ReLU", [1, 384, 12, 12]), ("Conv2d", [1, 256, 12, 12]), ("ReLU", [1, 256, 12, 12]),
    ("MaxPool2d", [1, 256, 5, 5]), ("Flatten", [1, 6400]), ("Linear", [1, 4096]),
    ("ReLU", [1, 4096]), ("Dropout", [1, 4096]), ("Linear", [1, 4096]), ("ReLU", [1, 4096]),
    ("Dropout", [1, 4096]), ("Linear", [1, 10]),
]  # fmt: skip
BOOK_NIN = [
    ("Sequential", [1, 96, 54, 54]), ("MaxPool2d", [1, 96, 26, 26]),
    ("Sequential", [1, 256, 26, 26]), ("MaxPool2d", [1, 256, 12, 12]),
    ("Sequential", [1, 384, 12, 12]), ("MaxPool2d", [1, 384, 5, 5]),
    ("Dropout", [1, 384, 5, 5]), ("Sequential", [1, 10, 5, 5]),
    ("AdaptiveAvgPool2d", [1, 10, 1, 1]), ("Flatten", [1, 10]),
]  # fmt: skip
BOOK_GOOGLENET = [
    ("Sequential", [1, 64, 24, 24]), ("Sequential", [1, 192, 12, 12]),
    ("Sequential", [1, 480, 6, 6]), ("Sequential", [1, 832, 3, 3]),
    ("Sequential", [1, 1024]), ("Linear", [1, 10]),
]  # fmt: skip
# d2l 8.5 prints no table: BNLeNet's layers (no padding: 28 → 24 → 12 → 8 → 4).
BOOK_BN_LENET = [
    ("Conv2d", [1, 6, 24, 24]), ("BatchNorm2d", [1, 6, 24, 24]), ("Sigmoid", [1, 6, 24, 24]),
    ("AvgPool2d", [1, 6, 12, 12]), ("Conv2d", [1, 16, 8, 8]), ("BatchNorm2d", [1, 16, 8, 8]),
    ("Sigmoid", [1, 16, 8, 8]), ("AvgPool2d", [1, 16, 4, 4]), ("Flatten", [1, 256]),
    ("Linear", [1, 120]), ("BatchNorm1d", [1, 120]), ("Sigmoid", [1, 120]),
    ("Linear", [1, 84]), ("BatchNorm1d", [1, 84]), ("Sigmoid", [1, 84]), ("Linear", [1, 10]),
]  # fmt: skip
# d2l 8.7 prints the blocks' shapes; the network's rows follow from them at 96×96.
BOOK_DENSENET = [
    ("Sequential", [1, 64, 24, 24]), ("DenseBlock", [1, 192, 24, 24]),
    ("Sequential", [1, 96, 12, 12]), ("DenseBlock", [1, 224, 12, 12]),
    ("Sequential", [1, 112, 6, 6]), ("DenseBlock", [1, 240, 6, 6]),
    ("Sequential", [1, 120, 3, 3]), ("DenseBlock", [1, 248, 3, 3]), ("Sequential", [1, 10]),
]  # fmt: skip


def _lines(table):
    return [f"{layer} output shape:\t torch.Size({shape})" for layer, shape in table]


@pytest.mark.parametrize(
    ("preset", "table"),
    [
        ("AlexNet", BOOK_ALEXNET),
        ("NiN", BOOK_NIN),
        ("GoogLeNet", BOOK_GOOGLENET),
        ("LeNet-BN", BOOK_BN_LENET),
        ("DenseNet", BOOK_DENSENET),
    ],
)
def test_the_books_printed_tables(preset, table):
    spec = PRESETS[preset]
    shape = (1, 1, spec.input_size, spec.input_size)
    assert (spec.input_size, spec.in_channels) == ({"AlexNet": 224, "NiN": 224}.get(preset, 96)
                                                  if preset != "LeNet-BN" else 28, 1)  # fmt: skip
    assert d2l_lines(layer_summary(spec, shape)) == _lines(table)
    # and from a real module, as the book runs it
    net = build_model(spec, device="meta")
    assert d2l_lines(layer_summary(net.to_empty(device="cpu"), shape)) == _lines(table)


def test_the_books_block_printouts():
    """d2l 8.7: DenseBlock(2, 10) on (4, 3, 8, 8) → (4, 23, 8, 8), transition_block(10) →
    (4, 10, 4, 4); d2l 8.6: ResNeXtBlock(32, 16, 1) keeps (4, 32, 96, 96), with
    use_1x1conv=True, strides=2 it halves it."""
    X = torch.randn(4, 3, 8, 8)
    Y = densenet.DenseBlock(2, 3, 10)(X)
    assert Y.shape == (4, 23, 8, 8)
    assert densenet.transition_block(23, 10)(Y).shape == (4, 10, 4, 4)
    X = torch.randn(4, 32, 96, 96)
    assert resnet.ResNeXtBlock(32, 32, 16, 1)(X).shape == (4, 32, 96, 96)
    halved = resnet.ResNeXtBlock(32, 32, 16, 1, use_1x1conv=True, strides=2)(X)
    assert halved.shape == (4, 32, 48, 48)
    blk = resnet.ResNeXtBlock(32, 32, 16, 1)
    assert blk.conv2.groups == 2  # bot_channels // groups, as the book passes it


# -- parameters and multiply-adds counted by hand --------------------------------------------
def conv(cin, cout, k, side, groups=1):
    """(parameters, multiply-adds) of a k×k convolution whose output is side×side."""
    return (cin // groups * k * k + 1) * cout, cout * side * side * cin // groups * k * k


def linear(i, o):
    return (i + 1) * o, i * o


def bn(c):
    return 2 * c, 0


def total(*layers):
    return sum(p for p, _ in layers), sum(m for _, m in layers)


def alexnet_count():
    return total(
        conv(1, 96, 11, 54), conv(96, 256, 5, 26), conv(256, 384, 3, 12),
        conv(384, 384, 3, 12), conv(384, 256, 3, 12),
        linear(6400, 4096), linear(4096, 4096), linear(4096, 10),
    )  # fmt: skip


def nin_count():
    def block(cin, c, k, side):
        return total(conv(cin, c, k, side), conv(c, c, 1, side), conv(c, c, 1, side))

    return total(block(1, 96, 11, 54), block(96, 256, 5, 26), block(256, 384, 3, 12),
                 block(384, 10, 3, 5))  # fmt: skip


def googlenet_count(reductions=True):
    def inception(cin, c1, c2, c3, c4, n):
        if reductions:
            b2 = total(conv(cin, c2[0], 1, n), conv(c2[0], c2[1], 3, n))
            b3 = total(conv(cin, c3[0], 1, n), conv(c3[0], c3[1], 5, n))
        else:
            b2, b3 = conv(cin, c2[1], 3, n), conv(cin, c3[1], 5, n)
        return total(conv(cin, c1, 1, n), b2, b3, conv(cin, c4, 1, n))

    parts = [conv(1, 64, 7, 48), conv(64, 64, 1, 24), conv(64, 192, 3, 24)]
    b3 = [(64, (96, 128), (16, 32), 32), (128, (128, 192), (32, 96), 64)]
    b4 = [(192, (96, 208), (16, 48), 64), (160, (112, 224), (24, 64), 64),
          (128, (128, 256), (24, 64), 64), (112, (144, 288), (32, 64), 64),
          (256, (160, 320), (32, 128), 128)]  # fmt: skip
    b5 = [(256, (160, 320), (32, 128), 128), (384, (192, 384), (48, 128), 128)]
    c = 192
    for blocks, n in ((b3, 12), (b4, 6), (b5, 3)):
        for c1, c2, c3, c4 in blocks:
            parts.append(inception(c, c1, c2, c3, c4, n))
            c = c1 + c2[1] + c3[1] + c4
    return total(*parts, linear(1024, 10))


def bn_lenet_count():
    return total(conv(1, 6, 5, 24), bn(6), conv(6, 16, 5, 8), bn(16), linear(256, 120),
                 bn(120), linear(120, 84), bn(84), linear(84, 10))  # fmt: skip


def densenet_count(c=64, growth=32, arch=(4, 4, 4, 4), side=96):
    n = side // 4
    parts = [conv(1, c, 7, side // 2), bn(c)]
    for i, convs in enumerate(arch):
        for _ in range(convs):
            parts += [bn(c), conv(c, growth, 3, n)]
            c += growth
        if i != len(arch) - 1:
            parts += [bn(c), conv(c, c // 2, 1, n)]
            c //= 2
            n //= 2
    return total(*parts, bn(c), linear(c, 10))


def resnext18_count():
    def block(cin, c, n_in, n, project, groups=16):
        g = c // groups  # the 3×3 convolution's groups: bot_channels // groups (bot_mul 1)
        # conv1 (1×1, stride 1) works at the input's side; the 3×3 one strides
        parts = [conv(cin, c, 1, n_in), bn(c), conv(c, c, 3, n, g), bn(c), conv(c, c, 1, n)]
        parts.append(bn(c))
        if project:
            parts += [conv(cin, c, 1, n), bn(c)]
        return total(*parts)

    parts, c, n = [conv(1, 64, 7, 48), bn(64)], 64, 24
    for i, channels in enumerate((64, 128, 256, 512)):
        for j in range(2):
            first = j == 0 and i != 0
            n_in, n = n, (n // 2 if first else n)
            parts.append(block(c, channels, n_in, n, first or c != channels))
            c = channels
    return total(*parts, linear(512, 10))


@pytest.mark.parametrize(
    ("spec", "count"),
    [
        (PRESETS["AlexNet"], alexnet_count),
        (PRESETS["NiN"], nin_count),
        (PRESETS["GoogLeNet"], googlenet_count),
        (dataclasses.replace(PRESETS["GoogLeNet"], reductions=False),
         lambda: googlenet_count(False)),
        (PRESETS["LeNet-BN"], bn_lenet_count),
        (PRESETS["LeNet-BN-scratch"], bn_lenet_count),
        (PRESETS["DenseNet"], densenet_count),
        (PRESETS["DenseNet-small"], lambda: densenet_count(32, 16, (2, 2, 2, 2))),
        (PRESETS["ResNeXt-18"], resnext18_count),
    ],
)  # fmt: skip
def test_parameters_and_multiply_adds_against_a_count_by_hand(spec, count):
    params, macs = count()
    got = totals(layer_summary(spec))
    assert (got["parameters"], got["multiply-adds"]) == (params, macs)


def test_known_totals():
    assert totals(layer_summary(PRESETS["AlexNet"]))["parameters"] == 46_764_746
    assert totals(layer_summary(PRESETS["GoogLeNet"]))["parameters"] == 5_977_530
    assert totals(layer_summary(PRESETS["DenseNet"]))["parameters"] == 758_226
    # The 1×1 reductions are what keeps GoogLeNet small: four times the parameters without.
    plain = dataclasses.replace(PRESETS["GoogLeNet"], reductions=False)
    assert totals(layer_summary(plain))["parameters"] > 4 * 5_977_530


# -- batch normalization from scratch (d2l 8.5) against PyTorch's ----------------------------
@pytest.mark.parametrize(("dims", "shape"), [(4, (8, 6, 5, 5)), (2, (16, 7))])
def test_scratch_batch_norm_equals_pytorch_in_train_and_eval_mode(dims, shape):
    torch.manual_seed(0)
    ours = lenet_bn.BatchNorm(shape[1], num_dims=dims)
    theirs = nn.BatchNorm2d(shape[1]) if dims == 4 else nn.BatchNorm1d(shape[1])
    with torch.no_grad():  # the same scale and shift, not the initial 1 and 0
        gamma, beta = torch.rand(shape[1]) + 0.5, torch.randn(shape[1])
        ours.gamma.copy_(gamma.view_as(ours.gamma))
        ours.beta.copy_(beta.view_as(ours.beta))
        theirs.weight.copy_(gamma)
        theirs.bias.copy_(beta)
    theirs.train()
    axes = (0, 2, 3) if dims == 4 else (0,)
    biased, unbiased = torch.ones(shape[1]), torch.ones(shape[1])
    for step in range(3):  # training mode: the batch's statistics, moving averages updated
        X = torch.randn(shape) * (step + 1) + step
        torch.testing.assert_close(ours(X), theirs(X))
        biased = 0.9 * biased + 0.1 * X.var(dim=axes, unbiased=False)
        unbiased = 0.9 * unbiased + 0.1 * X.var(dim=axes, unbiased=True)
    torch.testing.assert_close(ours.moving_mean.flatten(), theirs.running_mean)
    # The book averages the biased batch variance (÷ n), PyTorch the unbiased one (÷ n-1).
    torch.testing.assert_close(ours.moving_var.flatten(), biased)
    torch.testing.assert_close(theirs.running_var, unbiased)
    # Evaluation mode: both normalise with the same moving averages.
    with torch.no_grad():
        ours.moving_mean.copy_(theirs.running_mean.view_as(ours.moving_mean))
        ours.moving_var.copy_(theirs.running_var.view_as(ours.moving_var))
    theirs.eval()
    X = torch.randn(shape)
    with torch.no_grad():  # the book's batch_norm: no gradients → prediction mode
        torch.testing.assert_close(ours(X), theirs(X))


def test_running_variance_differs_only_by_bessels_correction():
    torch.manual_seed(1)
    ours, theirs = lenet_bn.BatchNorm(3, num_dims=4), nn.BatchNorm2d(3)
    X = torch.randn(4, 3, 2, 2) * 3
    ours(X), theirs(X)
    n = 4 * 2 * 2
    biased = (ours.moving_var.flatten() - 0.9) / 0.1
    unbiased = (theirs.running_var - 0.9) / 0.1
    torch.testing.assert_close(unbiased, biased * n / (n - 1))


def test_scratch_and_pytorch_bn_lenets_compute_the_same_function():
    torch_net = build_model(PRESETS["LeNet-BN"], generator=torch.Generator().manual_seed(0))
    scratch = build_model(PRESETS["LeNet-BN-scratch"], generator=torch.Generator().manual_seed(0))
    for a, b in zip(torch_net, scratch, strict=True):
        if isinstance(a, nn.Conv2d | nn.Linear):
            b.load_state_dict(a.state_dict())
        elif isinstance(a, nn.modules.batchnorm._BatchNorm):
            with torch.no_grad():
                b.gamma.copy_(a.weight.view_as(b.gamma))
                b.beta.copy_(a.bias.view_as(b.beta))
    X = torch.rand(16, 1, 28, 28)
    torch_net.train(), scratch.train()
    torch.testing.assert_close(scratch(X), torch_net(X))  # training: batch statistics
    for a, b in zip(torch_net, scratch, strict=True):
        if isinstance(a, nn.modules.batchnorm._BatchNorm):
            with torch.no_grad():
                b.moving_var.copy_(a.running_var.view_as(b.moving_var))
                b.moving_mean.copy_(a.running_mean.view_as(b.moving_mean))
    torch_net.eval()
    with torch.no_grad():
        torch.testing.assert_close(scratch(X), torch_net(X))  # prediction: moving averages


def test_scratch_batch_norm_trains_and_its_checkpoint_keeps_the_moving_averages():
    spec = PRESETS["LeNet-BN-scratch"]
    net = build_model(spec, generator=torch.Generator().manual_seed(0))
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    X, y = torch.rand(32, 1, 28, 28), torch.randint(0, 10, (32,))
    for _ in range(3):
        opt.zero_grad()
        nn.functional.cross_entropy(net(X), y).backward()
        opt.step()
    state = net.state_dict()
    assert "1.moving_mean" in state and not torch.equal(
        state["1.moving_mean"], torch.zeros_like(state["1.moving_mean"])
    )
    ns: dict = {}
    exec(to_code(spec), ns)  # noqa: S102 - our own output
    ns["net"].load_state_dict(state)
    with torch.no_grad():
        torch.testing.assert_close(ns["net"](X), net(X))


# -- the diagram's branches ------------------------------------------------------------------
def test_inception_and_dense_blocks_declare_their_branches():
    inc = googlenet.Inception(8, 2, (3, 4), (1, 2), 3)
    assert [b[0] for b in inc.branches] == ["1×1", "3×3", "5×5", "pool"]
    assert googlenet.Inception(8, 2, (3, 4), (1, 2), 3, reductions=False).branches[1] == (
        "3×3", ("b2_2",),
    )  # fmt: skip
    assert [b[0] for b in densenet.DenseBlock(3, 4, 2).branches] == [
        "input", "conv 1", "conv 2", "conv 3",
    ]  # fmt: skip
