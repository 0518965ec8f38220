"""Starting runs through the run service: one run, an ablation group, a list of runs, each as
the acting user's, held to the class limits with the role re-read from the store first (a
teacher locked out in another browser is a student again at once), all or none."""

from __future__ import annotations

import pytest
from test_service import NoSlot

from cnnviz import ablation as A
from cnnviz.classroom import TEACHER, LimitError, Limits, User
from cnnviz.models import PRESETS
from cnnviz.runs import RunManager, RunStore
from cnnviz.runs.service import RunService
from cnnviz.train import RunConfig

pytestmark = pytest.mark.unit

CFG = RunConfig(PRESETS["LeNet"], num_epochs=1, limit=256, val_limit=128)
ANN = User("a" * 16, address="10.0.0.7")
TEACH = User("t" * 16, TEACHER, "10.0.0.7")


@pytest.fixture
def world(tmp_path):
    """A store, a manager that starts nothing (two runs a student may queue), and whether the
    teacher still holds the role (the role check a page's service re-reads)."""
    store = RunStore(tmp_path / "store")
    mgr = RunManager(store, executor=NoSlot(), limits=Limits(max_queued_per_user=2))
    teacher_now = {"yes": True}
    svc = RunService(mgr, role_check=lambda user: teacher_now["yes"])
    yield svc, store, teacher_now
    mgr.shutdown()
    store.close()


def test_one_run_is_queued_as_the_users_own(world):
    svc, store, _ = world
    run_id = svc.submit_run(ANN, CFG, name="mine", preset="LeNet", submit_token="press-1")
    rec = store.get(run_id)
    assert (rec.status, rec.user, rec.name, rec.preset, rec.group) == (
        "queued", ANN.id, "mine", "LeNet", None,
    )  # fmt: skip
    assert store.address_load()[0] == {run_id: ANN.address}  # where it was queued from
    # the same press arriving twice queues once
    assert svc.submit_run(ANN, CFG, name="mine", submit_token="press-1") == run_id
    assert len(store.queued()) == 1


def test_a_student_is_held_to_the_limits(world):
    svc, store, _ = world
    svc.submit(ANN, [(CFG, "one", None, None), (CFG, "two", None, None)])
    with pytest.raises(LimitError) as err:
        svc.submit_run(ANN, CFG, name="three")
    assert err.value.key == "limit.user_queue"
    assert [r.name for r in store.list_runs()] == ["two", "one"]  # nothing more was queued


def test_the_role_is_re_read_before_a_teachers_submission(world):
    svc, store, teacher_now = world
    for _ in range(3):  # the teacher is exempt from the students' caps
        svc.submit_run(TEACH, CFG)
    assert len(store.queued()) == 3
    teacher_now["yes"] = False  # locked in another browser: a student from the next action on
    with pytest.raises(LimitError):
        svc.submit(TEACH, [(CFG, "a", None, None), (CFG, "b", None, None)] * 2)
    assert len(store.queued()) == 3


def test_an_ablation_group_is_queued_all_or_none(world):
    svc, store, _ = world
    with pytest.raises(LimitError) as err:  # three variants: more than a student's two
        svc.submit_group(ANN, A.GROUPS["vgg"], "quick", seed=1)
    assert err.value.key == "limit.user_queue" and store.queued() == []
    assert len(svc.submit_group(ANN, "lenet", "quick", seed=1)) == 2  # two fit
    group = A.GROUPS["lenet"]
    ids = svc.submit_group(TEACH, group, "quick", seed=1, seeds=2, submit_token="g")
    assert len(ids) == 2 * len(group.variants)
    assert ids == svc.submit_group(TEACH, group, "quick", seed=1, seeds=2, submit_token="g")
    names = [store.get(i).name for i in ids]
    assert sorted(set(names)) == sorted(v.name for v in group.variants)
    assert len({store.get(i).group for i in ids}) == 1  # one group label
    assert [c for c, *_ in A.group_entries(group, "quick", 1, 2)] == [
        store.get(i).config for i in ids
    ]  # the order the lab plans


def test_bad_seeds_are_refused_with_the_reason(world):
    svc, store, _ = world
    with pytest.raises(A.GridError) as err:
        svc.submit_group(TEACH, "lenet", "quick", seeds=0)
    assert err.value.key == "ablation.seeds"
    assert store.queued() == []


def test_a_reading_service_cannot_start_runs(tmp_path):
    store = RunStore(tmp_path / "s")
    with pytest.raises(RuntimeError, match="only reads"):
        RunService(None, store=store).submit_run(ANN, CFG)
    assert store.queued() == []
    store.close()
