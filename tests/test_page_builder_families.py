"""AppTest of the architecture builder with the chapter-8 families: each family's widgets, the
diagram's branches (Inception, dense blocks), the code and the feature maps."""

from __future__ import annotations

import dataclasses

import pytest

from cnnviz.models import PRESETS, REGISTRY, count_parameters
from conftest import app_test, assert_clean, metrics

pytestmark = pytest.mark.apptest


def _pick(at, name):
    at.radio(key="builder_family").set_value(PRESETS[name].family).run()
    at.selectbox(key="builder_preset").set_value(name).run()
    assert_clean(at)


def _diagram(at) -> dict:
    import json

    return json.loads(at.get("plotly_chart")[0].proto.spec)


def _branch_labels(fig) -> list[str]:
    return [t for tr in fig["data"] if tr.get("name") == "branches" for t in tr["text"]]


def test_every_family_is_offered_with_its_label():
    at = app_test("builder.py").run()
    radio = at.radio(key="builder_family")
    assert radio.options == [REGISTRY[f].label() for f in REGISTRY]
    assert "GoogLeNet (8.4)" in radio.options and "DenseNet (8.7)" in radio.options


def test_googlenet_draws_its_inception_branches_and_edits_them():
    at = app_test("builder.py").run()
    _pick(at, "GoogLeNet")
    assert metrics(at)["parameters"] == "5,977,530"
    labels = _branch_labels(_diagram(at))
    assert len(labels) == 4 * 9  # four branches of each of the nine Inception blocks
    assert labels[:4] == ["1×1 · 64", "3×3 · 128", "5×5 · 32", "pool · 32"]  # b3's first
    at.toggle(key="builder_reductions").set_value(False).run()
    assert_clean(at)
    spec = at.session_state["builder_spec"]
    assert spec == dataclasses.replace(PRESETS["GoogLeNet"], reductions=False)
    assert metrics(at)["parameters"] == f"{count_parameters(spec):,}"
    assert "without the 1x1 reductions" in at.code[0].value
    # the blocks' table drives the spec: one Inception block per stage
    at.session_state["builder_blocks_rows"] = [[3, 8, 4, 8, 2, 4, 4], [4, 8, 4, 8, 2, 4, 4],
                                               [5, 8, 4, 8, 2, 4, 4]]  # fmt: skip
    at.session_state["builder_form_version"] += 1
    at.run()
    assert_clean(at)
    assert len(at.session_state["builder_spec"].blocks) == 3
    assert len(_branch_labels(_diagram(at))) == 12
    at.session_state["builder_blocks_rows"] = [[2, 8, 4, 8, 2, 4, 4]]
    at.session_state["builder_form_version"] += 1
    at.run()
    assert "stage must be 3, 4 or 5" in at.error[0].value


def test_densenet_draws_its_concatenations_as_branches():
    at = app_test("builder.py").run()
    _pick(at, "DenseNet")
    labels = _branch_labels(_diagram(at))
    # each dense block: its input and its four convolution blocks, concatenated
    assert labels[:5] == ["input · 64", "conv 1 · 32", "conv 2 · 32", "conv 3 · 32", "conv 4 · 32"]
    assert len(labels) == 4 * 5
    at.number_input(key="builder_growth_rate").set_value(16).run()
    assert_clean(at)
    assert at.session_state["builder_spec"].growth_rate == 16
    assert _branch_labels(_diagram(at))[1] == "conv 1 · 16"


@pytest.mark.parametrize(
    ("name", "widget", "value", "field"),
    [
        ("AlexNet", "builder_dropout", 0.0, "dropout"),
        ("NiN", "builder_head", "fc", "head"),
        ("LeNet-BN", "builder_batch_norm", "scratch", "batch_norm"),
        ("ResNet-18", "builder_block", "resnext", "block"),
    ],
)
def test_a_family_widget_changes_the_network(name, widget, value, field):
    at = app_test("builder.py").run()
    _pick(at, name)
    element = at.get("radio") + at.get("slider")
    next(e for e in element if e.key == widget).set_value(value).run()
    assert_clean(at)
    spec = at.session_state["builder_spec"]
    assert getattr(spec, field) == value and spec.family == PRESETS[name].family
    assert metrics(at)["parameters"] == f"{count_parameters(spec):,}"


def test_feature_maps_of_a_branching_network():
    at = app_test("builder.py").run()
    _pick(at, "GoogLeNet-small")
    at.toggle(key="builder_show_maps").set_value(True).run()
    assert_clean(at)
    assert len(at.get("plotly_chart")) == 1 + 6  # the diagram, then GoogLeNet's six rows
    assert "Prediction:" in " ".join(m.value for m in at.markdown)


def test_korean_labels_for_a_new_family():
    at = app_test("builder.py")
    at.query_params["lang"] = "ko"
    at.run()
    _pick(at, "DenseNet")
    assert any(n.label == "성장률 (`growth_rate`)" for n in at.number_input)
    assert "LeNet + 배치 정규화 (8.5)" in at.radio(key="builder_family").options
