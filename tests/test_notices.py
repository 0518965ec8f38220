"""A run's stored notice and error (English in the store) in the page's language: every
sentence the library writes is recognised, rebuilt in Korean with the values it quotes, and
anything else is shown as stored; the Training page shows them so."""

from __future__ import annotations

import base64
import string
import time

import pytest
from safetensors.torch import load, save
from test_i18n import HANGUL, english_words

from cnnviz import classroom as C
from cnnviz.models import build_model
from cnnviz.runfile import ANALYSIS_KEY, EPOCHS_KEY, MAX_ANALYSIS_CHARS, read_metadata
from cnnviz.runs import RunStore, get_manager
from cnnviz.runs.notices import REASONS, SENTENCES, as_written, parse
from conftest import app_test, assert_clean, tiny_config
from ui.common import md_escape, stored_text
from ui.locales import CATALOGS

EN, KO = CATALOGS["en"]["notices"], CATALOGS["ko"]["notices"]
EPOCH = {"train_loss": 1.0, "train_acc": 0.5, "val_loss": 1.0, "val_acc": 0.5,
         "examples_per_s": 100.0, "seconds": 1.0}  # fmt: skip


def run_file(store: RunStore, status: str = "finished", **meta) -> bytes:
    """A LeNet run's file as the store writes it (one epoch), with metadata replaced."""
    config = tiny_config()
    rid = store.create(config, name="demo", status=status)
    store.add_epoch(rid, {"epoch": 1, **EPOCH})
    store.save_state_dict(rid, build_model(config.spec).state_dict())
    data = store.checkpoint_path(rid).read_bytes()
    return save(load(data), metadata={**read_metadata(data), **meta})


def values(part) -> list[str]:
    """The quoted values of a parsed sentence (a reason's own, recursively)."""
    _, vals = part
    out = []
    for v in vals.values():
        out += values(v) if isinstance(v, tuple) else [v]
    return out


def rebuilt(part, catalog) -> str:
    key, vals = part
    shown = {
        k: rebuilt(v, catalog) if isinstance(v, tuple) else catalog["status_plain"].get(v, v)
        if k == "status" else v
        for k, v in vals.items()
    }  # fmt: skip
    return catalog[key].format(**shown)


def assert_korean(text: str, keys: list[str]) -> None:
    """``text`` parses into ``keys`` (sentence, reason, …), the English catalog rebuilds it
    word for word, and the Korean one without an English word (the quoted values aside)."""
    parts = parse(text)
    assert parts is not None, text
    found = []
    for part in parts:
        found.append(part[0])
        inner = part[1].get("reason")
        while isinstance(inner, tuple):
            found.append(inner[0])
            inner = inner[1].get("reason")
    assert found == keys, (text, found)
    assert " ".join(rebuilt(p, EN) for p in parts) == text
    korean = stored_text(text, "ko")
    assert korean == " ".join(rebuilt(p, KO) for p in parts)
    assert HANGUL.search(korean), korean
    rest = korean
    for v in sorted({v for p in parts for v in values(p)}, key=len, reverse=True):
        if v not in EN["status_plain"]:
            rest = rest.replace(v, " ")
    assert not english_words(rest), (korean, english_words(rest))


# -- unit: what the library writes --------------------------------------------------------


@pytest.mark.unit
def test_the_english_catalog_is_the_library_templates_as_written():
    """Every template the library writes is in the English catalog, word for word, its fields
    without format specs: a parsed value is already text ("1,024", not 1024)."""
    assert set(EN) == {*SENTENCES, *REASONS, "status_plain"}
    for key, template in {**SENTENCES, **REASONS}.items():
        assert EN[key] == as_written(template)
        assert not any(spec for _, _, spec, _ in string.Formatter().parse(EN[key]))
    written = as_written("over {mb:,} MB, {grace_s:g} s, {name}")
    assert written == "over {mb} MB, {grace_s} s, {name}"


@pytest.mark.unit
def test_no_gpu_and_stopped(monkeypatch):
    from cnnviz import device
    from cnnviz.runs.executors import stopped_text
    from cnnviz.runs.records import REAPED
    from cnnviz.train import GRAPHS_OFF

    monkeypatch.setattr(device, "cuda_available", lambda: False)
    _, notice = device.pick_device("cuda")
    assert_korean(notice, ["notice.no_gpu"])
    for grace in (1.0, 2.5):
        assert_korean(stopped_text(grace), ["notice.stopped"])
    assert "2.5초" in stored_text(stopped_text(2.5), "ko")
    assert_korean(GRAPHS_OFF.format(error="RuntimeError"), ["notice.graphs_off"])
    assert_korean(REAPED, ["error.reaped"])


