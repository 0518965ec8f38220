"""The run service keeps students apart: every read and action through it names the acting
user, and another student's run is refused with a typed error, whether or not the teacher lets
students open runs by link; the teacher may do everything; a run file that collides with
another student's run comes in as the importer's own copy and never shows the other run."""

from __future__ import annotations

import pytest

from cnnviz.classroom import OPERATOR, TEACHER, User
from cnnviz.models import PRESETS, build_model
from cnnviz.runs import RunManager, RunNotFoundError, RunStore
from cnnviz.runs.service import RunAccessError, RunService
from cnnviz.train import RunConfig

pytestmark = pytest.mark.unit

CFG = RunConfig(PRESETS["LeNet"], num_epochs=2, limit=256, val_limit=128)
ANN, BOB = User("a" * 16), User("b" * 16)
TEACH = User("t" * 16, TEACHER)
EPOCH = {"epoch": 1, "train_loss": 1.0, "train_acc": 0.5, "val_loss": 1.1, "val_acc": 0.6,
         "examples_per_s": 100.0, "seconds": 2.0}  # fmt: skip


class NoSlot:
    """An executor that never starts anything: queued runs stay queued."""

    kind, slots, token = "fake", 1, "x"

    def free_slots(self):
        return 0

    def start(self, run_id, config):  # pragma: no cover - never called
        raise AssertionError

    def cancel(self, run_id):
        pass

    def poll(self):
        return []

    def alive(self):
        return set()

    def shutdown(self):
        pass


@pytest.fixture(params=["links on", "links off"])
def world(request, tmp_path):
    """Bob has a finished run (weights, metrics, analysis) and a queued one; Ann has one."""
    store = RunStore(tmp_path / "store")
    mgr = RunManager(store, executor=NoSlot())
    svc = RunService(mgr)
    store.set_setting("share_links", "1" if request.param == "links on" else "0")
    bobs = store.create(CFG, name="bob's", user=BOB.id, status="running")
    store.add_epoch(bobs, EPOCH)
    store.save_state_dict(bobs, build_model(CFG.spec).state_dict())
    store.save_analysis(bobs, {"num_images": 10})
    store.set_status(bobs, "finished")
    queued = mgr.submit(CFG, name="bob's queued", user=BOB.id)
    anns = store.create(CFG, name="ann's", user=ANN.id, status="finished")
    yield svc, bobs, queued, anns
    mgr.shutdown()
    store.close()


def links_on(svc: RunService) -> bool:
    return svc.share_links()


def test_a_student_does_not_list_anothers_runs(world):
    svc, bobs, queued, anns = world
    assert {r.run_id for r in svc.list_runs(ANN)} == {anns}
    assert {r.run_id for r in svc.list_runs(TEACH)} == {bobs, queued, anns}


@pytest.mark.parametrize(
    "read",
    [
        lambda s, r: s.get(ANN, r),
        lambda s, r: s.metrics(ANN, r),
        lambda s, r: s.points(ANN, r),
        lambda s, r: s.checkpoint_bytes(ANN, r),
        lambda s, r: s.export(ANN, r),
        lambda s, r: s.state_dict(ANN, r),
        lambda s, r: s.analysis(ANN, r),
        lambda s, r: s.compare(ANN, [r]),
        lambda s, r: s.listed(ANN, r),
    ],
    ids=str.split("get metrics points download export weights analysis compare listed"),
)
def test_reading_anothers_run_needs_shared_links(world, read):
    svc, bobs, _, _ = world
    if links_on(svc):  # a run opened by link: watched, never controlled
        assert read(svc, bobs) is not None
    else:
        with pytest.raises(RunAccessError) as info:
            read(svc, bobs)
        assert info.value.key == "access.hidden"


def test_comparing_with_a_hidden_run_is_refused_as_a_whole(world):
    svc, bobs, _, anns = world
    if links_on(svc):
        assert [r.run_id for r in svc.compare(ANN, [anns, bobs])] == [anns, bobs]
    else:
        with pytest.raises(RunAccessError):
            svc.compare(ANN, [anns, bobs])
    assert [r.run_id for r in svc.compare(ANN, [anns])] == [anns]
    with pytest.raises(RunNotFoundError):
        svc.compare(ANN, [anns, "0123456789"])


@pytest.mark.parametrize(
    "act",
    [
        lambda s, r: s.stop(ANN, r),
        lambda s, r: s.delete(ANN, r),
        lambda s, r: s.pin(ANN, r, True),
    ],
    ids=["stop", "delete", "pin"],
)
def test_a_student_may_not_stop_delete_or_pin_anothers_run(world, act):
    svc, bobs, queued, _ = world
    for rid in (bobs, queued):
        with pytest.raises(RunAccessError):
            act(svc, rid)
    assert svc.store.status(queued) == "queued"
    assert svc.store.exists(bobs) and svc.store.owner(bobs) == (BOB.id, False)
    assert svc.stop_live(ANN, [queued, bobs]) == []
    assert svc.store.status(queued) == "queued"


