"""The family registry: every registered family checked the same way (as timm's tests loop
over its models), and a toy family added from this one module works everywhere."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

import pytest
import torch
from torch import nn

from cnnviz import ablation as A
from cnnviz.models import (
    PRESETS,
    REGISTRY,
    Family,
    Field,
    SpecError,
    build_model,
    count_parameters,
    family_of,
    layer_summary,
    registered,
    spec_from_dict,
    spec_to_dict,
    to_code,
    totals,
    validate,
)
from cnnviz.models.base import check_int, shrink
from cnnviz.models.registry import COMMON_FIELDS, _meta_largest_map, _meta_parameters

pytestmark = pytest.mark.unit

FAMILY_PRESETS = [(f.name, p) for f in REGISTRY.values() for p in f.presets]
SMALL = 30_000_000  # presets up to this many parameters are also run with real weights


def _exec_code(spec, device=None):
    ns: dict = {}
    code = compile(to_code(spec), "<to_code>", "exec")
    with torch.device(device or "cpu"):
        exec(code, ns)  # noqa: S102 - our own output
    return ns["net"]


def test_the_registry_holds_the_books_families_in_order():
    assert list(REGISTRY) == [
        "lenet", "alexnet", "vgg", "nin", "googlenet", "lenet_bn", "resnet", "densenet",
    ]  # fmt: skip
    assert list(PRESETS) == [p for f in REGISTRY.values() for p in f.presets]
    for name, spec in PRESETS.items():
        assert family_of(spec).name == spec.family, name


@pytest.mark.parametrize("family", list(REGISTRY))
def test_every_family_declares_all_it_needs(family):
    fam = REGISTRY[family]
    fields = {f.name for f in dataclasses.fields(fam.spec)}
    assert set(COMMON_FIELDS) <= fields
    assert fam.presets and fam.lesson
    default = fam.spec()  # the book's defaults make a network
    validate(default)
    for f in fam.fields:
        assert f.spec_field in fields, f.name
        f.value_of(default)  # every widget reads its value from a spec
    for field, values in fam.toggles.items():
        assert field in fields and len(values) >= 2, field
    for lang in ("en", "ko"):
        words = fam.words[lang]
        assert words["label"], lang
        assert set(words["fields"]) == {f.name for f in fam.fields}, lang
        assert set(words["presets"]) == set(fam.presets), lang
        assert set(words.get("help", {})) <= set(words["fields"]), lang
        assert set(words.get("errors", {})) == set(fam.words["en"].get("errors", {})), lang


@pytest.mark.parametrize(("family", "name"), FAMILY_PRESETS)
def test_every_preset_builds_summarises_and_exports_the_same_network(family, name):
    spec = PRESETS[name]
    assert spec.family == family
    summary = layer_summary(spec)
    params = totals(summary)["parameters"]
    assert count_parameters(spec) == params
    # a family's own arithmetic (used before building) agrees with the layers on meta
    assert _meta_parameters(spec) == params
    assert family_of(spec).largest(spec)[0] == _meta_largest_map(spec)[0]
    assert spec_from_dict(spec_to_dict(spec)) == spec
    code_net, net = _exec_code(spec, "meta"), build_model(spec, device="meta")
    assert list(code_net.state_dict()) == list(net.state_dict())
    for key, value in net.state_dict().items():
        assert code_net.state_dict()[key].shape == value.shape, key
    if params > SMALL:
        return
    # Real weights: the exported code computes the same function as the built network.
    net = build_model(spec, generator=torch.Generator().manual_seed(0))
    code_net = _exec_code(spec)
    code_net.load_state_dict(net.state_dict())
    code_net.eval(), net.eval()
    X = torch.rand(2, spec.in_channels, spec.input_size, spec.input_size)
    with torch.no_grad():
        torch.testing.assert_close(code_net(X), net(X))
    assert (
        totals(layer_summary(net, (1, spec.in_channels, spec.input_size, spec.input_size)))[
            "parameters"
        ]
        == params
    )


@pytest.mark.parametrize(("family", "name"), FAMILY_PRESETS)
def test_every_preset_has_a_smallest_input_and_scales_for_the_lab(family, name):
    spec = PRESETS[name]
    smallest = A.min_input_size(spec)
    validate(dataclasses.replace(spec, input_size=smallest))
    scaled = A.scale_spec(spec, 0.25)
    validate(scaled)
    assert scaled.input_size >= smallest
    for field in A.GRID_FIELDS:
        if family in A.GRID_FIELDS[field]["families"]:
            assert hasattr(spec, field)


# -- a toy family, declared in this module only ----------------------------------------------
@dataclass(frozen=True)
class ToySpec:
    """One convolution, global average pooling, one linear layer."""

    family: ClassVar[str] = "toy"
    channels: int = 4  # the convolution's output channels
    kernel_size: int = 3
    in_channels: int = 1
    num_classes: int = 10
    input_size: int = 28
    lr: float = 0.1


def _toy_build(spec: ToySpec) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(spec.in_channels, spec.channels, spec.kernel_size), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(spec.channels, spec.num_classes),
    )  # fmt: skip


def _toy_check(spec: ToySpec) -> None:
    check_int("channels", spec.channels, 1, 64)
    k = check_int("kernel_size", spec.kernel_size, 1, 9)
    shrink("conv", spec.input_size, k, 0, 1, spec.in_channels, spec.input_size)


def _toy_code(spec: ToySpec) -> str:
    return f"""
