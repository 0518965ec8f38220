"""Streamlit parts of a class experiment: the teacher's set-up box (the class board and the
ablation lab), a student's value and Start, the teacher's controls (hand out, end, spotlight,
CSV) and the board itself. Who may do what is :mod:`cnnviz.class_experiment`'s to say."""

from __future__ import annotations

import streamlit as st

from cnnviz import class_experiment as X
from cnnviz import frames as F
from cnnviz.classes import Classes
from cnnviz.device import cuda_available
from cnnviz.models import PRESETS
from cnnviz.plots import board as PB
from cnnviz.plots.ablation import png_config
from cnnviz.plots.training import training_curves
from cnnviz.runs import LIVE, RunManager, StoreError
from cnnviz.runs.service import RunAccessError, RunService
from ui.common import chart, font_size, fragment, md_escape, run_error_alert
from ui.i18n import labels, message, texts
from ui.identity import current_user, still_teacher, teacher_check
from ui.runs import service

TEXT = texts("board")
ERROR = "brd_error"  # the last refused action's message, shown once
NOTE = "brd_note"  # the last action's confirmation, shown once
POLL_S = 1.0  # the board redraws this often while a run trains
WAIT_POLL_S = 3.0  # and this often while none does (until the teacher ends the experiment)


def experiments(mgr: RunManager) -> X.ClassExperiments:
    return X.ClassExperiments(service(mgr))


def classes(mgr: RunManager) -> Classes:
    return Classes(mgr.store, role_check=still_teacher)


def board_class(cls: Classes):
    """The open class; without one, the newest for the teacher (its board stays after it
    closed); else None (the library decides)."""
    return cls.shown_class(current_user())


def _said(text) -> str:
    return message(text) if getattr(text, "key", None) else str(text)


def seat_names(cls: Classes, session) -> dict[str, str]:
    """Seat → the name the projector shows (a pseudonym unless the teacher turned names on)."""
    return {
        seat.seat_id: _said(Classes.display_name(seat, True, session.show_names))
        for seat in cls.seats(session.class_id)
    }


def _refused(exc: Exception) -> None:
    st.session_state[ERROR] = message(exc)


# -- the teacher's set-up --------------------------------------------------------------------


def _create(mgr: RunManager, class_id: str, prefix: str) -> None:
    ss = st.session_state
    field = ss[f"{prefix}_field"]
    values = ss.get(f"{prefix}_values_{field}")
    gpu, ray = cuda_available(), mgr.executor.kind == "ray"
    try:
        experiments(mgr).create(
            current_user(), class_id, ss[f"{prefix}_preset"], field, values,
            ss[f"{prefix}_handout"], ss[f"{prefix}_size"], int(ss[f"{prefix}_seed"]),
            full_allowed=bool(ss.get(f"{prefix}_full")), gpu=gpu, ray=ray,
        )  # fmt: skip
    except (ValueError, RunAccessError, StoreError) as exc:
        _refused(exc)
        return
    ss.pop(ERROR, None)
    ss[NOTE] = TEXT["created"]


