"""Streamlit helpers of "What the network learned": pick runs, classify an image live, evaluate
on the test images in the background, the mistakes gallery and the saliency maps.

The numbers come from :mod:`cnnviz.insight` (no Streamlit there). Networks of stored runs are
cached there per (run, epochs done), so a stroke on the canvas costs one forward pass; the
classifier is a fragment, so only it reruns while a student draws. Evaluations over the test
images run on one background thread per server and are kept per (store, run, epochs done):
the page polls them and never waits.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor

import streamlit as st

from cnnviz import images
from cnnviz import insight as I
from cnnviz.errors import plain_name
from cnnviz.plots import insight as P
from cnnviz.plots.ablation import png_config
from cnnviz.plots.base import PALETTE
from cnnviz.run_times import evaluation_estimate
from cnnviz.runs import LIVE, RunManager, RunSummary, StoreError
from cnnviz.runs.service import RunAccessError
from ui import state
from ui.common import (
    chart,
    class_names,
    duration,
    error_words,
    font_size,
    fragment,
    md_escape,
    run_error,
)
from ui.i18n import labels, message, texts
from ui.identity import current_user
from ui.images import PICTURE_TYPES, drawn_png
from ui.runs import service

TEXT = texts("insight")
SOURCES = ("Test image", "Draw", "Upload")  # option values (shown in the page's language)
CANVAS = 280
AUTO_EVAL_S = 15.0  # evaluations estimated under this start at once; longer ones on request
RESULTS_KEPT = 8


# -- background evaluations ----------------------------------------------------------------------


class Evaluations:
    """Evaluations over the test images on one background thread (one at a time: they use
    every core), kept per (store, run, epochs done, images): the page polls, never waits."""

    def __init__(self):
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cnnviz-insight")
        self._futures: OrderedDict[tuple, tuple[Future, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> tuple[Future, float] | None:
        with self._lock:
            return self._futures.get(key)

    def submit(self, key: tuple, run: I.LoadedRun, images_u8, labels) -> None:
        """Start the evaluation ``key`` names, unless it is running or done; one that failed
        (out of memory while another session trained, say) is started again: a failure is
        kept for every session to see, never for good."""
        with self._lock:
            if (got := self._futures.get(key)) is not None:
                fut = got[0]
                if not (fut.done() and fut.exception() is not None):
                    return
                del self._futures[key]
            fut = self._pool.submit(I.evaluate, run, images_u8, labels)
            self._futures[key] = (fut, time.time())
            done = [k for k, (f, _) in self._futures.items() if f.done()]
            for k in done[: max(0, len(self._futures) - RESULTS_KEPT)]:
                del self._futures[k]


@st.cache_resource(show_spinner=False)
def _evaluations() -> Evaluations:
    return Evaluations()


def _val_count(run: I.LoadedRun, data) -> int:
    n = len(data.test_images)
    return n if run.val_limit is None else min(n, run.val_limit)


def _eval_key(mgr: RunManager, run: I.LoadedRun, n: int) -> tuple:
    return (str(mgr.store.root), run.run_id, run.epochs_done, n)


# -- picking runs ----------------------------------------------------------------------------------


def _label(row) -> str:
    acc = row.final_val_acc  # a run summary: None when missing
    acc = "" if acc is None else TEXT["label_acc"].format(acc=acc)
    status = TEXT["status_plain"].get(row.status, row.status or "")
    return TEXT["label"].format(name=row.name, status=status, acc=acc, created=row.created,
                                run_id=row.run_id)  # fmt: skip


def _charts() -> dict:
    """The charts' words, with the class names, in the page's language."""
    return dict(TEXT["charts"], classes=class_names())


def _default_run(runs: list[RunSummary], key: str, avoid: str | None = None) -> None:
    """Keep the widget's run if it still exists, else the Training page's run or ?run=, else the
    newest run that finished (preferring one of ``avoid``'s group, for a comparison)."""
    ss, ids = st.session_state, [r.run_id for r in runs]
    if ss.get(key) in ids and ss.get(key) != avoid:
        return
    usable = [r for r in runs if r.epochs_done > 0 and r.status not in LIVE and r.run_id != avoid]
    wanted = [st.query_params.get("run"), state.TRAIN_RUN_ID.get()] if avoid is None else []
    if avoid is not None:
        group = next((r.group for r in runs if r.run_id == avoid), None)
        if group:  # a run without a group has None
            wanted += [r.run_id for r in usable if r.group == group]
    wanted += [r.run_id for r in usable] + [i for i in ids if i != avoid]
    ss[key] = next(i for i in wanted if i in ids)


def _load(mgr: RunManager, run_id: str) -> I.LoadedRun | None:
    """The run's network, or None after saying why not (and, for a live run, polling until it
    ends)."""
    svc, user = service(mgr), current_user()
    try:
        rec = svc.get(user, run_id)  # the id comes from the browser: checked
        run = svc.network(user, run_id)
    except (RunAccessError, StoreError) as exc:
        st.warning(md_escape(message(exc)), icon=":material/lock:")
        return None
    except I.InsightError as exc:
        live = rec.status in LIVE
        (st.info if live else st.warning)(md_escape(message(exc)), icon=":material/info:")
        if live:
            st.caption(TEXT["wait_live"])

            @fragment(run_every=2.0)
            def wait():
                try:
                    live = service(mgr).status(current_user(), run_id) in LIVE
                except (RunAccessError, StoreError):  # closed or deleted meanwhile
                    live = False
                if not live:
                    st.rerun(scope="app")

            wait()
        return None
    if rec.status == "failed":
        st.warning(TEXT["failed_note"].format(e=rec.epochs_done, error=run_error(rec)))
    elif rec.status == "stopped" and rec.epochs_done < rec.config.num_epochs:
        st.caption(TEXT["stopped_note"].format(e1=rec.epochs_done + 1))
    return run


def pick_runs_ui(mgr: RunManager) -> list[I.LoadedRun]:
    """The run (and optionally a second one) to question, with their networks loaded; [] after
    a message when there is none that can answer."""
    svc, user = service(mgr), current_user()
    listing = svc.list_runs(user)  # a student sees their own runs and the class's
    linked = st.query_params.get("run")  # a run shared by link, when the teacher allows it
    if linked and linked not in {r.run_id for r in listing} and svc.may_view(user, linked):
        try:
            listing.append(svc.listed(user, linked))
        except (StoreError, RunAccessError):  # deleted or closed meanwhile: not listed
            pass
    if not listing:
        st.info(TEXT["no_runs"], icon=":material/monitoring:")
        return []
    labels = {r.run_id: _label(r) for r in listing}
    _default_run(listing, "insight_run")
    run_id = st.selectbox(TEXT["run"], list(labels), format_func=labels.get, key="insight_run")
    st.query_params["run"] = run_id
    compare = st.toggle(TEXT["compare"], key="insight_compare", disabled=len(labels) < 2)
    runs = []
    first = _load(mgr, run_id)
    if first is None:
        return []
    runs.append(first)
    if compare and len(labels) > 1:
        others = [i for i in labels if i != run_id]
        _default_run(listing, "insight_run_b", avoid=run_id)
        second_id = st.selectbox(TEXT["run_b"], others, format_func=labels.get, key="insight_run_b")
        second = _load(mgr, second_id)
        if second is not None:
            runs.append(second)
    return runs


def names(runs: list[I.LoadedRun]) -> list[str]:
    """A display name per run, unique even when two runs share a name."""
    plain = [r.name for r in runs]
    return [f"{r.name} ({r.run_id[:4]})" if plain.count(r.name) > 1 else r.name for r in runs]


def colors(runs: list[I.LoadedRun]) -> dict[str, str]:
    return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names(runs))}


