"""AppTest of the architecture builder page (d2l 7.6, 8.2, 8.6)."""

from __future__ import annotations

import pytest

from cnnviz.models import PRESETS, count_parameters
from conftest import app_test, assert_clean, metrics

pytestmark = pytest.mark.apptest


@pytest.fixture
def at():
    at = app_test("builder.py").run()
    assert_clean(at)
    return at


def _table(at):
    """The summary table: the page's last dataframe (the arch editor, if any, comes first)."""
    return at.dataframe[-1].value


def _pick(at, name):
    at.radio(key="builder_family").set_value(PRESETS[name].family).run()
    at.selectbox(key="builder_preset").set_value(name).run()
    assert_clean(at)


def test_default_is_lenet_with_the_books_table(at):
    assert list(metrics(at).values()) == ["61,706", "416,520", "[1, 10]"]
    table = _table(at)
    assert list(table["layer"])[:3] == ["Conv2d", "Sigmoid", "AvgPool2d"]
    assert list(table["output shape"])[-1] == "[1, 10]" and len(table) == 12
    assert "nn.Sigmoid()" in at.code[0].value and "16 * 5 * 5" in at.code[0].value
    assert at.session_state["builder_spec"] == PRESETS["LeNet"]
    assert len(at.get("plotly_chart")) == 1  # the diagram


def test_every_preset_loads_into_the_form(at):
    for name, spec in PRESETS.items():
        _pick(at, name)
        assert at.session_state["builder_spec"] == spec, name
        assert metrics(at)["parameters"] == f"{count_parameters(spec):,}", name
        assert metrics(at)["output shape"] == f"[1, {spec.num_classes}]"
        assert at.number_input(key="builder_input_size").value == spec.input_size
        assert not at.error


def test_editing_fields_changes_model_and_code(at):
    at.selectbox(key="builder_activation").set_value("relu").run()
    at.number_input(key="builder_c1").set_value(8).run()
    at.radio(key="builder_pool").set_value("max").run()
    assert_clean(at)
    spec = at.session_state["builder_spec"]
    assert (spec.activation, spec.channels, spec.pool) == ("relu", (8, 16), "max")
    assert "nn.ReLU()" in at.code[0].value and "nn.MaxPool2d" in at.code[0].value
    assert metrics(at)["parameters"] == f"{count_parameters(spec):,}"
    at.toggle(key="builder_detailed").set_value(True).run()
    assert len(_table(at)) == 12  # LeNet has only leaves


def test_resnet_switches_and_detailed_table(at):
    _pick(at, "ResNet-18")
    assert list(_table(at)["name"]) == [
        "b1", "b2", "b3", "b4", "b5", "last",
    ]  # fmt: skip
    at.toggle(key="builder_skip").set_value(False).run()
    assert at.session_state["builder_spec"] == PRESETS["ResNet-18-noskip"]
    assert "Y += X" not in at.code[0].value
    at.toggle(key="builder_detailed").set_value(True).run()
    assert "b2.0.conv1" in list(_table(at)["name"])
    assert_clean(at)


def test_invalid_spec_shows_error_and_keeps_last_valid_model(at):
    _pick(at, "VGG-11")
    at.number_input(key="builder_input_size").set_value(16).run()
    assert_clean(at)
    message = at.error[0].value
    assert "VGG block 5" in message and "0×0" in message and "16×16" in message
    assert at.session_state["builder_spec"] == PRESETS["VGG-11"]
    assert metrics(at)["parameters"] == "128,806,154"
    at.number_input(key="builder_input_size").set_value(32).run()
    assert not at.error
    assert at.session_state["builder_spec"].input_size == 32


def test_arch_table_rows_drive_the_spec(at):
    _pick(at, "VGG-small-56")
    at.session_state["builder_arch_rows"] = [[1, 8], [2, 16]]
    at.session_state["builder_form_version"] += 1  # a fresh data editor over these rows
    at.run()
    assert_clean(at)
    assert at.session_state["builder_spec"].arch == ((1, 8), (2, 16))
    at.session_state["builder_arch_rows"] = [[1, 0]]
    at.session_state["builder_form_version"] += 1
    at.run()
    assert "channels" in at.error[0].value
    assert at.session_state["builder_spec"].arch == ((1, 8), (2, 16))


def test_feature_maps_of_every_layer(at):
    at.toggle(key="builder_show_maps").set_value(True).run()
    assert_clean(at)
    charts = at.get("plotly_chart")
    assert len(charts) == 1 + 12  # the diagram, then one grid per LeNet layer
    text = " ".join(m.value for m in at.markdown)
    assert "Prediction:" in text and "untrained" in text
    assert "first 6 of 6 channels" in text
    assert at.selectbox(key="builder_weights").value is None  # no finished runs in this store
    at.slider(key="builder_max_channels").set_value(2).run()
    assert "first 2 of 6 channels" in " ".join(m.value for m in at.markdown)
    at.selectbox(key="builder_source").set_value("stripes").run()
    assert_clean(at)


def test_feature_maps_without_data(no_data):
    at = app_test("builder.py").run()
    at.toggle(key="builder_show_maps").set_value(True).run()
    assert_clean(at)
    assert at.warning  # the picker says the dataset is missing; the page stays up


def test_feature_maps_from_a_finished_run(at):
    """A finished run of the same spec in the store is offered; its weights are used."""
    from cnnviz.models import build_model
    from cnnviz.runs import RunStore, default_home
    from cnnviz.train import RunConfig

    store = RunStore(default_home())
    run_id = store.create(RunConfig(spec=PRESETS["LeNet"], num_epochs=1), name="lenet-test")
    store.add_epoch(run_id, {"epoch": 1, "train_loss": 1.0, "train_acc": 0.5, "val_loss": 1.0,
                             "val_acc": 0.61, "examples_per_s": 1.0, "seconds": 1.0})  # fmt: skip
    store.save_state_dict(run_id, build_model(PRESETS["LeNet"]).state_dict())
    store.set_status(run_id, "finished")
    other = store.create(RunConfig(spec=PRESETS["LeNet-ReLU"]), name="other-spec")
    store.set_status(other, "finished")

    at.toggle(key="builder_show_maps").set_value(True).run()
    weights = at.selectbox(key="builder_weights")
    assert weights.options[1:] == ["lenet-test (1 epochs, val acc 61.0%)"]
    weights.set_value(run_id).run()
    assert_clean(at)
    assert f"trained weights of run {run_id}" in " ".join(m.value for m in at.markdown)


def test_cached_views_are_keyed_on_the_frozen_spec(monkeypatch):
    """Streamlit hashes the spec itself (fields and values): equal specs share an entry,
    different ones never do, including the seed's look-alike ablations."""
    from cnnviz.models import ResNetSpec, VGGSpec, layer_summary
    from ui import builder

    computed = []

    def counting(spec, **kwargs):
        computed.append(spec)
        return layer_summary(spec, **kwargs)

    monkeypatch.setattr(builder, "layer_summary", counting)
    builder.summary_cached.clear()
    specs = [
        *PRESETS.values(),
        VGGSpec(arch=((1, 16), (1, 32)), fc=64, input_size=16),
        VGGSpec(arch=((1, 32), (1, 16)), fc=64, input_size=16),
        ResNetSpec(batch_norm=False, skip=False),
    ]
    for spec in specs * 2:
        assert builder.summary_cached(spec).equals(layer_summary(spec)), spec
    assert computed == specs  # each distinct spec computed once, the second pass all hits
    builder.summary_cached.clear()