@pytest.mark.unit
def test_trimmed_weights_say_why(tmp_path):
    mb = C.MB
    limits = C.Limits(user_quota_mb=1, store_quota_mb=3, retention_days=14)
    now = time.time()

    def row(rid, user, days, size_mb):
        created = now - days * 86_400
        return {"run_id": rid, "user": user, "role": "student", "status": "finished",
                "pinned": False, "created": created, "size": int(size_mb * mb)}  # fmt: skip

    rows = [row("old", "a", 30, 0.1), row("a1", "a", 2, 0.8), row("a2", "a", 1, 0.8),
            row("b1", "b", 3, 0.9), row("c1", "c", 2, 0.9), row("d1", "d", 1, 0.9)]  # fmt: skip
    reasons = dict(C.runs_to_trim(rows, limits, now))
    assert set(reasons) == {"old", "a1", "b1"}
    store = RunStore(tmp_path / "store")
    config = tiny_config()
    keys = {"old": "reason.trim_old", "a1": "reason.trim_user_quota",
            "b1": "reason.trim_store_quota"}  # fmt: skip
    for name, reason in reasons.items():
        rid = store.create(config, status="finished")
        store.save_state_dict(rid, build_model(config.spec).state_dict())
        assert store.trim_weights(rid, reason) > 0
        notice = store.get(rid).notice
        assert_korean(notice, ["notice.weights_removed", keys[name]])
    assert "할당량 3 MB" in stored_text(store.get(rid).notice, "ko")  # the last: the store's


@pytest.mark.unit
def test_a_run_that_could_not_start(tmp_path):
    from cnnviz.config import RunConfig
    from cnnviz.runs.supervision import NOT_STARTED

    # a stored config this version cannot read, as the worker process says it
    config = {**tiny_config().to_dict(), "from_a_later_version": 1}
    with pytest.raises(ValueError) as info:
        RunConfig.from_dict(config)
    error = NOT_STARTED.format(error=f"{type(info.value).__name__}: {info.value}")
    assert error.startswith("It could not start: ValueError: ")
    assert_korean(error, ["error.not_started"])
    assert stored_text(error, "ko").startswith("시작할 수 없었습니다: ValueError: ")
    # a run the dispatcher cannot read (deleted meanwhile)
    with pytest.raises(KeyError) as info:
        RunStore(tmp_path / "store").get("gone")
    assert_korean(NOT_STARTED.format(error=info.value), ["error.not_started"])
    # an error with full stops of its own, the last without one
    error = NOT_STARTED.format(error="OSError: no space left. Free some. then retry")
    assert_korean(error, ["error.not_started"])


@pytest.mark.unit
def test_a_run_lost_on_ray():
    import ray.exceptions

    from cnnviz.runs.executors import INTERRUPTED
    from cnnviz.runs.ray_executor import RAY_FAILED, RAY_LOST

    lost = RAY_LOST.format(error=ray.exceptions.RayActorError.__name__)
    assert lost == "the Ray worker training it was lost (RayActorError: its node or process died)"
    text = INTERRUPTED.format(reason=lost)
    assert_korean(text, ["error.interrupted", "reason.ray_lost"])
    assert stored_text(text, "ko") == (
        "중단됨: 이 실행을 학습하던 Ray 작업자를 잃음 (RayActorError: 그 노드나 프로세스가 "
        "죽음). 끝난 에포크는 보관됩니다."
    )
    exc = ConnectionError("the cluster at 10.0.0.1:6379 is gone")
    failed = RAY_FAILED.format(error=f"{type(exc).__name__}: {exc}")
    assert (
        failed == "the Ray executor failed (ConnectionError: the cluster at 10.0.0.1:6379 is gone)"
    )
    assert_korean(INTERRUPTED.format(reason=failed), ["error.interrupted", "reason.ray_failed"])


SNAPSHOTS = {  # the file's snapshots -> why they are not kept
    "not base64!": ["reason.snapshots_base64"],
    base64.b64encode(b"abc").decode(): ["reason.snapshots_header", "reason.header_short"],
    base64.b64encode(save({})).decode(): ["reason.snapshots_empty"],
}


@pytest.mark.unit
@pytest.mark.usefixtures("one_torch_thread")
@pytest.mark.parametrize("snapshots", list(SNAPSHOTS))
def test_an_import_says_what_it_did_not_keep(tmp_path, snapshots):
    source, target = RunStore(tmp_path / "a"), RunStore(tmp_path / "b")
    big = "x" * (MAX_ANALYSIS_CHARS + 1)
    data = run_file(source, "running", **{EPOCHS_KEY: snapshots, ANALYSIS_KEY: big})
    rid, added = target.import_run(data, "Lab 3. final.safetensors")
    rec = target.get(rid)
    assert added and rec.status == "interrupted"
    assert_korean(rec.notice, ["notice.imported", "notice.snapshots_not_kept",
                               *SNAPSHOTS[snapshots], "notice.evaluation_not_kept",
                               "reason.analysis_size"])  # fmt: skip
    assert stored_text(rec.notice, "ko").startswith("Lab 3. final.safetensors에서 가져왔습니다.")
    assert_korean(rec.error, ["error.imported_cut_off"])
    assert "‘실행 중’ 상태일 때 에포크 1 뒤에" in stored_text(rec.error, "ko")


