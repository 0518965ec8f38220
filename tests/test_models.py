"""Model specs, builder, summary, code export, validation and feature maps (d2l 7.6, 8.2, 8.6)."""

from __future__ import annotations

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from cnnviz.features import feature_maps, normalise_maps, prepare_input
from cnnviz.models import (
    PRESETS,
    LeNetSpec,
    ResNetSpec,
    SpecError,
    VGGSpec,
    build_model,
    count_parameters,
    d2l_lines,
    layer_summary,
    spec_from_dict,
    spec_to_dict,
    to_code,
    totals,
    validate,
)

pytestmark = pytest.mark.unit

# The seed's printed tables (d2l 7.6, 8.2, 8.6), layer name and torch.Size as printed.
SEED_LENET = [
    ("Conv2d", [1, 6, 28, 28]), ("Sigmoid", [1, 6, 28, 28]), ("AvgPool2d", [1, 6, 14, 14]),
    ("Conv2d", [1, 16, 10, 10]), ("Sigmoid", [1, 16, 10, 10]), ("AvgPool2d", [1, 16, 5, 5]),
    ("Flatten", [1, 400]), ("Linear", [1, 120]), ("Sigmoid", [1, 120]), ("Linear", [1, 84]),
    ("Sigmoid", [1, 84]), ("Linear", [1, 10]),
]  # fmt: skip
SEED_VGG11 = [
    ("Sequential", [1, 64, 112, 112]), ("Sequential", [1, 128, 56, 56]),
    ("Sequential", [1, 256, 28, 28]), ("Sequential", [1, 512, 14, 14]),
    ("Sequential", [1, 512, 7, 7]), ("Flatten", [1, 25088]), ("Linear", [1, 4096]),
    ("ReLU", [1, 4096]), ("Dropout", [1, 4096]), ("Linear", [1, 4096]), ("ReLU", [1, 4096]),
    ("Dropout", [1, 4096]), ("Linear", [1, 10]),
]  # fmt: skip
SEED_RESNET18 = [
    ("Sequential", [1, 64, 24, 24]), ("Sequential", [1, 64, 24, 24]),
    ("Sequential", [1, 128, 12, 12]), ("Sequential", [1, 256, 6, 6]),
    ("Sequential", [1, 512, 3, 3]), ("Sequential", [1, 10]),
]  # fmt: skip


def _expected_lines(table):
    return [f"{layer} output shape:\t torch.Size({shape})" for layer, shape in table]


@pytest.mark.parametrize(
    ("preset", "input_shape", "table"),
    [
        ("LeNet", (1, 1, 28, 28), SEED_LENET),
        ("VGG-11", (1, 1, 224, 224), SEED_VGG11),
        ("ResNet-18", (1, 1, 96, 96), SEED_RESNET18),
    ],
)
def test_seed_tables_reproduced(preset, input_shape, table):
    summary = layer_summary(PRESETS[preset], input_shape)
    assert d2l_lines(summary) == _expected_lines(table)


def test_seed_table_from_a_real_module_too():
    net = build_model(PRESETS["LeNet"])
    assert d2l_lines(layer_summary(net, (1, 1, 28, 28))) == _expected_lines(SEED_LENET)


def test_known_parameter_counts_and_macs():
    lenet = totals(layer_summary(PRESETS["LeNet"]))
    assert lenet["parameters"] == 61_706
    # conv1 6·28·28·25 + conv2 16·10·10·150 + 400·120 + 120·84 + 84·10
    assert lenet["multiply-adds"] == 117_600 + 240_000 + 48_000 + 10_080 + 840
    assert totals(layer_summary(PRESETS["VGG-11"]))["parameters"] == 128_806_154
    assert totals(layer_summary(PRESETS["ResNet-18"]))["parameters"] == 11_178_378


