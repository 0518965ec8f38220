"""The built-in families, one module each; importing a module registers its family.

The order here (the book's) is the order of the builder's family picker and of ``PRESETS``.
To add a family, write one module like these and import it below (see the README's
Architecture).
"""

from cnnviz.models.families import (  # noqa: F401, I001 (the book's order)
    lenet,  # 7.6
    alexnet,  # 8.1
    vgg,  # 8.2
    nin,  # 8.3
    googlenet,  # 8.4
    lenet_bn,  # 8.5
    resnet,  # 8.6 (and ResNeXt)
    densenet,  # 8.7
)
