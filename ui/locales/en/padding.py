"""Padding and stride (d2l 7.3)."""

TEXT = {
    "title": "Padding and stride",
    "lesson": "7.3 Padding and Stride",
    "intro": "Each output cell needs a whole window of the input, so a convolution shrinks its "
    "input. **Padding** adds rows and columns of zeros around it; a **stride** skips "
    "positions; **dilation** (beyond the book, as in `nn.Conv2d`) spreads the kernel "
    "out. For each axis the output length is the formula below.",
    "example": "Load one of the book's examples",
    "example_help": "The four `nn.LazyConv2d` examples of d2l 7.3 on an 8×8 input.",
    "use_image": "Use an image instead of a blank grid",
    "in_h": "Input height",
    "in_w": "Input width",
    "formula": "The formula, with your numbers",
    "formula_note": "out = ⌊(n + 2p − d·(k − 1) − 1) / s⌋ + 1 per axis. With dilation d = 1 this "
    "is the book's ⌊(n − k + 2p + s) / s⌋; the book writes p_h for the *total* "
    "padding (here 2p).",
    "ours": "Formula gives",
    "torch": "torch: nn.Conv2d(X).shape[2:]",
    "agree": "The formula and torch agree.",
    "invalid": "This setting does not work: {why}",
    "torch_says": "torch refuses it too: “{msg}”",
    "drawing": "The padded input (orange = padding zeros) and the kernel's footprint",
    "position": "Window position (output cell, in the book's loop order)",
    "output": "Output {h}×{w}: the outlined cell is the window's",
    "kernel_note": "The kernel here is a box average of its size: this page is about shapes.",
    "invalid_metric": "invalid",
    "error_metric": "error",
}