def setup_ui(mgr: RunManager, class_id: str, prefix: str = "brd_new", preset: str | None = None,
             field: str | None = None, values=None, mode: str | None = None) -> None:  # fmt: skip
    """The set-up form: a base setup, the field to vary and its values, the hand-out, the
    size; ``preset``, ``field``, ``values`` and ``mode`` pre-fill it (the lab's choice)."""
    ss = st.session_state
    ss.setdefault(f"{prefix}_preset", preset if preset in PRESETS else "LeNet")
    st.caption(TEXT["setup_intro"])
    c1, c2 = st.columns(2)
    c1.selectbox(TEXT["preset"], list(PRESETS), key=f"{prefix}_preset")
    base = ss[f"{prefix}_preset"]
    offered = X.fields_for(base)
    if ss.get(f"{prefix}_field") not in offered:
        ss[f"{prefix}_field"] = field if field in offered else offered[0]
    words = TEXT["fields"]
    c2.selectbox(TEXT["field"], offered, key=f"{prefix}_field",
                 format_func=lambda f: words[f] if f in words else f)  # fmt: skip
    chosen = ss[f"{prefix}_field"]
    key = f"{prefix}_values_{chosen}"
    if (options := X.choices(base, chosen)) is None:
        if key not in ss:
            given = values if isinstance(values, list | tuple) and field == chosen else None
            ss[key] = ", ".join(map(str, given)) if given else X.DEFAULTS[chosen]
        st.text_input(TEXT["values_text"], key=key)
    else:
        if key not in ss:
            given = [v for v in (values or []) if v in options] if field == chosen else []
            ss[key] = given or options[: min(3, len(options))]
        st.multiselect(TEXT["values"], options, key=key,
                       placeholder=texts("common")["pick_some"])  # fmt: skip
    gpu, ray = cuda_available(), mgr.executor.kind == "ray"
    c1, c2, c3 = st.columns([2, 2, 1])
    c1.radio(TEXT["handout"], list(X.HANDOUTS), key=f"{prefix}_handout",
             format_func=labels("board", "handouts"))  # fmt: skip
    if gpu or ray:
        c3.toggle(TEXT["allow_full"], key=f"{prefix}_full")
    allowed = X.sizes(gpu, ray, bool(ss.get(f"{prefix}_full")))
    if ss.get(f"{prefix}_size") not in allowed:
        ss[f"{prefix}_size"] = mode if mode in allowed else "quick"
    c2.radio(TEXT["size"], list(allowed), key=f"{prefix}_size",
             format_func=labels("board", "sizes"))  # fmt: skip
    c3.number_input(TEXT["seed"], 0, X.MAX_EXPERIMENT_SEED, step=1, key=f"{prefix}_seed",
                    help=TEXT["seed_help"])  # fmt: skip
    st.button(TEXT["create"], key=f"{prefix}_create", type="primary", icon=":material/groups:",
              on_click=_create, args=(mgr, class_id, prefix))  # fmt: skip


def class_box_ui(mgr: RunManager, prefix: str, **prefill) -> None:
    """A page's box where the teacher turns the page's setup (``prefill``: preset, field,
    values, mode) into the class's experiment. Nothing for anyone else, or without an open
    class."""
    if not experiments(mgr).is_teacher(current_user()):
        return
    session = classes(mgr).current()
    if session is None:
        return
    with st.expander(TEXT["setup"], icon=":material/groups:"):
        setup_ui(mgr, session.class_id, prefix, **prefill)
        _messages()


def lab_setup_ui(mgr: RunManager) -> None:
    """The ablation lab's box: the lab's grid (base, field, values, size) as the class's
    experiment."""
    ss = st.session_state
    field = ss.get("abl_grid_field")
    class_box_ui(mgr, "abl_class", preset=ss.get("abl_grid_base"), field=field,
                 values=ss.get(f"abl_grid_values_{field}"), mode=ss.get("abl_mode"))  # fmt: skip


def training_setup_ui(mgr: RunManager) -> None:
    """The training form's box: its preset as the base of the class's experiment."""
    ss = st.session_state
    preset = ss.get("train_preset") if ss.get("train_source", "preset") == "preset" else None
    class_box_ui(mgr, "train_class", preset=preset)


def _messages() -> None:
    if err := st.session_state.pop(ERROR, None):
        st.error(md_escape(err), icon=":material/error:")
    if note := st.session_state.pop(NOTE, None):
        st.success(note, icon=":material/check_circle:")


# -- a student's value and Start -------------------------------------------------------------


def _start(mgr: RunManager, experiment_id: str) -> None:
    cx, user = experiments(mgr), current_user()
    seat = classes(mgr).seat_of(user.id)
    try:
        cx.start(user, cx.get(experiment_id), seat)
    except (ValueError, RunAccessError, StoreError) as exc:  # a class limit, started, ended
        _refused(exc)
        return
    st.session_state[NOTE] = TEXT["started"]


