"""What a trained network learned (cnnviz.insight, cnnviz.plots.insight), with plain pytest:
the confusion matrix reproduces a run's stored validation accuracy, Grad-CAM and input
gradients light the quadrant a hand-built network looks at, images are prepared as the
training data was, and bad input gets a clear InsightError."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

from cnnviz import insight as I
from cnnviz.data import load_fashion_mnist
from cnnviz.models import PRESETS, LeNetSpec, ResNetSpec, VGGSpec
from cnnviz.plots import insight as P
from cnnviz.runs import RunManager, RunStore
from cnnviz.train import RunConfig, build_net, to_input

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("one_torch_thread")]


@pytest.fixture(scope="module")
def data():
    return load_fashion_mnist()


@pytest.fixture(scope="module")
def relu_run(tmp_path_factory):
    """A LeNet-ReLU trained long enough (2,000 images, 2 epochs) to give many different
    answers, so the matrix's diagonal is more than one column: (store, run_id)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    store = RunStore(tmp_path_factory.mktemp("relu_run"))
    manager = RunManager(store)
    config = RunConfig(PRESETS["LeNet-ReLU"], num_epochs=2, limit=2000, val_limit=1000)
    run_id = manager.submit(config, name="relu", preset="LeNet-ReLU")
    assert manager.wait(run_id, 180) == "finished"
    manager.shutdown()
    torch.set_num_threads(before)
    return store, run_id


def _val(data, store, run_id):
    n = store.get(run_id).config.val_limit
    return data.test_images[:n], data.test_labels[:n]


# -- the confusion matrix is the run's own validation --------------------------------------------


@pytest.mark.parametrize("which", ["trained_run", "relu_run"])
def test_confusion_matrix_reproduces_the_stored_val_acc(which, request, data):
    store, run_id = request.getfixturevalue(which)[:2]
    run = I.load_run(store, run_id)
    X, y = _val(data, store, run_id)
    cm = I.confusion_matrix(run, X, y)
    assert cm.shape == (10, 10) and cm.dtype.kind == "i"
    assert cm.sum() == len(y) == run.val_limit
    assert np.array_equal(cm.sum(1), np.bincount(y.numpy(), minlength=10))
    stored = store.metrics_rows(run_id)[-1]["val_acc"]
    assert np.trace(cm) / cm.sum() == stored  # exactly: the same images, path and batches
    assert I.accuracy(cm) == stored
    if which == "relu_run":
        assert (cm.sum(0) > 0).sum() >= 5  # a network with real answers, not one column


def test_evaluate_run_is_small_plain_data_and_matches(relu_run, data):
    store, run_id = relu_run
    run = I.load_run(store, run_id)
    config = store.get(run_id).config
    stored = I.evaluate_run(run.net, data, config)
    text = json.dumps(stored)  # plain JSON, as a store would keep it
    assert len(text) < 16_000
    assert stored["num_images"] == 1000 and stored["version"] == 1
    assert stored["accuracy"] == store.metrics_rows(run_id)[-1]["val_acc"]
    cm, mistakes = I.evaluation_from_stored(json.loads(text))
    assert cm.shape == (10, 10) and cm.sum() == 1000
    assert 0 < len(mistakes) <= 100
    conf = [m.confidence for m in mistakes]
    assert conf == sorted(conf, reverse=True)
    assert all(m.true != m.predicted for m in mistakes)
    # the 40 most confident overall are all there, and every true class that has mistakes
    everything = I.worst_mistakes(run, *_val(data, store, run_id), k=None)
    assert [m.index for m in mistakes[:40]] == [m.index for m in everything[:40]]
    assert {m.true for m in mistakes} == {m.true for m in everything}
    # what the page will read back from the store (phase 2)
    back = I.Evaluation.from_stored(json.loads(text))
    assert back.num_images == 1000 and back.accuracy == stored["accuracy"]
    assert np.array_equal(back.confusion, cm) and back.confusion_on_first(1000) is back.confusion
    shirts = back.mistakes(k=3, true_class=6)
    assert [m.index for m in shirts] == [m.index for m in everything if m.true == 6][:3]
    assert back.to_stored()["mistakes"] == stored["mistakes"]
    with pytest.raises(I.InsightError, match="Only the matrix over all 1,000 images"):
        back.confusion_on_first(500)
    with pytest.raises(I.InsightError, match="true_class"):
        back.mistakes(true_class=11)
    with pytest.raises(I.InsightError, match="version"):
        I.evaluation_from_stored({**stored, "version": 7})
    with pytest.raises(I.InsightError, match="damaged"):
        I.evaluation_from_stored({"version": 1, "confusion": [[1, 2], [3, 4]]})


