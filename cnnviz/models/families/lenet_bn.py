"""LeNet with batch normalization (d2l 8.5): a batch norm layer after every convolution and
every hidden fully connected layer, before the sigmoid; the book's from-scratch ``batch_norm``
or PyTorch's ``nn.BatchNorm2d``/``nn.BatchNorm1d``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn

from cnnviz.errors import KeyedText
from cnnviz.models.base import (
    ACTIVATION_CODE,
    ACTIVATIONS,
    MAX_CHANNELS,
    MAX_FC,
    SpecError,
    check_activation,
    check_choice,
    check_int,
    make_activation,
    shrink,
)
from cnnviz.models.registry import Family, Field, register
from cnnviz.ops import out_size

NORMS = ("torch", "scratch", "none")


@dataclass(frozen=True)
class LeNetBNSpec:
    """LeNet with batch normalization, d2l 8.5 (``BNLeNet`` and ``BNLeNetScratch``)."""

    family: ClassVar[str] = "lenet_bn"
    # "torch": nn.BatchNorm2d / nn.BatchNorm1d (the book's BNLeNet); "scratch": the book's
    # own BatchNorm layer around its batch_norm function (BNLeNetScratch); "none": the same
    # LeNet without batch normalization (the comparison at a high learning rate).
    batch_norm: str = "torch"
    activation: str = "sigmoid"
    channels: tuple[int, int] = (6, 16)  # output channels of conv1 and conv2
    kernel_size: int = 5  # both convolutions (no padding: 28 → 24 → 12 → 8 → 4)
    fc: tuple[int, int] = (120, 84)  # widths of the two hidden fully connected layers
    in_channels: int = 1
    num_classes: int = 10
    input_size: int = 28
    lr: float = 0.1  # d2l trains both BN LeNets with lr 0.1


def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    """d2l 8.5's ``batch_norm``, as the book writes it: the batch's statistics while gradients
    are recorded (training), the moving averages otherwise (prediction)."""
    # Use is_grad_enabled to determine whether we are in training mode
    if not torch.is_grad_enabled():
        # In prediction mode, use mean and variance obtained by moving average
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
    else:
        assert len(X.shape) in (2, 4)
        if len(X.shape) == 2:
            # When using a fully connected layer, calculate the mean and
            # variance on the feature dimension
            mean = X.mean(dim=0)
            var = ((X - mean) ** 2).mean(dim=0)
        else:
            # When using a two-dimensional convolutional layer, calculate the
            # mean and variance on the channel dimension (axis=1). Here we
            # need to maintain the shape of X, so that the broadcasting
            # operation can be carried out later
            mean = X.mean(dim=(0, 2, 3), keepdim=True)
            var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
        # In training mode, the current mean and variance are used
        X_hat = (X - mean) / torch.sqrt(var + eps)
        # Update the mean and variance using moving average
        moving_mean = (1.0 - momentum) * moving_mean + momentum * mean
        moving_var = (1.0 - momentum) * moving_var + momentum * var
    Y = gamma * X_hat + beta  # Scale and shift
    return Y, moving_mean.data, moving_var.data


class BatchNorm(nn.Module):
    """d2l 8.5's ``BatchNorm`` layer. The moving averages are buffers here (the book keeps
    them as plain attributes), so they move with the network and are saved in checkpoints."""

    def __init__(self, num_features: int, num_dims: int):
        super().__init__()
        shape = (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)
        # The scale parameter and the shift parameter (model parameters) are
        # initialized to 1 and 0, respectively
        self.gamma = nn.Parameter(torch.ones(shape))
        self.beta = nn.Parameter(torch.zeros(shape))
        # The variables that are not model parameters are initialized to 0 and 1
        self.register_buffer("moving_mean", torch.zeros(shape))
        self.register_buffer("moving_var", torch.ones(shape))

    def reset_parameters(self) -> None:
        with torch.no_grad():
            self.gamma.fill_(1.0)
            self.beta.fill_(0.0)
            self.moving_mean.fill_(0.0)
            self.moving_var.fill_(1.0)

    def forward(self, X):
        # Save the updated moving_mean and moving_var
        Y, self.moving_mean, self.moving_var = batch_norm(
            X, self.gamma, self.beta, self.moving_mean, self.moving_var, eps=1e-5, momentum=0.1
        )
        return Y


def _norm(spec: LeNetBNSpec, features: int, num_dims: int) -> list[nn.Module]:
    if spec.batch_norm == "scratch":
        return [BatchNorm(features, num_dims=num_dims)]
    if spec.batch_norm == "torch":
        return [nn.BatchNorm2d(features) if num_dims == 4 else nn.BatchNorm1d(features)]
    return []


def build(spec: LeNetBNSpec) -> nn.Sequential:
    """d2l 8.5 ``BNLeNet`` (or ``BNLeNetScratch``) with eager layers."""
    c1, c2 = spec.channels
    k = spec.kernel_size

    def act():
        return make_activation(spec.activation)

    features = [
        nn.Conv2d(spec.in_channels, c1, kernel_size=k), *_norm(spec, c1, 4), act(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(c1, c2, kernel_size=k), *_norm(spec, c2, 4), act(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
    ]  # fmt: skip
    side = out_size(out_size(spec.input_size, k) // 2, k) // 2  # (its batch norm stays off
    n = c2 * side * side  # the meta device: flat_features would mix devices)
    f1, f2 = spec.fc
    return nn.Sequential(
        *features,
        nn.Linear(n, f1), *_norm(spec, f1, 2), act(),
        nn.Linear(f1, f2), *_norm(spec, f2, 2), act(),
        nn.Linear(f2, spec.num_classes),
    )  # fmt: skip


def check(spec: LeNetBNSpec) -> None:
    check_choice("batch_norm", spec.batch_norm, NORMS)
    check_activation(spec.activation)
    for name, n in (("channels", 2), ("fc", 2)):
        value = getattr(spec, name)
        if not isinstance(value, tuple | list) or len(value) != n:
            raise SpecError(f"{name} must be two numbers, got {value!r}.", "spec.two",
                            name=name, value=repr(value))  # fmt: skip
    c1 = check_int(KeyedText("conv1 channels", "field.channels", layer="conv1"),
                   spec.channels[0], 1, MAX_CHANNELS)  # fmt: skip
    c2 = check_int(KeyedText("conv2 channels", "field.channels", layer="conv2"),
                   spec.channels[1], 1, MAX_CHANNELS)  # fmt: skip
    k = check_int("kernel_size", spec.kernel_size, 1, 15)
    check_int(KeyedText("fc1 width", "field.width", layer="fc1"), spec.fc[0], 1, MAX_FC)
    check_int(KeyedText("fc2 width", "field.width", layer="fc2"), spec.fc[1], 1, MAX_FC)
    size = spec.input_size
    hint = KeyedText("a smaller kernel_size or more padding", "hint.lenet")
    n = shrink("conv1", size, k, 0, 1, spec.in_channels, size, hint)
    n = shrink("pool1", n, 2, 0, 2, c1, size, hint)
    n = shrink("conv2", n, k, 0, 1, c1, size, hint)
    shrink("pool2", n, 2, 0, 2, c2, size, hint)


def count_parameters(spec: LeNetBNSpec) -> int:
    c1, c2 = spec.channels
    f1, f2 = spec.fc
    k = spec.kernel_size
    n = out_size(out_size(spec.input_size, k) // 2, k) // 2
    bn = 0 if spec.batch_norm == "none" else 2  # γ and β per channel or feature
    return (
        (spec.in_channels * k * k + 1) * c1 + bn * c1 + (c1 * k * k + 1) * c2 + bn * c2
        + (c2 * n * n + 1) * f1 + bn * f1 + (f1 + 1) * f2 + bn * f2
        + (f2 + 1) * spec.num_classes
    )  # fmt: skip


def largest_map(spec: LeNetBNSpec):
    c1, c2 = spec.channels
    n1 = out_size(spec.input_size, spec.kernel_size)
    n2 = out_size(n1 // 2, spec.kernel_size)
    maps = [("conv1", (c1, n1, n1)), ("conv2", (c2, n2, n2))]
    name, shape = max(maps, key=lambda m: m[1][0] * m[1][1] * m[1][2])
    return shape[0] * shape[1] * shape[2], name, shape


SCRATCH_CODE = '''

def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    """d2l 8.5: batch statistics while training, moving averages for prediction."""
    if not torch.is_grad_enabled():
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
    else:
        assert len(X.shape) in (2, 4)
        if len(X.shape) == 2:
            mean = X.mean(dim=0)
            var = ((X - mean) ** 2).mean(dim=0)
        else:
            mean = X.mean(dim=(0, 2, 3), keepdim=True)
            var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
        X_hat = (X - mean) / torch.sqrt(var + eps)
        moving_mean = (1.0 - momentum) * moving_mean + momentum * mean
        moving_var = (1.0 - momentum) * moving_var + momentum * var
    Y = gamma * X_hat + beta  # Scale and shift
    return Y, moving_mean.data, moving_var.data


class BatchNorm(nn.Module):
    """d2l 8.5's layer (moving averages as buffers, so they are saved with the weights)."""

    def __init__(self, num_features, num_dims):
        super().__init__()
        shape = (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)
        self.gamma = nn.Parameter(torch.ones(shape))
        self.beta = nn.Parameter(torch.zeros(shape))
        self.register_buffer("moving_mean", torch.zeros(shape))
        self.register_buffer("moving_var", torch.ones(shape))

    def forward(self, X):
        Y, self.moving_mean, self.moving_var = batch_norm(
            X, self.gamma, self.beta, self.moving_mean, self.moving_var, eps=1e-5, momentum=0.1)
        return Y
