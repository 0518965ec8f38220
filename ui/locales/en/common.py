"""Strings every page shares: the sidebar, the dataset messages, the error boundary."""

from cnnviz.data import HOW_TO, TEXT_LABELS

# A run's status in a sentence or a table (the Training page, the lab, the insight page).
STATUS_PLAIN = {
    "queued": "queued",
    "running": "running",
    "finished": "finished",
    "stopped": "stopped",
    "failed": "failed",
    "interrupted": "interrupted",
}

TEXT = {
    "language": "Language · 언어",
    "device": "**Device:** {device}",
    "data_found": "**Data:** :material/check_circle: {line}",
    "data_missing": "**Data:** :material/warning: Fashion-MNIST not found — see the Data page",
    "presenter": "Presenter mode",
    "presenter_help": "Bigger fonts for a projector; collapse the sidebar with « for more room.",
    "link_note": ":material/link: A lesson's settings are in the page's address: a reload keeps "
    "them, and a copied link opens the lesson set up the same way.",
    "reading_data": "Reading Fashion-MNIST…",
    "how_to": HOW_TO,
    "looked_in": "Looked in:",
    "data_damaged": "Fashion-MNIST was found but a file is damaged: {error}",
    "went_wrong": "Something went wrong in {where}: {error}. Your inputs are kept; change a "
    "setting or reload the page to try again.",
    "no_memory": "{where} ran out of memory: the computer could not hold what this setting "
    "needs. Your inputs are kept; try a smaller image, input size, batch or network.",
    "oom_run": "{device} ran out of memory training {family} at {size}×{size} with batch size "
    "{batch}. Try a smaller batch size or a smaller input size (or a smaller model).",
    "oom_device": {"cuda": "The GPU", "cpu": "The computer"},
    "out_of_memory": "out of memory: the computer could not hold what this needs",
    "this_page": "this page",
    "decoding": "Decoding the upload…",
    # Fashion-MNIST's classes (d2l's text labels), as pages and charts name them
    "classes": TEXT_LABELS,
    "gpu": "GPU: {name}",
    "cpu": "CPU ({n} threads), no GPU",
    # placeholders of an empty choice (Streamlit's own are English)
    "pick_one": "Choose an option",
    # a chart's text alternative (ui.common.chart)
    "chart": "Chart",
    "grid_alt": "a {h}×{w} grid of numbers",
    "data_table": "Data as a table",
    "table_grid": "row",
    "table_series": "series",
    "table_summary": ["size", "smallest", "largest", "mean"],
    "skip": "Skip to the lesson",
    "pick_some": "Choose options",
}
