"""In real Chromium: "What the network learned". Strokes drawn with the mouse change the
probability chart; a mistake opened from the gallery shows up in the classifier."""

from __future__ import annotations

import pytest

from conftest import start_server, stop_server

pytestmark = pytest.mark.browser

PROBS = ".st-key-insight_probs .js-plotly-plot"
READ = f"() => {{ const g = document.querySelector('{PROBS}'); return g ? g._fullData.map(t => "
READ += "Array.from(t.x)) : null; }"


@pytest.fixture(scope="module")
def insight_server(tmp_path_factory, trained_run):
    """A server whose store holds a LeNet-ReLU trained on 2,000 images (it gives varied
    answers) and the session's trained LeNet, imported from its file."""
    import torch

    from cnnviz.models import PRESETS
    from cnnviz.runs import RunManager, RunStore
    from cnnviz.train import RunConfig

    home = tmp_path_factory.mktemp("insight_browser")
    store = RunStore(home)
    store.import_run(trained_run[2], "lenet.safetensors")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    manager = RunManager(store)
    config = RunConfig(PRESETS["LeNet-ReLU"], num_epochs=2, limit=2000, val_limit=500)
    run_id = manager.submit(config, name="LeNet-ReLU", preset="LeNet-ReLU")
    assert manager.wait(run_id, 180) == "finished"
    manager.shutdown()
    torch.set_num_threads(before)
    proc, url, log = start_server({"CNNVIZ_HOME": str(home)}, home / "server.log")
    yield url
    stop_server(proc, log)


def _stroke(page, points) -> None:
    """Press, move through ``points`` (fractions of the canvas), release."""
    canvas = page.locator(".st-key-insight_canvas canvas.upper-canvas, canvas.upper-canvas").first
    canvas.wait_for(timeout=60_000)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    xy = [(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy) for fx, fy in points]
    page.mouse.move(*xy[0])
    page.mouse.down()
    for (x0, y0), (x1, y1) in zip(xy, xy[1:], strict=False):
        for k in range(1, 11):
            page.mouse.move(x0 + (x1 - x0) * k / 10, y0 + (y1 - y0) * k / 10)
    page.mouse.up()


def _probs_change(web, before, timeout=60_000):
    web.page.wait_for_function(
        f"(before) => {{ const now = ({READ})(); return now !== null && "
        "JSON.stringify(now) !== JSON.stringify(before); }",
        arg=before, timeout=timeout,
    )  # fmt: skip
    web.wait_idle()
    return web.page.evaluate(READ)


def _open(web, url: str) -> None:
    web.goto(url + "/insight")


def test_drawing_strokes_change_the_probabilities(insight_server, web):
    page = web.page
    _open(web, insight_server)
    page.wait_for_selector(PROBS, timeout=90_000)
    test_image = web.page.evaluate(READ)
    assert len(test_image) == 1 and abs(sum(test_image[0]) - 1) < 1e-6

    page.locator(".st-key-insight_source").get_by_role("radio", name="Draw").click()
    page.get_by_text("Draw a piece of clothing in white").wait_for(timeout=60_000)
    web.wait_idle()
    assert page.locator(PROBS).count() == 0  # nothing drawn yet: no answer

    # (the canvas's toolbar covers its top edge: strokes start below it)
    _stroke(page, [(0.4, 0.25), (0.4, 0.9)])  # one leg of a pair of trousers
    first = _probs_change(web, None)
    _stroke(page, [(0.6, 0.25), (0.6, 0.9)])  # the other leg
    second = _probs_change(web, first)
    _stroke(page, [(0.35, 0.25), (0.65, 0.25)])  # the waistband
    third = _probs_change(web, second)
    for probs in (first, second, third):
        assert abs(sum(probs[0]) - 1) < 1e-6
    assert first != second != third
    main = page.locator("[data-testid=stMain]").inner_text()
    assert "framed as Fashion-MNIST frames its items" in main and "→ 28×28" in main
    web.screenshot("insight_drawn")
    web.assert_clean()


def test_a_mistake_opens_in_the_classifier(insight_server, web):
    page = web.page
    _open(web, insight_server)
    first_open = page.locator("[class*='st-key-insight_open_']").first
    first_open.wait_for(timeout=120_000)  # the evaluation ran in the background
    key = next(c for c in first_open.get_attribute("class").split() if "insight_open_" in c)
    index = int(key.rsplit("_", 1)[1])
    page.wait_for_selector(".st-key-insight_cm_0 .js-plotly-plot", timeout=30_000)
    before = page.evaluate(READ)
    web.screenshot("insight_gallery")
    first_open.get_by_role("button").click()
    after = _probs_change(web, before)
    assert after != before
    box = page.locator(".st-key-insight_test_index input")
    assert box.input_value() == str(index)
    main = page.locator("[data-testid=stMain]").inner_text()
    assert f"Test image {index}:" in main and "wrong: it is" in main
    page.locator(".st-key-insight_probs").scroll_into_view_if_needed()
    web.screenshot("insight_opened")
    web.assert_clean()


def test_a_photo_on_white_paper_is_inverted_and_a_blank_one_refused(insight_server, web, tmp_path):
    from PIL import Image, ImageDraw

    page = web.page
    _open(web, insight_server)
    page.wait_for_selector(PROBS, timeout=90_000)
    page.locator(".st-key-insight_source").get_by_role("radio", name="Upload").click()
    web.wait_idle()
    paper = Image.new("RGB", (300, 400), (245, 243, 238))  # a dark pair of trousers on paper
    ImageDraw.Draw(paper).polygon(
        [(90, 40), (210, 40), (230, 360), (165, 360), (150, 150), (135, 360), (70, 360)],
        fill=(30, 30, 60),
    )
    path = tmp_path / "trousers.png"
    paper.save(path)
    before = page.evaluate(READ)
    drop = page.locator(".st-key-insight_upload [data-testid=stFileUploaderDropzoneInput]")
    drop.set_input_files(str(path))
    _probs_change(web, before)
    main = page.locator("[data-testid=stMain]").inner_text()
    assert "inverted: light background → black" in main and "framed as Fashion-MNIST" in main
    web.screenshot("insight_upload")

    blank = tmp_path / "blank.png"
    Image.new("RGB", (64, 64), (255, 255, 255)).save(blank)
    drop.set_input_files(str(blank))
    page.get_by_text("The image is blank: every pixel is 1.00").wait_for(timeout=60_000)
    web.wait_idle()
    assert page.locator(PROBS).count() == 0
    web.assert_clean()
