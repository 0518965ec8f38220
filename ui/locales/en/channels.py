"""Multiple input and output channels (d2l 7.4)."""

TEXT = {
    "title": "Multiple input and output channels",
    "intro": "A colour image has three channels. A conv layer gives each input channel its own "
    "kernel slice and **adds** the results into one output map; several such kernels "
    "give several output maps (channels). A 1×1 kernel mixes channels at each pixel and "
    "nothing else: it is a fully connected layer applied at every pixel.",
    "multi_in": "1. Multiple input channels: a kernel per channel, then the sum",
    "image_alt": "The input image {name}, {shape} (channels, height, width)",
    "multi_in_help": "Uploads are downscaled to {max_side} pixels on this page. Kernels of "
    "different sizes are zero-padded at the bottom and right to the largest one, "
    "so the per-channel maps line up (cnnviz's extension; the book uses equal "
    "sizes).",
    "loop_skipped": "The teaching loop (d2l's Python loop) is run only up to {limit} window "
    "operations per change, to stay quick; torch's result is checked at every "
    "size.",
    "seed": "The seed's example (d2l 7.4), computed now",
    "multi_out": "2. Multiple output channels: a bank of kernels",
    "one": "3. A 1×1 convolution is a matrix product",
    "one_help": "Reshape X to (c_i, h·w) and K to (c_o, c_i): Y = K·X, reshaped to (c_o, h, w), "
    "is exactly the 1×1 convolution (d2l's corr2d_multi_in_out_1x1), with random "
    "kernel weights.",
    "lesson": "7.4",
    "kernel_for": "Kernel for {channel}",
    "channels": {
        "red": "red",
        "green": "green",
        "blue": "blue",
    },
    "channel_title": "{channel} channel",
    "sum": "sum",
    "out_shape": "Output shape",
    "loop_help": "The teaching loop corr2d_multi_in.",
    "bank": "Bank",
    "banks": {
        "seed": "Seed: K, K + 1, K + 2 on the seed's X",
        "presets": "Kernel presets on your image",
    },
    "bank_kernels": "Kernels (one output channel each)",
    "bank_caption": "Weight shape (c_o, c_i, k_h, k_w) = ({c_o}, {c_i}, …): each slice is the "
    "preset divided by c_i, so every map sees the channel average.",
    "stack_shape": "Output stack shape (c_o, h, w)",
    "bank_none": "Pick at least one kernel.",
    "c_o": "Output channels c_o",
    "loop_help_1x1": "The teaching loop corr2d_multi_in_out.",
    "row_out": "out",
    "col_in": "in",
}