def test_matrix_helpers():
    cm = I.confusion_from_predictions([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], num_classes=3)
    assert cm.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]
    assert I.accuracy(cm) == 3 / 5
    assert np.allclose(I.per_class_accuracy(cm), [0.5, 1.0, 0.0])
    assert np.allclose(I.row_normalised(cm), [[0.5, 0.5, 0], [0, 1, 0], [1, 0, 0]])
    empty_row = np.array([[2, 0], [0, 0]])
    assert np.isnan(I.per_class_accuracy(empty_row)[1])
    assert I.row_normalised(empty_row)[1].tolist() == [0, 0]
    with pytest.raises(I.InsightError, match="labels"):
        I.confusion_from_predictions([0, 1], [0])


def test_difference_in_words():
    a = np.diag([900] * 10).astype(int)
    a[0, 6], a[6, 0] = 200, 100  # t-shirt ↔ shirt: 300 confusions
    a[0, 0], a[6, 6] = 700, 800
    b = a.copy()
    b[0, 6], b[6, 0] = 120, 60  # 120 fewer
    b[0, 0], b[6, 6] = 780, 840
    b[4, 2], b[4, 4] = 30, 870  # coat taken for pullover 30 times more
    diff = I.confusion_difference(a, b)
    assert diff[0, 6] == -80 and diff[0, 0] == 80 and diff.sum() == 0
    lines = I.describe_difference(a, b, "sigmoid", "ReLU")
    assert lines[0] == "ReLU fixes t-shirt↔shirt confusions: 120 fewer (300 → 180)"
    assert lines[1] == "ReLU confuses pullover↔coat more: 30 more (0 → 30)"
    assert (
        "ReLU gets 90 more of the 9,000 test images right than sigmoid (96.7% → 97.7%)" in lines[2]
    )
    assert lines[3].startswith("the largest change in one class: t-shirt, 78% → 87%")
    c = a.copy()
    c[0, 0] += 1
    with pytest.raises(I.InsightError, match="different test images"):
        I.confusion_difference(a, c)
    with pytest.raises(I.InsightError, match="shape"):
        I.confusion_difference(a, a[:3, :3])


# -- mistakes ------------------------------------------------------------------------------------


def test_worst_mistakes_sorted_and_filtered(relu_run, data):
    store, run_id = relu_run
    run = I.load_run(store, run_id)
    X, y = _val(data, store, run_id)
    worst = I.worst_mistakes(run, X, y, k=20)
    assert len(worst) == 20
    conf = [m.confidence for m in worst]
    assert conf == sorted(conf, reverse=True)
    probs = I.class_probabilities(run, X)
    for m in worst:
        assert m.true == int(y[m.index]) != m.predicted == int(probs[m.index].argmax())
        assert m.confidence == pytest.approx(probs[m.index].max())
        assert m.top3[0] == (m.predicted, pytest.approx(m.confidence))
        assert [p for _, p in m.top3] == sorted([p for _, p in m.top3], reverse=True)
    # no wrong answer left out is more confident than the last one kept
    everything = I.worst_mistakes(run, X, y, k=None)
    assert len(everything) == int((probs.argmax(1) != y.numpy()).sum())
    assert all(m.confidence <= worst[-1].confidence for m in everything[20:])
    shirts = I.worst_mistakes(run, X, y, k=5, true_class=6)
    assert shirts and all(m.true == 6 for m in shirts)
    assert [m.index for m in shirts] == [m.index for m in everything if m.true == 6][:5]
    said = I.worst_mistakes(run, X, y, k=None, predicted_class=shirts[0].predicted)
    assert all(m.predicted == shirts[0].predicted for m in said)
    both = I.filter_mistakes(everything, 6, shirts[0].predicted)
    assert both == [m for m in said if m.true == 6]
    assert I.Mistake.from_dict(json.loads(json.dumps(worst[0].as_dict()))).index == worst[0].index
    with pytest.raises(I.InsightError, match="true_class"):
        I.worst_mistakes(run, X, y, true_class=10)
    with pytest.raises(I.InsightError, match="predicted_class"):
        I.mistakes_from_probabilities(probs, y, predicted_class=-1)


