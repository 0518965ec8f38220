"""Settings, sidebar, cached dataset and the error boundary every page relies on."""

from __future__ import annotations

import contextlib
import functools
import gc
import importlib
import json
import logging
import sys
import threading
import time
import traceback
import unicodedata

import streamlit as st

from cnnviz import data as cdata
from cnnviz.errors import is_out_of_memory
from ui import i18n, state

# A lesson widget's value lives in the URL (its key names the parameter): a reload keeps the
# lesson as it was, and a teacher can prepare a link that opens it set up (as TensorFlow
# Playground does). Drawings, uploads and edited kernel grids stay in the session.
SHARE = "query-params"
log = logging.getLogger("cnnviz")


def _choice_of(asked: str, options: list, url_keys: dict, old: dict, by_label: dict):
    """The option an address value names: its stable key, the option itself, a value links
    held before the keys, or a label of any language; None if nothing."""
    by_key = {url_keys.get(o, str(o)): o for o in options}
    for table in (by_key, {str(o): o for o in options}, old, by_label):
        if asked in table and table[asked] in options:
            return table[asked]
    return None


def _label_table(options: list, labels_of: tuple[str, str] | None, format_func) -> dict:
    """Label → option: the catalog's labels in every language, else ``format_func``'s in the
    current one."""
    if labels_of is None:
        return {format_func(o): o for o in options} if format_func else {}
    return {
        text: option
        for lang in i18n.LANGS
        for option, text in i18n.CATALOGS[lang].get(labels_of[0], {}).get(labels_of[1], {}).items()
    }


def keyed_choice(
    widget,
    label: str,
    options,
    *,
    key: str,
    labels_of: tuple[str, str] | None = None,
    format_func=None,
    url_keys: dict | None = None,
    old: dict | None = None,
    default=None,
    **kwargs,
):
    """A radio or selectbox whose choice lives in the address by its stable key (``?key=seed``),
    in every language, while it shows the catalog's label (``labels_of``: section, mapping) or
    ``format_func``'s.

    Streamlit's own binding writes the label shown, which changes with the language and with
    any edit of the text. Here the address is read on the session's first run of the widget:
    a stable key, a label of any language, or one of ``old`` (the values links were made with
    before the keys: old value → option) all open that option; anything else, the default.
    After the widget, the address holds the key (nothing at the default).

    ``url_keys`` maps an option to its key in the address where the option itself is no short
    ASCII word (a kernel preset's name); other options are their own key (``str(option)``).
    ``default`` is the option chosen at first (the first one if None)."""
    options, url_keys = list(options), url_keys or {}
    default = options[0] if default is None else default
    if format_func is None:
        format_func = i18n.labels(*labels_of)
    ss = st.session_state
    i18n.KEYED_CHOICES.add(key)
    if key not in ss:
        asked = st.query_params.get(key)
        chosen = None
        if asked is not None:
            chosen = _choice_of(
                asked, options, url_keys, old or {}, _label_table(options, labels_of, format_func)
            )
        ss[key] = default if chosen is None else chosen
    value = widget(label, options, key=key, format_func=format_func, **kwargs)
    address = url_keys.get(value, str(value))
    if value == default:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get(key) != address:
        st.query_params[key] = address
    return value


def keyed_multi(
    label: str,
    options,
    default: list,
    *,
    key: str,
    labels_of: tuple[str, str] | None = None,
    format_func=None,
    url_keys: dict | None = None,
    **kwargs,
) -> list:
    """``keyed_choice`` for a multiselect: the address holds each chosen option's key
    (``?key=a&key=b``; ``?key=`` for none chosen, nothing at ``default``). Links of
    Streamlit's own binding, which held the labels shown, still open the same choice."""
    options, url_keys = list(options), url_keys or {}
    if format_func is None:
        format_func = i18n.labels(*labels_of)
    ss = st.session_state
    i18n.KEYED_CHOICES.add(key)
    if key not in ss:
        asked = [v for v in st.query_params.get_all(key) if v]
        chosen = [] if st.query_params.get_all(key) == [""] else list(default)
        if asked:
            labels = _label_table(options, labels_of, format_func)
            picks = [_choice_of(v, options, url_keys, {}, labels) for v in asked]
            # Names no option has (a forged or mangled link) leave the default.
            chosen = [p for p in dict.fromkeys(picks) if p is not None] or chosen
        ss[key] = chosen
    value = st.multiselect(label, options, key=key, format_func=format_func, **kwargs)
    addresses = [url_keys.get(v, str(v)) for v in value]
    if value == list(default):
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get_all(key) != (addresses or [""]):
        st.query_params[key] = addresses or [""]
    return value