def _pick(mgr: RunManager, experiment_id: str) -> None:
    cx, user = experiments(mgr), current_user()
    seat = classes(mgr).seat_of(user.id)
    try:
        cx.pick(user, cx.get(experiment_id), seat, int(st.session_state["brd_pick"]))
    except (ValueError, RunAccessError, StoreError) as exc:
        _refused(exc)


def student_ui(mgr: RunManager, exp: X.Experiment, session) -> None:
    """The student's value (handed out, or picked here) and one Start button; a seat or a run
    the store cannot read is said there, and the board below still shows."""
    try:
        _student_ui(mgr, exp, session)
    except StoreError as exc:
        _unreadable(exc)


def _student_ui(mgr: RunManager, exp: X.Experiment, session) -> None:
    user = current_user()
    seat = classes(mgr).seat_of(user.id)
    if seat is None or seat.class_id != session.class_id:
        st.info(TEXT["join_first"], icon=":material/login:")
        return
    cx = experiments(mgr)
    a = cx.assignment(exp, seat)
    with st.container(border=True, key="brd_mine"):
        if exp.handout == X.PICK and (a is None or a["run_id"] is None):
            names = exp.labels
            if a is not None:
                st.session_state.setdefault("brd_pick", a["value"])
            st.radio(TEXT["pick"], list(range(len(names))), format_func=names.__getitem__,
                     key="brd_pick", index=None if a is None else a["value"], horizontal=True,
                     on_change=_pick, args=(mgr, exp.experiment_id))  # fmt: skip
        elif a is not None:
            st.markdown(TEXT["yours"].format(value=md_escape(exp.labels[a["value"]])))
        run_id = a["run_id"] if a else None
        status = None
        if run_id and not run_id.startswith("pending:") and mgr.store.exists(run_id):
            status = mgr.store.status(run_id)
            rec = mgr.store.get(run_id)
            st.caption(TEXT["your_run"].format(
                value=md_escape(exp.labels[a["value"]]),
                status=TEXT["status_plain"].get(status, status), done=rec.epochs_done,
                n=rec.config.num_epochs,
            ))  # fmt: skip
            run_error_alert(rec, icon=":material/error:")  # why, before Start again
        can_start = (
            a is not None and exp.ended is None and (status is None or status in X.ENDED_UNFINISHED)
        )
        if can_start and not (run_id or "").startswith("pending:"):
            st.button(TEXT["start"], key="brd_start", type="primary", icon=":material/play_arrow:",
                      on_click=_start, args=(mgr, exp.experiment_id))  # fmt: skip
        _messages()


# -- the teacher's controls ------------------------------------------------------------------


def _hand_out(mgr: RunManager, experiment_id: str) -> None:
    cx, cls = experiments(mgr), classes(mgr)
    exp = cx.get(experiment_id)
    try:
        got = cx.hand_out(current_user(), exp, cls.seats(exp.class_id))
    except (ValueError, RunAccessError, StoreError) as exc:
        _refused(exc)
        return
    st.session_state[NOTE] = TEXT["handed"].format(n=len(got))


def _end(mgr: RunManager, experiment_id: str) -> None:
    cx = experiments(mgr)
    try:
        cx.end(current_user(), cx.get(experiment_id))
    except (ValueError, RunAccessError, StoreError) as exc:
        _refused(exc)


def _spotlight(mgr: RunManager, class_id: str) -> None:
    choice = st.session_state["brd_spotlight"]
    cx, cls = experiments(mgr), classes(mgr)
    seat = next((s for s in cls.seats(class_id) if s.seat_id == choice), None)
    kind = choice if choice in ("board", "none") else "run"
    try:
        cx.set_spotlight(current_user(), class_id, kind, seat)
    except (ValueError, RunAccessError, StoreError) as exc:
        _refused(exc)


