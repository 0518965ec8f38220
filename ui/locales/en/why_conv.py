"""Why convolutions (d2l 7.1)."""

TEXT = {
    "title": "Why convolutions",
    "intro": "A hidden layer for images could connect every pixel to every hidden unit. d2l 7.1 "
    "shows why nobody does: the parameter count explodes, and the layer would have to "
    "learn the same detector again at every position. A convolution shares one small "
    "kernel across the image instead.",
    "params": "1. Parameters: fully connected against convolution",
    "params_help": "A layer mapping a c_in-channel h×w image to a c_out-channel h×w hidden image. "
    "Fully connected: every output unit has a weight for every input value. "
    "Convolution: one k×k kernel per (input, output) channel pair, shared "
    "everywhere.",
    "shift": "2. Translation: the conv output moves with the input",
    "shift_help": "Shift the image: the conv output is the old output, shifted by the same amount "
    "(the image wraps around the border, so the check is exact; cnnviz's "
    "extension). A fully connected layer with random weights has no such structure: "
    "its output for the shifted image is unrelated to its old output.",
    "sizes": "3. One conv net, inputs of any size",
    "sizes_help": "This small net ends in global average pooling (nn.AdaptiveAvgPool2d(1)): "
    "whatever the height and width, each of the 16 channels is averaged to one "
    "number, so the final linear layer always gets 16 inputs. A head that flattens "
    "the feature maps instead is tied to the size it was built for.",
    "notes": "**Can a CNN take images of different sizes?** (the seed's question on 7.1)\n- "
    "*Dynamic padding*: pad every image of a batch to the same size before the network.\n"
    "- *Global average pooling*: after the last conv layer, average each channel over "
    "the whole map, giving a fixed-length vector for any input size (shown above).\n- "
    "*Fully convolutional networks (FCN)*: only conv layers, no dense layer; the output "
    "grows with the input, as in image segmentation.",
    "lesson": "7.1",
    "height": "Image height",
    "width": "Image width",
    "c_in": "Input channels",
    "c_out": "Hidden channels",
    "kernel_size": "Kernel size k",
    "m_fc": "Fully connected parameters",
    "m_conv": "Conv parameters",
    "m_ratio": "Ratio",
    "fc_formula": "Fully connected (weights + biases): `{formula}`",
    "conv_formula": "Convolution (weights + biases): `{formula}`",
    "bar_fc": "fully connected",
    "bar_conv": "conv",
    "bar_axis": "parameters (log scale)",
    "kernel": "Kernel",
    "dy": "Shift down (rows)",
    "dx": "Shift right (columns)",
    "conv_check": "conv: equivariance error",
    "dense_check": "dense: equivariance error",
    "input_caption": "Input {shape} ({name}); the dense layer holds {weights:,} weights. Its "
    "outputs reach {scale:.3g}.",
    "t_shifted": "X shifted by ({dy}, {dx})",
    "t_conv_shifted": "conv(shifted X)",
    "t_dense_shifted": "dense(shifted X)",
    "sizes_pick": "Input sizes (square)",
    "sizes_none": "Pick at least one input size.",
    "size_column": "{s}×{s} input",
    "flatten_error": "A Flatten → Linear head built for {n}×{n} inputs, fed a larger image, fails "
    "in torch with: `{error}`",
}