@pytest.mark.slow  # every preset at full size, forward and backward
@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_forward_backward_and_summary(name):
    spec = PRESETS[name]
    torch.manual_seed(0)
    net = build_model(spec)
    shape = (1, spec.in_channels, spec.input_size, spec.input_size)
    summary = layer_summary(spec)
    # The meta-device summary equals a real pass through the built module.
    real = layer_summary(net, shape)
    assert list(summary["output shape"]) == list(real["output shape"])
    Y = net(torch.randn((2, *shape[1:])))[:1]  # two images: batch norm trains on a batch
    assert Y.shape == (1, spec.num_classes)
    assert not torch.isnan(Y).any()
    Y.square().mean().backward()
    for pname, p in net.named_parameters():
        assert p.grad is not None, f"{name}: {pname} got no gradient"
        assert not torch.isnan(p.grad).any(), pname
    assert summary["shape"].iloc[-1] == tuple(Y.shape)
    assert totals(summary)["parameters"] == sum(p.numel() for p in net.parameters())
    assert count_parameters(spec) == totals(summary)["parameters"]
    detailed = layer_summary(spec, detailed=True)
    assert detailed["shape"].iloc[-1] == summary["shape"].iloc[-1]
    # A top-level row's parameters and MACs are the sums of its leaves'.
    assert detailed["multiply-adds"].sum() == summary["multiply-adds"].sum()
    assert detailed["parameters"].sum() == summary["parameters"].sum()


def _exec_code(spec, device=None):
    ns: dict = {}
    code = compile(to_code(spec), "<to_code>", "exec")
    if device is None:
        exec(code, ns)  # noqa: S102 - our own output
    else:
        with torch.device(device):
            exec(code, ns)  # noqa: S102
    return ns["net"]


@pytest.mark.parametrize("name", list(PRESETS))
def test_to_code_rebuilds_the_same_model(name):
    """Shapes only (meta device), so VGG-11 costs nothing: keys, parameter count, output."""
    spec = PRESETS[name]
    code_net, net = _exec_code(spec, "meta"), build_model(spec, device="meta")
    assert list(code_net.state_dict()) == list(net.state_dict())
    for key, value in net.state_dict().items():
        assert code_net.state_dict()[key].shape == value.shape, key
    assert sum(p.numel() for p in code_net.parameters()) == count_parameters(spec)
    X = torch.zeros(1, spec.in_channels, spec.input_size, spec.input_size, device="meta")
    assert code_net(X).shape == (1, spec.num_classes)


@pytest.mark.parametrize(
    "spec",
    [
        PRESETS["LeNet"],
        PRESETS["LeNet-ReLU"],
        VGGSpec(arch=((1, 4), (2, 8)), fc=16, input_size=16, in_channels=3),
        ResNetSpec(arch=((1, 4), (2, 8)), stem_channels=4, input_size=32),
        ResNetSpec(arch=((1, 4), (1, 8)), stem="small", batch_norm=False, input_size=12),
        ResNetSpec(arch=((2, 4), (1, 8)), skip=False, input_size=20),
    ],
)
def test_to_code_computes_the_same_function(spec):
    code_net, net = _exec_code(spec), build_model(spec)
    code_net.load_state_dict(net.state_dict())
    code_net.eval(), net.eval()
    X = torch.rand(2, spec.in_channels, spec.input_size, spec.input_size)
    torch.testing.assert_close(code_net(X), net(X))


def test_to_code_vgg11_is_the_books_network():
    code = to_code(PRESETS["VGG-11"])
    assert "arch = ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))" in code
    assert "nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Dropout(0.5)" in code
    compile(code, "<vgg11>", "exec")


def test_to_code_variants():
    assert "Y += X" not in to_code(PRESETS["ResNet-18-noskip"])
    assert "BatchNorm2d" not in to_code(PRESETS["ResNet-18-noBN"])
    assert "nn.ReLU()" in to_code(PRESETS["LeNet-ReLU"])
    small = ResNetSpec(arch=((1, 8), (1, 16)), stem="small", stem_channels=4, input_size=28)
    ns: dict = {}
    exec(to_code(small), ns)  # noqa: S102
    assert list(ns["net"].state_dict()) == list(build_model(small).state_dict())