DEFAULTS = {key.name: key.default for key in state.SETTINGS}  # declared in ui/state.py
TEXT = i18n.texts("common")

PRESENTER_CSS = """
<style>
[data-testid="stMain"] p, [data-testid="stMain"] li, [data-testid="stMain"] label,
[data-testid="stWidgetLabel"] p, [data-testid="stCaptionContainer"] {
  font-size: 1.3rem !important;
}
[data-testid="stMain"] h1 { font-size: 3.2rem !important; }
[data-testid="stMain"] h2 { font-size: 2.4rem !important; }
[data-testid="stMain"] h3 { font-size: 1.9rem !important; }
[data-testid="stMetricValue"] { font-size: 2.6rem !important; }
</style>
"""


def settings() -> dict:
    """Shared settings with their defaults, so a page also runs on its own (AppTest)."""
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)
    return {key: st.session_state[key] for key in DEFAULTS}


# What most pages import, loaded before the heap is first frozen (see freeze_heap).
HEAVY_MODULES = (
    "numpy", "pandas", "pyarrow", "torch", "PIL.Image", "plotly.graph_objects", "plotly.io",
    "cnnviz.ops", "cnnviz.lessons", "cnnviz.kernels", "cnnviz.kernel_learning",
    "cnnviz.models", "cnnviz.features", "cnnviz.images", "cnnviz.plots.base",
    "cnnviz.plots.conv", "cnnviz.plots.lessons", "cnnviz.plots.models",
    "cnnviz.plots.kernel_learning",
)  # fmt: skip


# Python's full collection waits for this many collections of the middle generation (its
# default: 10). Each run ends with one (collect_young), and each run of a session promotes what
# that session keeps (its state, its last run's elements) to the old generation; with a class
# on a page that met Python's other condition (a quarter more old objects) every ten runs: 57
# full collections in 90 s with 100 students following the teacher, 30-45 ms each, ~4 in
# every move of the class (py-spy and gc.callbacks, 2026-12-07). At 1,000: one every ~100 s
# (~130 ms; it frees 60-100k objects of cyclic garbage, which waits that long).
FULL_COLLECTION_AFTER = 1000


@st.cache_resource(show_spinner=False)
def _frozen_at() -> dict:
    """Process-wide: how many modules were loaded when the heap was last frozen."""
    return {"modules": 0, "lock": threading.Lock()}


def freeze_heap() -> None:
    """Keep full garbage collections cheap: ``gc.freeze()``.

    Python runs a full collection now and then (and Streamlit after every script run unless
    ``runner.postScriptGC`` is off, as in .streamlit/config.toml: :func:`collect_young`
    instead). With torch, pandas and plotly loaded that walks ~270k long-lived objects (module
    code, classes, torch's operator tables): 190–300 ms on this 2-core machine, most of a
    rerun. Frozen objects are skipped by the collector, and still freed by reference counting
    when dropped, so a full collection walks only what was made since.

    Called at the start of every run; it acts only when modules were imported since the last
    freeze (the first run, a page's first visit: the builder's meta-device forward pulls in
    torch._dynamo, another ~135k objects). It collects first, so no garbage is frozen. The
    first run also spaces Python's own full collections out (:data:`FULL_COLLECTION_AFTER`).
    ``CNNVIZ_GC_FREEZE=0`` turns it off.
    """
    from cnnviz.config import setting

    if not setting("CNNVIZ_GC_FREEZE"):
        return
    state = _frozen_at()
    if len(sys.modules) == state["modules"]:
        return
    with state["lock"]:
        if state["modules"] == 0:  # the first run: load what most pages need at once
            for name in HEAVY_MODULES:
                importlib.import_module(name)
            young, middle, _ = gc.get_threshold()
            gc.set_threshold(young, middle, FULL_COLLECTION_AFTER)
        if len(sys.modules) == state["modules"]:
            return
        t = time.perf_counter()
        gc.collect()
        gc.freeze()
        state["modules"] = len(sys.modules)
        log.info("gc.freeze: %d objects frozen (%d modules) in %.0f ms", gc.get_freeze_count(),
                 state["modules"], (time.perf_counter() - t) * 1000)  # fmt: skip


