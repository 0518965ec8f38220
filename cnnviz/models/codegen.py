"""Export a spec as readable PyTorch source in d2l's style (d2l 7.6, 8.2, 8.6).

The code builds the same network as :func:`cnnviz.models.build_model`: the same layers, the
same ``state_dict`` keys (so a checkpoint from a cnnviz run loads into it) and d2l's
``init_cnn``. Layers are written with explicit input sizes instead of d2l's ``Lazy*`` layers,
so the parameters exist at once and the flattened size (e.g. ``16 * 5 * 5``) is visible.
"""

from __future__ import annotations

from cnnviz.models.specs import LeNetSpec, ModelSpec, ResNetSpec, VGGSpec
from cnnviz.models.validate import validate
from cnnviz.ops import out_size

ACTIVATION_CODE = {
    "sigmoid": "nn.Sigmoid()",
    "relu": "nn.ReLU()",
    "tanh": "nn.Tanh()",
    "gelu": "nn.GELU()",
    "leaky_relu": "nn.LeakyReLU()",
}

HEADER = '''import torch
from torch import nn
from torch.nn import functional as F


def init_cnn(module):
    """Initialize weights for CNNs (d2l 7.6)."""
    if type(module) == nn.Linear or type(module) == nn.Conv2d:
        nn.init.xavier_uniform_(module.weight)
'''

FOOTER = """net.apply(init_cnn)

net.eval()  # one image: batch norm needs a batch to train, so check shapes in eval mode
X = torch.randn({shape})
print(net(X).shape)  # torch.Size({out})
"""


