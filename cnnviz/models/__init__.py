"""Model specs, presets and builders for LeNet (d2l 7.6), VGG (8.2) and ResNet (8.6)."""

from cnnviz.models.build import build_model, init_cnn
from cnnviz.models.codegen import to_code
from cnnviz.models.specs import (
    FAMILIES,
    PRESETS,
    LeNetSpec,
    ModelSpec,
    ResNetSpec,
    VGGSpec,
    same_network,
    spec_from_dict,
    spec_to_dict,
)
from cnnviz.models.summary import d2l_lines, default_input_shape, layer_summary, totals
from cnnviz.models.validate import SpecError, count_parameters, validate

__all__ = [
    "FAMILIES",
    "PRESETS",
    "LeNetSpec",
    "ModelSpec",
    "ResNetSpec",
    "SpecError",
    "VGGSpec",
    "build_model",
    "count_parameters",
    "d2l_lines",
    "default_input_shape",
    "init_cnn",
    "layer_summary",
    "same_network",
    "spec_from_dict",
    "spec_to_dict",
    "to_code",
    "totals",
    "validate",
]