def keep_theme_message() -> None:
    """Make the theme part of Streamlit's "new session" message once per process, not at
    the start of every run.

    Streamlit sends that message at the start of every run, a fragment's too. Each time it
    fills in six theme sections (theme, light, dark and their sidebars), reading every
    config option once per section: ~8% of the server's time while a class of 100 follows
    the teacher (py-spy, GIL held). The sections change only when the config is read again,
    so each is now made once, kept as bytes, and merged into later messages; a new reading
    of the config starts over. Idempotent: the first run of each process installs it."""
    from streamlit import config
    from streamlit.runtime import app_session

    if getattr(app_session._populate_theme_msg, "kept", None) is not None:
        return
    made = app_session._populate_theme_msg
    kept: dict[str, bytes] = {}

    def populate(msg, section: str = "theme") -> None:
        blob = kept.get(section)
        if blob is None:
            fresh = type(msg)()
            made(fresh, section)
            kept[section] = blob = fresh.SerializeToString()
        if blob:  # (merging nothing would still mark an unset section as set)
            msg.MergeFromString(blob)

    populate.kept, populate.made = kept, made
    app_session._populate_theme_msg = populate
    config.on_config_parsed(kept.clear, force_connect=True)


def collect_young() -> None:
    """At the end of every run (a page's, a fragment's): the run's cyclic garbage, with
    ``gc.collect(1)`` (the young generations only, well under a millisecond). Streamlit's own
    full collection after each run is off (``runner.postScriptGC`` in .streamlit/config.toml):
    even with the heap frozen it walked every object made since, every open session's
    state, ~18 ms a run with 30 students on a page and growing with the class."""
    gc.collect(1)


@st.cache_resource(show_spinner=False)
def _load_data_cached(folder: str) -> cdata.FashionMNIST:
    return cdata.load_fashion_mnist()


def load_data() -> cdata.FashionMNIST:
    """Fashion-MNIST, read once per server and shared read-only by every session.

    Raises:
        cdata.DataNotFoundError: with the how-to message.
    """
    folder = cdata.locate()
    with st.spinner(TEXT["reading_data"]):  # shown only if it takes over half a second
        return _load_data_cached(str(folder))


def data_or_message() -> cdata.FashionMNIST | None:
    """The dataset, or None after showing how to get it (never a traceback)."""
    try:
        return load_data()
    except cdata.DataNotFoundError as exc:
        st.warning(how_to(exc.tried), icon=":material/inventory_2:")
    except cdata.DataFormatError as exc:
        st.error(TEXT["data_damaged"].format(error=exc), icon=":material/error:")
    return None


def how_to(tried: list[str] | None = None) -> str:
    """How to get Fashion-MNIST (and where cnnviz looked), in the page's language."""
    text = TEXT["how_to"]
    if tried:
        text += f"\n{TEXT['looked_in']}\n" + "\n".join(f"  - {t}" for t in tried)
    return text


@st.cache_resource(show_spinner=False)
def _device_info() -> tuple[str | None, int]:
    """(the GPU's name or None, the CPU's torch threads), found once per server."""
    import torch

    from cnnviz.device import cuda_available

    name = torch.cuda.get_device_name(0) if cuda_available() else None
    return name, torch.get_num_threads()


def _device_label() -> str:
    """``cnnviz.device.describe_device`` in the page's language."""
    gpu, threads = _device_info()
    return TEXT["gpu"].format(name=gpu) if gpu else TEXT["cpu"].format(n=threads)


def font_size() -> int:
    """Chart font size: bigger in presenter mode."""
    return 20 if st.session_state.get("presenter_mode") else 14


