"""Fashion-MNIST, offline: locate, read and validate the IDX files, keep them as uint8 tensors.

d2l 4.2 / 7.6 train every network in chapters 7–8 on Fashion-MNIST. cnnviz reads the files
directly (no torchvision Dataset, no PIL) so the whole split is one tensor that can be moved to
the training device and sliced by index.

Sources, in order:
1. the folder named by ``CNNVIZ_DATA`` (``*.gz`` or uncompressed IDX files, or a
   torchvision-style ``FashionMNIST/raw/`` below it);
2. Debian's ``dataset-fashion-mnist`` package in ``/usr/share/datasets/fashion-mnist``
   (``CNNVIZ_SYSTEM_DATA`` overrides that path, which tests use);
3. torchvision's downloader into ``~/.cache/cnnviz``, only where the network allows
   (``CNNVIZ_DOWNLOAD=0`` turns it off).
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from cnnviz.config import setting

ENV_DIR = "CNNVIZ_DATA"
ENV_SYSTEM_DIR = "CNNVIZ_SYSTEM_DATA"
ENV_DOWNLOAD = "CNNVIZ_DOWNLOAD"
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
CACHE_DIR = Path.home() / ".cache" / "cnnviz"

TEXT_LABELS = (
    "t-shirt", "trouser", "pullover", "dress", "coat",
    "sandal", "shirt", "sneaker", "bag", "ankle boot",
)  # fmt: skip
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", 60000),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 10000),
}
IMAGE_MAGIC, LABEL_MAGIC = 2051, 2049

HOW_TO = (
    "Fashion-MNIST was not found. cnnviz trains on the real data set and looks for it in:\n"
    "1. the folder named by the environment variable CNNVIZ_DATA "
    "(the four files train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], "
    "t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]);\n"
    "2. Debian's package: sudo apt-get install dataset-fashion-mnist "
    "(puts them in /usr/share/datasets/fashion-mnist);\n"
    "3. a download by torchvision, when this machine can reach the internet.\n"
    "Install the package (step 2, or just run `make run`, which does it) and reload the page."
)


class DataNotFoundError(FileNotFoundError):
    """No source holds Fashion-MNIST; the message says how to get it."""

    def __init__(self, tried: list[str]):
        self.tried = tried
        detail = "\n".join(f"  - {t}" for t in tried)
        super().__init__(f"{HOW_TO}\nLooked in:\n{detail}")


class DataFormatError(ValueError):
    """A file was found but is not a valid Fashion-MNIST IDX file."""


@dataclass(frozen=True)
class FashionMNIST:
    """Both splits as uint8 images (N, 28, 28) and int64 labels (N,), d2l 4.2."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    source: str

    @property
    def text_labels(self) -> tuple[str, ...]:
        return TEXT_LABELS


def get_text_labels(indices) -> list[str]:
    """d2l's ``FashionMNIST.text_labels``: numeric labels to names."""
    return [TEXT_LABELS[int(i)] for i in indices]


def read_idx(path: Path, magic: int, count: int) -> torch.Tensor:
    """Read one IDX file (plain or gzip) and check its magic number, shape and size."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise DataFormatError(f"{path}: corrupt gzip file ({exc})") from exc
    if len(raw) < 8:
        raise DataFormatError(f"{path}: too short to be an IDX file")
    found = int.from_bytes(raw[:4], "big")
    if found != magic:
        raise DataFormatError(f"{path}: IDX magic number {found}, expected {magic}")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    expected = [count, 28, 28] if magic == IMAGE_MAGIC else [count]
    if dims != expected:
        raise DataFormatError(f"{path}: shape {dims}, expected {expected}")
    offset = 4 + 4 * ndim
    body = raw[offset:]
    numel = 1
    for d in dims:
        numel *= d
    if len(body) != numel:
        raise DataFormatError(f"{path}: {len(body)} data bytes, expected {numel}")
    return torch.frombuffer(bytearray(body), dtype=torch.uint8).reshape(dims)


def _find_file(folder: Path, stem: str) -> Path | None:
    for sub in (folder, folder / "FashionMNIST" / "raw"):
        for name in (stem, stem + ".gz"):
            if (sub / name).is_file():
                return sub / name
    return None


def _folder_has_data(folder: Path) -> bool:
    return all(
        _find_file(folder, stem) is not None
        for img, lbl, _ in FILES.values()
        for stem in (img, lbl)
    )


def _read_folder(folder: Path) -> FashionMNIST:
    tensors = {}
    for split, (img, lbl, count) in FILES.items():
        images = read_idx(_find_file(folder, img), IMAGE_MAGIC, count)
        labels = read_idx(_find_file(folder, lbl), LABEL_MAGIC, count).long()
        if int(labels.max()) > 9:
            raise DataFormatError(f"{folder}: {split} labels outside 0..9")
        tensors[split] = (images, labels)
    return FashionMNIST(*tensors["train"], *tensors["test"], source=str(folder))


_download_failed_at = 0.0


def _network_allows(host: str = "ossci-datasets.s3.amazonaws.com", timeout: float = 2.0) -> bool:
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def _try_download(tried: list[str]) -> Path | None:
    global _download_failed_at
    if not setting(ENV_DOWNLOAD):
        tried.append("download: turned off by CNNVIZ_DOWNLOAD=0")
        return None
    if time.monotonic() - _download_failed_at < 600:
        tried.append("download: failed recently, not retried yet")
        return None
    if _folder_has_data(CACHE_DIR):
        return CACHE_DIR
    if not _network_allows():
        _download_failed_at = time.monotonic()
        tried.append("download: the network does not reach torchvision's mirror")
        return None
    try:
        from torchvision.datasets import FashionMNIST as TVFashionMNIST

        TVFashionMNIST(str(CACHE_DIR), train=True, download=True)
        TVFashionMNIST(str(CACHE_DIR), train=False, download=True)
    except Exception as exc:  # noqa: BLE001 - any failure means "no download here"
        _download_failed_at = time.monotonic()
        tried.append(f"download: failed ({exc})")
        return None
    return CACHE_DIR


def candidate_folders() -> list[tuple[str, Path]]:
    """The local folders searched, in order, with what each one is."""
    found = []
    if folder := setting(ENV_DIR):
        found.append((f"${ENV_DIR}", Path(folder)))
    found.append(("Debian package", Path(setting(ENV_SYSTEM_DIR) or DEBIAN_DIR)))
    return found


def locate() -> Path:
    """The first folder that holds all four files, downloading only as a last resort."""
    tried = []
    for what, folder in candidate_folders():
        if _folder_has_data(folder):
            return folder
        tried.append(f"{what}: {folder} (files missing)")
    folder = _try_download(tried)
    if folder is None:
        raise DataNotFoundError(tried)
    return folder


_cache: dict[Path, FashionMNIST] = {}
_lock = threading.Lock()


def load_fashion_mnist() -> FashionMNIST:
    """Both splits of Fashion-MNIST as uint8 tensors, read once per folder and then shared.

    Raises:
        DataNotFoundError: no source has the data; the message says how to get it.
        DataFormatError: a file is not what Fashion-MNIST's should be.
    """
    folder = locate()
    with _lock:
        if folder not in _cache:
            _cache[folder] = _read_folder(folder)
        return _cache[folder]


def dataset_status() -> tuple[bool, str]:
    """(found, one line for the sidebar) without reading the files."""
    try:
        folder = locate()
    except DataNotFoundError:
        return False, "Fashion-MNIST not found"
    return True, f"Fashion-MNIST: {folder}"
