"""A class experiment in the library: the plan (one field varied at the lab's sizes), values
handed out round-robin or picked, one Start one run (as the student's), the board read from
stored runs (a diverged one included), the conclusion sentence, the CSV, a board that survives
a new store object, the spotlight, and a student refused every teacher action."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from cnnviz import class_experiment as X
from cnnviz.classroom import TEACHER, User
from cnnviz.runs import RunStore
from cnnviz.runs.service import RunAccessError, RunService

pytestmark = pytest.mark.unit
TEACH = User("t" * 16, TEACHER)
CLASS = "c1"


@dataclass(frozen=True)
class Seat:  # the parts of a class seat the experiment reads
    seat_id: str
    user_id: str


class Queue:
    """The run manager's submit, without its dispatcher: runs are queued in the store and the
    test writes their epochs (no training)."""

    def __init__(self, store):
        self.store = store
        self.submitted = []

    def submit_many(self, entries, user, estimate_s=None, **kw):
        self.submitted.append((entries, user))
        return self.store.create_many(entries, "test", user.id)


def students(n: int) -> list[tuple[User, Seat]]:
    return [(User(f"s{i:015d}"), Seat(f"seat{i}", f"s{i:015d}")) for i in range(n)]


@pytest.fixture
def classx(tmp_path):
    store = RunStore(tmp_path / "home")
    svc = RunService(Queue(store), store=store)
    return X.ClassExperiments(svc)


def finish(store, run_id: str, accs: list[float], losses: list[float | None]) -> None:
    for e, (acc, loss) in enumerate(zip(accs, losses, strict=True), 1):
        store.add_epoch(run_id, {"epoch": e, "train_loss": loss, "train_acc": acc,
                                 "val_loss": loss, "val_acc": acc, "examples_per_s": 1000.0,
                                 "seconds": 1.0})  # fmt: skip
    store.set_status(run_id, "finished")


def test_the_plan_varies_one_field_at_the_labs_size():
    steps = X.plan("LeNet", "lr", "0.1, 0.9, 1.5", "quick", seed=3)
    assert [s["label"] for s in steps] == ["lr 0.1", "lr 0.9", "lr 1.5"]
    configs = [X.RunConfig.from_dict(s["config"]) for s in steps]
    assert [c.lr for c in configs] == [0.1, 0.9, 1.5]
    assert {(c.num_epochs, c.limit, c.seed, c.spec) for c in configs} == {
        (2, 2_000, 3, configs[0].spec)
    }  # the lab's quick LeNet: 2,000 images, 2 epochs; everything else the same
    variants = X.plan("ResNet-18", "variant", ["ResNet-18", "ResNet-18-noBN"], "classroom")
    specs = [X.RunConfig.from_dict(s["config"]).spec for s in variants]
    assert [s.input_size for s in specs] == [32, 32] and specs[0] != specs[1]
    assert "activation" in X.fields_for("LeNet") and "variant" in X.fields_for("VGG-small")
    sizes = [X.RunConfig.from_dict(s["config"]).batch_size
             for s in X.plan("LeNet", "batch_size", "32, 256")]  # fmt: skip
    assert sizes == [32, 256]


@pytest.mark.parametrize(
    ("field", "values", "key"),
    [("lr", "0.1, abc", "experiment.bad_value"), ("lr", "0.1", "experiment.values"),
     ("lr", "0, 0.1", "experiment.bad_value"), ("activation", ["relu", "swish"],
     "experiment.bad_choice"), ("growth_rate", [16, 32], "experiment.field")],
)  # fmt: skip
def test_a_bad_setup_is_refused_with_a_reason(field, values, key):
    with pytest.raises(X.ExperimentError) as got:
        X.plan("LeNet", field, values)
    assert got.value.key == key


def test_full_size_needs_a_gpu_or_ray_and_the_teachers_leave(classx):
    with pytest.raises(X.ExperimentError, match="GPU or a Ray"):
        classx.create(TEACH, CLASS, "LeNet", "lr", "0.1, 0.9", mode="full", full_allowed=True)
    assert X.sizes(gpu=True, ray=False, allow_full=False) == ("quick", "classroom")
    exp = classx.create(TEACH, CLASS, "LeNet", "lr", "0.1, 0.9", mode="full",
                        full_allowed=True, ray=True)  # fmt: skip
    assert exp.mode == "full"


def test_round_robin_hands_values_out_in_join_order(classx):
    exp = classx.create(TEACH, CLASS, "LeNet", "lr", "0.1, 0.9, 1.5")
    seats = [seat for _, seat in students(5)]
    got = classx.hand_out(TEACH, exp, seats)
    assert [a["value"] for a in got] == [0, 1, 2, 0, 1]
    assert classx.assignment(exp, seats[3])["value"] == 0  # asked again: the same
    late = Seat("late", "l" * 16)
    assert classx.assignment(exp, late)["value"] == 2  # the value fewest seats hold


def test_students_pick_their_value_until_they_start(classx):
    exp = classx.create(TEACH, CLASS, "LeNet", "lr", "0.1, 0.9", handout=X.PICK)
    (ann, seat), (bob, bob_seat) = students(2)
    assert classx.assignment(exp, seat) is None
    with pytest.raises(X.ExperimentError, match="Pick a value"):
        classx.start(ann, exp, seat)
    classx.pick(ann, exp, seat, 1)
    classx.pick(ann, exp, seat, 0)  # changed their mind
    with pytest.raises(RunAccessError):
        classx.pick(bob, exp, seat, 1)  # another seat's pick
    run_id = classx.start(ann, exp, seat)
    assert classx.store.get(run_id).config.lr == 0.1
    with pytest.raises(X.ExperimentError, match="value is set"):
        classx.pick(ann, exp, seat, 1)
    with pytest.raises(X.ExperimentError):
        classx.pick(bob, exp, bob_seat, 5)


def test_one_start_one_run_as_the_students_and_again_after_a_stop(classx):
    exp = classx.create(TEACH, CLASS, "LeNet", "lr", "0.1, 0.9")
    (ann, seat), (bob, _) = students(2)
    with pytest.raises(RunAccessError):
        classx.start(bob, exp, seat)  # not Bob's seat
    run_id = classx.start(ann, exp, seat)
    rec = classx.store.get(run_id)
    assert rec.user == ann.id and rec.config.lr == 0.1 and rec.status == "queued"
    assert classx.service.manager.submitted[0][1] == ann  # through the service, as Ann
    with pytest.raises(X.ExperimentError, match="started already"):
        classx.start(ann, exp, seat)
    classx.store.set_status(run_id, "stopped")
    again = classx.start(ann, exp, seat)
    assert again != run_id and classx.store.get(again).config.seed == rec.config.seed
    classx.end(TEACH, exp)
    with pytest.raises(X.ExperimentError, match="ended"):
        classx.start(ann, classx.get(exp.experiment_id), seat)


def test_a_refused_start_keeps_nothing(classx):
    exp = classx.create(TEACH, CLASS, "LeNet", "lr", "0.1, 0.9")
    ann, seat = students(1)[0]

    def refuse(*a, **k):
        raise X.C.LimitError("The class queue is full.", "limit.class_queue", n=1, most=1)

    classx.service.manager.submit_many = refuse
    with pytest.raises(X.C.LimitError):
        classx.start(ann, exp, seat)
    assert classx.assignment(exp, seat)["run_id"] is None  # the claim was undone


def three_per_value(classx):
    """Nine seats over lr 0.1, 0.9, 1.5 (three runs each), trained: 1.5 diverged twice."""
    exp = classx.create(TEACH, CLASS, "LeNet", "lr", "0.1, 0.9, 1.5")
    people = students(9)
    classx.hand_out(TEACH, exp, [seat for _, seat in people])
    results = {0: ([0.70, 0.78], [0.9, 0.6]), 1: ([0.80, 0.86], [0.6, 0.4]),
               2: ([0.10, 0.10], [None, None])}  # fmt: skip
    for i, (user, seat) in enumerate(people):
        run_id = classx.start(user, exp, seat)
        accs, losses = results[i % 3]
        if i == 8:  # one run of lr 1.5 did train
            accs, losses = [0.5, 0.6], [1.2, 1.0]
        finish(classx.store, run_id, [a + 0.001 * i for a in accs], losses)
    names = {seat.seat_id: f"Student {i + 1}" for i, (_, seat) in enumerate(people)}
    assert not classx.board(exp, names).final  # every seat's own curve until the teacher ends
    classx.end(TEACH, exp)
    return classx.get(exp.experiment_id), names


def test_the_board_from_stored_runs_with_a_diverged_one(classx):
    exp, names = three_per_value(classx)
    board = classx.board(exp, names)
    assert board.final and not board.live
    table = board.table()
    assert list(table["seat"]) == [f"Student {i}" for i in range(1, 10)]
    assert list(table["value"]) == ["lr 0.1", "lr 0.9", "lr 1.5"] * 3
    assert list(table["diverged"]) == [False, False, True] * 2 + [False, False, False]
    assert table["final val acc"].iloc[1] == pytest.approx(0.861)
    assert math.isnan(table["final train loss"].iloc[2])  # a NaN loss is kept as missing
    # each value's n-th run shares its seed (paired as the lab pairs its seeds)
    assert list(table["seed"]) == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert {k: len(v) for k, v in board.runs.items()} == {"lr 0.1": 3, "lr 0.9": 3, "lr 1.5": 3}
    long = board.long()
    assert set(long["variant"]) == {"lr 0.1", "lr 0.9", "lr 1.5"} and set(long["seed"]) == {0, 1, 2}
    scatter = board.scatter()
    assert len(scatter) == 9 and scatter["diverged"].sum() == 2


def test_the_conclusion_names_the_best_value_and_the_diverged_runs(classx):
    exp, names = three_per_value(classx)
    lines = X.conclusion(classx.board(exp, names))
    assert lines[0].startswith("lr 0.9 trained best (final validation accuracy 86.")
    assert "mean of 3 run(s))" in lines[0] and "at lr 1.5, 2 of 3 runs diverged" in lines[0]
    # the lab's verdicts on the best value against each other one (3 seeds each)
    assert any(line.startswith("lr 0.9 beats lr 0.1 by 8") for line in lines[1:]), lines
    assert len(lines) == 3


def test_no_conclusion_before_an_epoch_and_every_run_diverged(classx):
    exp = classx.create(TEACH, CLASS, "LeNet", "lr", "5, 9")
    people = students(2)
    assert X.conclusion(classx.board(exp)) == []
    for user, seat in people:
        finish(classx.store, classx.start(user, exp, seat), [0.1], [math.inf])
    assert X.conclusion(classx.board(exp)) == [
        "every run diverged; at lr 5, 1 of 1 runs diverged; at lr 9, 1 of 1 runs diverged"
    ]


def test_the_csv_holds_one_row_per_seat(classx):
    exp, names = three_per_value(classx)
    import io

    import pandas as pd

    csv = pd.read_csv(io.StringIO(classx.board(exp, names).csv()))
    assert len(csv) == 9 and list(csv.columns[:3]) == ["seat", "value", "status"]
    assert set(csv["status"]) == {"finished"}


def test_the_board_survives_a_new_store_object(classx, tmp_path):
    exp, names = three_per_value(classx)
    before = classx.board(exp, names).table()
    store = RunStore(tmp_path / "home")  # a restarted server opens the store again
    again = X.ClassExperiments(RunService(None, store=store))
    exp2 = again.current(CLASS)
    assert exp2 == exp
    after = again.board(exp2, names).table()
    assert before.equals(after)
    assert X.conclusion(again.board(exp2, names)) == X.conclusion(classx.board(exp, names))


def test_a_live_board_has_each_runs_points(classx):
    exp = classx.create(TEACH, CLASS, "LeNet", "lr", "0.1, 0.9")
    (ann, seat), (bob, bob_seat) = students(2)
    run_id = classx.start(ann, exp, seat)
    classx.store.set_status(run_id, "running")
    classx.store.add_points(run_id, [(0.1 * i, 2.3 - 0.1 * i) for i in range(300)], {})
    board = classx.board(exp, {})
    assert board.live and not board.final
    assert len(board.points[run_id]) == 200 and board.points[run_id][-1][0] == pytest.approx(29.9)
    classx.store.set_status(run_id, "finished")
    assert not classx.board(exp, {}).final and not classx.board(exp, {}).live


def test_the_spotlight_is_the_teachers_and_a_student_sees_only_their_own(classx):
    exp = classx.create(TEACH, CLASS, "LeNet", "lr", "0.1, 0.9")
    (ann, seat), (bob, bob_seat) = students(2)
    run_id = classx.start(ann, exp, seat)
    assert classx.spotlight(TEACH, CLASS) is None
    with pytest.raises(X.ExperimentError, match="no run"):
        classx.set_spotlight(TEACH, CLASS, "run", bob_seat)
    classx.set_spotlight(TEACH, CLASS, "run", seat)
    assert classx.spotlight(TEACH, CLASS)["run_id"] == run_id
    assert classx.spotlight(ann, CLASS)["run_id"] == run_id  # their own run
    with pytest.raises(RunAccessError):
        classx.spotlight(bob, CLASS)  # another seat's spotlight
    classx.set_spotlight(TEACH, CLASS, "board")
    assert classx.spotlight(bob, CLASS)["kind"] == "board"
    fresh = X.ClassExperiments(RunService(None, store=RunStore(classx.store.root)))
    assert fresh.spotlight(TEACH, CLASS)["kind"] == "board"  # kept in the store


def test_a_student_is_refused_every_teacher_action(classx):
    exp = classx.create(TEACH, CLASS, "LeNet", "lr", "0.1, 0.9")
    ann, seat = students(1)[0]
    pretender = User(ann.id, TEACHER)  # a role the store does not hold
    svc = RunService(classx.service.manager, role_check=lambda u: False, store=classx.store)
    checked = X.ClassExperiments(svc)
    for who, cx in ((ann, classx), (pretender, checked)):
        assert not cx.is_teacher(who)
        with pytest.raises(RunAccessError):
            cx.create(who, CLASS, "LeNet", "lr", "0.1, 0.9")
        with pytest.raises(RunAccessError):
            cx.end(who, exp)
        with pytest.raises(RunAccessError):
            cx.set_spotlight(who, CLASS, "board")
        with pytest.raises(RunAccessError):
            cx.hand_out(who, exp, [seat])
    assert classx.current(CLASS).ended is None


def test_the_boards_figures_pass_plotlys_validation(classx):
    """The board's figures skip validation for speed (fast_figure): what they send must be
    what Plotly accepts, with a value's colour, dash and marker in every figure."""
    import plotly.graph_objects as go

    from cnnviz.plots import board as PB

    exp, names = three_per_value(classx)
    board = classx.board(exp, names)
    live = classx.board(exp, names)  # the per-epoch curves of ended runs
    for fig in (PB.seat_curves(live), PB.value_bands(board), PB.value_scatter(board)):
        checked = go.Figure(fig.to_dict())  # raises on an invalid property
        assert checked.to_plotly_json()["data"]
    bands = PB.value_bands(board).to_dict()["data"]
    means = [t for t in bands if t.get("showlegend") is not False]
    assert [t["name"] for t in means] == ["lr 0.1", "lr 0.9", "lr 1.5"]
    assert [t["line"]["color"] for t in means] == list(PB.value_colors(exp.labels).values())
    assert len({t["marker"]["symbol"] for t in means}) == 3
    scatter = PB.value_scatter(board).to_dict()["data"]
    assert [s.endswith("-open") for s in scatter[2]["marker"]["symbol"]] == [True, True, False]
    curves = PB.seat_curves(live).to_dict()["data"]
    assert len(curves) == 9 and sum(t["showlegend"] for t in curves) == 3
    axis = PB.seat_curves(live).to_dict()["layout"]["xaxis"]
    assert (axis["tick0"], axis["dtick"]) == (0, 1)  # whole epochs: no "0.5" under the curves


def test_values_that_end_level_have_no_best(classx):
    exp = classx.create(TEACH, CLASS, "LeNet", "lr", "0.01, 0.1, 0.9")
    for user, seat in students(3):
        finish(classx.store, classx.start(user, exp, seat), [0.094], [2.35])
    assert X.conclusion(classx.board(exp)) == [
        "lr 0.01, lr 0.1, lr 0.9 ended level (final validation accuracy 9.4 %): none trained best"
    ]