# -- predicting ----------------------------------------------------------------------------------


def test_predict_a_stored_run_and_cache_it(trained_run, data):
    store, run_id, _ = trained_run
    I.clear_cache()
    image = data.test_images[3].float().div(255)
    p = I.predict((store, run_id), image, fit=False)
    assert p.shape == (10,) and p.dtype == np.float64
    assert p.sum() == pytest.approx(1.0, abs=1e-9) and (p >= 0).all()
    run = I.load_run(store, run_id)
    assert I.load_run(store, run_id) is run  # cached: a drawing is classified at once
    assert run.epochs_done == 3 and run.status == "finished" and not run.net.training
    # the same answer from the run, from its net with the spec, and from a prepared batch
    X, _ = I.prepare(image, run.spec, fit=False)
    assert np.allclose(I.predict(run, image, fit=False), p)
    assert np.allclose(I.predict(run.net, X, run.spec), p)
    # and the answer validation gives for that test image
    probs = I.class_probabilities(run, data.test_images[:8])
    assert np.allclose(probs[3], p, atol=1e-5)
    with pytest.raises(I.InsightError, match="spec"):
        I.predict(run.net, image)
    with pytest.raises(I.InsightError, match="prepared batch"):
        I.predict(run, torch.zeros(1, 1, 32, 32))


def test_network_is_built_without_the_global_generator(trained_run):
    store, run_id, _ = trained_run
    I.clear_cache()
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    I.load_run(store, run_id)
    assert torch.equal(before, torch.random.get_rng_state())


def test_newer_checkpoint_gives_a_new_network(tmp_path, trained_run):
    store = RunStore(tmp_path / "copy")
    run_id, _ = store.import_run(trained_run[2], "run.safetensors")
    first = I.load_run(store, run_id)
    state = {k: v * 0 for k, v in store.load_state_dict(run_id).items()}
    store.save_state_dict(run_id, state)
    second = I.load_run(store, run_id)
    assert second is not first
    assert all(float(p.detach().abs().sum()) == 0 for p in second.net.parameters())


# -- runs that cannot be questioned ---------------------------------------------------------------


def test_runs_without_a_trained_network_explain_why(tmp_path, trained_run):
    store = RunStore(tmp_path / "store")
    run_id, _ = store.import_run(trained_run[2], "run.safetensors")
    config = RunConfig(PRESETS["LeNet"], num_epochs=2)

    store.checkpoint_path(run_id).unlink()
    with pytest.raises(I.InsightError, match="has no stored weights .*train it again") as got:
        I.predict((store, run_id), torch.rand(28, 28))
    assert got.value.key == "insight.no_file"

    stopped = store.create(config, name="too soon")
    store.save_state_dict(stopped, build_net(config).state_dict(), "stopped")
    store.set_status(stopped, "stopped")
    with pytest.raises(I.InsightError, match="stopped before its first epoch ended") as got:
        I.load_run(store, stopped)
    assert "Train it for at least one epoch, or pick another run" in str(got.value)

    failed = store.create(config, name="broken")
    store.set_status(failed, "failed", "CUDA ran out of memory")
    with pytest.raises(I.InsightError, match="failed before its first epoch.*out of memory"):
        I.load_run(store, failed)

    live = store.create(config, name="busy")
    store.set_status(live, "running")
    with pytest.raises(I.InsightError, match="still training"):
        I.load_run(store, live)
    queued = store.create(config, name="later")
    with pytest.raises(I.InsightError, match="waiting to train"):
        I.load_run(store, queued)

    with pytest.raises(I.InsightError, match="no run 'nope'"):
        I.load_run(store, "nope")

    damaged, _ = RunStore(tmp_path / "other").import_run(trained_run[2], "run.safetensors")
    other = RunStore(tmp_path / "other")
    other.checkpoint_path(damaged).write_bytes(b"not a safetensors file")
    I.clear_cache()
    with pytest.raises(I.InsightError, match="no readable stored weights") as got:
        I.load_run(other, damaged)
    assert got.value.key == "insight.damaged" and "pick another run" in str(got.value)


