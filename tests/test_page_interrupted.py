"""A run its executor lost (the worker process killed, crashed or ended, the training thread
failed) is shown as interrupted in the page's language, with its finished epochs."""

from __future__ import annotations

import signal

import pytest

from cnnviz.models import build_model
from cnnviz.runs.executors import INTERRUPTED, THREAD_FAILED, exit_reason
from conftest import app_test, assert_clean, tiny_config
from ui.common import md_escape

pytestmark = pytest.mark.apptest
EPOCH = {"epoch": 1, "train_loss": 1.0, "train_acc": 0.5, "val_loss": 1.0, "val_acc": 0.5,
         "examples_per_s": 100.0, "seconds": 1.0}  # fmt: skip
CASES = {  # the reason the dispatcher quotes -> what the Korean page says for it
    exit_reason(-signal.SIGKILL): "작업 프로세스가 강제로 끝남 (시그널 9, SIGKILL: 시스템의",
    exit_reason(-signal.SIGSEGV): "비정상 종료됨 (시그널 11, SIGSEGV: 세그멘테이션 오류)",
    exit_reason(-signal.SIGTERM): "작업 프로세스가 시그널 15 (SIGTERM)로 끝남",
    exit_reason(3): "작업 프로세스가 코드 3로 끝남",
    exit_reason(None): "작업 프로세스가 응답하지 않음",
    THREAD_FAILED.format(error="RuntimeError: boom"): "학습 스레드가 실패함 (RuntimeError: boom)",
}


@pytest.mark.parametrize("reason", list(CASES))
def test_an_interrupted_run_says_why_in_korean(reason):
    from cnnviz.runs import get_manager

    store = get_manager().store
    config = tiny_config()
    run_id = store.create(config, name="demo", status="running")
    store.add_epoch(run_id, EPOCH)
    store.save_state_dict(run_id, build_model(config.spec).state_dict(), epoch=EPOCH)
    store.set_status(run_id, "interrupted", INTERRUPTED.format(reason=reason))  # as the
    # dispatcher marks a run whose worker died
    at = app_test("training.py")
    at.query_params.update(run=run_id, lang="ko")
    at.run()
    assert_clean(at)
    said = [w.value for w in at.warning]
    kept = md_escape("끝난 에포크는 보관됩니다.")
    assert any(md_escape(CASES[reason]) in w and kept in w for w in said), said
    assert not any("Interrupted" in w or "worker process" in w for w in said), said
