"""Model specs, presets and builders for LeNet (d2l 7.6), VGG (8.2) and ResNet (8.6)."""

from cnnviz.models.build import build_model, init_cnn
from cnnviz.models.specs import (
    FAMILIES,
    PRESETS,
    LeNetSpec,
    ModelSpec,
    ResNetSpec,
    VGGSpec,
    spec_from_dict,
    spec_to_dict,
)

__all__ = [
    "FAMILIES",
    "PRESETS",
    "LeNetSpec",
    "ModelSpec",
    "ResNetSpec",
    "VGGSpec",
    "build_model",
    "init_cnn",
    "spec_from_dict",
    "spec_to_dict",
]