def test_weights_of_another_network_are_refused(trained_run):
    store, run_id, _ = trained_run
    state = store.load_state_dict(run_id)
    with pytest.raises(I.InsightError, match="do not belong"):
        I.network_from_state(PRESETS["VGG-small-56"], state)


# -- preparing images ----------------------------------------------------------------------------


def test_prepare_inverts_a_dark_drawing_on_white_and_resizes():
    image = torch.ones(3, 200, 300)  # RGB paper, 300 wide and 200 high
    image[:, 60:140, 100:160] = 0.05  # a dark item, 60 wide and 80 high, off centre
    X, steps = I.prepare(image, PRESETS["LeNet"])
    assert X.shape == (1, 1, 28, 28) and 0 <= float(X.min()) and float(X.max()) <= 1
    text = "\n".join(steps)
    assert steps[0].startswith("grey")
    assert "inverted: light background → black" in text
    assert "cropped to the item (60×80 at x 100, y 60)" in text
    assert "resized 80×80 → 28×28" in text
    # light on black now, framed as Fashion-MNIST: the item fills the height, centred
    assert float(X[0, 0, 14, 14]) > 0.95 and float(X[0, 0, 14, 0]) < 0.05
    assert float(X[0, 0, 0, 14]) > 0.95 and float(X[0, 0, 27, 14]) > 0.95
    cols = (X[0, 0] > 0.5).any(0).nonzero().flatten()
    assert abs((int(cols[0]) + int(cols[-1])) / 2 - 13.5) <= 1
    # without framing the whole 300×200 page is stretched onto the square
    X2, steps2 = I.prepare(image, PRESETS["LeNet"], fit=False)
    assert "resized 300×200 → 28×28" in steps2[-1] and "stretching" in steps2[-1]
    assert float(X2[0, 0, 0, 14]) < 0.05


def test_prepare_test_image_exactly_as_training(data):
    for name in ("LeNet", "VGG-small-56", "ResNet-18"):
        spec = PRESETS[name]
        X, steps = I.prepare(data.test_images[7].float().div(255), spec, fit=False)
        assert torch.equal(X, to_input(data.test_images[7:8], spec.input_size))
        assert any("polarity kept" in s for s in steps)
    _, steps = I.prepare(data.test_images[7].float().div(255), PRESETS["LeNet"], fit=False)
    assert steps[-1] == "kept at 28×28, the run's input size"


def test_prepare_a_faint_drawing_and_a_colour_network():
    drawing = torch.zeros(1, 280, 280)
    drawing[0, 100:200, 120:140] = 0.4  # a faint stroke on black
    X, steps = I.prepare(drawing, LeNetSpec(in_channels=3, input_size=32))
    assert X.shape == (1, 3, 32, 32)
    assert "levels stretched: background 0.00 → 0, brightest 0.40 → 1" in steps
    assert "polarity kept" in steps[0] and steps[-1] == "grey repeated on 3 channels"
    assert float(X.max()) > 0.95


@pytest.mark.parametrize("value", [0.0, 1.0, 0.5])
def test_blank_image_is_refused(value):
    with pytest.raises(I.InsightError, match=f"blank: every pixel is {value:.2f}"):
        I.prepare(torch.full((1, 64, 64), value), PRESETS["LeNet"])


def test_not_an_image_is_refused():
    with pytest.raises(I.InsightError, match="height, width"):
        I.prepare(torch.rand(2, 1, 28, 28, 1), PRESETS["LeNet"])
    with pytest.raises(I.InsightError, match="NaN"):
        I.prepare(torch.full((28, 28), float("nan")), PRESETS["LeNet"])
    with pytest.raises(I.InsightError, match="not list"):
        I.prepare([[0, 1]], PRESETS["LeNet"])


# -- where it looked -----------------------------------------------------------------------------

