"""The specs of every registered family, the presets, and their dict form.

A spec is plain data (a frozen dataclass declared by its family's module in
``cnnviz/models/families/``): it fills the builder form, keys caches, is stored with every
run and is rebuilt into a network by :func:`cnnviz.models.build.build_model`.

Why ``lr`` is on the spec: d2l keeps the learning rate on the model (``d2l.Classifier`` saves
it as a hyperparameter: ``LeNet(lr=0.1)``, ``VGG(arch, lr=0.01)``, ``ResNet18(lr=0.01)`` in
the seed), so each preset carries the book's rate beside its layers and ``RunConfig.lr=None``
means "the spec's". It is the one field that does not change the network, so a question
about the network itself (is this run's model the builder's?) asks :func:`same_network`, and
an ablation over ``lr`` shows up as ``spec.lr`` in ``differing_fields``, which is the truth.
"""

from __future__ import annotations

import dataclasses

from cnnviz.models import families  # noqa: F401 (registers the built-in families)
from cnnviz.models.base import ACTIVATIONS
from cnnviz.models.families.alexnet import AlexNetSpec
from cnnviz.models.families.densenet import DenseNetSpec
from cnnviz.models.families.googlenet import GoogLeNetSpec
from cnnviz.models.families.lenet import LeNetSpec
from cnnviz.models.families.lenet_bn import LeNetBNSpec
from cnnviz.models.families.nin import NiNSpec
from cnnviz.models.families.resnet import ResNetSpec
from cnnviz.models.families.vgg import VGGSpec
from cnnviz.models.registry import FAMILIES, PRESETS

__all__ = [
    "ACTIVATIONS",
    "FAMILIES",
    "PRESETS",
    "AlexNetSpec",
    "DenseNetSpec",
    "GoogLeNetSpec",
    "LeNetBNSpec",
    "LeNetSpec",
    "NiNSpec",
    "ModelSpec",
    "ResNetSpec",
    "VGGSpec",
    "same_network",
    "spec_from_dict",
    "spec_to_dict",
]

# Any registered family's spec (each is a frozen dataclass with ``family`` and the common
# fields; see cnnviz.models.registry). For annotations only: code asks the registry.
ModelSpec = (
    LeNetSpec | AlexNetSpec | VGGSpec | NiNSpec | GoogLeNetSpec | LeNetBNSpec | ResNetSpec
    | DenseNetSpec
)  # fmt: skip


def same_network(a: ModelSpec, b: ModelSpec) -> bool:
    """Whether two specs build the same network: every field equal except ``lr``."""
    return type(a) is type(b) and dataclasses.replace(a, lr=b.lr) == b


def spec_to_dict(spec: ModelSpec) -> dict:
    """A JSON-ready dict with the family, for the run store and URLs."""
    return {"family": spec.family, **dataclasses.asdict(spec)}


def _tuplify(value):
    if isinstance(value, list):
        return tuple(_tuplify(v) for v in value)
    return value


def spec_from_dict(data: dict) -> ModelSpec:
    """Inverse of :func:`spec_to_dict`; unknown keys are an error."""
    data = dict(data)
    cls = FAMILIES[data.pop("family")]
    return cls(**{k: _tuplify(v) for k, v in data.items()})
