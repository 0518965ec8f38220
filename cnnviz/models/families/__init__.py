"""The built-in families, one module each; importing a module registers its family.

The order here is the order of the builder's family picker and of ``PRESETS``. To add a
family, write one module like these and import it below (see the README's Architecture).
"""

from cnnviz.models.families import lenet, vgg, resnet  # noqa: F401, I001 (the picker's order)