# -- the classifier ------------------------------------------------------------------------------


@st.cache_data(max_entries=8, show_spinner=False)
def _decode(data: bytes, name: str) -> images.LoadedImage:
    return images.load_upload(data, name)


def _test_image_ui(data):
    n = len(data.test_images)
    st.session_state.setdefault("insight_test_index", 0)
    i = int(st.number_input(TEXT["test_index"], 0, n - 1, step=1, key="insight_test_index"))
    truth = int(data.test_labels[i])
    label = class_names()[truth]
    st.image(P.upscale(data.test_images[i], 8), width=224,
             alt=TEXT["test_alt"].format(i=i, label=label))  # fmt: skip
    st.markdown(TEXT["test_caption"].format(i=i, a=P.article(label), label=label))
    return data.test_images[i].float().div(255), truth


def _canvas_ui():
    stroke = st.slider(TEXT["brush"], 6, 40, 20, key="insight_brush")
    png = drawn_png(
        stroke_width=stroke, stroke_color="#ffffff", background_color="#000000",
        height=CANVAS, width=CANVAS, drawing_mode="freedraw", key="insight_canvas",
    )  # fmt: skip
    # The picture's PNG bytes, its size checked before decoding (as ui/images.py does).
    X = images.canvas_image(png, CANVAS)
    if X is None or float(X.max()) == 0:
        st.info(TEXT["draw_hint"], icon=":material/draw:")
        return None
    return X


