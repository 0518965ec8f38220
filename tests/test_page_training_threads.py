"""The Training page's "what is practical" panel says how many threads a run gets here, and
why, in the page's language."""

from __future__ import annotations

import pytest

from conftest import app_test, assert_clean

pytestmark = [pytest.mark.apptest, pytest.mark.usefixtures("one_torch_thread")]


def panel(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_the_panel_says_how_many_threads_a_run_gets(monkeypatch):
    import torch

    monkeypatch.delenv("CNNVIZ_THREADS", raising=False)
    at = app_test("training.py").run()
    assert_clean(at)
    # The tests' runs train in threads of this process (CNNVIZ_EXECUTOR=thread).
    assert torch.get_num_threads() == 1
    assert "**Threads here:** runs train inside the web server's own process" in panel(at)
    assert "on its **1** threads" in panel(at)


def test_the_panel_in_korean_with_the_setting(monkeypatch):
    monkeypatch.setenv("CNNVIZ_THREADS", "3")  # what a run here would set torch to
    at = app_test("training.py")
    at.query_params["lang"] = "ko"
    at.run()
    assert_clean(at)
    assert "(스레드 실행기) 그 스레드 **3**개로 학습합니다" in panel(at)