def language_ui() -> str:
    """English / 한국어, kept in the address as ``?lang=`` (see ui/i18n.py)."""
    ss = st.session_state
    if ss.get(i18n.KEY) not in i18n.LANGS:  # a first run, or the chosen segment clicked off
        ss[i18n.KEY] = i18n.current()
    st.segmented_control(
        TEXT["language"], list(i18n.LANGS), format_func=i18n.LANGS.get, key=i18n.KEY,
        on_change=i18n.switch_language,
    )  # fmt: skip
    lang = ss[i18n.KEY] or i18n.DEFAULT
    # ?lang= is written unless the page is in the language a bare visit would get anyway, so
    # a reload or a copied link keeps it (after a page switch too, which drops it).
    bare = i18n.browser_language() or i18n.DEFAULT
    wanted = None if lang == i18n.DEFAULT == bare else lang
    if wanted and st.query_params.get(i18n.KEY) != wanted:
        st.query_params[i18n.KEY] = wanted
    elif wanted is None and i18n.KEY in st.query_params:
        del st.query_params[i18n.KEY]
    return lang


def sidebar_ui() -> None:
    """The shared sidebar: language, device, dataset, presenter mode."""
    s = settings()
    with st.sidebar:
        from ui.a11y import page_fixes

        page_fixes()  # first: the page's language, a valid page list, the skip link, arrow keys
        language_ui()
        st.caption(TEXT["device"].format(device=_device_label()))
        found, line = cdata.dataset_status()
        if found:
            st.caption(TEXT["data_found"].format(line=line))
        else:
            st.caption(TEXT["data_missing"])
        st.toggle(TEXT["presenter"], key="presenter_mode", help=TEXT["presenter_help"])
        st.caption(TEXT["link_note"])
        from ui.identity import cookie_ui, teacher_ui

        teacher_ui()  # who is who: the teacher's box, and a new browser's identity cookie
        cookie_ui()
        from ui.follow import follow_ui

        follow_ui()  # first a move the teacher asked for, then the follow switch
    if s["presenter_mode"]:
        st.markdown(PRESENTER_CSS, unsafe_allow_html=True)


# Characters that mean something in Streamlit's Markdown. "<", ">", "&" and quotes become HTML
# entities (literal text both in Markdown and inside the inline HTML of an
# ``unsafe_allow_html`` sink); every other ASCII punctuation mark gets CommonMark's backslash
# escape (links, images, emphasis, code, ``$`` math, tables); a zero-width space after a colon
# or an "@", and inside "www.", stops what is matched in the text after parsing: the
# ``:material/icon:``, ``:emoji:`` and ``:red[...]`` shortcodes and GFM's bare-URL and e-mail
# links.
_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
_MD_PUNCTUATION = frozenset("!#$%()*+,-./:;=?@[\\]^_`{|}~")
ZERO_WIDTH_SPACE = "\u200b"
# Bidi controls (embeddings, overrides, isolates, marks): in a name they would reorder what
# follows ("\u202egnp.exe" reads "exe.png"); dropped, with control characters and surrogates.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_CONTROL = ("Cc", "Cs")


def md_escape(text: object) -> str:
    """A user-supplied string (a run's name or group, a file name, an error that quotes one)
    for any sink that renders Markdown: ``st.markdown`` (with or without
    ``unsafe_allow_html``), ``st.caption``, ``st.info``/``warning``/``error``/``success``,
    ``st.subheader``, ``st.spinner``, ``st.metric`` and widget labels and tooltips, radio and
    select-slider options. It shows as typed, on one line, and never as markup, without control
    characters (a NUL) or bidi controls. Not for ``st.selectbox``/``st.multiselect`` options or
    ``st.dataframe`` cells: those show plain text (the backslashes would show)."""
    out = []
    text = " ".join(str(text).split())
    text = "".join(
        ch for ch in text if ch not in _BIDI_CONTROLS and unicodedata.category(ch) not in _CONTROL
    )
    for i, ch in enumerate(text):
        if ch == "." and text[max(0, i - 3) : i].lower() == "www":
            out.append(ZERO_WIDTH_SPACE)
        if ch in _MD_ENTITIES:
            out.append(_MD_ENTITIES[ch])
        elif ch in _MD_PUNCTUATION:
            out.append("\\" + ch + (ZERO_WIDTH_SPACE if ch in ":@" else ""))
        else:
            out.append(ch)
    return "".join(out)