def teacher_ui(mgr: RunManager, exp: X.Experiment, board: X.Board, names: dict) -> None:
    """Hand out, end, what the projector shows, and the CSV."""
    cx, user = experiments(mgr), current_user()
    with st.expander(TEXT["controls"], icon=":material/school:", expanded=False):
        c1, c2 = st.columns(2)
        if exp.handout == X.ROUND_ROBIN and exp.ended is None:
            c1.button(TEXT["hand_out"], key="brd_hand_out", icon=":material/group_add:",
                      on_click=_hand_out, args=(mgr, exp.experiment_id))  # fmt: skip
        if exp.ended is None:
            c2.button(TEXT["end"], key="brd_end", icon=":material/flag:",
                      on_click=_end, args=(mgr, exp.experiment_id))  # fmt: skip
        with_runs = {s.seat_id: TEXT["spot_run"].format(name=s.name) for s in board.started}
        options = {"board": TEXT["spot_board"], "none": TEXT["spot_none"], **with_runs}
        now = cx.data.spotlight(exp.class_id)
        current = (
            "board" if now is None else now["kind"] if now["kind"] != "run" else now["seat_id"]
        )
        st.session_state["brd_spotlight"] = current if current in options else "board"
        st.selectbox(TEXT["spotlight"], list(options), format_func=options.get,
                     key="brd_spotlight", on_change=_spotlight,
                     args=(mgr, exp.class_id))  # fmt: skip
        # made when clicked: the board changes with every poll
        # The file is made outside this session's run: the role is re-read from the store
        # through the token this session held when it drew the board (a Lock since holds).
        drawn_for = X.ClassExperiments(
            RunService(None, role_check=teacher_check(), store=mgr.store)
        )
        st.download_button(
            TEXT["csv"], lambda: drawn_for.export_csv(user, exp, names),
            file_name=f"class_experiment_{exp.experiment_id}.csv", mime="text/csv",
            key="brd_csv", icon=":material/download:", on_click="ignore",
        )  # fmt: skip
        _messages()


def spotlight_ui(mgr: RunManager, exp: X.Experiment, names: dict) -> bool:
    """The teacher's board (the caller checked the role in this run), when the spotlight is
    on a seat's run: that run, large. Returns whether it drew one (else the board)."""
    spot = experiments(mgr).data.spotlight(exp.class_id)
    if spot is None or spot["kind"] != "run":
        return False
    return _spot_run(mgr, exp, names, spot)


def projector_ui(mgr: RunManager) -> bool:
    """The class's projector view, when the teacher put something on it: the board (without
    its controls) or a seat's run (shown to the teacher, or to that seat's own student: the
    library refuses anyone else). Returns whether it drew one (else the view is its own)."""
    cx, cls = experiments(mgr), classes(mgr)
    session = cls.current()
    if session is None:
        return False
    try:
        spot = cx.spotlight(current_user(), session.class_id)
    except RunAccessError:
        return False
    exp = cx.current(session.class_id)
    if spot is None or exp is None:
        return False
    if spot["kind"] == "board":
        st.title(TEXT["title"])
        board_body(mgr, exp.experiment_id, False)
        return True
    return _spot_run(mgr, exp, seat_names(cls, session), spot)


