"""Image sources shared by every page: uploads, drawings, dataset samples, the seed's examples.

Everything comes out as a float32 tensor in [0, 1], shaped (C, H, W). Uploads are validated:
whatever a user drops on the page gives either a tensor (with notes on what was changed) or
an :class:`ImageError` whose message can be shown as it is.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

MAX_UPLOAD_BYTES = 25 * 1024 * 1024
MAX_DECODE_PIXELS = 64_000_000  # larger PNGs are refused rather than decoded into RAM
DEFAULT_MAX_SIDE = 512
FORMATS = ("PNG", "JPEG")


class ImageError(ValueError):
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


def load_upload(
    data: bytes, name: str = "upload", max_side: int = DEFAULT_MAX_SIDE, color: bool = False
) -> LoadedImage:
    """Decode a PNG or JPEG upload into a (1 or 3, H, W) tensor, refusing what is unsafe.

    Args:
        data: the file's bytes.
        name: the file name, for messages.
        max_side: larger images are downscaled to this (the note says so).
        color: keep RGB (3 channels) instead of converting to grey.

    Raises:
        ImageError: not an image, a corrupt file, an unsupported format or an image too large.
    """
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise ImageError(f"“{name}” is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageError(
            f"“{name}” is {len(data) / 2**20:.0f} MB; uploads are limited to "
            f"{MAX_UPLOAD_BYTES // 2**20} MB."
        )
    notes = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            if img.format not in FORMATS:
                raise ImageError(f"“{name}” is a {img.format} file; please upload a PNG or JPEG.")
            w, h = img.size
            if img.format == "JPEG" and max(w, h) > 2 * max_side:
                img.draft("RGB" if color else "L", (max_side, max_side))
            elif w * h > MAX_DECODE_PIXELS:
                raise ImageError(
                    f"“{name}” is {w}×{h} pixels; PNGs over {MAX_DECODE_PIXELS // 10**6} "
                    "megapixels are not decoded. Please upload a smaller image."
                )
            if getattr(img, "is_animated", False):
                notes.append(f"animated image with {img.n_frames} frames: the first is used")
                img.seek(0)
            img.load()
    except ImageError:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageError(f"“{name}” is too large to decode safely ({exc}).") from exc
    except Image.DecompressionBombWarning as exc:
        raise ImageError(f"“{name}” is too large to decode safely ({exc}).") from exc
    except UnidentifiedImageError as exc:
        raise ImageError(f"“{name}” is not an image cnnviz can read (PNG or JPEG).") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"“{name}” looks damaged and could not be decoded ({exc}).") from exc

    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img, dtype=np.float32)
        peak = 65535.0 if img.mode.startswith("I;16") or arr.max() > 255 else 255.0
        notes.append("16-bit image: scaled to 0..1")
        X = torch.from_numpy(arr / peak).clamp(0, 1).unsqueeze(0)
        if color:
            X = X.expand(3, -1, -1).clone()
    else:
        if "A" in img.getbands() or img.mode == "P" and "transparency" in img.info:
            notes.append("transparent areas were put on a white background")
            rgba = img.convert("RGBA")
            background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            img = Image.alpha_composite(background, rgba)
        img = img.convert("RGB" if color else "L")
        arr = np.asarray(img, dtype=np.float32) / 255.0
        X = torch.from_numpy(arr.copy())
        X = X.permute(2, 0, 1) if color else X.unsqueeze(0)
    if max(X.shape[-2:]) > max_side or max(w, h) > max_side:
        notes.append(f"downscaled from {w}×{h} to fit {max_side}×{max_side}")
        X = fit_side(X, max_side)
    return LoadedImage(X.contiguous(), name, tuple(notes))


def from_canvas(rgba: np.ndarray | None, size: int) -> torch.Tensor | None:
    """A drawable-canvas RGBA array → (1, size, size) ink intensity in [0, 1] (white ink on black).

    Returns None when nothing was drawn.
    """
    if rgba is None:
        return None
    arr = np.asarray(rgba, dtype=np.float32)
    if arr.ndim != 3 or arr.shape[2] < 4 or arr[..., 3].max() == 0:
        return None
    ink = arr[..., 3] / 255.0 * (arr[..., :3].mean(axis=2) / 255.0)
    X = torch.from_numpy(ink).unsqueeze(0)
    return F.interpolate(X.unsqueeze(0), size=(size, size), mode="area").squeeze(0).clamp(0, 1)


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