def _lenet(spec: LeNetSpec) -> str:
    act = ACTIVATION_CODE[spec.activation]
    pool = "nn.AvgPool2d" if spec.pool == "avg" else "nn.MaxPool2d"
    c1, c2 = spec.channels
    f1, f2 = spec.fc
    k = spec.kernel_size
    n = out_size(out_size(spec.input_size, k, spec.padding) // 2, k) // 2
    pad = f", padding={spec.padding}" if spec.padding else ""
    return f"""

# LeNet (d2l 7.6): {spec.activation} activations, {spec.pool} pooling
net = nn.Sequential(
    nn.Conv2d({spec.in_channels}, {c1}, kernel_size={k}{pad}), {act},
    {pool}(kernel_size=2, stride=2),
    nn.Conv2d({c1}, {c2}, kernel_size={k}), {act},
    {pool}(kernel_size=2, stride=2),
    nn.Flatten(),
    nn.Linear({c2} * {n} * {n}, {f1}), {act},
    nn.Linear({f1}, {f2}), {act},
    nn.Linear({f2}, {spec.num_classes}))
"""


def _vgg(spec: VGGSpec) -> str:
    act = ACTIVATION_CODE[spec.activation]
    n = spec.input_size
    for _ in spec.arch:
        n //= 2
    c = spec.arch[-1][1]
    f, d = spec.fc, spec.dropout
    return f'''

def vgg_block(num_convs, in_channels, out_channels):
    """d2l 8.2: num_convs 3x3 convolutions (padding 1), then a 2x2 max-pool."""
    layers = []
    for _ in range(num_convs):
        layers.append(nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1))
        layers.append({act})
        in_channels = out_channels
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


# VGG (d2l 8.2) at {spec.input_size}x{spec.input_size}
arch = {spec.arch!r}
conv_blks, in_channels = [], {spec.in_channels}
for num_convs, out_channels in arch:
    conv_blks.append(vgg_block(num_convs, in_channels, out_channels))
    in_channels = out_channels

net = nn.Sequential(
    *conv_blks, nn.Flatten(),
    nn.Linear({c} * {n} * {n}, {f}), {act}, nn.Dropout({d}),
    nn.Linear({f}, {f}), {act}, nn.Dropout({d}),
    nn.Linear({f}, {spec.num_classes}))
'''


def _resnet(spec: ResNetSpec) -> str:
    bn, skip = spec.batch_norm, spec.skip
    variant = []
    if not bn:
        variant.append("without batch norm")
    if not skip:
        variant.append("without skip connections")
    lines = [
        "",
        "",
        "class Residual(nn.Module):",
        f'    """The Residual block of ResNet models (d2l 8.6){", " if variant else ""}'
        f'{" and ".join(variant)}."""',
        "",
    ]
    if skip:
        lines += [
            "    def __init__(self, in_channels, num_channels, use_1x1conv=False, strides=1):",
        ]
    else:
        lines += ["    def __init__(self, in_channels, num_channels, strides=1):"]
    lines += [
        "        super().__init__()",
        "        self.conv1 = nn.Conv2d(in_channels, num_channels, kernel_size=3, padding=1,",
        "                               stride=strides)",
        "        self.conv2 = nn.Conv2d(num_channels, num_channels, kernel_size=3, padding=1)",
    ]
    if skip:
        lines += [
            "        if use_1x1conv:",
            "            self.conv3 = nn.Conv2d(in_channels, num_channels, kernel_size=1,",
            "                                   stride=strides)",
            "        else:",
            "            self.conv3 = None",
        ]
    if bn:
        lines += [
            "        self.bn1 = nn.BatchNorm2d(num_channels)",
            "        self.bn2 = nn.BatchNorm2d(num_channels)",
        ]
    lines += ["", "    def forward(self, X):"]
    if bn:
        lines += [
            "        Y = F.relu(self.bn1(self.conv1(X)))",
            "        Y = self.bn2(self.conv2(Y))",
        ]
    else:
        lines += ["        Y = F.relu(self.conv1(X))", "        Y = self.conv2(Y)"]
    if skip:
        lines += ["        if self.conv3:", "            X = self.conv3(X)", "        Y += X"]
    lines += ["        return F.relu(Y)", "", ""]

    c0, ins = spec.stem_channels, spec.in_channels
    bn_line = f"nn.BatchNorm2d({c0}), " if bn else ""
    if spec.stem == "d2l":
        lines += [
            "# ResNet (d2l 8.6): stem b1, then one stage per arch row",
            "net = nn.Sequential()",
            'net.add_module("b1", nn.Sequential(',
            f"    nn.Conv2d({ins}, {c0}, kernel_size=7, stride=2, padding=3),",
            f"    {bn_line}nn.ReLU(),",
            "    nn.MaxPool2d(kernel_size=3, stride=2, padding=1)))",
        ]
    else:
        lines += [
            "# ResNet (d2l 8.6) with a small stem for small inputs: a 3x3 conv, no pooling",
            "net = nn.Sequential()",
            'net.add_module("b1", nn.Sequential(',
            f"    nn.Conv2d({ins}, {c0}, kernel_size=3, padding=1),",
            f"    {bn_line}nn.ReLU()))",
        ]
    first = (
        "Residual(in_channels, num_channels, use_1x1conv=True, strides=2)"
        if skip
        else "Residual(in_channels, num_channels, strides=2)"
    )
    rest = (
        "Residual(in_channels, num_channels, use_1x1conv=in_channels != num_channels)"
        if skip
        else "Residual(in_channels, num_channels)"
    )
    lines += [
        f"arch = {spec.arch!r}",
        f"in_channels = {c0}",
        "for i, (num_residuals, num_channels) in enumerate(arch):",
        "    blk = []",
        "    for j in range(num_residuals):",
        "        if j == 0 and i != 0:  # halve height and width at the start of a stage",
        f"            blk.append({first})",
        "        else:",
        f"            blk.append({rest})",
        "        in_channels = num_channels",
        '    net.add_module(f"b{i + 2}", nn.Sequential(*blk))',
        'net.add_module("last", nn.Sequential(',
        "    nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),",
        f"    nn.Linear(in_channels, {spec.num_classes})))",
        "",
    ]
    return "\n".join(lines)


def to_code(spec: ModelSpec) -> str:
    """Readable PyTorch source that rebuilds the network ``spec`` describes, as ``net``.

    Raises:
        SpecError: for a spec that cannot be built.
    """
    validate(spec)
    body = {LeNetSpec: _lenet, VGGSpec: _vgg, ResNetSpec: _resnet}[type(spec)](spec)
    shape = f"1, {spec.in_channels}, {spec.input_size}, {spec.input_size}"
    footer = FOOTER.format(shape=shape, out=f"[1, {spec.num_classes}]")
    return HEADER + body.rstrip("\n") + "\n" + footer
