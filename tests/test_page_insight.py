"""AppTest of "What the network learned": a stored run classifies a test image, its confusion
matrix is computed in the background and matches its validation accuracy, a mistake from the
gallery opens in the classifier, two runs compare, and runs that cannot answer say why."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from cnnviz import insight as I
from cnnviz.data import TEXT_LABELS
from cnnviz.models import PRESETS
from cnnviz.runs import RunManager, RunStore
from cnnviz.train import RunConfig
from conftest import app_test, assert_clean
from conftest import plotly_array as arr
from ui.common import md_escape

pytestmark = [pytest.mark.apptest, pytest.mark.usefixtures("one_torch_thread")]


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, trained_run):
    """A store with the trained LeNet (imported from its file) and a LeNet-ReLU of the same
    group trained on 1,000 images: (root, [sigmoid id, ReLU id])."""
    import torch

    root = tmp_path_factory.mktemp("insight_home")
    store = RunStore(root)
    first, _ = store.import_run(trained_run[2], "lenet.safetensors")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    manager = RunManager(store)
    config = RunConfig(PRESETS["LeNet-ReLU"], num_epochs=2, limit=1000, val_limit=128)
    second = manager.submit(config, name="LeNet-ReLU", group="g1", preset="LeNet-ReLU")
    assert manager.wait(second, 120) == "finished"
    manager.shutdown()
    torch.set_num_threads(before)
    return root, [first, second]


@pytest.fixture
def home(two_runs, monkeypatch):
    root, ids = two_runs
    monkeypatch.setenv("CNNVIZ_HOME", str(root))  # before the page asks for its manager
    return RunStore(root), ids


def texts(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for e in at.info] + [e.value for e in at.warning]
    return "\n".join(parts + [e.value for e in at.error])


def chart(at, key: str) -> dict | None:
    for c in at.get("plotly_chart"):
        if c.proto.id and c.proto.id.endswith(key):
            return json.loads(c.proto.spec)
    return None


def evaluated(at, key: str = "insight_cm_0", timeout: float = 60) -> dict:
    """Rerun (AppTest does not fire run_every) until the background evaluation is drawn."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = chart(at, key)
        if got is not None:
            return got
        time.sleep(0.2)
        at.run()
        assert_clean(at)
    raise AssertionError(f"{key} never appeared: {texts(at)}")


def test_classify_a_test_image(home):
    store, (lenet, relu) = home
    at = app_test("insight.py").run()
    assert_clean(at)
    assert at.title[0].value == "What the network learned"
    assert at.selectbox(key="insight_run").value == relu  # the newest finished run
    assert at.segmented_control(key="insight_source").value == "Test image"
    at.number_input(key="insight_test_index").set_value(42).run()
    assert_clean(at)
    spec = chart(at, "insight_probs")
    (bars,) = spec["data"]
    assert bars["y"] == list(TEXT_LABELS)
    expected = I.predict((store, relu), _test_image(42), fit=False)
    assert np.allclose(arr(bars["x"]), expected)
    top = TEXT_LABELS[int(expected.argmax())]
    body = texts(at)
    assert f"**{md_escape('LeNet-ReLU')}** says **{top}**" in body and "Test image 42:" in body
    assert "kept at 28×28, the run's input size" in body
    assert chart(at, "insight_saliency_0") is not None
    assert "the last convolutional stage, `4` (ReLU: 16 channels of 10×10)" in body
    at.segmented_control(key="insight_method").set_value("gradient").run()
    at.selectbox(key="insight_class").set_value(3).run()
    assert_clean(at)
    assert f"LeNet-ReLU: {TEXT_LABELS[3]}" in json.dumps(chart(at, "insight_saliency_0"))


def _test_image(i: int):
    from cnnviz.data import load_fashion_mnist

    return load_fashion_mnist().test_images[i].float().div(255)


