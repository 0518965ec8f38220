"""Model specs, presets and builders for the networks of d2l chapters 7 and 8, one family
per module in ``cnnviz/models/families/``, all found through ``cnnviz.models.registry``."""

from cnnviz.models import families  # noqa: F401, I001 (registers the built-in families first)
from cnnviz.models.build import build_model, init_cnn, network_from_weights
from cnnviz.models.codegen import to_code
from cnnviz.models.specs import (
    FAMILIES,
    PRESETS,
    AlexNetSpec,
    DenseNetSpec,
    GoogLeNetSpec,
    LeNetBNSpec,
    LeNetSpec,
    NiNSpec,
    ModelSpec,
    ResNetSpec,
    VGGSpec,
    same_network,
    spec_from_dict,
    spec_to_dict,
)
from cnnviz.models.summary import d2l_lines, default_input_shape, layer_summary, totals
from cnnviz.models.registry import REGISTRY, Family, Field, family_of, register, registered
from cnnviz.models.validate import SpecError, count_parameters, validate

__all__ = [
    "FAMILIES",
    "PRESETS",
    "REGISTRY",
    "Family",
    "Field",
    "AlexNetSpec",
    "DenseNetSpec",
    "GoogLeNetSpec",
    "LeNetBNSpec",
    "LeNetSpec",
    "NiNSpec",
    "ModelSpec",
    "ResNetSpec",
    "SpecError",
    "VGGSpec",
    "build_model",
    "count_parameters",
    "d2l_lines",
    "network_from_weights",
    "default_input_shape",
    "family_of",
    "init_cnn",
    "layer_summary",
    "register",
    "registered",
    "same_network",
    "spec_from_dict",
    "spec_to_dict",
    "to_code",
    "totals",
    "validate",
]
