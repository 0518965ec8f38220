"""Small input, huge memory: a few numbers a user types must not ask for gigabytes.

A network from the builder (a handful of widgets) could make a 4096×512×512 feature map, 4 GB
for one image; a typed kernel could be megabytes of text. Both are refused with a message
before anything is allocated; the lessons' other numbers are pure arithmetic.
"""

from __future__ import annotations

import math
import time

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz import kernel_learning as kl
from cnnviz import lessons
from cnnviz.models import PRESETS, LeNetSpec, ResNetSpec, SpecError, VGGSpec, build_model, validate
from cnnviz.models.validate import MAX_MAP_ELEMENTS, largest_map

pytestmark = pytest.mark.unit


def measured_largest_map(spec) -> int:
    """The largest output of any layer for one image, from a forward pass on the meta device."""
    net = build_model(spec, device="meta")
    sizes = []
    hooks = [
        m.register_forward_hook(lambda _m, _a, out: sizes.append(out[0].numel()))
        for m in net.modules()
        if isinstance(m, torch.nn.Conv2d)
    ]
    with torch.device("meta"):  # two images: batch norm (LeNet-BN's 1d) trains on a batch
        net(torch.zeros(2, spec.in_channels, spec.input_size, spec.input_size))
    for h in hooks:
        h.remove()
    return max(sizes)


@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_preset_is_far_inside_the_limit(preset):
    spec = PRESETS[preset]
    values, _, _ = largest_map(spec)
    assert values == measured_largest_map(spec)
    assert values * 5 <= MAX_MAP_ELEMENTS  # VGG-11 at 224: 3.2M of 16.8M


SPECS = st.one_of(
    st.builds(
        LeNetSpec,
        channels=st.tuples(st.integers(1, 64), st.integers(1, 64)),
        kernel_size=st.integers(1, 7),
        padding=st.integers(0, 3),
        input_size=st.integers(16, 96),
    ),
    st.builds(
        VGGSpec,
        arch=st.lists(st.tuples(st.integers(1, 2), st.integers(1, 64)), min_size=1, max_size=4)
        .map(tuple),
        fc=st.integers(1, 64),
        input_size=st.integers(16, 128),
    ),
    st.builds(
        ResNetSpec,
        arch=st.lists(st.tuples(st.integers(1, 2), st.integers(1, 32)), min_size=1, max_size=4)
        .map(tuple),
        stem=st.sampled_from(["d2l", "small"]),
        stem_channels=st.integers(1, 32),
        input_size=st.integers(8, 96),
    ),
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(spec=SPECS)
def test_largest_map_is_what_the_network_makes(spec):
    try:
        validate(spec)
    except SpecError:
        return  # shapes that do not fit: not a network to measure
    assert largest_map(spec)[0] == measured_largest_map(spec)


@pytest.mark.parametrize(
    ("spec", "where"),
    [
        (VGGSpec(arch=((1, 4096),), fc=1, input_size=512), "VGG block 1"),
        (VGGSpec(arch=((1, 1), (1, 4096)), fc=1, input_size=512), "VGG block 2"),
        (LeNetSpec(channels=(4096, 16), kernel_size=1, padding=0, input_size=512), "conv1"),
        (ResNetSpec(arch=((1, 64),), stem="small", stem_channels=1024, input_size=256), "stem"),
    ],
)
def test_a_feature_map_of_gigabytes_is_refused_before_building(spec, where):
    t = time.perf_counter()
    with pytest.raises(SpecError, match=f"{where}.*GB\\) for one image"):
        validate(spec)
    with pytest.raises(SpecError):
        build_model(spec)  # the builder page and the trainer build through validate
    assert time.perf_counter() - t < 1  # refused from arithmetic, nothing allocated


def test_a_typed_kernel_is_bounded_before_it_is_split():
    with pytest.raises(ValueError, match="fits in 2,000"):
        kl.parse_kernel("1 " * 5_000_000)
    with pytest.raises(ValueError, match="up to 7×7"):
        kl.parse_kernel("1 " * 8)
    assert kl.parse_kernel("-1 0 1\n-2 0 2\n-1 0 1").shape == (3, 3)


def test_why_convolutions_numbers_stay_arithmetic():
    """The 7.1 page's image size goes up to 100,000×100,000 with 1,024 channels: counts, not
    tensors (10^26 weights are never allocated)."""
    pc = lessons.param_counts(100_000, 100_000, 1024, 1024, 31)
    assert pc.fc == (1024 * 10**10) ** 2 + 1024 * 10**10
    assert pc.conv == 31 * 31 * 1024 * 1024 + 1024 and math.isfinite(pc.ratio)