def _upload_ui():
    file = st.file_uploader(
        TEXT["upload"], type=PICTURE_TYPES, key="insight_upload",
        max_upload_size=images.MAX_UPLOAD_BYTES // 2**20,
    )  # fmt: skip
    if file is None:
        st.info(TEXT["upload_hint"], icon=":material/upload:")
        return None
    try:
        with st.spinner(texts("common")["decoding"]):
            loaded = _decode(file.getvalue(), file.name)
    except images.ImageError as exc:
        st.error(md_escape(message(exc)), icon=":material/broken_image:")
        return None
    name = plain_name(file.name)
    for note in loaded.notes:
        st.caption(md_escape(TEXT["note"].format(name=name, note=message(note))))
    st.image(P.upscale(loaded.X, 1), width=224, alt=TEXT["upload_alt"].format(name=name))
    return loaded.X


def _source_ui() -> str:
    """Test image, drawing or upload (across the page: it fits on a projector)."""
    ss = st.session_state
    ss.setdefault("insight_source", SOURCES[0])
    # required: a second click on the chosen segment keeps it (the state of a drawn widget
    # cannot be written back, so an unselected one could not be restored here)
    source = st.segmented_control(TEXT["source"], SOURCES, key="insight_source", required=True,
                                  format_func=labels("insight", "sources"))  # fmt: skip
    return source if source in SOURCES else SOURCES[0]


def _input_ui(data, source: str):
    """(image, true class or None) from ``source``; image None when there is none."""
    if source == SOURCES[0]:
        return _test_image_ui(data)
    X = _canvas_ui() if source == SOURCES[1] else _upload_ui()
    return X, None


def networks(mgr: RunManager, run_ids: list[str]) -> list[I.LoadedRun] | None:
    """The runs' networks, asked of the run service again; None after saying why one is not
    this user's to question now. A fragment's own rerun keeps the run ids of the page's last
    full run, and the teacher may have closed opening runs by link since."""
    svc, user = service(mgr), current_user()
    try:
        return [svc.network(user, run_id) for run_id in run_ids]
    except (RunAccessError, StoreError, I.InsightError) as exc:
        st.warning(md_escape(message(exc)), icon=":material/lock:")
        return None


