"""The kernel editor (ui/kernels.py) and the kernel presets' names (cnnviz.kernels)."""

TEXT = {
    "preset": "Kernel",
    "preset_help": "The book's [1, −1] edge detector, classic image filters, or your own.",
    "rows": "Kernel rows",
    "cols": "Kernel columns",
    "grid_help": "Click a cell to type a number; the output updates when you leave the cell.",
    "empty_cell": "Empty kernel cells count as 0.",
    # option values are the presets' English names (the address holds ui.kernels.PRESET_KEYS)
    "presets": {
        "Edge [1, -1] (d2l)": "Edge [1, -1] (d2l)",
        "Edge [1, -1]ᵀ": "Edge [1, -1]ᵀ",
        "Sobel x": "Sobel x",
        "Sobel y": "Sobel y",
        "Laplacian": "Laplacian",
        "Blur (box 3×3)": "Blur (box 3×3)",
        "Sharpen": "Sharpen",
        "Identity": "Identity",
        "Custom…": "Custom…",
    },
}