def test_a_student_controls_their_own_runs_but_pins_nothing(world):
    svc, bobs, queued, anns = world
    svc.stop(BOB, queued)
    assert svc.store.status(queued) == "stopped"
    with pytest.raises(RunAccessError) as info:
        svc.pin(ANN, anns, True)
    assert info.value.key == "access.teacher"
    svc.delete(ANN, anns)
    assert not svc.store.exists(anns)


def test_the_teacher_may_do_everything(world):
    svc, bobs, queued, anns = world
    assert svc.get(TEACH, bobs).name == "bob's"
    assert svc.checkpoint_bytes(TEACH, bobs)
    assert svc.analysis(TEACH, bobs) == {"num_images": 10}
    svc.pin(TEACH, bobs, True)
    assert svc.store.owner(bobs) == (BOB.id, True)
    assert bobs in {r.run_id for r in svc.list_runs(ANN)}  # pinned: the class's to see now
    assert svc.get(ANN, bobs).run_id == bobs
    with pytest.raises(RunAccessError):
        svc.stop(ANN, bobs)  # ... and still not Ann's to control
    svc.stop(TEACH, queued)
    assert svc.store.status(queued) == "stopped"
    svc.delete(TEACH, anns)
    assert not svc.store.exists(anns)
    svc.set_share_links(TEACH, False)
    assert not svc.share_links()
    with pytest.raises(RunAccessError):
        svc.set_share_links(ANN, True)


def test_a_revoked_teacher_is_a_student_at_the_next_action(world):
    svc, bobs, queued, _ = world
    locked = RunService(svc.manager, role_check=lambda user: False)  # Lock in another browser
    with pytest.raises(RunAccessError):
        locked.stop(TEACH, queued)
    with pytest.raises(RunAccessError):
        locked.pin(TEACH, bobs, True)
    assert not locked.may_control(TEACH, queued)
    kept = RunService(svc.manager, role_check=lambda user: user.id == TEACH.id)
    kept.stop(TEACH, queued)
    assert svc.store.status(queued) == "stopped"


def test_an_import_colliding_with_anothers_run_never_reveals_it(world):
    svc, bobs, _, _ = world
    data = svc.checkpoint_bytes(TEACH, bobs)
    svc.store.add_epoch(bobs, {**EPOCH, "epoch": 2, "val_acc": 0.9})  # Bob trained on since
    run_id, added = svc.import_run(ANN, data, "bobs.safetensors")
    assert added and run_id != bobs
    rec = svc.get(ANN, run_id)
    assert rec.user == ANN.id and rec.epochs_done == 1  # the file's run, not Bob's as it is now
    assert [m["val_acc"] for m in svc.metrics(ANN, run_id)] == [0.6]
    assert svc.checkpoint_bytes(ANN, run_id) != svc.checkpoint_bytes(TEACH, bobs)
    listed = {r.run_id for r in svc.list_runs(ANN)}
    assert run_id in listed and bobs not in listed
    # The same file again finds Ann's copy; Bob's run is untouched.
    assert svc.import_run(ANN, data, "bobs.safetensors") == (run_id, False)
    assert svc.store.owner(bobs) == (BOB.id, False)
    assert svc.store.get(bobs).epochs_done == 2
    # The owner (or the teacher) importing it finds the run itself.
    assert svc.import_run(BOB, data, "bobs.safetensors") == (bobs, False)
    assert svc.import_run(TEACH, data, "bobs.safetensors") == (bobs, False)


def test_an_import_racing_anothers_of_the_same_run_never_hands_it_over(world, monkeypatch):
    svc, bobs, _, _ = world
    data = svc.checkpoint_bytes(TEACH, bobs)
    # Bob's run lands between Ann's look and her import's own write (another server process)
    monkeypatch.setattr(svc.store, "exists", lambda run_id: False)
    run_id, added = svc.import_run(ANN, data, "bobs.safetensors")
    monkeypatch.undo()
    assert run_id != bobs and added
    assert svc.store.owner(run_id) == (ANN.id, False)
    assert svc.store.owner(bobs) == (BOB.id, False)
    assert bobs not in {r.run_id for r in svc.list_runs(ANN)}


def test_the_operator_imports_for_the_class(tmp_path):
    store = RunStore(tmp_path / "a")
    src = store.create(CFG, name="x", user=BOB.id, status="running")
    store.add_epoch(src, EPOCH)
    store.save_state_dict(src, build_model(CFG.spec).state_dict())
    store.set_status(src, "finished")
    data = store.checkpoint_path(src).read_bytes()
    other = RunStore(tmp_path / "b")
    svc = RunService(None, store=other)
    run_id, added = svc.import_run(OPERATOR, data, "x.safetensors")
    assert (run_id, added) == (src, True)
    assert other.owner(run_id) == (None, False)  # the class's
    assert run_id in {r.run_id for r in svc.list_runs(ANN)}
    store.close()
    other.close()


def test_a_missing_run_is_a_typed_store_error(world):
    svc, *_ = world
    with pytest.raises(RunNotFoundError) as info:
        svc.get(TEACH, "0123456789")
    assert isinstance(info.value, KeyError)  # callers that look up keep working
    assert str(info.value).startswith("No run '0123456789'")
    assert not svc.may_view(ANN, "0123456789")
