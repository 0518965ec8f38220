"""Image sources shared by every page: uploads, drawings, dataset samples, the seed's examples.

Everything comes out as a float32 tensor in [0, 1], shaped (C, H, W). Uploads are validated:
whatever a user drops on the page gives either a tensor (with notes on what was changed) or
an :class:`ImageError` whose message can be shown as it is.
"""

from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from cnnviz.errors import KeyedError, KeyedText, plain_name

MAX_UPLOAD_BYTES = 25 * 1024 * 1024
# Decoding is bounded before any pixel is decoded (the header gives the size): a 250 KB PNG
# can hold 8000×8000 pixels. Refused: more than MAX_DECODE_PIXELS (PNG), a longer side more
# than MAX_ASPECT times the shorter, or more than MAX_DECODE_BYTES for what Pillow holds at full
# size (4 bytes a pixel for RGB(A), 2 for 16-bit grey, 1 for grey or a palette; libjpeg's
# coefficients for a progressive JPEG: 2 bytes a sample). Everything after the decode works on
# tiles of about STRIP_BYTES and downscales in uint8, so no full-size copy is ever made.
MAX_DECODE_PIXELS = 64_000_000
MAX_ASPECT = 50
MAX_DECODE_BYTES = 256 * 2**20
STRIP_BYTES = 4 * 2**20
MAX_CANVAS_SIDE = 1024  # the drawing canvas is 280×280 CSS pixels (×3 on a dense screen)
DEFAULT_MAX_SIDE = 512
FORMATS = ("PNG", "JPEG", "MPO")  # MPO: a JPEG with a multi-picture block, as phones write
SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I;16N", "I")
# EXIF orientation → the transpose that makes the picture upright (as ImageOps.exif_transpose)
ORIENTATION = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE",
               6: "ROTATE_270", 7: "TRANSVERSE", 8: "ROTATE_90"}  # fmt: skip


log = logging.getLogger("cnnviz")


class ImageError(KeyedError, ValueError):
    """An upload cannot be used; the message says why, in words for the user."""


@dataclass(frozen=True)
class LoadedImage:
    """A validated image: ``X`` is (C, H, W) float32 in [0, 1]; ``notes`` say what changed."""

    X: torch.Tensor
    name: str
    notes: tuple[str, ...] = ()


def seed_stripes() -> torch.Tensor:
    """d2l 7.2's 6×8 image: ones with a black band in columns 2..5."""
    X = torch.ones((6, 8))
    X[:, 2:6] = 0
    return X


def seed_matrix() -> torch.Tensor:
    """d2l 7.2/7.5's 3×3 input, the numbers 0..8."""
    return torch.arange(9, dtype=torch.float32).reshape(3, 3)


def fit_side(X: torch.Tensor, max_side: int) -> torch.Tensor:
    """Downscale (C, H, W) with area averaging so the longer side is at most ``max_side``."""
    h, w = X.shape[-2:]
    if max(h, w) <= max_side:
        return X
    scale = max_side / max(h, w)
    size = (max(1, round(h * scale)), max(1, round(w * scale)))
    return F.interpolate(X.unsqueeze(0), size=size, mode="area").squeeze(0)


def _label(name: str) -> str:
    """A file name for messages: one line, cut, no control or bidi characters."""
    return plain_name(name)


def fit_size(w: int, h: int, max_side: int) -> tuple[int, int]:
    """(width, height) scaled so the longer side is at most ``max_side`` (as :func:`fit_side`)."""
    if max(w, h) <= max_side:
        return w, h
    scale = max_side / max(w, h)
    return max(1, round(w * scale)), max(1, round(h * scale))


def _pixel_bytes(mode: str) -> int:
    """Bytes a pixel takes in Pillow's memory (RGB is stored as 4 bytes, like RGBA)."""
    if mode in ("1", "L", "P"):
        return 1
    return 2 if mode.startswith("I;16") else 4


