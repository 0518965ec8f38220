"""Architecture builder (d2l 7.6, 8.2, 8.6): build LeNet, VGG or ResNet from widgets and see
every layer's output shape, parameters and multiply-adds (d2l's ``layer_summary``), the shape
flowing through a diagram, the PyTorch code that builds it, and what each layer computes on
an image, untrained or with a trained run's weights."""

import streamlit as st

from cnnviz.plots.models import display_name, feature_map_figure, shape_label
from ui import builder as ui
from ui import image_source_ui, page_header
from ui.common import chart, class_names
from ui.i18n import texts

TEXT = texts("builder")

page_header(TEXT["title"], TEXT["lesson"], TEXT["intro"])

# ---------------------------------------------------------------- 1. the form
st.header(TEXT["form"])
family = ui.preset_ui()
with st.container(border=True):
    candidate = ui.form_ui(family)
spec = ui.valid_spec_ui(candidate)
summary = ui.summary_cached(spec)

# ---------------------------------------------------------------- 2. summary and diagram
st.header(TEXT["shapes"])
m = st.columns(3)
m[0].metric(TEXT["params"], f"{int(summary['parameters'].sum()):,}")
m[1].metric(TEXT["macs"], f"{int(summary['multiply-adds'].sum()):,}")
m[2].metric(TEXT["out"], summary["output shape"].iloc[-1])
chart(st, ui.diagram(spec), key="builder_diagram", width="stretch")
detailed = st.toggle(TEXT["detailed"], False, key="builder_detailed")
table = ui.summary_cached(spec, detailed) if detailed else summary
st.dataframe(
    table[list(TEXT["columns"])],
    column_config=TEXT["columns"],
    hide_index=True,
    width="stretch",
    height="content" if len(table) <= 20 else 600,
    key="builder_summary",
)

# ---------------------------------------------------------------- 3. code
st.header(TEXT["code"])
code = ui.code_cached(spec)
st.caption(TEXT["code_help"])
with st.expander("builder_model.py", expanded=False):
    st.code(code, "python")
st.download_button(  # made when clicked: no media file to race the browser on every rerun
    TEXT["download"], lambda: code, "builder_model.py", "text/x-python",
    key="builder_download", on_click="ignore",
)  # fmt: skip

# ---------------------------------------------------------------- 4. feature maps
st.header(TEXT["maps"])
if not st.toggle(TEXT["maps_toggle"], False, key="builder_show_maps", help=TEXT["maps_help"]):
    st.stop()
left, right = st.columns([1, 2])
with left:
    loaded = image_source_ui("builder", default=2)
    runs = ui.finished_runs(spec)
    run_id = st.selectbox(
        TEXT["weights"],
        [None, *runs],
        format_func=lambda r, untrained=TEXT["untrained"]: untrained if r is None else runs[r],
        key="builder_weights",
    )
    run_id = run_id if run_id in runs else None  # only a run this user may see (never a sent id)
    if not runs:
        st.caption(TEXT["no_runs"])
    try:
        st.page_link(
            "app_pages/training.py", label=TEXT["train_link"], icon=":material/monitoring:"
        )
    except Exception:  # noqa: BLE001 - page run on its own (no navigation): plain link
        st.markdown(f"[{TEXT['train_link']}](/training)")
    max_channels = st.slider(TEXT["max_channels"], 1, 32, 8, key="builder_max_channels")
if loaded is None:
    st.stop()
with st.spinner(TEXT["running_image"]):
    fmaps, batch, note = ui.feature_maps_cached(
        spec, loaded.X.numpy(), run_id, max_channels, detailed
    )
damaged, note = note == "note_damaged", TEXT[note].format(run_id=run_id)
if damaged:  # the chosen run's weights file cannot be read: said, not only noted
    with left:
        st.warning(note[:1].upper() + note[1:], icon=":material/error:")
with right:
    shape = shape_label(tuple(batch.unsqueeze(0).shape))
    st.caption(TEXT["input"].format(shape=shape))
    st.image(batch[0].numpy(), clamp=True, width=160, alt=TEXT["input_alt"].format(shape=shape))
    probs = fmaps[-1].maps.softmax(0)
    labels = class_names() if spec.num_classes == len(class_names()) else None
    top = int(probs.argmax())
    label = labels[top] if labels else TEXT["class_n"].format(n=top)
    st.markdown(TEXT["prediction"].format(label=label, p=float(probs[top]), note=note))
for i, fm in enumerate(fmaps):
    name = display_name(fm.name, fm.layer, TEXT["diagram"]["block"])
    title = f"**{name}** ({fm.layer} `{fm.name}`) → "
    shown = TEXT["fmap_channels"].format(k=fm.maps.shape[0], n=fm.num_channels)
    shown = shown if fm.is_image else ""
    st.markdown(title + shape_label(fm.shape) + shown)
    last = i == len(fmaps) - 1
    chart(
        st,
        feature_map_figure(fm, labels=labels if last else None),
        key=f"builder_fmap_{i}",
        width="stretch",
    )