H = W = 16
TOP_RIGHT = (slice(0, H // 2), slice(W // 2, W))


def _quadrant_mask() -> torch.Tensor:
    m = torch.zeros(1, 1, H, W)
    m[0, 0][TOP_RIGHT] = 1
    return m


class Gate(nn.Module):
    """Multiplies by a fixed mask: the only way to the class goes through the top right."""

    def __init__(self, mask):
        super().__init__()
        self.register_buffer("mask", mask)

    def forward(self, X):
        return X * self.mask


def _fixed(conv: nn.Conv2d, weight, bias=0.0) -> nn.Conv2d:
    with torch.no_grad():
        conv.weight.copy_(torch.as_tensor(weight, dtype=torch.float32).reshape(conv.weight.shape))
        conv.bias.fill_(bias)
    return conv


def quadrant_net() -> nn.Sequential:
    """A network whose class 1 depends only on the top-right quadrant: a 3×3 blur that fires
    everywhere, a gate, a 1×1 conv stage, global average pooling, a linear layer."""
    head = nn.Linear(1, 2)
    with torch.no_grad():
        head.weight.copy_(torch.tensor([[0.0], [4.0]]))
        head.bias.zero_()
    return nn.Sequential(
        _fixed(nn.Conv2d(1, 1, 3, padding=1), torch.full((3, 3), 1 / 9)),
        nn.ReLU(),
        Gate(_quadrant_mask()),
        _fixed(nn.Conv2d(1, 1, 1), [[1.0]]),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        head,
    ).eval()


def _toy_spec(num_classes=2):
    """What saliency reads of a spec: in_channels, input_size, num_classes."""
    return LeNetSpec(input_size=H, num_classes=num_classes)


def _image(seed=0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (0.2 + 0.8 * torch.rand(1, 1, H, W, generator=g)).contiguous()


def _inside_outside(m: np.ndarray) -> tuple[float, float]:
    inside = np.zeros((H, W), bool)
    inside[TOP_RIGHT] = True
    return float(m[inside].mean()), float(m[~inside].max())


def test_gradcam_lights_the_quadrant_the_class_depends_on():
    net = quadrant_net()
    cam = I.saliency(net, _image(), _toy_spec(), target_class=1, method="gradcam")
    assert cam.shape == (H, W) and cam.dtype == np.float32
    assert float(cam.min()) >= 0 and float(cam.max()) == 1.0
    inside, outside = _inside_outside(cam)
    # bilinear upsampling of the map blurs the quadrant's edge by less than a pixel
    assert inside > 0.3 and outside < 0.35 * float(cam.max())
    core = cam[1 : H // 2 - 1, W // 2 + 1 : W - 1]
    far = cam[H // 2 + 1 :, : W // 2 - 1]
    assert float(core.min()) > 0.2 and float(far.max()) == 0.0
    assert I.gradcam_layer(net, _toy_spec()) == ("4", "ReLU", (1, 1, H, W))  # after the gate


def test_input_gradients_light_the_quadrant():
    net = quadrant_net()
    grad = I.saliency(net, _image(), _toy_spec(), target_class=1, method="gradient")
    inside, outside = _inside_outside(grad)
    assert inside > 0.2
    # the 3×3 blur before the gate reaches one pixel beyond the quadrant, not further
    far = grad[H // 2 + 1 :, : W // 2 - 1]
    assert float(far.max()) == 0.0 and float(grad[: H // 2 - 1, W // 2 + 1 :].min()) > 0


def test_gradcam_finds_the_feature_where_it_is():
    """No gate: a vertical bar (top right) among horizontal ones. "Vertical" is class 0; its
    detector fires only at the bar, so Grad-CAM lights the bar's quadrant."""
    X = torch.zeros(1, 1, H, W)
    X[0, 0, 1:7, 12] = 1  # the vertical bar, top right
    X[0, 0, 4, 1:7] = 1  # horizontal bars elsewhere
    X[0, 0, 11, 2:8] = 1
    X[0, 0, 12, 9:15] = 1
    vertical = [[-1, 2, -1]] * 3
    conv = nn.Conv2d(1, 2, 3, padding=1)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([vertical, np.array(vertical).T.tolist()]).unsqueeze(1))
        conv.bias.zero_()
    head = nn.Linear(2, 2)
    with torch.no_grad():
        head.weight.copy_(torch.tensor([[1.0, -1.0], [-1.0, 1.0]]))
        head.bias.zero_()
    net = nn.Sequential(conv, nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), head).eval()
    cam = I.saliency(net, X, _toy_spec(), target_class=0)
    peak = np.unravel_index(cam.argmax(), cam.shape)
    assert peak[0] < H // 2 and peak[1] >= W // 2
    inside = np.zeros((H, W), bool)
    inside[TOP_RIGHT] = True
    assert cam[inside].sum() > 0.7 * cam.sum() and cam[~inside].max() < 0.2  # bar ends


def test_gradcam_cannot_localise_one_channel_that_fires_everywhere():
    """Grad-CAM weighs whole channels: with one channel and a head that reads only the top
    right, it lights wherever the channel fires. Input gradients do localise. (This is what
    the page means by "coarse, about the class, not about pixels".)"""
    head = nn.Linear(H * W, 2)
    with torch.no_grad():
        head.weight.zero_()
        head.weight[1] = _quadrant_mask().flatten()
        head.bias.zero_()
    net = nn.Sequential(_fixed(nn.Conv2d(1, 1, 1), [[1.0]]), nn.ReLU(), nn.Flatten(), head)
    X = _image()
    cam = I.saliency(net, X, _toy_spec(), 1, "gradcam")
    grad = I.saliency(net, X, _toy_spec(), 1, "gradient")
    assert float(cam[H - 1, 0]) > 0.1  # bottom left is lit too
    inside, outside = _inside_outside(grad)
    assert inside > 0.5 and outside == 0.0


@pytest.mark.parametrize(
    "spec",
    [
        PRESETS["LeNet"],
        PRESETS["LeNet-ReLU"],
        VGGSpec(arch=((1, 8), (1, 16)), fc=32, input_size=32),
        ResNetSpec(arch=((1, 8), (1, 16)), stem_channels=8, input_size=32),
        ResNetSpec(arch=((1, 8), (1, 16)), stem_channels=8, input_size=32, batch_norm=False),
        ResNetSpec(arch=((1, 8), (1, 16)), stem_channels=8, input_size=32, skip=False),
    ],
    ids=["lenet", "lenet-relu", "vgg", "resnet", "resnet-nobn", "resnet-noskip"],
)
def test_saliency_on_every_family_is_clean_and_deterministic(spec):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        net = build_net(RunConfig(spec))
    net.train()  # restored afterwards
    X = torch.rand(
        1, 1, spec.input_size, spec.input_size, generator=torch.Generator().manual_seed(1)
    )
    for method in I.METHODS:
        a = I.saliency(net, X, spec, 3, method)
        b = I.saliency(net, X, spec, 3, method)
        assert a.shape == (spec.input_size, spec.input_size)
        assert np.isfinite(a).all() and a.min() >= 0 and a.max() <= 1
        assert np.array_equal(a, b)
    assert net.training
    assert all(not m._forward_hooks for m in net.modules())
    assert all(p.grad is None for p in net.parameters())
    name, kind, shape = I.gradcam_layer(spec)
    assert len(shape) == 4 and shape[-1] > 1


def test_gradcam_layer_per_preset():
    # LeNet's second sigmoid before its pooling, VGG's last ReLU, ResNet's last block
    assert I.gradcam_layer(PRESETS["LeNet"]) == ("4", "Sigmoid", (1, 16, 10, 10))
    assert I.gradcam_layer(PRESETS["VGG-small-56"]) == ("3.3", "ReLU", (1, 128, 7, 7))
    assert I.gradcam_layer(PRESETS["ResNet-18"]) == ("b5.1", "Residual", (1, 512, 3, 3))
    assert I.gradcam_layer(PRESETS["ResNet-18-noskip"]) == ("b5.1", "Residual", (1, 512, 3, 3))


def test_saliency_refuses_bad_requests():
    net = quadrant_net()
    with pytest.raises(I.InsightError, match="method"):
        I.saliency(net, _image(), _toy_spec(), 1, "lime")
    with pytest.raises(I.InsightError, match="target_class"):
        I.saliency(net, _image(), _toy_spec(), 2)
    with pytest.raises(I.InsightError, match="one prepared image"):
        I.saliency(net, _image()[0], _toy_spec(), 1)


def test_saliency_from_inference_mode_and_a_stored_run(trained_run, data):
    store, run_id, _ = trained_run
    run = I.load_run(store, run_id)
    with torch.inference_mode():
        X, _ = I.prepare(data.test_images[0].float().div(255), run.spec, fit=False)
    m = I.saliency(run, X, target_class=9, method="gradient")
    assert m.shape == (28, 28) and float(m.max()) == 1.0


# -- figures -------------------------------------------------------------------------------------


def test_probability_bars_highlight_the_answer():
    p = np.full(10, 0.02)
    p[7] = 0.82
    fig = P.probability_bars({"LeNet": p})
    (bar,) = fig.data
    assert list(bar.y) == list(I.class_names())
    colors = list(bar.marker.color)
    assert colors[7] != colors[0] and len(set(colors)) == 2
    assert bar.text[7] == "82%"
    q = p[::-1].copy()
    fig2 = P.probability_bars({"sigmoid": p, "ReLU": q}, font_size=20)
    assert [t.name for t in fig2.data] == ["sigmoid", "ReLU"]
    assert fig2.data[0].marker.color != fig2.data[1].marker.color
    assert list(fig2.data[1].marker.opacity).index(1.0) == 2  # ReLU's answer, pullover
    assert fig2.layout.barmode == "group" and fig2.layout.font.size == 20


def test_confusion_and_difference_figures():
    cm = np.diag(np.arange(1, 11)) * 10
    cm[0, 6] = 5
    fig = P.confusion_heatmap(cm)
    heat = fig.data[0]
    assert np.array_equal(np.asarray(heat.text), cm) and heat.zmax == 1
    assert np.asarray(heat.z)[0, 6] == pytest.approx(5 / 15)
    acc = P.per_class_accuracy_bars({"a": cm})
    assert acc.data[0].x[0] == pytest.approx(10 / 15)
    better = cm.copy()
    better[0, 6], better[0, 0] = 0, 15
    d = P.difference_heatmap(cm, better, "a", "b")
    z = np.asarray(d.data[0].z)
    assert z[0, 6] > 0 and z[0, 0] > 0 and d.data[0].zmid == 0  # both cells: b is better
    assert np.asarray(d.data[0].text)[0, 6] == "-5"


def test_saliency_overlay_and_gallery_tiles(data):
    img = np.random.default_rng(0).random((28, 28))
    fig = P.saliency_overlay(img, img, "Grad-CAM")
    assert len(fig.data) == 2 and fig.data[1].colorscale[0][1].endswith(", 0)")
    m = I.Mistake(5, 6, 0, 0.9, ((0, 0.9), (6, 0.07), (2, 0.02)))
    (tile,) = P.gallery_tiles(data.test_images, [m], scale=3)
    assert tile[0].shape == (84, 84) and tile[0].dtype == np.uint8
    assert np.array_equal(tile[0][::3, ::3], data.test_images[5].numpy())  # grey kept
    assert np.array_equal(P.upscale(data.test_images[5].float().div(255), 2)[::2, ::2],
                          data.test_images[5].numpy())  # fmt: skip
    assert "**shirt** taken for a **t-shirt** (90%)" in tile[1]
    assert tile[2] == "t-shirt 90% · shirt 7% · pullover 2%"


def _insight_figures():
    p = np.linspace(1, 10, 10)
    p /= p.sum()
    cm = np.diag(np.full(10, 50)) + 1
    img = np.random.default_rng(0).random((28, 28))
    return {
        "bars": P.probability_bars({"<b>a</b>": p}, font_size=20),
        "bars two": P.probability_bars({"a": p, "b": p[::-1]}),
        "confusion": P.confusion_heatmap(cm),
        "per class": P.per_class_accuracy_bars({"a": cm, "b": cm.T}),
        "difference": P.difference_heatmap(cm, cm.T, "a", "<i>b</i>"),
        "saliency": P.saliency_overlay(img, img, "<a href='x'>run</a>: shirt"),
    }


@pytest.mark.parametrize("name", list(_insight_figures()))
def test_figures_are_valid_and_send_what_validation_would(name):
    import plotly.graph_objects as go
    import plotly.io as pio

    fig = _insight_figures()[name]
    validated = go.Figure(fig.to_dict())  # raises on any invalid property or value
    fast = json.loads(pio.to_json(fig.to_dict(), validate=False))
    slow = json.loads(pio.to_json(validated.to_dict(), validate=False))
    assert fast["data"] == slow["data"]
    fast["layout"].pop("template", None)
    slow["layout"].pop("template", None)
    assert fast["layout"] == slow["layout"]
    sent = json.dumps(fast)
    assert "<b>a" not in sent and "<i>" not in sent and "<a href" not in sent  # names as typed
