"""In Chromium: hostile run names, groups, errors and link ids render as the text they are.

``tests/test_markup.py`` checks that every sink escapes; this checks that the escaping is right
for Streamlit's real Markdown (GFM, math, :shortcodes:, bare links, inline HTML) and for
Plotly's legends: no image, link, script, bold text, icon or formula comes from a name.
"""

from __future__ import annotations

import pytest
from test_markup import ERROR, GROUP, LINK_ID, NAME, NAME_2, NOTICE

from cnnviz.features import first_stage_state
from cnnviz.models import PRESETS
from cnnviz.runs import RunStore
from cnnviz.train import RunConfig, build_net

pytestmark = pytest.mark.browser
EPOCH = {"train_loss": 2.3, "train_acc": 0.1, "val_loss": 2.3, "val_acc": 0.1,
         "examples_per_s": 1000.0, "seconds": 1.0}  # fmt: skip
ZWSP = "\u200b"


def make_runs(home) -> list[str]:
    store = RunStore(home)
    config = RunConfig(PRESETS["LeNet"], num_epochs=2, limit=256, val_limit=128)
    first_layer = first_stage_state(build_net(config))
    ids = []
    for name, status in ((NAME, "failed"), (NAME_2, "finished")):
        run_id = store.create(config, name=name, group=GROUP, preset="LeNet", status="running")
        for epoch in (0, 1, 2):
            store.save_snapshot(run_id, epoch, first_layer)
            if epoch:
                store.add_epoch(run_id, {"epoch": epoch, **EPOCH})
        store.set_status(run_id, status, error=ERROR if status == "failed" else None)
        store.set_notice(run_id, NOTICE)
        ids.append(run_id)
    return ids


def assert_plain_text(web, texts: list[str]) -> None:
    """Nothing in the main area came from the hostile strings; each shows as typed."""
    main = web.page.locator('[data-testid="stMain"]')
    assert main.locator("img[src='x'], img[src='y'], img[src*='evil'], script").count() == 0
    # not the modebar's logo, nor a heading's own anchor (#b-grp-…)
    links = main.locator("a[href*='evil']:not([href^='#']), .js-plotly-plot svg a")
    assert links.count() == 0, [a.evaluate("e => e.outerHTML") for a in links.all()]
    assert main.locator(".katex, .katex-display").count() == 0
    icons = main.locator('[data-testid="stIconMaterial"]').all_inner_texts()
    assert "home" not in icons
    bold = main.locator("[data-testid='stMarkdownContainer'] strong").all_inner_texts()
    assert "b" not in bold and "grp" not in bold  # **b** and <b>grp</b> stay text
    page_text = main.inner_text().replace(ZWSP, "")
    for text in texts:
        assert text in page_text, text


def test_hostile_names_render_as_text(own_server, web, tmp_path):
    failed, finished = make_runs(tmp_path / "home")
    dialogs = []
    web.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    web.goto(f"{own_server}/training?run={failed}")
    web.page.get_by_text("Epochs done: 2 of 2").first.wait_for(timeout=120_000)
    assert_plain_text(web, [NAME, ERROR, NOTICE])
    web.screenshot("markup_training")

    web.goto(f"{own_server}/ablation?group=store&runs={failed},{finished},{LINK_ID}")
    web.page.locator(".js-plotly-plot .legendtext").first.wait_for(timeout=120_000)
    assert_plain_text(web, [NAME, NAME_2, GROUP, ERROR, LINK_ID])
    legend = [t.text_content() for t in web.page.locator(".js-plotly-plot .legendtext").all()]
    assert NAME in legend and NAME_2 in legend
    web.screenshot("markup_ablation")
    assert not dialogs
    web.assert_clean()
