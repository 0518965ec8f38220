"""Out of memory, on a CPU or a GPU, wherever it happens (building the network, a training
step, a page's computation): cnnviz's own message, in the page's language, never the
allocator's text with its byte count."""

from __future__ import annotations

import re
import threading

import pytest
import torch

from cnnviz import train as T
from cnnviz.errors import is_out_of_memory
from conftest import app_test, assert_clean, tiny_config

pytestmark = pytest.mark.unit

CPU_ALLOC = (
    "[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate memory: "
    "you tried to allocate 123456789012 bytes. Error code 12 (Cannot allocate memory)"
)
OOM = [
    MemoryError(),
    MemoryError("Unable to allocate 93.1 GiB for an array with shape (100000, 250000)"),
    RuntimeError(CPU_ALLOC),
    RuntimeError("[enforce fail at alloc_cpu.cpp:83] data. DefaultCPUAllocator: not enough "
                 "memory: you tried to allocate 987654321098 bytes."),
    RuntimeError("CUDA out of memory. Tried to allocate 20.00 GiB (GPU 0; 79.1 GiB total)"),
    RuntimeError("MPS backend out of memory (MPS allocated: 9.1 GB, other allocations: 1 GB)"),
    torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 MiB"),
]  # fmt: skip
NOT_OOM = [
    RuntimeError("mat1 and mat2 shapes cannot be multiplied (4x3 and 5x6)"),
    RuntimeError("Given groups=1, weight of size [6, 1, 5, 5], expected input[1, 3, 28, 28]"),
    ValueError("num_epochs must be from 1 to 1,000"),
    KeyError("memory"),
    OSError(28, "No space left on device"),
]
BYTE_COUNT = re.compile(r"\d{7,}")


@pytest.mark.parametrize("exc", OOM, ids=lambda e: type(e).__name__ + ":" + str(e)[:30])
def test_every_out_of_memory_is_recognised_and_said_in_our_words(exc):
    assert is_out_of_memory(exc)
    text = T.failure_message(exc, tiny_config(batch_size=64))
    assert text.startswith(T.OOM_PREFIXES)
    assert "batch size 64" in text and not BYTE_COUNT.search(text)
    assert "allocat" not in text.lower()


@pytest.mark.parametrize("exc", NOT_OOM, ids=lambda e: type(e).__name__)
def test_other_errors_are_not_out_of_memory(exc):
    assert not is_out_of_memory(exc)
    assert T.failure_message(exc, tiny_config()) == f"{type(exc).__name__}: {exc}"


def _failed_message(monkeypatch, where: str, exc: BaseException) -> str:
    import importlib

    execute = importlib.import_module("cnnviz.runs.execute")  # the package names a function so

    def boom(*args, **kwargs):
        raise exc

    if where == "build":
        monkeypatch.setattr(T, "build_net", boom)
    else:  # the first training step
        monkeypatch.setattr(T, "_train", lambda *a, **k: (_ for _ in ()).throw(exc))
    events = list(execute.run_events(tiny_config(), threading.Event()))
    (failed,) = [e for e in events if e["kind"] == "failed"]
    return failed["message"]


@pytest.mark.parametrize("where", ["build", "train"])
@pytest.mark.parametrize("exc", OOM[:4], ids=lambda e: type(e).__name__ + ":" + str(e)[:20])
def test_a_run_that_runs_out_of_memory_fails_with_our_message(monkeypatch, where, exc):
    message = _failed_message(monkeypatch, where, exc)
    assert message.startswith("The computer ran out of memory"), message
    assert not BYTE_COUNT.search(message)


@pytest.mark.apptest
@pytest.mark.parametrize(("lang", "words"), [("en", "ran out of memory"), ("ko", "메모리가 부족")])
def test_the_training_page_says_it_in_the_pages_language(lang, words):
    from cnnviz.runs import RunStore

    store = RunStore()
    config = tiny_config(batch_size=64)
    rid = store.create(config, name="big", status="running")
    store.set_status(rid, "failed", T.failure_message(RuntimeError(CPU_ALLOC), config))
    at = app_test("training.py")
    at.query_params["run"] = rid
    at.query_params["lang"] = lang
    at.run()
    assert_clean(at)
    shown = "\n".join(e.value for e in at.error)
    assert words in shown and "64" in shown and not BYTE_COUNT.search(shown), shown


@pytest.mark.apptest
@pytest.mark.parametrize(("lang", "words"), [("en", "ran out of memory"), ("ko", "메모리가 부족")])
def test_the_error_boundary_says_it_in_the_pages_language(tmp_path, lang, words):
    """A page's computation that runs out of memory (feature maps of a huge network): the
    boundary's own message, not the allocator's."""
    page = tmp_path / "page.py"
    page.write_text(
        "import torch\n"
        "from ui.common import error_boundary, fragment\n"
        "with error_boundary():\n"
        "    torch.empty(10**15, dtype=torch.uint8)\n"
        "@fragment\n"
        "def maps():\n"
        "    torch.zeros(2**40, 2**20)\n"
        "maps()\n"
    )
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(page), default_timeout=60)
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception
    shown = [e.value for e in at.error]
    assert len(shown) == 2 and all(words in s and not BYTE_COUNT.search(s) for s in shown), shown


@pytest.mark.parametrize("exc", OOM, ids=lambda e: type(e).__name__ + ":" + str(e)[:30])
def test_a_pages_message_for_an_error_says_it_in_our_words(exc):
    """What the insight page's evaluation and the Training page's import say of an error."""
    from ui.common import error_words

    assert error_words(exc).startswith("out of memory") and not BYTE_COUNT.search(error_words(exc))
    assert error_words(ValueError("bad")) == "ValueError: bad"
