"""Export a spec as readable PyTorch source in d2l's style (chapters 7 and 8).

Each family writes its network's part (cnnviz/models/families/); this module adds the shared
header (imports, ``init_cnn``) and footer (initialise, check the output shape).

The code builds the same network as :func:`cnnviz.models.build_model`: the same layers, the
same ``state_dict`` keys (so a checkpoint from a cnnviz run loads into it) and d2l's
``init_cnn``. Layers are written with explicit input sizes instead of d2l's ``Lazy*`` layers,
so the parameters exist at once and the flattened size (e.g. ``16 * 5 * 5``) is visible.
"""

from __future__ import annotations

from cnnviz.models.base import ACTIVATION_CODE  # noqa: F401 (re-exported)
from cnnviz.models.registry import family_of
from cnnviz.models.specs import ModelSpec
from cnnviz.models.validate import validate

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


def to_code(spec: ModelSpec) -> str:
    """Readable PyTorch source that rebuilds the network ``spec`` describes, as ``net``.

    Raises:
        SpecError: for a spec that cannot be built.
    """
    validate(spec)
    body = family_of(spec).code(spec)
    shape = f"1, {spec.in_channels}, {spec.input_size}, {spec.input_size}"
    footer = FOOTER.format(shape=shape, out=f"[1, {spec.num_classes}]")
    return HEADER + body.rstrip("\n") + "\n" + footer