@pytest.mark.parametrize("name", list(PRESETS))
def test_spec_dict_round_trip(name):
    assert spec_from_dict(spec_to_dict(PRESETS[name])) == PRESETS[name]


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        (VGGSpec(input_size=16), ["VGG block 5", "1×1", "0×0", "16×16"]),
        (VGGSpec(arch=()), ["arch is empty"]),
        (VGGSpec(arch=((1, 0),)), ["channels", "between 1"]),
        (VGGSpec(dropout=1.0), ["dropout"]),
        (LeNetSpec(channels=(0, 16)), ["conv1 channels"]),
        (LeNetSpec(activation="softmax"), ["activation", "sigmoid"]),
        (LeNetSpec(pool="min"), ["pool"]),
        (LeNetSpec(input_size=8), ["conv2", "4×4", "0×0"]),
        (LeNetSpec(input_size=4, padding=0), ["conv1", "1×4×4"]),
        (ResNetSpec(stem="big"), ["stem"]),
        (ResNetSpec(arch=((0, 64),)), ["num_residuals"]),
        (ResNetSpec(in_channels=0), ["in_channels"]),
        (VGGSpec(num_classes=0), ["num_classes"]),
        (VGGSpec(fc=16384), ["parameters", "limit"]),
    ],
)
def test_invalid_specs_raise_one_clear_error(spec, words):
    with pytest.raises(SpecError) as info:
        build_model(spec)
    for word in words:
        assert word in str(info.value), (word, str(info.value))
    with pytest.raises(SpecError):
        layer_summary(spec)
    with pytest.raises(SpecError):
        to_code(spec)


def test_spec_error_is_a_value_error():
    assert issubclass(SpecError, ValueError)
    assert validate(PRESETS["LeNet"]) is PRESETS["LeNet"]


# --- fuzzing: every spec either builds and runs, or raises SpecError ----------------------
small_int = st.integers(-1, 6)
arch = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 6)), min_size=0, max_size=4)
common = dict(
    in_channels=st.integers(0, 3),
    num_classes=st.integers(0, 5),
    input_size=st.integers(0, 40),
)
lenet_specs = st.builds(
    LeNetSpec,
    activation=st.sampled_from(["sigmoid", "relu", "tanh", "gelu", "leaky_relu", "swish"]),
    pool=st.sampled_from(["avg", "max", "min"]),
    channels=st.tuples(small_int, small_int),
    kernel_size=st.integers(0, 7),
    padding=st.integers(-1, 3),
    fc=st.tuples(st.integers(0, 12), st.integers(0, 12)),
    **common,
)
vgg_specs = st.builds(
    VGGSpec,
    arch=arch.map(tuple),
    fc=st.integers(0, 16),
    dropout=st.floats(-0.5, 1.5, allow_nan=False),
    activation=st.sampled_from(["relu", "sigmoid", "nope"]),
    **common,
)
resnet_specs = st.builds(
    ResNetSpec,
    arch=arch.map(tuple),
    batch_norm=st.booleans(),
    skip=st.booleans(),
    stem=st.sampled_from(["d2l", "small", "huge"]),
    stem_channels=small_int,
    **common,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=st.one_of(lenet_specs, vgg_specs, resnet_specs))
def test_fuzzed_specs_build_and_run_or_raise_spec_error(spec):
    try:
        net = build_model(spec)
    except SpecError as exc:
        assert str(exc)
        with pytest.raises(SpecError):
            layer_summary(spec)
        return
    X = torch.rand(2, spec.in_channels, spec.input_size, spec.input_size)
    Y = net(X)
    assert Y.shape == (2, spec.num_classes)
    assert not torch.isnan(Y).any()
    summary = layer_summary(spec)
    assert summary["shape"].iloc[-1] == (1, spec.num_classes)
    assert count_parameters(spec) == sum(p.numel() for p in net.parameters())
    ns: dict = {}
    exec(to_code(spec), ns)  # noqa: S102
    assert list(ns["net"].state_dict()) == list(net.state_dict())


# --- feature maps ---------------------------------------------------------------------------
def test_prepare_input_resizes_and_matches_channels():
    X = torch.rand(1, 6, 8)
    assert prepare_input(X, 1, 28).shape == (1, 1, 28, 28)
    assert prepare_input(torch.rand(3, 300, 200), 1, 96).shape == (1, 1, 96, 96)
    Y = prepare_input(torch.rand(1, 28, 28), 3, 28)
    assert Y.shape == (1, 3, 28, 28)
    torch.testing.assert_close(Y[0, 0], Y[0, 2])
    assert 0 <= float(Y.min()) and float(Y.max()) <= 1