TIME = i18n.texts("time")


def class_names() -> tuple[str, ...]:
    """Fashion-MNIST's ten class names in the page's language (d2l's text labels in English)."""
    return tuple(TEXT["classes"])


def duration(seconds: float) -> str:
    """'40 s', '3 min' in the page's language (cnnviz.estimates.format_seconds)."""
    from cnnviz.estimates import format_seconds

    return format_seconds(seconds, TIME)


def duration_span(low: float, high: float) -> str:
    from cnnviz.estimates import span

    return span(low, high, TIME)


def estimate_text(est) -> str:
    """'about 40 s (30 s – 1 min)' for an ``Estimate``, in the page's language."""
    return est.text(TIME)


def estimate_basis(est) -> str:
    """What an ``Estimate`` is based on, in words."""
    return TIME["basis"][est.basis]


def error_words(exc: BaseException) -> str:
    """An unexpected error for a message, in plain text: our words when memory ran out (never
    the allocator's byte count), else its type and text."""
    if is_out_of_memory(exc):
        return TEXT["out_of_memory"]
    return f"{type(exc).__name__}: {exc}"


def run_error(rec) -> str:
    """A failed or interrupted run's stored error for the page, in its language when it is
    cnnviz's own: its out-of-memory message (``cnnviz.train.OOM_PREFIXES``), or a sentence of
    :mod:`cnnviz.runs.notices` (an interrupted run's, an import's); Markdown-escaped."""
    from cnnviz.train import OOM_PREFIXES

    error = rec.error or ""
    if error.startswith(OOM_PREFIXES):
        spec = rec.config.spec
        device = TEXT["oom_device"]["cuda" if error.startswith(OOM_PREFIXES[0]) else "cpu"]
        error = TEXT["oom_run"].format(
            device=device, family=spec.family, size=spec.input_size, batch=rec.config.batch_size
        )
    else:
        error = stored_text(error)
    return md_escape(error)


def run_error_alert(rec, **kwargs) -> None:
    """A failed run's stored error as an error, an interrupted run's as a warning (in the page's
    language, :func:`run_error`); nothing for any other run. ``kwargs``: to the alert."""
    if rec.error and rec.status in ("failed", "interrupted"):
        (st.error if rec.status == "failed" else st.warning)(run_error(rec), **kwargs)


def run_notice(rec) -> str:
    """A run's stored notice (no GPU, stopped, imported, its weights removed) in the page's
    language (:func:`stored_text`); Markdown-escaped."""
    return md_escape(stored_text(rec.notice or ""))


def stored_text(text: str, lang: str | None = None) -> str:
    """A run's notice or error as the store keeps it (English) in the page's language (or
    ``lang``): each of its sentences (:func:`cnnviz.runs.notices.parse`) rebuilt from the
    ``notices`` catalog with the values it quotes, as they were written; a text that is not
    cnnviz's own, as stored."""
    lang = lang or i18n.current()
    if lang == i18n.DEFAULT or not text:
        return text
    from cnnviz.runs.notices import parse

    parts = parse(text)
    if parts is None:
        return text
    english = i18n.CATALOGS[i18n.DEFAULT]["notices"]
    catalog = {**english, **i18n.CATALOGS[lang].get("notices", {})}

    def shown(name: str, value) -> str:
        if isinstance(value, tuple):  # a recognised reason: a sentence of its own
            return sentence(*value)
        if name == "status":  # a run's status word
            return catalog["status_plain"].get(value, value)
        return value  # a name, a number, an exception's type: as written

    def sentence(key: str, values: dict) -> str:
        return catalog[key].format(**{name: shown(name, v) for name, v in values.items()})

    try:
        return " ".join(sentence(key, values) for key, values in parts)
    except (KeyError, IndexError, ValueError):  # a catalog slip must not hide the text
        return text


def page_header(title: str, lesson: str, intro: str) -> None:
    """Title, the d2l section it serves, and one paragraph on what the page teaches. First, the
    address loses any value no widget could hold (``ui.links.clean_address``): every page calls
    this before its first widget."""
    from ui.links import clean_address

    clean_address()
    st.title(title)
    st.caption(f"d2l {lesson}")
    st.markdown(intro)


