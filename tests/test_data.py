"""cnnviz.data: the real Fashion-MNIST, validation, and the how-to when nothing is found."""

import gzip
import time

import pytest
import torch

from cnnviz import data

pytestmark = pytest.mark.unit


def test_loads_real_fashion_mnist():
    d = data.load_fashion_mnist()
    assert d.train_images.shape == (60000, 28, 28) and d.train_images.dtype == torch.uint8
    assert d.test_images.shape == (10000, 28, 28)
    assert d.train_labels.shape == (60000,) and d.test_labels.shape == (10000,)
    assert torch.bincount(d.train_labels).tolist() == [6000] * 10
    # The real Fashion-MNIST's train pixel mean (0.2860, the value it is usually normalised by).
    assert abs(d.train_images.float().mean().item() / 255 - 0.2860) < 1e-4
    assert data.get_text_labels([0, 9]) == ["t-shirt", "ankle boot"]


def test_warm_load_is_fast():
    data.load_fashion_mnist()
    data._cache.clear()
    t = time.perf_counter()
    data.load_fashion_mnist()
    # A generous bound for a loaded CI machine; the benchmark reports the real number.
    assert time.perf_counter() - t < 5


def _write_idx(path, magic, dims, body, compress=True):
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims)
    raw = header + body
    path.write_bytes(gzip.compress(raw) if compress else raw)


def test_read_idx_checks_magic_shape_and_size(tmp_path):
    good = tmp_path / "lbl"
    _write_idx(good, data.LABEL_MAGIC, [3], bytes([1, 2, 3]), compress=False)
    assert data.read_idx(good, data.LABEL_MAGIC, 3).tolist() == [1, 2, 3]
    with pytest.raises(data.DataFormatError, match="magic"):
        data.read_idx(good, data.IMAGE_MAGIC, 3)
    with pytest.raises(data.DataFormatError, match="shape"):
        data.read_idx(good, data.LABEL_MAGIC, 4)
    short = tmp_path / "short"
    _write_idx(short, data.LABEL_MAGIC, [3], bytes([1, 2]))
    with pytest.raises(data.DataFormatError, match="data bytes"):
        data.read_idx(short, data.LABEL_MAGIC, 3)
    bad = tmp_path / "bad.gz"
    bad.write_bytes(b"\x1f\x8b" + b"garbage" * 3)
    with pytest.raises(data.DataFormatError):
        data.read_idx(bad, data.LABEL_MAGIC, 3)


def test_env_folder_is_searched_first(tmp_path, monkeypatch):
    # A tiny fake folder is found but rejected by validation: proof it came first.
    for img, lbl, _ in data.FILES.values():
        _write_idx(tmp_path / img, data.IMAGE_MAGIC, [1, 28, 28], bytes(784))
        _write_idx(tmp_path / lbl, data.LABEL_MAGIC, [1], bytes(1))
    monkeypatch.setenv("CNNVIZ_DATA", str(tmp_path))
    assert data.locate() == tmp_path
    with pytest.raises(data.DataFormatError, match="shape"):
        data.load_fashion_mnist()


def test_no_source_gives_how_to(no_data):
    with pytest.raises(data.DataNotFoundError) as err:
        data.load_fashion_mnist()
    msg = str(err.value)
    assert "apt-get install dataset-fashion-mnist" in msg and "CNNVIZ_DATA" in msg
    assert str(no_data) in msg
    assert data.dataset_status()[0] is False