def _decode_bytes(img, full: tuple[int, int]) -> int:
    """What decoding ``img`` holds at once: its pixels at the (draft) size, plus, for a
    progressive JPEG, libjpeg's buffer of every DCT coefficient at the ``full`` size."""
    w, h = img.size
    total = w * h * _pixel_bytes(img.mode)
    progressive = img.info.get("progressive") or img.info.get("progression")
    if img.format in ("JPEG", "MPO") and progressive:
        layers = getattr(img, "layer", None) or [("", 1, 1, 0)] * 3
        hmax = max(int(layer[1]) for layer in layers) or 1
        vmax = max(int(layer[2]) for layer in layers) or 1
        for layer in layers:
            bw = -(-full[0] * int(layer[1]) // (hmax * 8))
            bh = -(-full[1] * int(layer[2]) // (vmax * 8))
            total += bw * bh * 128  # 64 coefficients of 2 bytes per 8×8 block
    return total


def _check_shape(fmt: str, w: int, h: int, label: str) -> None:
    """Refuse an empty, absurdly long or (PNG) too large picture, from its header alone."""
    if w < 1 or h < 1:
        raise ImageError(f"“{label}” has no pixels ({w}×{h}).", "image.no_pixels", name=label,
                         w=w, h=h)  # fmt: skip
    if max(w, h) > MAX_ASPECT * min(w, h):
        ratio = f"{max(w, h) / min(w, h):,.0f}"
        raise ImageError(
            f"“{label}” is {w}×{h} pixels, {ratio} times longer one way "
            f"than the other; images up to {MAX_ASPECT}:1 are accepted. Please crop it.",
            "image.aspect", name=label, w=w, h=h, ratio=ratio, most=MAX_ASPECT,
        )  # fmt: skip
    if fmt == "PNG" and w * h > MAX_DECODE_PIXELS:
        raise ImageError(
            f"“{label}” is {w}×{h} pixels; PNGs over {MAX_DECODE_PIXELS // 10**6} "
            "megapixels are not decoded. Please upload a smaller image.",
            "image.png_pixels", name=label, w=w, h=h, most=MAX_DECODE_PIXELS // 10**6,
        )  # fmt: skip


def _check_memory(img, full: tuple[int, int], label: str) -> None:
    """Refuse what would take more than MAX_DECODE_BYTES to decode, before decoding it."""
    need = _decode_bytes(img, full)
    if need > MAX_DECODE_BYTES:
        png = img.format == "PNG"
        kind = f"a {img.mode} PNG" if png else "a progressive JPEG"
        mb = f"{need / 2**20:,.0f}"
        raise ImageError(
            f"“{label}” is {kind} of {full[0]}×{full[1]} pixels: decoding it would take "
            f"{mb} MB (at most {MAX_DECODE_BYTES // 2**20} MB). Please upload "
            "a smaller image (or, for a photo, a baseline JPEG).",
            "image.memory_png" if png else "image.memory_jpeg", name=label, mode=img.mode,
            w=full[0], h=full[1], mb=mb, most=MAX_DECODE_BYTES // 2**20,
        )  # fmt: skip


def _orientation(img, notes: list[str]) -> int:
    """The EXIF orientation (1: upright); a damaged EXIF block is noted and ignored."""
    from PIL import ExifTags

    try:
        value = img.getexif().get(ExifTags.Base.Orientation, 1)
    except Exception:  # noqa: BLE001 - Pillow raises many kinds on a damaged EXIF block
        notes.append(KeyedText("its EXIF data is damaged: its orientation was ignored",
                               "note.exif_damaged"))  # fmt: skip
        return 1
    return value if value in ORIENTATION else 1


def _to_mode(tile, color: bool, alpha: bool, peak: float | None):
    """One tile in the mode the lesson uses: "L" or "RGB" (alpha put on white), or "F" in
    [0, 1] for a 16-bit image."""
    from PIL import Image

    if peak is not None:  # 16-bit: keep the precision, in float32, a tile at a time
        arr = np.asarray(tile, dtype=np.float32)
        arr /= peak
        np.clip(arr, 0, 1, out=arr)
        return Image.fromarray(arr, mode="F")
    if alpha:
        rgba = tile.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        tile = Image.alpha_composite(white, rgba)
    return tile.convert("RGB" if color else "L")


def _shrink(img, size: tuple[int, int], color: bool, alpha: bool, peak: float | None):
    """``img`` converted and downscaled to ``size`` (area averaging), tile by tile: Pillow's
    ``reduce`` by a whole factor in uint8, then a box filter to the exact size. Tiles are whole
    multiples of the factor and hold at most about STRIP_BYTES, so nothing besides the decoded
    picture ever has its full size (a 50:1 strip of rows included)."""
    from PIL import Image

    w, h = img.size
    tw, th = size
    f = max(1, min(w // tw, h // th))
    px = 4 * (3 if color else 1)  # bytes a pixel takes in the widest step (RGBA, float RGB)
    rows = h if h * w * px <= STRIP_BYTES else max(f, STRIP_BYTES // (w * px) // f * f)
    cols = w if rows * w * px <= STRIP_BYTES else max(f, STRIP_BYTES // (rows * px) // f * f)
    mid_mode = "F" if peak is not None else ("RGB" if color else "L")
    mid = Image.new(mid_mode, (-(-w // f), -(-h // f)))
    for y in range(0, h, rows):
        for x in range(0, w, cols):
            tile = _to_mode(
                img.crop((x, y, min(w, x + cols), min(h, y + rows))), color, alpha, peak
            )
            mid.paste(tile.reduce(f) if f > 1 else tile, (x // f, y // f))
    if mid.size != (tw, th):
        mid = mid.resize((tw, th), Image.Resampling.BOX)
    return mid


def load_upload(
    data: bytes, name: str = "upload", max_side: int = DEFAULT_MAX_SIDE, color: bool = False
) -> LoadedImage:
    """Decode a PNG or JPEG upload into a (1 or 3, H, W) tensor, refusing what is unsafe.

    Memory stays bounded: the size is checked before decoding (see ``MAX_*``), a JPEG is
    decoded at a reduced scale when it is large (``draft``), and the picture is converted and
    downscaled in uint8, a tile at a time, before it becomes float32 at its final size.
    EXIF orientation is applied (as ``ImageOps.exif_transpose``), so a phone's portrait photo
    stands upright; an MPO (a phone's JPEG with a multi-picture block) gives its first picture.

    Args:
        data: the file's bytes.
        name: the file name, for messages.
        max_side: larger images are downscaled to this (the note says so).
        color: keep RGB (3 channels) instead of converting to grey.

    Raises:
        ImageError: not an image, a corrupt file, an unsupported format or an image too large.
    """
    from PIL import Image, UnidentifiedImageError

    label = _label(name)
    if not data:
        raise ImageError(f"“{label}” is empty.", "image.empty", name=label)
    if len(data) > MAX_UPLOAD_BYTES:
        mb = f"{len(data) / 2**20:.0f}"
        raise ImageError(
            f"“{label}” is {mb} MB; uploads are limited to {MAX_UPLOAD_BYTES // 2**20} MB.",
            "image.upload_size", name=label, mb=mb, most=MAX_UPLOAD_BYTES // 2**20,
        )  # fmt: skip
    notes: list[str] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(bytes(data)))
            if img.format not in FORMATS:
                raise ImageError(
                    f"“{label}” is a {img.format} file; please upload a PNG or JPEG.",
                    "image.format", name=label, format=img.format,
                )  # fmt: skip
            w, h = img.size
            _check_shape(img.format, w, h, label)
            frames = getattr(img, "n_frames", 1)
            if frames > 1 and img.format == "MPO":
                notes.append(KeyedText(f"a phone's multi-picture JPEG (MPO, {frames} pictures): "
                                       "the first is used", "note.mpo", n=frames))  # fmt: skip
            elif frames > 1:
                notes.append(KeyedText(f"animated image with {frames} frames: the first is used",
                                       "note.animated", n=frames))  # fmt: skip
            if frames > 1:
                img.seek(0)
            if img.format in ("JPEG", "MPO") and max(w, h) > 2 * max_side:
                # decoded at 1/2, 1/4 or 1/8 of the size, still at least the target's
                img.draft("RGB" if color else "L", fit_size(w, h, max_side))
            _check_memory(img, (w, h), label)
            img.load()
            orientation = _orientation(img, notes)
            alpha = "A" in img.getbands() or (img.mode == "P" and "transparency" in img.info)
            peak = None
            if img.mode in SIXTEEN_BIT:
                notes.append(KeyedText("16-bit image: scaled to 0..1", "note.16bit"))
                big = img.mode.startswith("I;16") or (img.getextrema()[1] or 0) > 255
                peak = 65535.0 if big else 255.0
            if alpha:
                notes.append(KeyedText("transparent areas were put on a white background",
                                       "note.alpha"))  # fmt: skip
            small = _shrink(img, fit_size(*img.size, max_side), color, alpha, peak)
            del img
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"“{label}” is too large to decode safely ({exc}).", "image.bomb",
                         name=label, detail=str(exc)) from None  # fmt: skip
    except UnidentifiedImageError:
        raise ImageError(f"“{label}” is not an image cnnviz can read (PNG or JPEG).",
                         "image.unreadable", name=label) from None  # fmt: skip
    except MemoryError:
        raise ImageError(f"“{label}” is too large to decode here.", "image.no_memory",
                         name=label) from None  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - OSError, SyntaxError, ValueError … from a bad file
        detail = f"{type(exc).__name__}: {exc}"
        raise ImageError(
            f"“{label}” looks damaged and could not be decoded ({detail}).", "image.damaged",
            name=label, detail=detail,
        ) from None  # fmt: skip
    if orientation != 1:
        small = small.transpose(getattr(Image.Transpose, ORIENTATION[orientation]))
        notes.append(KeyedText(f"turned upright (its EXIF orientation is {orientation})",
                               "note.upright", n=orientation))  # fmt: skip
        if orientation >= 5:
            w, h = h, w
    if max(w, h) > max_side:
        notes.append(KeyedText(f"downscaled from {w}×{h} to fit {max_side}×{max_side}",
                               "note.downscaled", w=w, h=h, side=max_side))  # fmt: skip
    arr = np.asarray(small, dtype=np.float32)
    if peak is None:
        arr = arr / 255.0
    X = torch.from_numpy(arr.copy())
    X = X.permute(2, 0, 1) if X.dim() == 3 else X.unsqueeze(0)
    if color and X.shape[0] == 1:
        X = X.expand(3, -1, -1)
    return LoadedImage(X.contiguous(), name, tuple(notes))


def from_canvas(rgba: np.ndarray | None, size: int) -> torch.Tensor | None:
    """A drawable-canvas RGBA array → (1, size, size) ink intensity in [0, 1] (white ink on black).

    Returns None when nothing was drawn, or when the array is not an RGBA picture of at most
    ``MAX_CANVAS_SIDE`` pixels a side (the canvas is 280×280: anything else did not come from
    it).
    """
    if rgba is None or not isinstance(rgba, np.ndarray) or not 1 <= int(size) <= MAX_CANVAS_SIDE:
        return None
    if rgba.ndim != 3 or rgba.shape[2] < 4 or max(rgba.shape[:2]) > MAX_CANVAS_SIDE:
        return None
    if min(rgba.shape[:2]) < 1 or rgba.dtype.kind not in "uif":
        return None
    alpha = rgba[..., 3].astype(np.float32)
    if not np.isfinite(alpha).all() or alpha.max() <= 0:
        return None
    ink = alpha / 255.0 * (rgba[..., :3].astype(np.float32).mean(axis=2) / 255.0)
    X = torch.from_numpy(np.nan_to_num(ink)).unsqueeze(0)
    size = int(size)
    return F.interpolate(X.unsqueeze(0), size=(size, size), mode="area").squeeze(0).clamp(0, 1)


def canvas_image(png: bytes | None, size: int) -> torch.Tensor | None:
    """The canvas's picture as the browser sent it (PNG bytes of a data URL) → as
    :func:`from_canvas`. Its size is checked from the header before it is decoded, so a forged
    picture cannot take more than a few megabytes."""
    from PIL import Image

    if not png:
        return None
    try:
        img = Image.open(io.BytesIO(png))
        if img.format != "PNG" or max(img.size) > MAX_CANVAS_SIDE or min(img.size) < 1:
            return None
        rgba = np.asarray(img.convert("RGBA"))
    except Exception as exc:  # noqa: BLE001 - whatever a forged picture raises: no drawing
        log.warning("canvas picture ignored (%s: %s)", type(exc).__name__, exc)
        return None
    return from_canvas(rgba, size)


def fashion_sample(images: torch.Tensor, labels: torch.Tensor, label: int, index: int = 0):
    """The ``index``-th image of class ``label`` from a uint8 (N, 28, 28) split, as (1, 28, 28)."""
    where = torch.nonzero(labels == label).flatten()
    i = int(where[index % len(where)])
    return images[i].float().div(255).unsqueeze(0)


def to_png(X: torch.Tensor) -> bytes:
    """(C, H, W) or (H, W) in [0, 1] → PNG bytes, for downloads and tests."""
    from PIL import Image

    if X.dim() == 3 and X.shape[0] == 1:
        X = X[0]
    arr = (X.clamp(0, 1) * 255).round().byte()
    arr = arr.permute(1, 2, 0).numpy() if arr.dim() == 3 else arr.numpy()
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()