net = nn.Sequential(
    nn.Conv2d({spec.in_channels}, {spec.channels}, {spec.kernel_size}), nn.ReLU(),
    nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear({spec.channels}, {spec.num_classes}))
"""


def _toy_words(lang: str) -> dict:
    return {"label": "Toy", "fields": {"channels": "channels", "kernel_size": "k"},
            "presets": {"Toy": lang, "Toy-wide": lang}}  # fmt: skip


TOY = Family(
    name="toy",
    spec=ToySpec,
    build=_toy_build,
    check=_toy_check,
    code=_toy_code,
    fields=(Field("channels", "int", 1, 64), Field("kernel_size", "int", 1, 9)),
    presets={"Toy": ToySpec(), "Toy-wide": ToySpec(channels=32)},
    words={"en": _toy_words("en"), "ko": _toy_words("ko")},
    toggles={"channels": (4, 32)},
    lesson="7.6",
)


def test_a_toy_family_from_one_module_works_everywhere():
    with registered(TOY):
        assert "toy" in REGISTRY and PRESETS["Toy-wide"].channels == 32
        spec = PRESETS["Toy"]
        net = build_model(spec)
        assert net(torch.rand(2, 1, 28, 28)).shape == (2, 10)
        summary = layer_summary(spec)
        assert list(summary["output shape"]) == [
            "[1, 4, 26, 26]", "[1, 4, 26, 26]", "[1, 4, 1, 1]", "[1, 4]", "[1, 10]",
        ]  # fmt: skip
        assert count_parameters(spec) == (1 * 9 + 1) * 4 + (4 + 1) * 10  # counted on meta
        assert list(_exec_code(spec).state_dict()) == list(net.state_dict())
        assert spec_from_dict(spec_to_dict(spec)) == spec
        with pytest.raises(SpecError, match="conv"):
            validate(ToySpec(kernel_size=9, input_size=4))
        assert A.min_input_size(spec) == 3  # searched: the 3×3 convolution needs 3×3
        assert "toy" in A.GRID_FIELDS["channels"]["families"]
        group = A.grid_group("Toy", "channels", [4, 32])
        assert [v.spec.channels for v in group.variants] == [4, 32]
        assert A.scale_spec(spec, 0.5).input_size == 14
    assert "toy" not in REGISTRY and "Toy" not in PRESETS and "channels" not in A.GRID_FIELDS


def test_a_toy_family_shows_in_the_builder():
    from conftest import app_test, assert_clean, metrics

    with registered(TOY):
        at = app_test("builder.py").run()
        at.radio(key="builder_family").set_value("toy").run()
        assert_clean(at)
        assert at.session_state["builder_spec"] == PRESETS["Toy"]
        at.number_input(key="builder_channels").set_value(8).run()
        assert_clean(at)
        assert at.session_state["builder_spec"] == ToySpec(channels=8)
        assert metrics(at)["parameters"] == f"{count_parameters(ToySpec(channels=8)):,}"
        assert "nn.Conv2d(1, 8, 3)" in at.code[0].value


def test_registering_twice_or_a_taken_preset_name_is_refused():
    with pytest.raises(ValueError, match="already registered"):
        with registered(REGISTRY["lenet"]):
            pass
    clash = dataclasses.replace(TOY, presets={"LeNet": ToySpec()})
    with pytest.raises(ValueError, match="already taken"):
        with registered(clash):
            pass
    assert "toy" not in REGISTRY
    with pytest.raises(SpecError, match="not a model spec"):
        validate(ToySpec())