def test_confusion_matrix_and_gallery_open_in_the_classifier(home):
    store, (lenet, relu) = home
    at = app_test("insight.py").run()
    cm_spec = evaluated(at)
    heat = cm_spec["data"][0]
    cm = arr(heat["text"])
    assert cm.shape == (10, 10) and cm.sum() == 128
    stored = store.metrics_rows(relu)[-1]["val_acc"]
    assert np.trace(cm) / cm.sum() == stored
    assert f"accuracy **{stored:.1%}** — its final validation accuracy was {stored:.1%}" in (
        texts(at)
    )
    assert chart(at, "insight_per_class") is not None

    opens = [b for b in at.button if (b.key or "").startswith("insight_open_")]
    assert len(opens) == 12
    first = int(opens[0].key.rsplit("_", 1)[1])
    opens[0].click().run()
    assert_clean(at)
    assert at.number_input(key="insight_test_index").value == first
    assert at.segmented_control(key="insight_source").value == "Test image"
    truth = TEXT_LABELS[int(_labels()[first])]
    assert f"Test image {first}:" in texts(at) and "wrong: it is" in texts(at)
    assert truth in texts(at)

    at.selectbox(key="insight_mis_true").set_value(int(_labels()[first])).run()
    assert_clean(at)
    shown = [int(b.key.rsplit("_", 1)[1]) for b in at.button if (b.key or "").startswith(
        "insight_open_")]  # fmt: skip
    assert shown and all(int(_labels()[i]) == int(_labels()[first]) for i in shown)


def _labels():
    from cnnviz.data import load_fashion_mnist

    return load_fashion_mnist().test_labels


def test_two_runs_side_by_side(home):
    store, (lenet, relu) = home
    at = app_test("insight.py").run()
    at.toggle(key="insight_compare").set_value(True).run()
    assert_clean(at)
    assert at.selectbox(key="insight_run_b").value == lenet
    bars = chart(at, "insight_probs")["data"]
    assert [b["name"] for b in bars] == ["LeNet-ReLU", "class demo"]
    evaluated(at, "insight_cm_1")
    diff = chart(at, "insight_diff")
    assert diff is not None and diff["data"][0]["zmid"] == 0
    body = texts(at)
    assert "class demo gets" in body
    assert f"test images right than {md_escape('LeNet-ReLU')}" in body
    at.radio(key="insight_mis_run").set_value(1).run()
    assert_clean(at)


def test_no_runs_and_runs_that_cannot_answer(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path / "empty"))
    at = app_test("insight.py").run()
    assert_clean(at)
    assert "No runs yet" in texts(at)

    root = tmp_path / "bad"
    monkeypatch.setenv("CNNVIZ_HOME", str(root))
    store = RunStore(root)
    stopped = store.create(RunConfig(PRESETS["LeNet"], num_epochs=2), name="too soon")
    store.set_status(stopped, "stopped")
    at = app_test("insight.py").run()
    assert_clean(at)
    assert "“too soon” was stopped before its first epoch ended" in texts(at)
    assert not at.get("plotly_chart")


def test_presenter_mode_and_a_blank_drawing_message(home):
    at = app_test("insight.py")
    at.session_state["presenter_mode"] = True
    at.run()
    assert_clean(at)
    assert chart(at, "insight_probs")["layout"]["font"]["size"] == 20
    at.segmented_control(key="insight_source").set_value("Draw").run()
    assert_clean(at)
    # AppTest cannot draw on the canvas component: the page asks for a drawing
    assert "Draw a piece of clothing" in texts(at)


def test_a_bigger_network_is_evaluated_on_request(tmp_path, monkeypatch):
    """A ResNet-18 run (96×96 inputs): the classifier resizes to 96×96; evaluating its 10,000
    test images would take minutes on a CPU, so it waits for a click."""
    from cnnviz.train import build_net

    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path / "home"))
    store = RunStore(tmp_path / "home")
    config = RunConfig(PRESETS["ResNet-18"], num_epochs=1)
    run_id = store.create(config, name="ResNet-18", preset="ResNet-18")
    store.add_epoch(run_id, dict(epoch=1, train_loss=2.3, train_acc=0.1, val_loss=2.3,
                                 val_acc=0.1, examples_per_s=50.0, seconds=1.0))  # fmt: skip
    store.save_state_dict(run_id, build_net(config).state_dict(), "finished")
    store.set_status(run_id, "finished")
    at = app_test("insight.py").run()
    assert_clean(at)
    assert "resized 28×28 → 96×96" in texts(at)
    button = at.button(key=f"insight_eval_{run_id}")
    assert button.label.startswith("Evaluate ResNet") and "10,000 test images (about" in (
        button.label
    )
    assert chart(at, "insight_cm_0") is None
    assert "The gallery appears when the evaluation above is done." in texts(at)