def fragment(func=None, *, run_every=None):
    """``st.fragment`` whose body runs inside :func:`error_boundary`: a fragment's own rerun
    runs only its body, outside the boundary around the page, so an error there would show
    Streamlit's traceback. Use it instead of ``st.fragment`` (as a decorator, with or without
    ``run_every``, or called on a function)."""

    def wrap(body):
        @functools.wraps(body)
        def safe(*args, **kwargs):
            with error_boundary():
                from ui.follow import run_fragment

                # a follower's move to this fragment first; a teacher's change published after
                return run_fragment(body, args, kwargs)

        return st.fragment(safe, run_every=run_every)

    return wrap if func is None else wrap(func)


# -- charts with a text alternative ----------------------------------------------------------

TABLE_MAX_ROWS = 60  # a curve's table lists at most this many points (evenly thinned)
TABLE_MAX_SIDE = 16  # a heatmap up to this size is listed number by number, else summarised


def _plain_text(text: object) -> str:
    """A Plotly text (it may hold <b>, <br>, entities) as plain words."""
    import html
    import re

    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", str(text or ""))).split())


def _title(obj) -> str:
    if isinstance(obj, dict):
        obj = obj.get("text")
    return _plain_text(obj) if isinstance(obj, str) else ""


def chart_name(fig) -> str:
    """What a Plotly figure shows, in its own words: its title (or its subplots' titles), its
    axes and its series. The accessible name of the chart when a page gives none."""
    layout = fig.to_plotly_json()["layout"] if not hasattr(fig, "_layout") else fig._layout
    parts = [_title(layout.get("title"))]
    parts += [_title(a) for a in layout.get("annotations", ()) if isinstance(a, dict)][:6]
    axes = [_title(layout.get(k, {}).get("title")) for k in ("xaxis", "yaxis")]
    if all(axes):
        parts.append(f"{axes[1]} / {axes[0]}")
    names = list(dict.fromkeys(_plain_text(t.get("name")) for t in fig._data if t.get("name")))
    if names:
        parts.append(", ".join(names[:10]))
    for t in fig._data:
        if t.get("type") == "heatmap" and t.get("z") is not None:
            import numpy as np

            z = np.asarray(t["z"])
            if z.ndim == 2:
                parts.append(TEXT["grid_alt"].format(h=z.shape[0], w=z.shape[1]))
                break
    return " — ".join(p for p in parts if p) or TEXT["chart"]


def _cell(v) -> str:
    import math

    if isinstance(v, float | int) and not isinstance(v, bool):
        return "–" if isinstance(v, float) and not math.isfinite(v) else format(v, ".4g")
    return md_escape(_plain_text(v))


def _md_table(header: list, rows: list[list]) -> str:
    lines = ["| " + " | ".join(_cell(h) or " " for h in header) + " |",
             "|" + "---|" * len(header)]  # fmt: skip
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def chart_table(fig) -> str | None:
    """The numbers behind a figure as a Markdown table: curves and bars as x × series (a
    training run's epochs × metrics), a heatmap as its grid of numbers, or for a large one a
    summary (size, smallest, largest, mean). None when the figure holds no data."""
    import numpy as np

    blocks = []
    series: dict[str, dict] = {}
    for t in fig._data:
        kind = t.get("type", "scatter")
        if kind == "heatmap" and t.get("z") is not None:
            z = np.asarray(t["z"], dtype=np.float64)
            if z.ndim != 2 or not z.size:
                continue
            name = _plain_text(t.get("name")) or TEXT["table_grid"]
            if max(z.shape) <= TABLE_MAX_SIDE:
                header = [name] + list(range(z.shape[1]))
                blocks.append(_md_table(header, [[i, *row] for i, row in enumerate(z.tolist())]))
            else:
                finite = z[np.isfinite(z)]
                stats = [f"{z.shape[0]}×{z.shape[1]}"] + (
                    [float(finite.min()), float(finite.max()), float(finite.mean())]
                    if finite.size else ["–"] * 3
                )  # fmt: skip
                blocks.append(_md_table(list(TEXT["table_summary"]), [stats]))
        elif kind in ("scatter", "bar") and t.get("x") is not None and t.get("y") is not None:
            x, y = np.asarray(t["x"]).ravel(), np.asarray(t["y"]).ravel()
            if t.get("orientation") == "h":
                x, y = y, x
            if len(x) != len(y) or not len(x) or y.dtype.kind not in "iuf":
                continue
            name = _plain_text(t.get("name")) or f"{TEXT['table_series']} {len(series) + 1}"
            column = series.setdefault(name, {})
            for a, b in zip(x.tolist(), y.tolist(), strict=True):
                column.setdefault(a, b)
    if series:
        xs = list(dict.fromkeys(a for col in series.values() for a in col))
        if len(xs) > TABLE_MAX_ROWS:  # evenly thinned, the last point kept
            keep = np.linspace(0, len(xs) - 1, TABLE_MAX_ROWS).round().astype(int)
            xs = [xs[i] for i in dict.fromkeys(keep.tolist())]
        rows = [[a, *(col.get(a, float("nan")) for col in series.values())] for a in xs]
        blocks.insert(0, _md_table(["x", *series], rows))
    return "\n\n".join(blocks) or None


