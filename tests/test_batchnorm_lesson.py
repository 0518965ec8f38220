"""The batch-normalization lesson's library (d2l 8.5): the side-by-side training, the
statistics it records, train against eval mode, and the book's batch_norm against PyTorch's."""

import pytest
import torch
from torch import nn

from cnnviz import batchnorm_lesson as bl
from cnnviz.models.families.lenet_bn import BatchNorm, LeNetBNSpec, build

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("one_torch_thread")]


def _data(n=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 28, 28, generator=g), torch.randint(0, 10, (n,), generator=g)


def test_step_records_the_layers_batch_statistics_and_running_averages():
    X, y = _data()
    comp = bl.BNComparison(X, y, lr=0.1, layer="bn1", seed=0, batch_size=16)
    seen = {}
    comp.norm.register_forward_hook(lambda m, i, o: seen.update(x=i[0].detach().clone()))
    rec = comp.step()
    x = seen["x"]
    assert rec.step == 1 and len(rec.batch_mean) == 6
    torch.testing.assert_close(torch.tensor(rec.batch_mean), x.mean(dim=(0, 2, 3)))
    biased = x.var(dim=(0, 2, 3), unbiased=False)
    torch.testing.assert_close(torch.tensor(rec.batch_var), biased)
    # One step of momentum 0.1 from (0, 1), PyTorch's rule: the unbiased variance.
    torch.testing.assert_close(torch.tensor(rec.running_mean), 0.1 * x.mean(dim=(0, 2, 3)))
    unbiased = x.var(dim=(0, 2, 3), unbiased=True)
    torch.testing.assert_close(torch.tensor(rec.running_var), 0.9 + 0.1 * unbiased)
    assert rec.loss_bn > 0 and rec.loss_plain > 0


def test_bn2_has_sixteen_channels_and_bad_settings_are_refused():
    X, y = _data(8)
    assert len(bl.BNComparison(X, y, layer="bn2", batch_size=4).step().batch_var) == 16
    with pytest.raises(ValueError, match="layer"):
        bl.BNComparison(X, y, layer="bn3")
    for lr in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="learning rate"):
            bl.BNComparison(X, y, lr=lr)
    with pytest.raises(ValueError, match="two images"):
        bl.BNComparison(X[:1], y[:1])


def test_both_networks_start_from_the_same_weights_and_see_the_same_batches():
    X, y = _data(32)
    comp = bl.BNComparison(X, y, seed=3, batch_size=8)
    convs = [
        [m.weight.clone() for m in net.modules() if isinstance(m, nn.Conv2d)]
        for net in (comp.bn_net, comp.plain_net)
    ]
    for a, b in zip(*convs, strict=True):
        torch.testing.assert_close(a, b)
    seen = [comp._batch()[1] for _ in range(5)]  # an epoch of 4 batches, then a new order
    assert all(len(s) == 8 for s in seen)
    assert sorted(torch.cat(seen[:4]).tolist()) == sorted(y.tolist())


def test_high_learning_rate_plain_net_stalls_where_bn_learns():
    """At lr 1.0 on a learnable task, the sigmoid LeNet without batch norm stays near ln 10
    while the one with batch norm drops well below it (d2l 8.5's point about larger rates)."""
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, 10, (512,), generator=g)
    X = torch.rand(512, 1, 28, 28, generator=g) * 0.3
    for c in range(10):  # each class lights up its own band of rows
        X[y == c, :, 2 * c + 4 : 2 * c + 7, :] += 0.7
    comp = bl.BNComparison(X, y, lr=1.0, seed=0, batch_size=64)
    records = [comp.step() for _ in range(120)]
    bn = sum(r.loss_bn for r in records[-10:]) / 10
    plain = sum(r.loss_plain for r in records[-10:]) / 10
    assert plain > 2.0 and bn < 1.0, (bn, plain)


def test_runner_runs_in_the_background_and_stops():
    X, y = _data(32)
    runner = bl.BNRunner(bl.BNComparison(X, y, batch_size=8))
    assert runner.start(5)
    assert not runner.start(5) or not runner.running
    runner._thread.join(60)
    assert len(runner.snapshot()) == 5 and not runner.error
    runner.start(10_000)
    runner.stop()
    assert not runner.running and len(runner.snapshot()) < 10_005
    copy = runner.bn_net_copy()
    assert copy is not runner.comparison.bn_net


def test_train_vs_eval_differs_and_leaves_the_network_alone():
    X, _ = _data(32)
    net = build(LeNetBNSpec())
    before = [b.clone() for b in net.buffers()]
    te = bl.train_vs_eval(net, X, "bn1")
    for a, b in zip(before, net.buffers(), strict=True):
        torch.testing.assert_close(a, b)
    assert te.running_mean == [0.0] * 6 and te.running_var == [1.0] * 6
    assert te.max_diff > 1e-3 and 0.0 <= te.agree <= 1.0
    # A network whose running averages are set to this batch's own statistics, layer by
    # layer (the biased variance, as training mode divides by), gives the same outputs in both
    # modes: the difference is only where the statistics come from.
    same = build(LeNetBNSpec())
    norms = [m for m in same.modules() if isinstance(m, nn.BatchNorm2d | nn.BatchNorm1d)]
    seen = {}
    for m in norms:
        m.register_forward_hook(lambda m, i, o: seen.__setitem__(m, i[0].detach()))
    with torch.no_grad():
        same.train()(X)
    for m in norms:
        x = seen[m]
        dims = (0, 2, 3) if x.dim() == 4 else (0,)
        m.running_mean.copy_(x.mean(dim=dims))
        m.running_var.copy_(x.var(dim=dims, unbiased=False))
    te2 = bl.train_vs_eval(same, X, "bn1")
    assert te2.max_diff < 1e-4 and te2.agree == 1.0
    torch.testing.assert_close(torch.tensor(te2.running_var), torch.tensor(te2.batch_var))


def test_scratch_equals_torch_in_train_and_eval_mode():
    maps = bl.conv1_maps(_data(96)[0]).view(3, 32, 6, 24, 24)
    sv = bl.scratch_vs_torch(maps, seed=1)
    assert sv.steps == 3 and sv.n == 32 * 24 * 24
    assert sv.train_out < 1e-5
    assert sv.running_mean < 1e-6
    assert sv.var_unbiased < 1e-6  # PyTorch's rule, reproduced
    assert sv.running_var > sv.var_unbiased  # the book averages the biased variance
    assert sv.eval_same_stats < 1e-5
    assert sv.eval_out < 1e-3


def test_scratch_layer_is_the_one_lenet_bn_uses():
    net = build(LeNetBNSpec(batch_norm="scratch"))
    assert isinstance(bl.bn_layer(net, "bn2"), BatchNorm)
    assert bl.bn_layer(net, "bn2").gamma.shape == (1, 16, 1, 1)


def test_fashion_subset_is_seeded(monkeypatch):
    from cnnviz.data import FashionMNIST

    images = torch.arange(50 * 28 * 28, dtype=torch.int64).remainder(256).to(torch.uint8)
    data = FashionMNIST(images.view(50, 28, 28), torch.arange(50) % 10, images[:0].view(0, 28, 28),
                        torch.zeros(0, dtype=torch.int64), "test")  # fmt: skip
    X, y = bl.fashion_subset(20, 4, data=data)
    X2, y2 = bl.fashion_subset(20, 4, data=data)
    assert X.shape == (20, 1, 28, 28) and X.dtype == torch.float32 and 0 <= X.min() <= X.max() <= 1
    assert torch.equal(X, X2) and torch.equal(y, y2) and len(set(y.tolist())) > 1
