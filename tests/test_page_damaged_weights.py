"""A finished run whose weights and snapshots files were damaged on disk afterwards (cut short,
or replaced by other bytes): every page that reads them says so in its language and goes on,
never an error box or a traceback, and the damaged file is never exported as a run file."""

from __future__ import annotations

import pytest

from cnnviz.runs import CheckpointError, RunStore
from conftest import app_test, assert_clean
from ui.common import md_escape

pytestmark = [pytest.mark.apptest, pytest.mark.usefixtures("one_torch_thread")]

DAMAGE = {
    "cut short": lambda data: data[: len(data) // 2],
    "garbage": lambda data: b"\x00not a safetensors file" * 64,
}
WORDS = {  # what the Ablation lab and the builder say, in each language
    "en": ("cannot be read", "showing the untrained network"),
    "ko": ("읽을 수 없습니다", "학습 전 네트워크를 보여 줍니다"),
}


@pytest.fixture
def damaged(trained_run, tmp_path, monkeypatch, request):
    """The trained run imported into the pages' store, its files then damaged."""
    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path / "home"))
    store = RunStore(tmp_path / "home")
    run_id, added = store.import_run(trained_run[2], "demo.safetensors")
    assert added
    for path in (store.checkpoint_path(run_id), store.snapshots_path(run_id)):
        path.write_bytes(DAMAGE[request.param](path.read_bytes()))
    return store, run_id


def _said(at) -> list[str]:
    return [e.value for e in (*at.warning, *at.error)]


@pytest.mark.parametrize(
    ("damaged", "lang"), [("cut short", "en"), ("garbage", "en"), ("garbage", "ko")],
    indirect=["damaged"],
)  # fmt: skip
def test_the_pages_say_a_damaged_weights_file(damaged, lang):
    store, run_id = damaged
    with pytest.raises(CheckpointError) as got:
        store.load_state_dict(run_id)
    assert got.value.key == "checkpoint.unreadable" and got.value.params["file"] in str(got.value)
    unreadable, untrained = WORDS[lang]

    lab = app_test("ablation.py")  # "what each variant learned" reads the final weights
    lab.query_params.update(runs=run_id, lang=lang)
    lab.run()
    assert_clean(lab)
    assert any(unreadable in w.value and run_id in w.value for w in lab.warning), _said(lab)

    builder = app_test("builder.py")  # its weights offered for the feature maps
    builder.query_params["lang"] = lang
    builder.run()
    builder.toggle(key="builder_show_maps").set_value(True).run()
    builder.selectbox(key="builder_weights").set_value(run_id).run()
    assert_clean(builder)
    assert any(untrained in w.value for w in builder.warning), _said(builder)
    assert builder.get("plotly_chart"), "the untrained network's maps are still drawn"

    training = app_test("training.py")  # the run file is not handed out: it says why
    training.query_params.update(run=run_id, lang=lang)
    training.run()
    assert_clean(training)
    assert any(unreadable in w.value and run_id in w.value for w in training.warning)
    (weights,) = [b for b in training.get("download_button") if b.proto.id.endswith("ckpt")]
    assert weights.proto.disabled
    snapshots = md_escape(store.snapshots_path(run_id).name)  # what it learned: damaged, said
    assert any(unreadable in w.value and snapshots in w.value for w in training.warning)
    assert not any("epoch snapshots (it was trained before" in i.value for i in training.info)

    insight = app_test("insight.py")
    insight.query_params.update(run=run_id, lang=lang)
    insight.run()
    assert_clean(insight)


def test_a_damaged_weights_file_is_never_exported(trained_run, tmp_path):
    from cnnviz import classroom as C
    from cnnviz.runs.service import RunService

    store = RunStore(tmp_path / "home")
    run_id, _ = store.import_run(trained_run[2], "demo.safetensors")
    svc, teacher = RunService(None, store=store), C.User("t", C.TEACHER)
    assert svc.checkpoint_problem(teacher, run_id) is None
    assert svc.export(teacher, run_id) == trained_run[2]
    path = store.checkpoint_path(run_id)
    for damage in DAMAGE.values():
        path.write_bytes(damage(trained_run[2]))
        problem = svc.checkpoint_problem(teacher, run_id)
        assert problem is not None and problem.key == "checkpoint.unreadable"
        assert svc.export(teacher, run_id) is None
    path.write_bytes(trained_run[2] + b"\0" * 16)  # grown: no longer the file its header says
    assert svc.checkpoint_problem(teacher, run_id) is not None
    path.unlink()
    assert svc.checkpoint_problem(teacher, run_id) is None and svc.export(teacher, run_id) is None