def chart(where, fig, alt: str | None = None, *, table: bool = True, live: bool = False,
          table_of=None, **kwargs):  # fmt: skip
    """``where.plotly_chart(fig, **kwargs)`` with an accessible name (``alt``, else what
    :func:`chart_name` reads from the figure) and its data one click away: an expander
    "Data as a table" under it (``table=False`` leaves it out: a chart whose numbers the
    page shows already). ``live``: a chart redrawn every second or so (a training run's
    curves) is drawn by :func:`ui.live_chart.live_chart` under ``kwargs["key"]``, changed in
    place on each rerun instead of mounted anew. ``table_of``: the figure whose numbers the
    table lists, when not all of the chart's (a live run's: its epochs, which change once an
    epoch, not its running loss, which changes every second).

    The figure goes out carrying Streamlit's chart look itself, with ``theme=None``
    (:func:`cnnviz.plots.look.with_look`): with the theme left to the browser, Streamlit's
    frontend draws every changed chart twice."""
    import plotly.io as pio

    from cnnviz.plots.look import with_look

    theme = kwargs.setdefault("theme", None)
    # what is made of a figure is kept on it: one drawn again (shared by a cache, as when a
    # class follows the teacher) is not prepared again
    made = fig.__dict__.setdefault("_cnnviz_chart", {})
    if theme is None and "shown" not in made:
        made["shown"] = shown = with_look(fig)
        # What Streamlit sends of it, made once and read on every rerun: plain JSON values
        # (no NumPy scalar left for Plotly's encoder to try its fallbacks on, per value).
        sent = json.loads(pio.to_json(shown, validate=False))
        shown.__dict__["to_dict"] = lambda: sent
    if "name" not in made:
        made["name"] = chart_name(fig)
    if live and theme is None:
        from ui.live_chart import live_chart

        with contextlib.nullcontext() if where is st else where:
            out = live_chart(made["shown"], key=kwargs["key"], name=alt or made["name"],
                             config=kwargs.get("config"))  # fmt: skip
    else:
        out = where.plotly_chart(made["shown"] if theme is None else fig,
                                 alt=alt or made["name"], **kwargs)  # fmt: skip
    if table and "table" not in made:
        made["table"] = chart_table(fig if table_of is None else table_of)
    if table and (text := made["table"]):
        with where.expander(TEXT["data_table"], icon=":material/table:"):
            st.markdown(text)
    return out


@contextlib.contextmanager
def error_boundary(where: str | None = None):
    """Show any unexpected error as a short message instead of a traceback, and log it."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - st.rerun/st.stop raise BaseExceptions and pass through
        where = where or TEXT["this_page"]
        log.error("Unhandled error in %s:\n%s", where, traceback.format_exc())
        if is_out_of_memory(exc):  # our words, not the allocator's byte count
            st.error(TEXT["no_memory"].format(where=where), icon=":material/memory:")
            return
        error = f"{type(exc).__name__}: {md_escape(exc)}"
        st.error(TEXT["went_wrong"].format(where=where, error=error), icon=":material/error:")