def _spot_run(mgr: RunManager, exp: X.Experiment, names: dict, spot: dict) -> bool:
    user = current_user()
    cx = experiments(mgr)
    svc, run_id = service(mgr), spot["run_id"]
    try:
        rec = svc.get(user, run_id)
        metrics = F.metrics_table(svc.metrics(user, run_id))
        points = svc.points(user, run_id)
    except (RunAccessError, StoreError):
        return False
    seat_board = next((s for s in cx.board(exp, names, points=False, viewer=user).seats
                       if s.run_id == run_id), None)  # fmt: skip
    value = seat_board.label if seat_board else rec.name
    name = names.get(spot["seat_id"], "")
    st.markdown(TEXT["spotlight_run"].format(
        name=md_escape(name), value=md_escape(value),
        status=TEXT["status_plain"].get(rec.status, rec.status),
    ))  # fmt: skip
    words = texts("training")
    fig = training_curves(metrics, rec.config.num_epochs, points, font_size=font_size() + 2,
                          titles=(words["chart_loss"], words["chart_acc"]),
                          epoch_title=words["chart_epoch"], names=words["curves"])  # fmt: skip
    chart(st, fig, key="brd_spot_curves", config={"displaylogo": False})
    return True


# -- the board -------------------------------------------------------------------------------


def _table(board: X.Board):
    df = board.table()
    df["status"] = [TEXT["status_plain"].get(s, s) for s in df["status"]]
    return df


_CONCLUSIONS: dict[tuple, list[str]] = {}  # the sentences of the boards drawn lately


def conclusion(board: X.Board) -> list[str]:
    """:func:`cnnviz.class_experiment.conclusion` in the page's language, computed again only
    when a run's epochs, status or value changed (the board is redrawn every second)."""
    words, verdict = TEXT["words"], texts("ablation")["verdict"]
    seats = tuple((s.run_id, s.label, s.status, s.epochs, s.diverged) for s in board.seats)
    key = (board.experiment.experiment_id, board.experiment.ended, tuple(words.values()),
           tuple(verdict.values()), seats)  # fmt: skip
    if key not in _CONCLUSIONS:
        if len(_CONCLUSIONS) > 64:
            _CONCLUSIONS.clear()
        _CONCLUSIONS[key] = X.conclusion(board, words, verdict)
    return _CONCLUSIONS[key]


def board_body(mgr: RunManager, experiment_id: str, teacher: bool) -> None:
    """The curves, the scatter, the table and the conclusion (polled until the end); a busy
    store is said, and the next poll tries again."""
    try:
        _board_body(mgr, experiment_id, teacher)
    except StoreError as exc:
        _unreadable(exc)


def _board_body(mgr: RunManager, experiment_id: str, teacher: bool) -> None:
    cx, cls = experiments(mgr), classes(mgr)
    user = current_user()
    # asked again: the board's own refresh keeps the role of the page's last full run
    teacher = teacher and cx.is_teacher(user)
    exp = cx.get(experiment_id)
    session = cls.get(exp.class_id)
    names = seat_names(cls, session) if session is not None else {}
    board = cx.board(exp, names, viewer=user)
    if teacher:
        teacher_ui(mgr, exp, board, names)
        if spotlight_ui(mgr, exp, names):
            return
    started = board.started
    running = sum(s.status == "running" for s in started)
    done = sum(s.status == "finished" for s in started)
    st.markdown(TEXT["progress"].format(started=len(started), seats=len(board.seats),
                                        running=running, done=done))  # fmt: skip
    if exp.ended is not None:
        st.caption(TEXT["ended"])
    fs = font_size() + 2
    words = TEXT["charts"]
    with st.container(key="brd_curves"):
        if board.final:
            st.subheader(TEXT["curves_final"])
            lab = dict(texts("ablation")["charts"])
            fig = PB.value_bands(board, "val_acc", font_size=fs, labels=lab)
            chart(st, fig, key="brd_bands", config=png_config("class_board_bands"),
                  width="stretch")  # fmt: skip
        else:
            st.subheader(TEXT["curves_live"])
            if not started:
                st.info(TEXT["waiting"], icon=":material/hourglass_empty:")
            else:
                chart(st, PB.seat_curves(board, font_size=fs, labels=words), key="brd_live",
                      config=png_config("class_board_live"), width="stretch",
                      live=any(s.status in LIVE for s in started))  # fmt: skip
    if lines := conclusion(board):
        with st.container(key="brd_conclusion", border=True):
            st.subheader(TEXT["conclusion"])
            st.markdown("\n".join(f"- **{md_escape(line)}**" for line in lines))
    if any(s.epochs for s in started):
        st.subheader(TEXT["scatter"])
        chart(st, PB.value_scatter(board, font_size=fs, labels=words), key="brd_scatter",
              config=png_config("class_board_scatter"), width="stretch", table=False)  # fmt: skip
    st.subheader(TEXT["table"])
    table = _table(board)
    if table.empty:  # Streamlit would draw an empty grid saying "empty", in English
        st.caption(TEXT["table_empty"])
    else:
        _results_table(table)
    was = st.session_state.get("brd_was_final")
    st.session_state["brd_was_final"] = board.final
    if was is False and board.final:
        st.rerun(scope="app")  # the teacher ended it while this board polled: stop polling