def test_feature_maps_follow_the_summary():
    spec = PRESETS["LeNet"]
    net = build_model(spec)
    X = prepare_input(torch.rand(1, 28, 28), 1, 28)
    fmaps = feature_maps(net, X, max_channels=4)
    summary = layer_summary(spec)
    assert [f.shape for f in fmaps] == list(summary["shape"])
    assert [f.layer for f in fmaps] == list(summary["layer"])
    assert fmaps[0].maps.shape == (4, 28, 28) and fmaps[0].num_channels == 6
    assert fmaps[-1].maps.shape == (10,) and not fmaps[-1].is_image
    assert net.training  # restored
    # The last record is the network's output.
    net.eval()
    torch.testing.assert_close(fmaps[-1].maps, net(X)[0])


def test_feature_maps_detailed_resnet():
    spec = ResNetSpec(arch=((1, 8), (1, 16)), stem_channels=8, input_size=32)
    net = build_model(spec)
    fmaps = feature_maps(net, prepare_input(torch.rand(1, 32, 32), 1, 32), detailed=True)
    names = [f.name for f in fmaps]
    assert "b2.0.conv1" in names and "last.2" in names
    modules = dict(net.named_modules())  # detailed: one record per leaf module, inside blocks
    assert all(f.name in modules and not list(modules[f.name].children()) for f in fmaps), names
    maps = normalise_maps(fmaps[0].maps)
    assert float(maps.min()) >= 0 and float(maps.max()) <= 1


# --- initialisation from a run's own generator ----------------------------------------------
GEN_SPECS = [
    PRESETS["LeNet"],
    VGGSpec(arch=((1, 4), (2, 8)), fc=16, input_size=16),
    ResNetSpec(arch=((1, 4), (2, 8)), stem_channels=4, input_size=32),
]


def _state(spec, seed):
    return build_model(spec, generator=torch.Generator().manual_seed(seed)).state_dict()


@pytest.mark.parametrize("spec", GEN_SPECS)
def test_generator_build_is_reproducible_and_leaves_the_global_rng_alone(spec):
    before = torch.get_rng_state()
    first, again, other = _state(spec, 3), _state(spec, 3), _state(spec, 4)
    assert torch.equal(torch.get_rng_state(), before)
    assert list(first) == list(build_model(spec).state_dict())
    for key, value in first.items():
        assert torch.equal(value, again[key]), key
        assert torch.isfinite(value.float()).all(), key
    weights = [k for k, v in first.items() if k.endswith("weight") and v.dim() > 1]
    assert any(not torch.equal(first[k], other[k]) for k in weights)


def test_generator_build_draws_the_books_distributions():
    """Xavier-uniform weights, bias in ±1/√fan_in, batch norm 1 and 0, fresh statistics."""
    spec = ResNetSpec(arch=((1, 16), (1, 32)), stem_channels=16, input_size=32)
    net = build_model(spec, generator=torch.Generator().manual_seed(0))
    for module in net.modules():
        if isinstance(module, nn.Conv2d | nn.Linear):
            fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(module.weight)
            limit = (6 / (fan_in + fan_out)) ** 0.5
            assert float(module.weight.detach().abs().max()) <= limit
            assert float(module.weight.detach().abs().max()) > 0.8 * limit  # spread over the range
            assert float(module.bias.detach().abs().max()) <= 1 / fan_in**0.5
        elif isinstance(module, nn.BatchNorm2d):
            assert torch.equal(module.weight, torch.ones_like(module.weight))
            assert torch.equal(module.bias, torch.zeros_like(module.bias))
            assert torch.equal(module.running_mean, torch.zeros_like(module.running_mean))
            assert torch.equal(module.running_var, torch.ones_like(module.running_var))
            assert int(module.num_batches_tracked) == 0


def test_generator_build_ignores_other_threads_seeding_the_global_rng():
    import threading

    stop = threading.Event()

    def reseed():
        i = 0
        while not stop.is_set():
            torch.manual_seed(i)
            torch.rand(64)
            i += 1

    spec = GEN_SPECS[2]
    thread = threading.Thread(target=reseed, daemon=True)
    thread.start()
    try:
        states = [_state(spec, 11) for _ in range(4)]
    finally:
        stop.set()
        thread.join()
    for state in states[1:]:
        for key, value in states[0].items():
            assert torch.equal(value, state[key]), key


def test_generator_build_moves_to_the_device_asked_for():
    net = build_model(PRESETS["LeNet"], device="cpu", generator=torch.Generator())
    assert all(p.device.type == "cpu" for p in net.parameters())
