"""Cross-correlation (d2l 7.2)."""

from cnnviz.plots.conv import SEED_TITLES

TEXT = {
    "title": "Cross-correlation",
    "lesson": "7.2 Convolutions for Images",
    "intro": "A convolutional layer really computes a **cross-correlation**: the kernel `K` "
    "slides over the input `X`, and each output `Y[i, j]` is the sum of `X`'s window "
    "times `K`, element by element. Pick an image and a kernel; the output follows at "
    "once.",
    "transpose": "Transpose the input (X.t())",
    "transpose_help": "The book's check: on the transposed stripes, [1, −1] gives all zeros.",
    "input_size": "Input X",
    "kernel_size": "Kernel K",
    "output_size": "Output Y",
    "mean_abs": "Mean |Y|",
    "shape_note": "Output size = (n_h − k_h + 1) × (n_w − k_w + 1): {n_h} − {k_h} + 1 = {o_h}, "
    "{n_w} − {k_w} + 1 = {o_w}.",
    "fast_note": "This output has {cells:,} cells: it is computed with `F.conv2d` (same numbers) "
    "instead of the book's Python loop, which would take too long for a live page.",
    "step": "Step through one output cell",
    "demo": "The book's demonstration: edges in the 6×8 stripes",
    "demo_text": "`K = [1, −1]` gives 1 where the image goes from white to black, −1 from black "
    "to white, 0 elsewhere: a vertical-edge detector. On `X.t()` the stripes lie "
    "horizontally and the same kernel sees no change along any row: every output is "
    "0. (Try it above: choose the stripes and switch *Transpose the input*.)",
    "bad_kernel": "This kernel does not fit the image: {why}",
    "seed_titles": list(SEED_TITLES),
}
