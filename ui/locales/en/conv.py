"""The cross-correlation and padding pages' shared parts (ui/conv.py): the step-through, the
book's 7.3 examples and the per-axis sliders."""

from cnnviz.plots.conv import STEP_TITLES

TEXT = {
    "row": "Output row i",
    "col": "Output column j",
    "play": "Play (step through every output cell)",
    "click": "Click a cell of the output to explain it, or type its row and column.",
    "window": "Input X with the window that makes Y[{i}, {j}]",
    "output": "Output Y — the outlined cell is explained below",
    "sum": "Sum of the products",
    "sum_help": "The products as printed, added up: every product has as many decimals.",
    "rounded": "The products are rounded to {d} decimals: as printed they add up to {added}; the "
    "exact sum, Y[{i}, {j}], rounds to {cell}.",
    "moves": {"left": "← Left", "up": "↑ Up", "down": "↓ Down", "right": "→ Right"},
    "moves_help": "Moves the explained output cell; on these buttons the arrow keys move it too.",
    "cell": "Output Y[{i}, {j}]",
    "expr": "**Y[{i}, {j}]** = {expr}",
    "step_titles": list(STEP_TITLES),
    "examples": {
        "— your own setting —": "— your own setting —",
        "kernel 3, padding 1 → 8×8": "kernel 3, padding 1 → 8×8",
        "kernel (5, 3), padding (2, 1) → 8×8": "kernel (5, 3), padding (2, 1) → 8×8",
        "kernel 3, padding 1, stride 2 → 4×4": "kernel 3, padding 1, stride 2 → 4×4",
        "kernel (3, 5), padding (0, 1), stride (3, 4) → 2×2": "kernel (3, 5), padding (0, 1), "
        "stride (3, 4) → 2×2",
    },
    "sliders": {
        "kernel": "Kernel",
        "padding": "Padding",
        "stride": "Stride",
        "dilation": "Dilation",
    },
    "height": "height",
    "width": "width",
}
