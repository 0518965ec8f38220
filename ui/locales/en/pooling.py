"""Pooling (d2l 7.5)."""

from cnnviz.lessons import MAXPOOL_PARAMS

TEXT = {
    "title": "Pooling",
    "intro": "A pooling window slides like a kernel but has no weights: it takes the maximum or "
    "the mean of what it covers. It shrinks the maps and makes the layer care less about "
    "exactly where a feature is. Pooling acts on each channel separately (the last two "
    "dimensions only).",
    "seed": "1. The seed's outputs, computed now",
    "table": "nn.MaxPool2d's parameters (the seed's takeaway)",
    "try": "2. Every parameter, and which pixel won",
    "no_indices": "Turn on return_indices to see which input pixel won each window.",
    "shift": "3. Pooling tolerates small shifts; convolution does not",
    "mean_help": "mean |change| over the map, divided by the largest |value| of the original",
    "shift_help": "The image moves right by a few pixels (the border column repeats). The conv "
    "output moves with it, so most of its cells change. After max pooling (stride "
    "1, as in d2l's pool2d) a window's maximum often just moves inside the window, "
    "and the cell keeps its value.",
    "lesson": "7.5",
    "columns": {
        "parameter": "parameter",
        "default": "default",
        "meaning": "meaning",
    },
    "param_defaults": {
        "required": "required",
    },
    "param_meanings": {name: meaning for name, _, meaning in MAXPOOL_PARAMS},
    "seed_names": {
        "max 2×2 on 0..8": "max 2×2 on 0..8",
        "avg 2×2 on 0..8": "avg 2×2 on 0..8",
    },
    "input": "Input",
    "inputs": {
        "arange": "arange(16) 4×4 (d2l 7.5)",
        "picker": "Image picker",
    },
    "mode": "Mode",
    "kernel_size": "kernel_size",
    "stride_default": "stride = kernel_size (torch's default)",
    "stride": "stride",
    "padding": "padding",
    "dilation": "dilation",
    "ceil_mode": "ceil_mode",
    "return_indices": "return_indices",
    "out_shape": "Output shape",
    "out_sum": "Output sum",
    "loop_help": "d2l's pool2d loop (cnnviz.ops) vs torch",
    "winners": "input: winners outlined",
    "input_title": "input",
    "output_title": "{mode} pool output",
    "indices": "indices (flat positions in the {w}-wide input)",
    "too_small_input": "stripes 6×8 (the 4×4 input is too small here)",
    "kernel": "Kernel",
    "shift_by": "Shift right by (pixels)",
    "window": "Max-pool window",
    "too_small": "This input is too small for that kernel and window.",
    "input_caption": "Input: {label}",
    "conv_changed": "conv: cells changed",
    "pooled_changed": "pooled: cells changed",
    "pooled_help": "max-pooled conv output",
    "conv_change": "conv: mean change",
    "pooled_change": "pooled: mean change",
    "t_shifted": "conv(X shifted {dx})",
    "t_pool_shifted": "maxpool(conv(X shifted {dx}))",
}