def _results_table(table) -> None:
    st.dataframe(
        table, hide_index=True, key="brd_table", width="stretch",
        column_config={
            **TEXT["columns"],
            "final val acc": st.column_config.NumberColumn(TEXT["columns"]["final val acc"],
                                                           format="percent"),
            "best val acc": st.column_config.NumberColumn(TEXT["columns"]["best val acc"],
                                                          format="percent"),
        },
    )  # fmt: skip


def board_ui(mgr: RunManager) -> None:
    """The whole page below its header; a store that is busy, or a damaged experiment, is
    said in a message (the teacher may still set up a new experiment)."""
    try:
        _board_ui(mgr)
    except StoreError as exc:
        _unreadable(exc)
        try:
            session = classes(mgr).current()
            if session is not None and experiments(mgr).is_teacher(current_user()):
                with st.expander(TEXT["setup"], icon=":material/science:"):
                    setup_ui(mgr, session.class_id, "brd_next")
                    _messages()
        except StoreError:  # still busy: the message above says so
            pass


def _unreadable(exc: Exception) -> None:
    st.error(TEXT["unreadable"].format(error=md_escape(message(exc))), icon=":material/error:")


def _board_ui(mgr: RunManager) -> None:
    user = current_user()
    cls, cx = classes(mgr), experiments(mgr)
    teacher = cx.is_teacher(user)
    session = board_class(cls)
    if session is None:
        st.info(TEXT["no_class"], icon=":material/groups:")
        return
    exp = cx.current(session.class_id)
    if exp is None:
        if teacher and session.is_open:
            st.info(TEXT["no_experiment"], icon=":material/science:")
            with st.container(border=True, key="brd_setup"):
                st.subheader(TEXT["setup"])
                setup_ui(mgr, session.class_id)
                _messages()
        else:
            st.info(TEXT["no_experiment_student"], icon=":material/science:")
        return
    st.markdown(TEXT["current"].format(
        title=md_escape(exp.title), size=TEXT["sizes"][exp.mode],
        handout=TEXT["handout_short"][exp.handout],
    ))  # fmt: skip
    if not teacher and session.is_open:
        student_ui(mgr, exp, session)
    # polled until the teacher ends it: every second while a run trains, else slower (a seat
    # may still start)
    rows = cx.data.board_rows(exp.experiment_id)[0]
    training = any(r["status"] in LIVE for r in rows)
    poll = None if exp.ended is not None else POLL_S if training else WAIT_POLL_S
    fragment(board_body, run_every=poll)(mgr, exp.experiment_id, teacher)
    if teacher and session.is_open:  # the form only when asked for: the board stays quick
        if st.toggle(TEXT["next"], key="brd_next_on"):
            with st.container(border=True):
                setup_ui(mgr, session.class_id, "brd_next", preset=_base_preset(exp),
                         field=exp.field, mode=exp.mode)  # fmt: skip
                _messages()


def _base_preset(exp: X.Experiment) -> str:
    return next((s["preset"] for s in exp.plan if s["preset"]), "LeNet")
