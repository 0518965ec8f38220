"""What a network's first layer learned, as the Training page and the Ablation lab show it:
kernels and feature maps of stored runs, at a chosen epoch or at the end."""

from __future__ import annotations

import streamlit as st

from cnnviz.plots import ablation as P
from cnnviz.runs import CheckpointError, RunManager
from ui.common import chart, font_size, load_data, md_escape
from ui.i18n import message


@st.cache_data(max_entries=128, show_spinner=False)
def learned_arrays(
    _mgr: RunManager, run_id: str, sample: int, epoch: int | None, epochs_done: int = 0
):
    """(kernels, maps) as numpy for test image ``sample``: after ``epoch`` (its snapshot, which
    never changes once written), else of the final weights (``epochs_done`` keys the cache);
    None when the run has neither."""
    from cnnviz import ablation as A
    from cnnviz.features import learned_at, prepare_input

    spec = _mgr.store.get(run_id).config.spec
    X = prepare_input(load_data().test_images[sample].float().div(255), spec.in_channels,
                      spec.input_size)  # fmt: skip
    if epoch is not None:
        snap = _mgr.store.load_snapshot(run_id, epoch)
        if snap is not None:
            kernels, maps = learned_at(spec, snap, X)
            return kernels.numpy(), maps.numpy()
    state = _mgr.store.load_state_dict(run_id)
    if state is None:
        return None
    net = A.load_network(spec, state)
    return A.first_layer_kernels(net).numpy(), A.first_layer_maps(net, X).numpy()


def learned_or_said(
    mgr: RunManager, run_id: str, sample: int, epoch: int | None, epochs_done: int = 0,
    name: str | None = None,
):  # fmt: skip
    """:func:`learned_arrays`, or None with a warning, in the page's language, when the run's
    weights or snapshots file cannot be read (damaged on disk): the rest of the page goes
    on. ``name``: the variant the warning is about, when the page shows several."""
    try:
        return learned_arrays(mgr, run_id, sample, epoch, epochs_done)
    except CheckpointError as exc:
        said = md_escape(message(exc))
        st.warning(f"**{md_escape(name)}**: {said}" if name else said, icon=":material/error:")
        return None


def follow_newest(key: str, epochs: list[int]) -> None:
    """Keep the epoch slider ``key`` on the newest epoch while a run trains, unless the
    student scrubbed back; a value no longer offered falls back to the newest."""
    ss, newest = st.session_state, f"{key}_newest"
    if ss.get(key) not in epochs or ss.get(key) == ss.get(newest):
        ss[key] = epochs[-1]
    ss[newest] = epochs[-1]


def learned_charts_ui(
    got: dict[str, tuple], colors: dict[str, str], key: str, kernels_title: str,
    maps_title: str, png: tuple[str, str],
) -> None:  # fmt: skip
    """Kernels, then feature maps: one panel per entry of ``got`` (name → (kernels, maps));
    charts keyed ``{key}_kernels`` / ``{key}_maps``, saved as PNGs named ``png``."""
    fs = font_size()
    st.markdown(f"**{kernels_title}**")
    chart(st,
        P.side_by_side({n: g[0] for n, g in got.items()}, colors, symmetric=True, cols=8,
                       font_size=fs),
        key=f"{key}_kernels", config=P.png_config(png[0]), width="stretch",
    )  # fmt: skip
    st.markdown(f"**{maps_title}**")
    chart(st,
        P.side_by_side({n: g[1] for n, g in got.items()}, colors, symmetric=False, cols=4,
                       max_maps=8, font_size=fs),
        key=f"{key}_maps", config=P.png_config(png[1]), width="stretch",
    )  # fmt: skip