def test_another_students_run_is_not_offered(tmp_path, monkeypatch, trained_run):
    """Students question their own runs and the class's, as on the Training page."""
    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path / "home"))
    store = RunStore(tmp_path / "home")
    store.import_run(trained_run[2], "lenet.safetensors", user="someone-else")
    at = app_test("insight.py").run()
    assert_clean(at)
    assert "No runs yet" in texts(at)


NO_WEIGHTS = {  # what the page says of a run without (readable) stored weights, what to do
    "deleted": {"en": " has no stored weights (", "ko": "에는 저장된 가중치가 없습니다 ("},
    "truncated": {"en": " has no readable stored weights (", "ko": "의 저장된 가중치를 읽을 수"},
    "zero bytes": {"en": " has no readable stored weights (", "ko": "의 저장된 가중치를 읽을 수"},
    "another network": {
        "en": " has no readable stored weights (",
        "ko": "의 저장된 가중치를 읽을 수",
    },
    "no tensors": {
        "en": " has no stored weights yet:",
        "ko": "에는 아직 저장된 가중치가 없습니다:",
    },
    "stopped early": {
        "en": " was stopped before its first epoch ended: it has no stored weights yet. Train it "
        "for at least one epoch",
        "ko": "은(는) 첫 에포크가 끝나기 전에 중지되었습니다: 아직 저장된 가중치가 없습니다. "
        "적어도 한 에포크 학습시키거나",
    },
    "imported early": {
        "en": " was stopped before its first epoch ended: it has no stored weights yet.",
        "ko": "은(는) 첫 에포크가 끝나기 전에 중지되었습니다: 아직 저장된 가중치가 없습니다.",
    },
}
WHAT_TO_DO = {"en": "or pick another run.", "ko": "다른 실행을 고르세요."}


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("case", list(NO_WEIGHTS))
def test_a_run_without_stored_weights_says_so_and_what_to_do(
    tmp_path, monkeypatch, trained_run, case, lang
):
    """A run stopped before its first epoch (trained here, or imported from its file), and one
    whose weights file was deleted, cut short, emptied, or replaced: a message in the page's
    language saying it has no stored weights yet and what to do; no traceback, no chart, and
    the run picker stays to choose another run."""
    import torch
    from safetensors.torch import save_file

    from cnnviz.train import build_net

    root = tmp_path / "home"
    monkeypatch.setenv("CNNVIZ_HOME", str(root))
    store = RunStore(root)
    early = RunConfig(PRESETS["LeNet"], num_epochs=2, limit=256, val_limit=128)
    if case in ("stopped early", "imported early"):
        where = store if case == "stopped early" else RunStore(tmp_path / "elsewhere")
        run_id = where.create(early, name="class demo")
        where.save_state_dict(run_id, build_net(early).state_dict(), "stopped")
        where.set_status(run_id, "stopped")
        if case == "imported early":
            run_id, added = store.import_run(where.checkpoint_path(run_id).read_bytes(), "x")
            assert added and store.get(run_id).epochs_done == 0
    else:
        run_id, _ = store.import_run(trained_run[2], "run.safetensors")
        path = store.checkpoint_path(run_id)
        if case == "deleted":
            path.unlink()
        elif case == "truncated":
            path.write_bytes(path.read_bytes()[:500])
        elif case == "zero bytes":
            path.write_bytes(b"")
        elif case == "no tensors":
            save_file({}, str(path))
        elif case == "another network":
            save_file({"weight": torch.zeros(3)}, str(path))
    I.clear_cache()
    at = app_test("insight.py")
    at.query_params["lang"] = lang
    at.run()
    assert_clean(at)
    said = "\n".join(w.value for w in at.warning)
    assert md_escape(f"“class demo”{NO_WEIGHTS[case][lang]}") in said, said
    assert md_escape(WHAT_TO_DO[lang]) in said
    assert "Error" not in said and "safetensors file)" not in said  # no library internals
    assert at.selectbox(key="insight_run").value == run_id
    assert not at.get("plotly_chart")
