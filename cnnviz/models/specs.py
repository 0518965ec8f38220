"""Frozen dataclass specs for the three families of d2l 7.6, 8.2 and 8.6, and the presets.

A spec is plain data: it fills the builder form, keys caches, is stored with every run and is
rebuilt into a network by :func:`cnnviz.models.build.build_model`.

Why ``lr`` is on the spec: d2l keeps the learning rate on the model (``d2l.Classifier`` saves
it as a hyperparameter: ``LeNet(lr=0.1)``, ``VGG(arch, lr=0.01)``, ``ResNet18(lr=0.01)`` in
the seed), so each preset carries the book's rate beside its layers and ``RunConfig.lr=None``
means "the spec's". It is the one field that does not change the network, so a question
about the network itself (is this run's model the builder's?) asks :func:`same_network`, and
an ablation over ``lr`` shows up as ``spec.lr`` in ``differing_fields``, which is the truth.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

ACTIVATIONS = ("sigmoid", "relu", "tanh", "gelu", "leaky_relu")


@dataclass(frozen=True)
class LeNetSpec:
    """LeNet-5, d2l 7.6: two conv/pool stages, then three fully connected layers."""

    family: ClassVar[str] = "lenet"
    activation: str = "sigmoid"
    pool: str = "avg"
    channels: tuple[int, int] = (6, 16)
    kernel_size: int = 5
    padding: int = 2
    fc: tuple[int, int] = (120, 84)
    in_channels: int = 1
    num_classes: int = 10
    input_size: int = 28
    lr: float = 0.1


@dataclass(frozen=True)
class VGGSpec:
    """VGG, d2l 8.2: ``arch`` is ((num_convs, out_channels), ...), one block each."""

    family: ClassVar[str] = "vgg"
    arch: tuple[tuple[int, int], ...] = ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))
    fc: int = 4096
    dropout: float = 0.5
    activation: str = "relu"
    in_channels: int = 1
    num_classes: int = 10
    input_size: int = 224
    lr: float = 0.01


@dataclass(frozen=True)
class ResNetSpec:
    """ResNet, d2l 8.6: ``arch`` is ((num_residuals, num_channels), ...), one stage each.

    ``batch_norm`` and ``skip`` switch off the two ingredients the seed ablates; ``stem`` is
    d2l's 7×7/2 conv + 3×3/2 max-pool ("d2l") or a 3×3/1 conv without pooling ("small"),
    which suits 28×28 inputs.
    """

    family: ClassVar[str] = "resnet"
    arch: tuple[tuple[int, int], ...] = ((2, 64), (2, 128), (2, 256), (2, 512))
    batch_norm: bool = True
    skip: bool = True
    stem: str = "d2l"
    stem_channels: int = 64
    in_channels: int = 1
    num_classes: int = 10
    input_size: int = 96
    lr: float = 0.01


ModelSpec = LeNetSpec | VGGSpec | ResNetSpec
FAMILIES: dict[str, type] = {"lenet": LeNetSpec, "vgg": VGGSpec, "resnet": ResNetSpec}


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


PRESETS: dict[str, ModelSpec] = {
    # d2l 7.6, LeNet as LeCun built it: sigmoid and average pooling.
    "LeNet": LeNetSpec(),
    # The seed's exercise: ReLU instead of sigmoid.
    "LeNet-ReLU": LeNetSpec(activation="relu"),
    # d2l 8.2: VGG-11 at 224×224.
    "VGG-11": VGGSpec(),
    # d2l 8.2 trains a VGG with a quarter of the channels at 224×224 (lr 0.01).
    "VGG-small": VGGSpec(arch=((1, 16), (1, 32), (2, 64), (2, 128), (2, 128))),
    # The seed's experiment: the same VGG at 56×56, with one pooling block fewer.
    "VGG-small-56": VGGSpec(arch=((1, 16), (1, 32), (2, 64), (2, 128)), input_size=56),
    # The seed's adjusted VGG for 56×56: two convs per block, FC 2048, dropout 0.4.
    "VGG-56-adjusted": VGGSpec(
        arch=((2, 16), (2, 32), (2, 64), (2, 128)), fc=2048, dropout=0.4, input_size=56
    ),
    # d2l 8.6: ResNet-18 at 96×96.
    "ResNet-18": ResNetSpec(),
    # The seed's ablations of ResNet-18.
    "ResNet-18-noBN": ResNetSpec(batch_norm=False),
    "ResNet-18-noskip": ResNetSpec(skip=False),
}
