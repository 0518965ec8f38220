"""A class experiment: the whole class runs one ablation together, one run per seat, and the
class board shows what it found (cnnviz goes beyond the book here: d2l trains alone).

The teacher turns a base setup (a preset at one of the lab's sizes) into an experiment that
varies **one** field: the learning rate, the activation, a variant of the family (VGG,
ResNet…), batch norm on or off, the batch size, the seed, or another field the lab may vary.
Values are handed out round-robin over the seats (each new seat gets the value fewest seats
hold) or each student picks one. Every seat starts its own run with one press, through the
run service, as the student's run: the fair queue, the class limits and Ray (when configured)
hold as for any run.

Seats of one value are its repeats: the n-th run of every value trains with seed
``base + n``, so the board can pair the values by seed exactly as the ablation lab does, and
the board's sentence is built by the lab's code (:func:`cnnviz.ablation.seed_comparison`,
:func:`cnnviz.ablation.pair_table`, :func:`cnnviz.ablation.verdicts`), with how many runs of
each value diverged.

Plain data and functions, no Streamlit: the board page draws what :meth:`ClassExperiments.board`
returns; every decision on who may do what is made here (the teacher's role re-read from the
store through the run service).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from cnnviz import ablation as A
from cnnviz import classroom as C
from cnnviz import stats
from cnnviz.config import MAX_BATCH, MAX_LR, RunConfig
from cnnviz.errors import KeyedError
from cnnviz.models import PRESETS
from cnnviz.models.registry import presets_of
from cnnviz.runfile import METRIC_COLUMNS
from cnnviz.runs.experiments import ExperimentData
from cnnviz.runs.service import RunAccessError, RunService
from cnnviz.runs.store import LIVE, RunNotFoundError, StoreError

log = logging.getLogger("cnnviz")

ROUND_ROBIN, PICK = "round_robin", "pick"
HANDOUTS = (ROUND_ROBIN, PICK)
CONFIG_FIELDS = ("lr", "batch_size", "seed")  # a run's settings, not its network's
VARIANT = "variant"  # another preset of the same family
FIRST_FIELDS = ("lr", "activation", VARIANT, "batch_norm", "batch_size", "seed")
MAX_VALUES = 7  # one colour, dash and marker each (cnnviz.plots.base)
MAX_EXPERIMENT_SEED = 10_000
DIVERGED_LOSS = 2 * math.log(10)  # twice a guess's loss on 10 classes: blown up
ENDED_UNFINISHED = ("stopped", "failed", "interrupted")  # a seat may start again after these
SPOTLIGHTS = ("board", "run", "none")


class ExperimentError(KeyedError, ValueError):
    """An experiment that cannot be set up or a Start that cannot happen; says why."""


# -- the plan --------------------------------------------------------------------------------


def fields_for(preset: str) -> list[str]:
    """The fields an experiment on ``preset`` may vary, the usual ones first."""
    spec = PRESETS[preset]
    spec_fields = [f for f, d in A.GRID_FIELDS.items()
                   if spec.family in d["families"] and f not in ("lr", "input_size")]  # fmt: skip
    out = [f for f in FIRST_FIELDS if f in CONFIG_FIELDS or f in spec_fields]
    if len(presets_of(spec.family)) >= 2:
        out.insert(2, VARIANT)
    return out + [f for f in spec_fields if f not in out]


def choices(preset: str, field: str) -> list | None:
    """The values a field offers (None: numbers the teacher types: lr, batch size, seed)."""
    if field in CONFIG_FIELDS:
        return None
    if field == VARIANT:
        return list(presets_of(PRESETS[preset].family))
    return list(A.GRID_FIELDS[field]["values"])


DEFAULTS = {"lr": "0.01, 0.1, 0.9", "batch_size": "32, 128, 512", "seed": "0, 1, 2"}


def parse_values(field: str, values) -> list:
    """The values as the field takes them: numbers from text ("0.01, 0.1, 0.9") for the
    learning rate, batch size and seed; the chosen ones for the others. Two to
    :data:`MAX_VALUES` distinct values.

    Raises:
        ExperimentError: a value that is no number or out of range, or too few or many.
    """
    if isinstance(values, str):
        parts = [p.strip() for p in values.replace(";", ",").split(",") if p.strip()]
    else:
        parts = list(values)
    out = []
    for p in parts:
        if field not in CONFIG_FIELDS:
            out.append(p)
            continue
        try:
            v = float(p) if field == "lr" else int(str(p).strip())
        except ValueError:
            v = None
        low, high = {"lr": (0.0, MAX_LR), "batch_size": (1, MAX_BATCH),
                     "seed": (0, MAX_EXPERIMENT_SEED)}[field]  # fmt: skip
        if v is None or not math.isfinite(v) or not low <= v <= high or (field == "lr" and v <= 0):
            raise ExperimentError(
                f"“{str(p)[:20]}” is no {field} from {low:g} to {high:g}.",
                "experiment.bad_value", value=str(p)[:20], field=field, low=f"{low:g}",
                high=f"{high:g}",
            )  # fmt: skip
        out.append(v)
    out = list(dict.fromkeys(out))
    if not 2 <= len(out) <= MAX_VALUES:
        raise ExperimentError(
            f"An experiment compares 2 to {MAX_VALUES} values; {len(out)} were given.",
            "experiment.values", most=MAX_VALUES, n=len(out),
        )  # fmt: skip
    return out


def value_label(field: str, value) -> str:
    """How a value is named on the board: "lr 0.9", "activation relu", "ResNet-18-noBN"."""
    if field == VARIANT:
        return str(value)
    if field == "lr":
        return f"lr {value:g}"
    return f"{field} {value}"


def sizes(gpu: bool, ray: bool, allow_full: bool) -> tuple[str, ...]:
    """The sizes an experiment may use: the lab's quick and CPU-classroom sizes; the full
    size only when the teacher allows it and a GPU or a Ray cluster is there."""
    return ("quick", "classroom", "full") if allow_full and (gpu or ray) else ("quick", "classroom")


def plan(preset: str, field: str, values, mode: str = "quick", seed: int = 0,
         device: str = "auto") -> list[dict]:  # fmt: skip
    """One step per value: its label, the value and the run's settings (JSON-ready), every
    step the base setup at the lab's size ``mode`` with ``field`` changed alone.

    Raises:
        ExperimentError: an unknown preset, field, size or value.
    """
    if preset not in PRESETS:
        raise ExperimentError(f"Unknown preset “{str(preset)[:40]}”.", "experiment.preset",
                              preset=str(preset)[:40])  # fmt: skip
    if field not in fields_for(preset):
        raise ExperimentError(
            f"{preset} has no field “{str(field)[:40]}” to vary.", "experiment.field",
            preset=preset, field=str(field)[:40],
        )  # fmt: skip
    if mode not in A.MODES:
        raise ExperimentError(f"Unknown size “{str(mode)[:20]}”.", "experiment.size",
                              mode=str(mode)[:20])  # fmt: skip
    values = parse_values(field, values)
    if (offered := choices(preset, field)) is not None:
        if bad := [v for v in values if v not in offered]:
            raise ExperimentError(
                f"“{str(bad[0])[:40]}” is not a value of {field}.", "experiment.bad_choice",
                value=str(bad[0])[:40], field=field,
            )  # fmt: skip
    spec = PRESETS[preset]
    sizes_group = A.sizes_of(spec)
    setting = sizes_group.setting(mode)
    base = RunConfig(spec=A.scale_spec(spec, setting.scale), num_epochs=setting.num_epochs,
                     batch_size=setting.batch_size, limit=setting.limit,
                     val_limit=setting.val_limit, seed=int(seed), device=device)  # fmt: skip
    steps = []
    for v in values:
        step_preset = preset
        if field in CONFIG_FIELDS:
            config = dataclasses.replace(base, **{field: v})
        elif field == VARIANT:
            step_preset = v
            config = dataclasses.replace(base, spec=A.scale_spec(PRESETS[v], setting.scale))
        else:
            config = dataclasses.replace(
                base, spec=A.scale_spec(dataclasses.replace(spec, **{field: v}), setting.scale)
            )
        try:
            config.validate()
        except ValueError as exc:
            raise ExperimentError(str(exc), "experiment.invalid", error=str(exc)) from exc
        steps.append({"label": value_label(field, v), "value": v, "preset": step_preset,
                      "config": config.to_dict()})  # fmt: skip
    return steps


@dataclass(frozen=True)
class Experiment:
    """An experiment as stored: its plan (one step per value) and when the class stopped."""

    experiment_id: str
    class_id: str
    title: str
    field: str
    handout: str
    mode: str
    plan: tuple
    created: float
    ended: float | None = None

    @classmethod
    def from_row(cls, row: dict) -> Experiment:
        """Raises StoreError: a damaged row (its plan unreadable, a size, a hand-out or a
        field this version does not know, a value's run settings unreadable)."""
        row = dict(row)
        if damaged := row.pop("damaged", None):
            raise StoreError(damaged)
        known = (*CONFIG_FIELDS, VARIANT, *A.GRID_FIELDS)
        if (
            row["mode"] not in A.MODES
            or row["handout"] not in HANDOUTS
            or row["field"] not in known
        ):
            raise StoreError(
                f"class experiment {row['experiment_id']} is damaged: size {row['mode'][:20]!r},"
                f" hand-out {row['handout'][:20]!r}, field {row['field'][:20]!r}"
            )
        try:  # every value's run settings readable: the board and Start build each one
            for step in row["plan"]:
                RunConfig.from_dict(step["config"])
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise StoreError(
                f"class experiment {row['experiment_id']} is damaged: {str(exc)[:200]}"
            ) from exc
        return cls(**{**row, "plan": tuple(row["plan"])})

    @property
    def labels(self) -> list[str]:
        return [str(step["label"]) for step in self.plan]

    def config(self, index: int, repeat: int = 0) -> RunConfig:
        """The run of the ``repeat``-th seat of value ``index``: seed base + repeat (every
        value's n-th run shares its seed), except where the seed is the varied field."""
        config = RunConfig.from_dict(self.plan[index]["config"])
        if self.field == "seed":
            return config
        return dataclasses.replace(config, seed=config.seed + int(repeat))


def round_robin(counts: Mapping[int, int], n: int) -> int:
    """The value fewest seats hold (the first of them on a tie): seats in join order get
    values 0, 1, …, n − 1, 0, 1, …"""
    return min(range(n), key=lambda i: (counts.get(i, 0), i))


# -- the board -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardSeat:
    """One seat's line of the board."""

    seat_id: str
    name: str
    value: int
    label: str
    run_id: str | None
    status: str | None  # None: not started
    epochs: int
    num_epochs: int
    final_val_acc: float
    best_val_acc: float
    final_train_loss: float
    diverged: bool
    seed: int
    run_shown: bool = True  # False: another student's run, its id kept from this viewer


def diverged(rows: Sequence[dict]) -> bool:
    """Whether a run's epochs show it blew up: a loss that is no number (NaN, infinite, kept
    as missing) or over :data:`DIVERGED_LOSS`."""
    for r in rows:
        for key in ("train_loss", "val_loss"):
            v = r.get(key)
            if v is None or not math.isfinite(float(v)) or float(v) > DIVERGED_LOSS:
                return True
    return False


def _num(rows: Sequence[dict], key: str, how: str) -> float:
    vals = [float(r[key]) for r in rows if r.get(key) is not None and math.isfinite(r[key])]
    if not vals:
        return math.nan
    return {"last": vals[-1], "max": max(vals)}[how]


LONG_COLUMNS = ("variant", "epoch", "metric", "value", "split", "kind", "seed", "run_id")
KINDS = {"loss": "loss", "acc": "accuracy"}


@dataclass(frozen=True)
class Board:
    """The class board of an experiment, read from the store: every seat's line, each
    value's runs (:class:`cnnviz.ablation.SeedRun`, seeded by repeat) and the live points."""

    experiment: Experiment
    seats: tuple[BoardSeat, ...]
    runs: dict  # label → [SeedRun]
    points: dict  # run_id → [(fractional epoch, train loss)]
    live: bool
    final: bool  # the teacher ended the experiment: means and bands

    @property
    def started(self) -> list[BoardSeat]:
        return [s for s in self.seats if s.run_id is not None and s.status is not None]

    def table(self) -> pd.DataFrame:
        """Seats, values and results (accuracies as fractions)."""
        cols = ["seat", "value", "status", "epochs", "final val acc", "best val acc",
                "final train loss", "diverged", "seed", "run_id"]  # fmt: skip
        rows = [[s.name, s.label, s.status or "", s.epochs, s.final_val_acc, s.best_val_acc,
                 s.final_train_loss, s.diverged, s.seed, (s.run_id if s.run_shown else "") or ""]
                for s in self.seats]  # fmt: skip
        return pd.DataFrame(rows, columns=cols)

    def csv(self) -> str:
        """The board's table as CSV: one row per seat."""
        return self.table().to_csv(index=False)

    def long(self) -> pd.DataFrame:
        """Every started run's per-epoch metrics, tidy: the frame of
        :func:`cnnviz.ablation.seeds_long` (variant = the value's label), built column by
        column (the board redraws it every second for 30 seats and more)."""
        cols: dict[str, list] = {c: [] for c in LONG_COLUMNS}
        for name, runs in self.runs.items():
            for r in runs:
                if r.metrics is None or r.metrics.empty:
                    continue
                epochs, n = r.metrics["epoch"].tolist(), len(r.metrics)
                for metric in A.METRICS:
                    split, kind = metric.split("_")
                    for col, v in (("variant", name), ("metric", metric), ("split", split),
                                   ("kind", KINDS[kind]), ("seed", r.seed),
                                   ("run_id", r.run_id)):  # fmt: skip
                        cols[col] += [v] * n
                    cols["epoch"] += epochs
                    cols["value"] += r.metrics[metric].tolist()
        return pd.DataFrame(cols, columns=list(LONG_COLUMNS))

    def scatter(self) -> pd.DataFrame:
        """Value against final validation accuracy, one row per run with an epoch."""
        done = [s for s in self.started if s.epochs > 0]
        return pd.DataFrame(
            {"value": [s.label for s in done], "index": [s.value for s in done],
             "final val acc": [s.final_val_acc for s in done], "seat": [s.name for s in done],
             "diverged": [s.diverged for s in done]},
        )  # fmt: skip


# How the board's conclusion reads; the page passes its language's (ui/locales: "board").
CONCLUSION_WORDS = {
    "best": "{value} trained best (final validation accuracy {acc}, mean of {n} run(s))",
    "level": "{values} ended level (final validation accuracy {acc}): none trained best",
    "diverged": "at {value}, {k} of {n} runs diverged",
    "all_diverged": "every run diverged",
    "sep": "; ",
}


def conclusion(board: Board, words: Mapping[str, str] = CONCLUSION_WORDS,
               verdict_words: Mapping[str, str] = stats.VERDICT_WORDS) -> list[str]:  # fmt: skip
    """The board's sentences: which value trained best and where runs diverged ("lr 0.9
    trained best (…); at lr 1.5, 4 of 5 runs diverged"), then the lab's verdict on the best
    value against each other one (3 seeds or more in both: :func:`cnnviz.ablation.verdicts`).
    Empty before any run has an epoch."""
    runs = {name: rs for name, rs in board.runs.items() if A.counted(rs)}
    if not runs:
        return []
    table = A.seed_comparison(runs)
    div = {label: [s.diverged for s in board.started if s.label == label and s.epochs > 0]
           for label in runs}  # fmt: skip
    parts = []
    healthy = table[[not all(div[v]) for v in table["variant"]]]
    if healthy.empty:
        parts.append(words["all_diverged"])
        best = None
    else:
        scores = pd.to_numeric(healthy["final val acc"], errors="coerce")
        row = healthy.loc[scores.idxmax()] if scores.notna().any() else healthy.iloc[0]
        best = row["variant"]
        acc = "—" if pd.isna(row["final val acc"]) else f"{100 * row['final val acc']:.1f} %"
        level = [v for v, s in zip(healthy["variant"], scores, strict=True)
                 if f"{100 * s:.1f}" == f"{100 * scores.max():.1f}"]  # fmt: skip
        if len(level) > 1:  # the same accuracy as shown: no value trained best
            parts.append(words["level"].format(values=", ".join(level), acc=acc))
            best = None
        else:
            parts.append(words["best"].format(value=best, acc=acc, n=int(row["seeds"])))
    for label, flags in div.items():
        if any(flags) and not (healthy.empty and len(div) == 1):
            parts.append(words["diverged"].format(value=label, k=sum(flags), n=len(flags)))
    lines = [words["sep"].join(parts)]
    if best is not None and board.experiment.field != "seed" and len(runs) > 1:
        order = [best, *(name for name in runs if name != best)]
        pairs = A.pair_table({name: runs[name] for name in order})
        lines += A.verdicts(pairs[pairs["a"] == best], verdict_words)
    return lines


# -- who may do what, and the store --------------------------------------------------------


class ClassExperiments:
    """The class's experiments through the classroom's rules.

    Args:
        service: the run service (the teacher's role re-read from the store before a
            teacher's action; the runs submitted through it).
    """

    def __init__(self, service: RunService):
        self.service = service
        self.store = service.store
        self.data = ExperimentData(service.store)

    # -- the teacher's ------------------------------------------------------------------------
    def is_teacher(self, user: C.User) -> bool:
        """Whether ``user`` holds the teacher role now (re-read from the store)."""
        return user.is_teacher and self.service.may_pin(user)

    def _teacher(self, user: C.User) -> None:
        if not self.is_teacher(user):
            raise RunAccessError("Only the teacher may do this.", "access.teacher")

    def create(self, user: C.User, class_id: str, preset: str, field: str, values,
               handout: str = ROUND_ROBIN, mode: str = "quick", seed: int = 0, *,
               full_allowed: bool = False, gpu: bool = False, ray: bool = False,
               title: str | None = None) -> Experiment:  # fmt: skip
        """The teacher turns a base setup into the class's experiment (the current one from
        now on; an earlier one stays on the store with its runs).

        Raises:
            RunAccessError: ``user`` is not the teacher.
            ExperimentError: a bad setup, or a size this machine may not run.
        """
        self._teacher(user)
        if handout not in HANDOUTS:
            raise ExperimentError(f"Unknown hand-out “{str(handout)[:20]}”.",
                                  "experiment.handout", handout=str(handout)[:20])  # fmt: skip
        if mode not in sizes(gpu, ray, full_allowed):
            raise ExperimentError(
                "Full-size runs need a GPU or a Ray cluster, and the teacher's permission; "
                "choose the quick or the CPU-classroom size.",
                "experiment.full",
            )  # fmt: skip
        steps = plan(preset, field, values, mode, seed)
        title = title or f"{preset}: {field} ∈ {{{', '.join(str(s['value']) for s in steps)}}}"
        eid = self.data.create_experiment(class_id, title[:120], field, handout, mode, steps)
        return self.get(eid)

    def end(self, user: C.User, experiment: Experiment) -> None:
        """The class has stopped: the board shows each value's mean and band from now on
        (until then every seat's own curve: a late seat may still start)."""
        self._teacher(user)
        self.data.end_experiment(experiment.experiment_id)

    def set_spotlight(self, user: C.User, class_id: str, kind: str, seat=None) -> None:
        """Put the board, a seat's run (``seat``) or nothing on the class's projector view.

        Raises:
            RunAccessError: ``user`` is not the teacher.
            ExperimentError: an unknown kind, or a seat without a run.
        """
        self._teacher(user)
        if kind not in SPOTLIGHTS:
            raise ExperimentError(f"Unknown spotlight “{str(kind)[:20]}”.",
                                  "experiment.spotlight", kind=str(kind)[:20])  # fmt: skip
        run_id = seat_id = None
        if kind == "run":
            found = self._seat_run(class_id, seat)
            if found is None:
                raise ExperimentError("This seat has no run to show yet.", "experiment.no_run")
            seat_id, run_id = seat.seat_id, found
        self.data.set_spotlight(class_id, kind, run_id, seat_id, user.id)

    def _seat_run(self, class_id: str, seat) -> str | None:
        """The newest run a seat started in this class's experiments."""
        if seat is None:
            return None
        for exp in self.experiments(class_id):
            for a in self.data.assignments(exp.experiment_id):
                run_id = a["run_id"]
                if a["seat_id"] == seat.seat_id and run_id and self.store.exists(run_id):
                    return run_id
        return None

    def spotlight(self, user: C.User, class_id: str) -> dict | None:
        """What the projector view shows now ({"kind", "run_id", "seat_id"}; None: nothing
        set). The teacher sees any; a student only the board or their own seat's run.

        Raises:
            RunAccessError: a student asking for another seat's run.
        """
        got = self.data.spotlight(class_id)
        if got is None or got["kind"] == "none":
            return None
        if got["kind"] == "run" and not self.is_teacher(user):
            owner = self.store.owner(got["run_id"])[0] if self.store.exists(got["run_id"]) else None
            if owner != user.id:
                raise RunAccessError(
                    "The teacher's spotlight shows another student's run.", "access.spotlight"
                )
        return got

    # -- reading ------------------------------------------------------------------------------
    def get(self, experiment_id: str) -> Experiment:
        for row in self.data.experiments():
            if row["experiment_id"] == experiment_id:
                return Experiment.from_row(row)
        raise ExperimentError(f"No class experiment {str(experiment_id)[:20]}.",
                              "experiment.missing", id=str(experiment_id)[:20])  # fmt: skip

    def experiments(self, class_id: str) -> list[Experiment]:
        """The class's readable experiments, newest first (a damaged one is left out)."""
        out = []
        for row in self.data.experiments(class_id):
            try:
                out.append(Experiment.from_row(row))
            except StoreError as exc:
                log.warning("class experiments: %s", exc)
        return out

    def current(self, class_id: str | None) -> Experiment | None:
        """The class's newest experiment (None: none yet, or no class)."""
        if class_id is None:
            return None
        found = self.data.experiments(class_id)
        return Experiment.from_row(found[0]) if found else None

    # -- a seat's ------------------------------------------------------------------------------
    def assignment(self, experiment: Experiment, seat) -> dict | None:
        """The seat's assignment ({"value", "run_id", …}), handed out now round-robin when it
        has none; with students picking, None until the student picks."""
        eid = experiment.experiment_id
        for a in self.data.assignments(eid):
            if a["seat_id"] == seat.seat_id:
                if not 0 <= a["value"] < len(experiment.plan):
                    raise StoreError(
                        f"class experiment {eid} is damaged: seat {seat.number}"
                        f" holds value {a['value']}, not one of the plan's"
                    )
                return a
        if experiment.handout == PICK:
            return None
        n = len(experiment.plan)
        return self.data.assign(eid, seat.seat_id, seat.user_id, lambda c: round_robin(c, n))

    def hand_out(self, user: C.User, experiment: Experiment, seats) -> list[dict]:
        """The teacher hands a value to every seat that has none yet (round-robin, in the
        seats' order), so the board lists them before anyone opens their page."""
        self._teacher(user)
        if experiment.handout != ROUND_ROBIN:
            return []
        return [self.assignment(experiment, seat) for seat in seats]

    def _own(self, user: C.User, seat) -> None:
        if seat is None or seat.user_id != user.id:
            raise RunAccessError("This is another student's seat.", "access.seat")

    def pick(self, user: C.User, experiment: Experiment, seat, index: int) -> None:
        """A student picks their value (before they start).

        Raises:
            RunAccessError: not ``user``'s seat.
            ExperimentError: values are handed out, not picked; no such value; started.
        """
        self._own(user, seat)
        if experiment.handout != PICK:
            raise ExperimentError("The teacher hands the values out.", "experiment.no_pick")
        if not 0 <= int(index) < len(experiment.plan):
            raise ExperimentError("No such value.", "experiment.missing_value")
        if not self.data.choose_value(experiment.experiment_id, seat.seat_id, seat.user_id,
                                      int(index)):  # fmt: skip
            raise ExperimentError("Your run has started: your value is set.", "experiment.set")

    def start(self, user: C.User, experiment: Experiment, seat) -> str:
        """Start the seat's run (one press, one run) as ``user``'s, through the run service
        (the class limits, the fair queue). A seat whose run stopped, failed or is gone may
        start again. Returns the run id.

        Raises:
            RunAccessError: not ``user``'s seat.
            ExperimentError: the class has stopped, no value yet, or the run has started.
            LimitError: the class limits refuse it now (nothing is kept).
        """
        self._own(user, seat)
        if experiment.ended is not None:
            raise ExperimentError("The teacher has ended this experiment.", "experiment.ended")
        a = self.assignment(experiment, seat)
        if a is None:
            raise ExperimentError("Pick a value first.", "experiment.pick_first")
        restart = ()
        if a["run_id"] and not a["run_id"].startswith("pending:"):
            try:
                again = self.store.status(a["run_id"]) in ENDED_UNFINISHED
            except RunNotFoundError:
                again = True
            restart = (a["run_id"],) if again else ()
        eid = experiment.experiment_id
        repeat = self.data.claim_start(eid, seat.seat_id, restart)
        if repeat is None:
            raise ExperimentError("Your run has started already.", "experiment.started")
        step = experiment.plan[a["value"]]
        config = experiment.config(a["value"], repeat)
        entry = (config, f"{step['label']} · {experiment.title}"[:100],
                 f"class experiment {eid}", step["preset"])  # fmt: skip
        try:
            run_id = self.service.submit(user, [entry])[0]
        except BaseException:
            self.data.set_assignment_run(eid, seat.seat_id, None)  # nothing started: undone
            raise
        self.data.set_assignment_run(eid, seat.seat_id, run_id)
        return run_id

    # -- the board -----------------------------------------------------------------------------
    def export_csv(self, user: C.User, experiment: Experiment,
                   names: Mapping[str, str] | None = None) -> str:  # fmt: skip
        """The board's table as CSV, one row per seat with its run id: the teacher's.

        Raises:
            RunAccessError: ``user`` is not the teacher (now).
        """
        self._teacher(user)
        return self.board(experiment, names, points=False, viewer=user).csv()

    def board(self, experiment: Experiment, names: Mapping[str, str] | None = None,
              points: bool = True, viewer: C.User | None = None) -> Board:  # fmt: skip
        """The board, read from the store (so it survives a restart): ``names`` maps a seat
        to the name shown (a pseudonym on the projector; default: the seat's id).

        ``viewer`` is who looks at it (None: the library's own use, every run id). A board a
        student sees holds the run id of their own run only: every other seat's run is keyed
        by an opaque stand-in and its id is left out of the table (an id would open that run
        by link), while its curve, value and result stay on the board."""
        names = names or {}
        rows, metrics = self.data.board_rows(experiment.experiment_id)
        every_id = viewer is None or self.is_teacher(viewer)
        stand_in: dict[str, str] = {}
        for r in rows:
            if r["run_id"] and not every_id and r["owner"] != viewer.id:
                digest = hashlib.sha256(f"{experiment.experiment_id}/{r['run_id']}".encode())
                stand_in[r["run_id"]] = "seat-run-" + digest.hexdigest()[:12]
        metrics = {stand_in.get(k, k): v for k, v in metrics.items()}
        rows = [{**r, "run_id": stand_in.get(r["run_id"], r["run_id"]),
                 "shown": r["run_id"] not in stand_in} for r in rows]  # fmt: skip
        labels = experiment.labels
        seats, runs = [], {label: [] for label in labels}
        for r in rows:
            known = 0 <= r["value"] < len(labels)
            label = labels[r["value"]] if known else str(r["value"])
            m = metrics.get(r["run_id"], []) if r["status"] else []
            seed = experiment.config(r["value"], r["repeat"]).seed if known else 0
            seats.append(BoardSeat(
                seat_id=r["seat_id"], name=names.get(r["seat_id"], r["seat_id"]),
                value=r["value"], label=label,
                run_id=r["run_id"] if r["status"] else None, status=r["status"],
                epochs=len(m), num_epochs=r["num_epochs"],
                final_val_acc=_num(m, "val_acc", "last"), best_val_acc=_num(m, "val_acc", "max"),
                final_train_loss=_num(m, "train_loss", "last"), diverged=diverged(m), seed=seed,
                run_shown=r["shown"],
            ))  # fmt: skip
            if r["status"] and label in runs:
                frame = pd.DataFrame(m, columns=list(METRIC_COLUMNS), dtype=float)
                runs[label].append(A.SeedRun(r["repeat"], frame, r["num_epochs"], r["run_id"]))
        started = [s for s in seats if s.status]
        live = any(s.status in LIVE for s in started)
        final = experiment.ended is not None
        ids = [s.run_id for s in started if s.status in LIVE]
        real = {v: k for k, v in stand_in.items()}
        pts = self.data.live_points([real.get(i, i) for i in ids]) if points and ids else {}
        pts = {stand_in.get(k, k): v for k, v in pts.items()}
        return Board(experiment, tuple(seats), {k: v for k, v in runs.items() if v}, pts, live,
                     final)  # fmt: skip