'''


def code(spec: LeNetBNSpec) -> str:
    act = ACTIVATION_CODE[spec.activation]
    c1, c2 = spec.channels
    f1, f2 = spec.fc
    k = spec.kernel_size
    n = out_size(out_size(spec.input_size, k) // 2, k) // 2

    def bn(c: int, dims: int) -> str:
        if spec.batch_norm == "scratch":
            return f"BatchNorm({c}, num_dims={dims}), "
        if spec.batch_norm == "torch":
            return f"nn.BatchNorm{2 if dims == 4 else 1}d({c}), "
        return ""

    title = {"torch": "nn.BatchNorm2d / nn.BatchNorm1d", "scratch": "the book's BatchNorm",
             "none": "without batch normalization"}[spec.batch_norm]  # fmt: skip
    head = SCRATCH_CODE if spec.batch_norm == "scratch" else ""
    return f"""{head}

# LeNet with batch normalization (d2l 8.5): {title}
net = nn.Sequential(
    nn.Conv2d({spec.in_channels}, {c1}, kernel_size={k}), {bn(c1, 4)}{act},
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Conv2d({c1}, {c2}, kernel_size={k}), {bn(c2, 4)}{act},
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Flatten(),
    nn.Linear({c2} * {n} * {n}, {f1}), {bn(f1, 2)}{act},
    nn.Linear({f1}, {f2}), {bn(f2, 2)}{act},
    nn.Linear({f2}, {spec.num_classes}))
"""


FIELDS = (
    Field("batch_norm", "radio", options=NORMS, field="batch_norm", line=0),
    Field("activation", "select", options=ACTIVATIONS, line=0),
    Field("c1", "int", 1, 256, field="channels", index=0, line=1),
    Field("c2", "int", 1, 256, field="channels", index=1, line=1),
    Field("kernel_size", "int", 1, 11, line=1),
    Field("fc1", "int", 1, 4096, field="fc", index=0, line=2),
    Field("fc2", "int", 1, 4096, field="fc", index=1, line=2),
)

WORDS = {
    "en": {
        "label": "LeNet + batch norm (8.5)",
        "fields": {
            "batch_norm": "batch norm",
            "activation": "activation",
            "c1": "conv1 channels",
            "c2": "conv2 channels",
            "kernel_size": "kernel_size",
            "fc1": "fc1 width",
            "fc2": "fc2 width",
        },
        "help": {
            "batch_norm": "torch: nn.BatchNorm2d / nn.BatchNorm1d. scratch: the book's own "
            "batch_norm function in a BatchNorm layer (the same numbers). none: no batch "
            "normalization.",
        },
        "presets": {
            "LeNet-BN": "d2l 8.5: LeNet with nn.BatchNorm2d after each convolution and "
            "nn.BatchNorm1d after each hidden FC layer, before the sigmoid.",
            "LeNet-BN-scratch": "d2l 8.5: the same network with the book's from-scratch "
            "BatchNorm layer.",
            "LeNet-noBN": "The same LeNet (no padding) without batch normalization, for the "
            "comparison at a high learning rate.",
        },
        "errors": {"spec.two": "{name} must be two numbers, got {value}."},
    },
    "ko": {
        "label": "LeNet + 배치 정규화 (8.5)",
        "fields": {
            "batch_norm": "배치 정규화",
            "activation": "활성화 함수 (`activation`)",
            "c1": "conv1 채널 수",
            "c2": "conv2 채널 수",
            "kernel_size": "커널 크기 (`kernel_size`)",
            "fc1": "fc1 너비",
            "fc2": "fc2 너비",
        },
        "help": {
            "batch_norm": "`torch`: `nn.BatchNorm2d` / `nn.BatchNorm1d`. `scratch`: 책에서 직접 "
            "만든 `batch_norm` 함수를 쓰는 `BatchNorm` 층 (같은 값). `none`: 배치 정규화 없음.",
        },
        "presets": {
            "LeNet-BN": "d2l 8.5: 합성곱마다 `nn.BatchNorm2d`, 은닉 완전 연결 층마다 "
            "`nn.BatchNorm1d`를 시그모이드 앞에 둔 LeNet.",
            "LeNet-BN-scratch": "d2l 8.5: 책에서 직접 만든 `BatchNorm` 층을 쓴 같은 네트워크.",
            "LeNet-noBN": "높은 학습률에서 비교하기 위한, 배치 정규화가 없는 같은 LeNet (패딩 "
            "없음).",
        },
        "errors": {"spec.two": "{name}은(는) 숫자 두 개여야 합니다 (받은 값 {value})."},
    },
}

FAMILY = register(
    Family(
        name="lenet_bn",
        spec=LeNetBNSpec,
        build=build,
        check=check,
        code=code,
        fields=FIELDS,
        presets={
            # d2l 8.5: BNLeNet (nn.BatchNorm2d / nn.BatchNorm1d), lr 0.1.
            "LeNet-BN": LeNetBNSpec(),
            # d2l 8.5: BNLeNetScratch, the book's own BatchNorm layer.
            "LeNet-BN-scratch": LeNetBNSpec(batch_norm="scratch"),
            # The same network without batch normalization.
            "LeNet-noBN": LeNetBNSpec(batch_norm="none"),
        },
        words=WORDS,
        toggles={"batch_norm": ("torch", "none"), "activation": ACTIVATIONS},
        count_parameters=count_parameters,
        largest_map=largest_map,
        min_input_size=lambda spec: spec.input_size,
        scalable=False,
        lesson="8.5",
    )
)
