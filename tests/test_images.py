"""Uploads and drawings: what a page gets from any file, and how little memory that takes.

Every image is made here with Pillow. Memory is checked deterministically with tracemalloc
(numpy's buffers are traced): the decode never makes a full-size float array, only strips and
the final, downscaled picture. ``benchmarks/image_memory_bench.py`` measures the whole process.
"""

from __future__ import annotations

import io
import struct
import tracemalloc
import zlib

import numpy as np
import pytest
import torch
from PIL import Image, ImageOps

from cnnviz import images
from cnnviz.images import ImageError, canvas_image, from_canvas, load_upload

pytestmark = pytest.mark.unit


def encode(img: Image.Image, fmt: str = "PNG", **kwargs) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


def png_header_only(width: int, height: int, bit_depth: int = 8, color_type: int = 6) -> bytes:
    """A PNG whose IHDR claims ``width``×``height`` and whose pixels are missing: anything
    refused from the header alone is refused before a byte is decoded."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    idat = zlib.compress(b"\0" * 16)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def halves(w: int = 60, h: int = 40) -> Image.Image:
    """Left half black, right half white, a grey dot in the top-left corner: any turn shows."""
    img = Image.new("L", (w, h), 0)
    img.paste(255, (w // 2, 0, w, h))
    img.paste(128, (0, 0, 4, 4))
    return img


# -- what the pages already relied on ----------------------------------------------------------


def test_grey_and_colour_in_zero_one():
    rgb = Image.new("RGB", (8, 6), (255, 0, 0))
    grey = load_upload(encode(rgb), "red.png")
    assert grey.X.shape == (1, 6, 8) and grey.X.dtype == torch.float32 and not grey.notes
    assert torch.allclose(grey.X, torch.full((1, 6, 8), 76 / 255))  # ITU-R 601 luma of red
    colour = load_upload(encode(rgb), "red.png", color=True)
    assert colour.X.shape == (3, 6, 8)
    assert torch.equal(colour.X[:, 0, 0], torch.tensor([1.0, 0.0, 0.0]))


def test_sixteen_bit_keeps_its_precision():
    arr = np.array([[0, 32768, 65535, 1]], dtype=np.uint16)
    got = load_upload(encode(Image.fromarray(arr)), "deep.png")
    assert "16-bit image: scaled to 0..1" in got.notes
    expected = torch.tensor(arr.astype(np.float32) / 65535).unsqueeze(0)
    assert torch.allclose(got.X, expected, atol=1e-6)
    assert got.X[0, 0, 3] > 0  # 1/65535 is not rounded away to 8 bits
    colour = load_upload(encode(Image.fromarray(arr)), "deep.png", color=True)
    assert colour.X.shape == (3, 1, 4) and torch.equal(colour.X[0], colour.X[2])


def test_alpha_goes_on_white():
    img = Image.new("RGBA", (4, 2), (0, 0, 0, 0))
    img.putpixel((1, 0), (0, 0, 0, 255))
    img.putpixel((2, 0), (0, 0, 0, 128))
    got = load_upload(encode(img), "alpha.png")
    assert "transparent areas were put on a white background" in got.notes
    assert got.X[0, 0, 0] == 1 and got.X[0, 0, 1] == 0
    assert abs(float(got.X[0, 0, 2]) - 127 / 255) < 2 / 255
    pal = Image.new("P", (2, 1), 0)
    pal.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    pal.putpixel((1, 0), 1)
    got = load_upload(encode(pal, transparency=1), "palette.png")
    assert got.notes and torch.equal(got.X[0, 0], torch.tensor([0.0, 1.0]))


def test_animated_png_gives_its_first_frame():
    frames = [Image.new("RGB", (4, 4), c) for c in ("red", "blue", "green")]
    data = encode(frames[0], save_all=True, append_images=frames[1:])
    got = load_upload(data, "anim.png", color=True)
    assert "animated image with 3 frames: the first is used" in got.notes
    assert torch.equal(got.X[:, 0, 0], torch.tensor([1.0, 0.0, 0.0]))


def test_downscaled_by_area_with_a_note():
    img = Image.new("L", (1000, 500), 0)
    img.paste(255, (0, 0, 500, 500))
    got = load_upload(encode(img), "wide.png", max_side=100)
    assert got.X.shape == (1, 50, 100)
    assert "downscaled from 1000×500 to fit 100×100" in got.notes
    assert torch.all(got.X[0, :, :49] == 1) and torch.all(got.X[0, :, 51:] == 0)
    # the same numbers as area interpolation in float (up to 8-bit rounding)
    ref = images.fit_side(torch.from_numpy(np.asarray(img, np.float32) / 255)[None], 100)
    assert torch.allclose(got.X, ref, atol=1 / 255 + 1e-6)
    odd = load_upload(
        encode(Image.new("RGB", (1023, 517), (10, 200, 30))), max_side=128, color=True
    )
    assert odd.X.shape == (3, 65, 128)
    assert torch.allclose(odd.X[:, 30, 60], torch.tensor([10, 200, 30]) / 255, atol=1e-6)


# -- refused, each with a reason ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "is empty"),
        (b"hello, not an image", "not an image cnnviz can read"),
        (encode(Image.new("RGB", (4, 4)), "GIF"), "is a GIF file"),
        (encode(Image.new("RGB", (4, 4)), "BMP"), "is a BMP file"),
        (encode(Image.new("RGB", (64, 64)))[:60], "damaged"),
        (encode(Image.new("RGB", (64, 64)), "JPEG")[:200], "damaged"),
        (png_header_only(64_000_000, 1, color_type=0), "64,000,000 times longer"),
        (png_header_only(1, 51), "51 times longer"),
        (png_header_only(9000, 9000), "over 64 megapixels"),
        (png_header_only(0, 10), "not an image"),
        (png_header_only(4000, 4000), "damaged"),  # the header fits, the pixels are missing
    ],
)
def test_bad_uploads_are_refused_with_a_reason(data, reason):
    with pytest.raises(ImageError, match=reason):
        load_upload(data, "file.png")


def test_absurd_aspect_ratios_are_refused_before_decoding():
    tracemalloc.start()
    with pytest.raises(ImageError, match="images up to 50:1 are accepted"):
        load_upload(png_header_only(64_000_000, 1, color_type=0), "line.png")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 2**20
    assert load_upload(encode(Image.new("L", (500, 10))), "ok.png").X.shape == (1, 10, 500)
    with pytest.raises(ImageError, match="51 times longer"):
        load_upload(encode(Image.new("L", (510, 10))), "thin.png")


def test_too_many_bytes_and_a_hostile_name():
    name = "x\n<img src=x onerror=alert(1)>" + "y" * 5000
    with pytest.raises(ImageError) as info:
        load_upload(b"\0" * (images.MAX_UPLOAD_BYTES + 1), name)
    text = str(info.value)
    assert "uploads are limited to 25 MB" in text and "\n" not in text and len(text) < 300


def test_a_progressive_jpeg_too_large_to_decode_is_refused_from_its_header():
    data = bytearray(encode(Image.new("RGB", (64, 64)), "JPEG", progressive=True, subsampling=0))
    sof = data.find(b"\xff\xc2")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 8000, 8000)  # height, width
    with pytest.raises(ImageError, match="progressive JPEG of 8000×8000 pixels.*367 MB"):
        load_upload(bytes(data), "huge.jpg")
    baseline = bytearray(encode(Image.new("RGB", (64, 64)), "JPEG"))
    sof = baseline.find(b"\xff\xc0")
    baseline[sof + 5 : sof + 9] = struct.pack(">HH", 8000, 8000)
    tracemalloc.start()
    got = load_upload(bytes(baseline), "huge.jpg")  # libjpeg fills in what is missing
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert got.X.shape == (1, 512, 512) and peak < 8 * 2**20  # decoded at 1/8 scale


# -- memory: never a full-size float array ------------------------------------------------------


@pytest.mark.parametrize(
    ("img", "color"),
    [
        (Image.new("RGBA", (3000, 2400), (200, 30, 30, 128)), True),
        (Image.new("RGB", (3000, 2400), (200, 30, 30)), True),
        (Image.new("RGB", (3000, 2400), (200, 30, 30)), False),
        (Image.new("I;16", (3000, 2400), 40_000), False),
        (Image.new("LA", (3000, 2400), (90, 128)), True),
    ],
    ids=["RGBA", "RGB", "RGB as grey", "16-bit", "grey+alpha"],
)
def test_decoding_never_makes_a_full_size_float_array(img, color):
    data = encode(img)
    channels = 3 if color else 1
    full_float = 3000 * 2400 * 4 * channels  # what the old path allocated, at the least
    tracemalloc.start()
    got = load_upload(data, "big.png", max_side=512, color=color)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert got.X.shape == (channels, 410, 512)
    out = 410 * 512 * 4 * channels  # the final float picture, and its copy into a tensor
    assert peak < 2 * images.STRIP_BYTES + 2 * out, peak  # strips, never the whole picture
    assert peak < full_float / 2, peak


def test_tiles_downscale_in_uint8_first(monkeypatch):
    """Pillow reduces every tile by a whole factor before the one float conversion; a tile
    stays small even for a 50:1 picture (whose factor makes a band of rows wide)."""
    reduced = []
    real = Image.Image.reduce

    def spy(self, factor, box=None):
        reduced.append((self.mode, self.size, factor))
        return real(self, factor, box)

    monkeypatch.setattr(Image.Image, "reduce", spy)
    load_upload(encode(Image.new("RGB", (4000, 3000), "red")), "big.png", max_side=500)
    assert reduced and all(mode == "L" and factor == 8 for mode, _, factor in reduced)
    assert all(w * h <= images.STRIP_BYTES for _, (w, h), _ in reduced)
    assert sum(w * h for _, (w, h), _ in reduced) == 4000 * 3000  # each pixel once
    reduced.clear()
    load_upload(encode(Image.new("RGBA", (50_000, 1000))), "long.png", color=True, max_side=128)
    assert reduced and all(w * h * 12 <= 2 * images.STRIP_BYTES for _, (w, h), _ in reduced)
    assert sum(w * h for _, (w, h), _ in reduced) == 50_000 * 1000


# -- phone photos: EXIF orientation and MPO ------------------------------------------------------


def exif(orientation: int) -> Image.Exif:
    e = Image.Exif()
    e[0x0112] = orientation
    return e


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_as_exif_transpose(orientation):
    data = encode(halves(), "JPEG", quality=95, exif=exif(orientation))
    got = load_upload(data, "phone.jpg")
    upright = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("L")
    want = torch.from_numpy(np.asarray(upright, np.float32) / 255)[None]
    assert got.X.shape == want.shape
    assert torch.allclose(got.X, want, atol=1e-6)
    assert (orientation != 1) == any("EXIF orientation" in n for n in got.notes)


def test_a_portrait_photo_downscaled_stands_upright():
    data = encode(halves(1200, 800), "JPEG", quality=95, exif=exif(6))  # stored sideways
    got = load_upload(data, "portrait.jpg", max_side=300)
    assert got.X.shape == (1, 300, 200)  # tall, as the phone showed it
    assert "downscaled from 800×1200 to fit 300×300" in got.notes
    upright = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("L")
    ref = images.fit_side(torch.from_numpy(np.asarray(upright, np.float32) / 255)[None], 300)
    assert (got.X - ref).abs().mean() < 0.02  # the JPEG was decoded at a reduced scale
    png = encode(halves(), exif=exif(8))  # PNGs carry EXIF too
    assert load_upload(png, "turned.png").X.shape == (1, 60, 40)


def test_mpo_from_a_phone_gives_its_first_picture_upright():
    first, second = Image.new("RGB", (60, 40), "red"), Image.new("RGB", (60, 40), "blue")
    data = encode(first, "MPO", save_all=True, append_images=[second], exif=exif(6))
    assert Image.open(io.BytesIO(data)).format == "MPO"
    got = load_upload(data, "IMG_0001.jpg", color=True)
    assert got.X.shape == (3, 60, 40)
    assert torch.allclose(got.X[:, 30, 20], torch.tensor([1.0, 0.0, 0.0]), atol=0.02)
    assert any("MPO" in n and "first" in n for n in got.notes)
    big = encode(Image.new("RGB", (2400, 1600), "red"), "MPO", save_all=True,
                 append_images=[second])  # fmt: skip
    assert load_upload(big, "big.jpg", max_side=256).X.shape == (1, 171, 256)


def test_damaged_exif_is_ignored_with_a_note_or_silently():
    data = encode(halves(), "JPEG")
    seg = b"Exif\0\0MM\0*\0\0\0\x08" + b"\xff" * 40
    bad = data[:2] + b"\xff\xe1" + struct.pack(">H", len(seg) + 2) + seg + data[2:]
    got = load_upload(bad, "odd.jpg")
    assert got.X.shape == (1, 40, 60)


# -- the drawing canvas ----------------------------------------------------------------------------


def test_canvas_drawing_becomes_ink():
    rgba = np.zeros((280, 280, 4), np.uint8)
    rgba[:140, :, :] = 255  # white ink, opaque, over the top half
    X = from_canvas(rgba, 28)
    assert X.shape == (1, 28, 28)
    assert torch.all(X[0, :14] == 1) and torch.all(X[0, 14:] == 0)
    assert torch.equal(canvas_image(encode(Image.fromarray(rgba, "RGBA")), 28), X)
    assert from_canvas(np.zeros((280, 280, 4), np.uint8), 28) is None  # nothing drawn


@pytest.mark.parametrize(
    "rgba",
    [
        None,
        np.zeros((280, 280), np.uint8),
        np.full((280, 280, 3), 255, np.uint8),
        np.full((images.MAX_CANVAS_SIDE + 1, 4, 4), 255, np.uint8),
        np.full((0, 280, 4), 255, np.uint8),
        np.full((4, 4, 4), "x", dtype=object),
        [[[255, 255, 255, 255]]],
    ],
    ids=["none", "2-D", "no alpha", "too tall", "empty", "objects", "a list"],
)
def test_canvas_arrays_of_the_wrong_kind_are_no_drawing(rgba):
    assert from_canvas(rgba, 28) is None


def test_a_forged_canvas_picture_is_not_decoded():
    tracemalloc.start()
    assert canvas_image(png_header_only(50_000, 50_000), 28) is None
    assert canvas_image(b"not a png", 28) is None
    assert canvas_image(encode(Image.new("RGBA", (8, 8)), "GIF"), 28) is None
    assert tracemalloc.get_traced_memory()[1] < 2**20
    tracemalloc.stop()
    assert from_canvas(np.full((8, 8, 4), 255, np.uint8), 10**9) is None  # no giant output
