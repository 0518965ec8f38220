"""The shared image picker (ui/images.py) on every lesson page."""

TEXT = {
    "source": "Input image",
    "sources": {
        "stripes": "Stripes 6×8 (d2l 7.2)",
        "matrix": "Matrix 0..8 (d2l 7.2)",
        "fashion": "Fashion-MNIST sample",
        "draw": "Draw",
        "upload": "Upload",
    },
    "draw_size": "Drawing resolution (pixels)",
    "brush": "Brush width",
    "draw_hint": "Draw on the black square with the mouse; the lesson uses your strokes.",
    "upload": "PNG or JPEG",
    "upload_hint": "Upload a PNG or JPEG; until then the stripes image is used.",
    "class": "Class",
    "sample": "Sample",
    "note": "{name}: {note}.",
    "names": {
        "stripes": "stripes",
        "matrix 0..8": "matrix 0..8",
        "stripes (until you draw)": "stripes (until you draw)",
        "drawing": "drawing",
        "stripes (no upload yet)": "stripes (no upload yet)",
    },
}