def sample(template: str) -> str:
    """``template`` filled in: a number where it formats one, else a word with a digit."""
    return template.format(**{
        field: 1234 if spec else f"v{i}"
        for i, (_, field, spec, _) in enumerate(string.Formatter().parse(template))
        if field
    })  # fmt: skip


@pytest.mark.unit
def test_every_template_is_recognised_and_translated():
    for key, template in SENTENCES.items():
        assert key in EN and key in KO, key
        if "{reason}" in template:
            for reason_key, reason in REASONS.items():
                inner = sample(reason)
                keys = [key, reason_key]
                if "{reason}" in reason:  # a safetensors header's problem, inside
                    inner = reason.replace("{reason}", "it is 3 bytes long")
                    keys.append("reason.header_short")
                assert_korean(template.format(reason=inner), keys)
        else:
            assert_korean(sample(template), [key])
    assert set(REASONS) <= set(EN) and set(REASONS) <= set(KO)


@pytest.mark.unit
def test_anything_else_is_shown_as_stored():
    imported = "Imported from run.safetensors."
    for text in (
        "RuntimeError: something went wrong.",
        "Something else. " + imported,  # a sentence not the library's: the whole as stored
        "Its weights were removed.",
        "",
    ):
        assert parse(text) is None
        assert stored_text(text, "ko") == text
    # a reason it does not know: the sentence in Korean, the reason as written
    text = "Its weights were removed (a reason from elsewhere); its metrics and curves are kept."
    assert (
        stored_text(text, "ko")
        == "가중치를 지웠습니다 (a reason from elsewhere). 지표와 곡선은 보관됩니다."
    )
    assert stored_text(imported, "en") == imported


# -- the Training page --------------------------------------------------------------------


@pytest.mark.apptest
@pytest.mark.usefixtures("one_torch_thread")
def test_training_page_shows_notices_in_korean(tmp_path):
    store = get_manager().store
    data = run_file(RunStore(tmp_path / "source"), "running", **{EPOCHS_KEY: "not base64!"})
    imported, _ = store.import_run(data, "<b>lab</b>.safetensors")
    config = tiny_config()
    trimmed = store.create(config, name="trimmed", status="finished")
    store.add_epoch(trimmed, {"epoch": 1, **EPOCH})
    store.save_state_dict(trimmed, build_model(config.spec).state_dict())
    store.trim_weights(trimmed, C.TRIM_OLD.format(days=14))

    def shown(run_id):
        at = app_test("training.py")
        at.query_params["lang"] = "ko"
        at.query_params["run"] = run_id
        at.run()
        assert_clean(at)
        return [i.value for i in at.info], [w.value for w in at.warning]

    info, warning = shown(imported)
    said = (
        "<b>lab</b>.safetensors에서 가져왔습니다. "
        "에포크별 스냅숏은 보관하지 않았습니다 (base64가 아님)."
    )
    assert md_escape(said) in info, info  # the file's name as it was, never as markup
    assert not any("Imported from" in t for t in info + warning)
    assert any(
        "‘실행 중’ 상태일 때 에포크 1 뒤에 저장된 파일에서 가져왔습니다" in w for w in warning
    )
    info, _ = shown(trimmed)
    assert md_escape("가중치를 지웠습니다 (14일보다 오래됨). 지표와 곡선은 보관됩니다.") in info, (
        info
    )
    assert not any("weights were removed" in i for i in info)


@pytest.mark.apptest
def test_ablation_page_says_a_failed_runs_out_of_memory_in_korean():
    from cnnviz.train import failure_message

    store = get_manager().store
    config = tiny_config()
    error = failure_message(MemoryError(), config)
    run_ids = []
    for name in ("LeNet", "LeNet-ReLU"):
        rid = store.create(config, name=name, group="g", status="failed")
        store.set_status(rid, "failed", error)
        run_ids.append(rid)
    at = app_test("ablation.py")
    at.query_params["lang"] = "ko"
    at.query_params["group"] = "store"
    at.query_params["runs"] = ",".join(run_ids)
    at.run()
    assert_clean(at)
    errors = [e.value for e in at.error]
    assert sum("메모리가 부족해" in e for e in errors) == 2, errors
    assert not any("ran out of memory" in e for e in errors)