def _classifier_body(mgr: RunManager, data, run_ids: list[str]) -> None:
    runs = networks(mgr, run_ids)
    if runs is None:
        return
    fs = font_size()
    source = _source_ui()
    left, mid, right = st.columns([1.1, 1, 1.5], gap="medium")
    with left:
        image, truth = _input_ui(data, source)
    fit = False  # a test image is framed already: it meets the network as in validation
    if source != SOURCES[0]:
        fit = mid.toggle(TEXT["fit"], value=True, key="insight_fit", help=TEXT["fit_help"])
    if image is None:
        return
    try:
        prepared = [I.prepare(image, r.spec, fit=fit) for r in runs]
    except I.InsightError as exc:
        mid.info(md_escape(message(exc)), icon=":material/image:")
        return
    shown = names(runs)
    with mid:
        st.markdown(f"**{TEXT['prepared']}**")
        sizes = []
        for (X, _), r in zip(prepared, runs, strict=True):
            size = r.spec.input_size
            if size in sizes:
                continue
            sizes.append(size)
            caption = TEXT["prepared_caption"].format(n=size)
            st.image(P.upscale(X[0], max(1, 224 // size)), width=224, caption=caption, alt=caption)
        st.markdown(TEXT["steps"])
        st.markdown("\n".join(f"{i}. {message(s)}" for i, s in enumerate(prepared[0][1], 1)))
    probs = {
        name: I.predict(r, X) for name, r, (X, _) in zip(shown, runs, prepared, strict=True)
    }  # fmt: skip
    with right:
        for name, p in probs.items():
            top = int(p.argmax())
            line = TEXT["says"].format(name=md_escape(name), label=class_names()[top], p=p[top])
            if truth is not None:
                label = class_names()[truth]
                wrong = TEXT["wrong"].format(a=P.article(label), label=label)
                line += TEXT["right"] if top == truth else wrong
            st.markdown(line)
        chart(st,
            P.probability_bars(probs, colors(runs), font_size=fs, words=_charts()),
            key="insight_probs",
            config=png_config("cnnviz_probabilities"), width="stretch",
        )  # fmt: skip
    _saliency_ui(runs, prepared, probs)


def _saliency_ui(runs, prepared, probs) -> None:
    fs = font_size()
    st.markdown(f"#### {TEXT['where']}")
    c1, c2 = st.columns([1, 1])
    st.session_state.setdefault("insight_method", "gradcam")
    method = c1.segmented_control(
        TEXT["method"], list(TEXT["methods"]), format_func=TEXT["methods"].get,
        key="insight_method",
    ) or "gradcam"  # fmt: skip
    chosen = c2.selectbox(
        TEXT["for_class"], [-1, *range(10)], key="insight_class",
        format_func=dict([(-1, TEXT["its_answer"]), *enumerate(class_names())]).get,
    )  # fmt: skip
    cols = st.columns(max(len(runs), 2))
    for i, (col, name, r, (X, _)) in enumerate(zip(cols, probs, runs, prepared, strict=False)):
        target = int(probs[name].argmax()) if chosen < 0 else chosen
        m = I.saliency(r, X, target_class=target, method=method)
        title = TEXT["where_title"].format(name=name, label=class_names()[target])
        with col:
            chart(st,
                P.saliency_overlay(X[0, 0], m, title, font_size=fs, words=_charts()),
                key=f"insight_saliency_{i}",
                config=png_config("cnnviz_saliency"), width="stretch",
            )  # fmt: skip
            if method == "gradcam":
                layer, kind, shape = _gradcam_layer(r.spec)
                st.caption(TEXT["layer"].format(layer=layer, kind=kind, c=shape[1], h=shape[2],
                                                w=shape[3]))  # fmt: skip
            if float(m.max()) == 0:
                st.caption(TEXT["empty_map"].format(label=class_names()[target]))
    with st.expander(TEXT["beyond"], icon=":material/lightbulb:"):
        st.markdown(TEXT["beyond_body"])


@st.cache_data(max_entries=32, show_spinner=False)
def _gradcam_layer(spec):
    return I.gradcam_layer(spec)


def classifier_ui(mgr: RunManager, data, runs: list[I.LoadedRun]) -> None:
    """Test image, drawing or upload → the prepared input → every run's probabilities → where
    each looked. A fragment: a stroke on the canvas reruns only this (and asks for the runs'
    networks again)."""
    fragment(_classifier_body)(mgr, data, [r.run_id for r in runs])


# -- confusion matrices --------------------------------------------------------------------------


def _estimate(mgr: RunManager, run: I.LoadedRun, n: int) -> float:
    return evaluation_estimate(mgr, run.spec, n)


def _checked(mgr: RunManager, run: I.LoadedRun) -> tuple[I.Evaluation | None, int, str | None]:
    """(the run's stored evaluation, checked in full, or None; the epochs it describes; why
    it was not usable when it was damaged, else None)."""
    stored = service(mgr).analysis(current_user(), run.run_id)
    if stored is None:
        return None, run.epochs_done, None
    try:
        ev = I.Evaluation.from_stored(stored, run.spec.num_classes)
    except I.InsightError as exc:
        return None, run.epochs_done, message(exc)
    return ev, stored.get("epochs_done", run.epochs_done), None  # checked: a whole number


def _stored(mgr: RunManager, run: I.LoadedRun, n: int, name: str) -> I.Evaluation | None:
    """The run's stored evaluation if it describes these weights on these ``n`` images. A
    damaged one is said, not used, and computed again (then replaced)."""
    ev, epochs, damage = _checked(mgr, run)
    if damage is not None:
        st.warning(TEXT["eval_damaged"].format(name=md_escape(name), error=md_escape(damage)),
                   icon=":material/report:")  # fmt: skip
    if ev is None or ev.num_images != n:
        return None
    if epochs != run.epochs_done:
        return None  # older weights (an interrupted run trained on)
    return ev


def _start(mgr: RunManager, data, run: I.LoadedRun) -> None:
    n = _val_count(run, data)
    _evaluations().submit(_eval_key(mgr, run, n), run, data.test_images[:n], data.test_labels[:n])


def _evaluate(mgr: RunManager, data, run_id: str) -> None:
    """The Evaluate button: the run's network asked for again (a button drawn earlier may be
    pressed after the teacher closed opening runs by link: then nothing is computed)."""
    try:
        run = service(mgr).network(current_user(), run_id)
    except (RunAccessError, StoreError, I.InsightError):  # the page's next run says why
        return
    _start(mgr, data, run)


def _status_body(mgr: RunManager, data, run_ids: list[str]) -> None:
    """Shows evaluations in progress and reruns the whole page once they are all done (the
    matrices and the gallery are drawn outside this fragment)."""
    runs = networks(mgr, run_ids)
    if runs is None:  # closed meanwhile: the page's full run says so, and polls no more
        if st.session_state.pop("insight_eval_pending", False):
            st.rerun(scope="app")
        return
    jobs, pending = _evaluations(), False
    for name, r in zip(names(runs), runs, strict=True):
        n = _val_count(r, data)
        got = jobs.get(_eval_key(mgr, r, n))
        if got is not None and not got[0].done():
            pending = True
            st.info(TEXT["evaluating"].format(name=md_escape(name), n=n, s=time.time() - got[1]),
                    icon=":material/hourglass_top:")  # fmt: skip
    was = st.session_state.get("insight_eval_pending", False)
    st.session_state["insight_eval_pending"] = pending
    if was and not pending:
        st.rerun(scope="app")


def evaluation_ui(mgr: RunManager, data, runs: list[I.LoadedRun]) -> list[I.Evaluation] | None:
    """Each run's confusion matrix and per-class accuracy over its validation images (and the
    difference of two runs); returns the evaluations once all are done.

    Phase 1 computes them here, in the background; a run whose worker stored its evaluation
    (``cnnviz.insight.evaluate_run``) will be read from the store instead.
    """
    st.caption(TEXT["confusion_intro"])
    jobs = _evaluations()
    results: list[I.Evaluation | None] = []
    pending = False
    for name, r in zip(names(runs), runs, strict=True):
        n = _val_count(r, data)
        # the worker kept it when the run ended
        if (stored := _stored(mgr, r, n, name)) is not None:
            results.append(stored)
            continue
        key = _eval_key(mgr, r, n)
        got = jobs.get(key)
        if got is None and _estimate(mgr, r, n) <= AUTO_EVAL_S:
            _start(mgr, data, r)
            got = jobs.get(key)
        if got is None:
            st.button(
                TEXT["evaluate"].format(name=md_escape(name), n=n,
                                        t=duration(_estimate(mgr, r, n))),
                key=f"insight_eval_{r.run_id}", on_click=_evaluate, args=(mgr, data, r.run_id),
                icon=":material/play_arrow:",
            )  # fmt: skip
            results.append(None)
            continue
        fut = got[0]
        if not fut.done():
            pending = True
            results.append(None)
        elif fut.exception() is not None:
            exc = fut.exception()
            error = md_escape(error_words(exc))  # out of memory: our words
            st.error(TEXT["eval_failed"].format(name=md_escape(name), error=error))
            st.button(TEXT["eval_again"].format(name=md_escape(name)),
                      key=f"insight_eval_again_{r.run_id}", on_click=_evaluate,
                      args=(mgr, data, r.run_id), icon=":material/refresh:")  # fmt: skip
            results.append(None)
        else:
            ev = fut.result()
            svc, user = service(mgr), current_user()
            if _checked(mgr, r)[0] is None:  # computed once, kept (a damaged one replaced)
                svc.save_analysis(user, r.run_id, {**ev.to_stored(), "epochs_done": r.epochs_done})
            results.append(ev)
    st.session_state["insight_eval_pending"] = pending
    fragment(_status_body, run_every=0.5 if pending else None)(mgr, data, [r.run_id for r in runs])
    if any(ev is None for ev in results):
        return None
    _matrices_ui(mgr, runs, results)
    return results


def _matrices_ui(mgr: RunManager, runs, evs: list[I.Evaluation]) -> None:
    fs, shown, cols = font_size(), names(runs), colors(runs)
    grid = st.columns(len(runs)) if len(runs) > 1 else st.columns([3, 2])
    for i, (name, r, ev) in enumerate(zip(shown, runs, evs, strict=True)):
        with grid[i]:
            rows = service(mgr).metrics(current_user(), r.run_id)
            stored = rows[-1]["val_acc"] if rows else None  # None: not kept (a NaN in a file)
            if stored is None or not math.isfinite(stored):
                text = TEXT["eval_caption_alone"].format(name=md_escape(name), n=ev.num_images,
                                                         acc=ev.accuracy)  # fmt: skip
            else:
                text = TEXT["eval_caption"].format(name=md_escape(name), n=ev.num_images,
                                                   acc=ev.accuracy, stored=stored)  # fmt: skip
                if round(ev.accuracy, 6) != round(stored, 6) and r.status == "stopped":
                    text += TEXT["eval_differs"]
            st.markdown(text)
            chart(st,
                P.confusion_heatmap(ev.confusion, font_size=fs, color=cols[name],
                                    words=_charts()),
                key=f"insight_cm_{i}", config=png_config(f"cnnviz_confusion_{r.run_id}"),
                width="stretch",
            )  # fmt: skip
    per_class = {name: ev.confusion for name, ev in zip(shown, evs, strict=True)}
    target = grid[1] if len(runs) == 1 else st.columns(2)[0]
    with target:
        st.markdown(f"**{TEXT['per_class']}**")
        chart(st,
            P.per_class_accuracy_bars(per_class, cols, font_size=fs, words=_charts()),
            key="insight_per_class",
            config=png_config("cnnviz_per_class_accuracy"), width="stretch",
        )  # fmt: skip
    if len(runs) == 2:
        _difference_ui(shown, evs)


def _difference_ui(shown: list[str], evs: list[I.Evaluation]) -> None:
    a, b = shown
    n = min(ev.num_images for ev in evs)
    st.markdown(f"**{TEXT['difference'].format(a=md_escape(a), b=md_escape(b))}**")
    try:
        cm_a, cm_b = (ev.confusion_on_first(n) for ev in evs)
    except I.InsightError as exc:  # a stored matrix over more images than the other run's
        st.info(md_escape(message(exc)), icon=":material/info:")
        return
    c1, c2 = st.columns([3, 2])
    chart(c1,
        P.difference_heatmap(cm_a, cm_b, a, b, font_size=font_size(), words=_charts()),
        key="insight_diff",
        config=png_config("cnnviz_confusion_difference"), width="stretch",
    )  # fmt: skip
    with c2:
        a, b = md_escape(a), md_escape(b)  # shown as Markdown from here on
        st.caption(TEXT["difference_caption"].format(n=n, a=a, b=b))
        lines = I.describe_difference(cm_a, cm_b, a, b, words=TEXT["difference_words"],
                                      names=class_names())  # fmt: skip
        st.markdown("\n".join(f"- {line}" for line in lines))


# -- the mistakes gallery ------------------------------------------------------------------------


def _open(index: int) -> None:
    ss = st.session_state
    ss["insight_source"] = SOURCES[0]
    ss["insight_test_index"] = int(index)
    ss["insight_opened"] = int(index)


def mistakes_ui(data, runs: list[I.LoadedRun], evs: list[I.Evaluation] | None) -> None:
    """The most confident mistakes, filterable; each one opens in the classifier above."""
    st.caption(TEXT["mistakes_intro"])
    if (opened := st.session_state.pop("insight_opened", None)) is not None:
        st.toast(TEXT["opened"].format(i=opened), icon=":material/north:")
    if evs is None:
        st.info(TEXT["need_eval"], icon=":material/hourglass_top:")
        return
    shown = names(runs)
    c0, c1, c2, c3 = st.columns([2, 2, 2, 1]) if len(runs) > 1 else (None, *st.columns([2, 2, 1]))
    which = 0
    if c0 is not None:
        which = c0.radio(TEXT["whose"], range(len(runs)), format_func=shown.__getitem__,
                         key="insight_mis_run", horizontal=True)  # fmt: skip
    options = [-1, *range(10)]
    fmt = dict([(-1, TEXT["any"]), *enumerate(class_names())]).get
    true = c1.selectbox(TEXT["true"], options, format_func=fmt, key="insight_mis_true")
    pred = c2.selectbox(TEXT["pred"], options, format_func=fmt, key="insight_mis_pred")
    k = c3.selectbox(TEXT["count"], [6, 12, 24, 48], index=1, key="insight_mis_count")
    ev = evs[which]
    found = ev.mistakes(k, None if true < 0 else true, None if pred < 0 else pred)
    if not found:
        st.info(TEXT["none"].format(n=ev.num_images), icon=":material/check_circle:")
        return
    per_row = 4 if st.session_state.get("presenter_mode") else 6
    for start in range(0, len(found), per_row):
        row = st.columns(per_row)
        chunk = found[start : start + per_row]
        tiles = P.gallery_tiles(data.test_images, chunk, scale=5, words=_charts())
        for col, m, (img, head, top3) in zip(row, chunk, tiles, strict=False):
            with col.container(border=True):
                st.image(img, width="stretch", alt=head.replace("**", ""))
                st.markdown(head)
                st.caption(top3)
                st.button(TEXT["open"], key=f"insight_open_{m.index}", on_click=_open,
                          args=(m.index,), icon=":material/north:")  # fmt: skip
