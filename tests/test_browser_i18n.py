"""The interface in Korean, in real Chromium: Hangul has a font, three pages in
Korean (and in presenter mode) fit the window, and switching the language keeps a lesson's
settings, in its widgets and in its address, across a reload too."""

import subprocess
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.browser

PAGES = {  # path → its Korean title
    "cross_correlation": "교차상관",
    "training": "학습 실행",
    "ablation": "어블레이션 실험실",
}


def _open(web, url: str) -> None:
    web.page.set_default_timeout(90_000)  # the 2-core CI box can be busy
    web.goto(url)


def _params(web) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(web.page.url).query).items()}


def _switch(web, label: str) -> None:
    web.page.locator(".st-key-lang").get_by_role("radio", name=label).click()
    web.wait_idle()


def _overflow(web) -> list[str]:
    """Elements of the main area wider than the area itself (text or widgets spilling out)."""
    return web.page.evaluate(
        """() => {
        const main = document.querySelector('[data-testid=stMain]');
        const right = main.getBoundingClientRect().right + 1;
        const out = [];
        for (const el of main.querySelectorAll('p, h1, h2, h3, label, button, li, td, th')) {
            const r = el.getBoundingClientRect();
            if (r.width > 0 && r.right > right) out.push(el.tagName + ": " + el.innerText);
        }
        if (main.scrollWidth > main.clientWidth + 1) out.push('main scrolls sideways');
        return out;
    }"""
    )


def test_a_font_covers_hangul():
    """Chromium draws Hangul from a system font (Debian's fonts-nanum, which make installs);
    without one every Korean character is a box."""
    fonts = subprocess.run(["fc-list", ":lang=ko", "family"], capture_output=True, text=True)
    assert fonts.stdout.strip(), "no font with Hangul: run `make` (installs fonts-nanum)"


@pytest.mark.parametrize("path", list(PAGES))
def test_korean_pages_fit_and_presenter_mode(server, web, path):
    web.page.set_viewport_size({"width": 1400, "height": 1800})
    _open(web, f"{server}/{path}?lang=ko")
    page = web.page
    page.get_by_role("heading", name=PAGES[path]).first.wait_for(timeout=60_000)
    web.wait_charts()
    assert "lang=ko" in page.url
    web.screenshot(f"i18n_ko_{path}")
    assert not _overflow(web), _overflow(web)
    page.locator(".st-key-presenter_mode").get_by_text("발표 모드").click()
    web.wait_charts()
    web.screenshot(f"i18n_ko_{path}_presenter")
    assert not _overflow(web), _overflow(web)
    web.assert_clean()
    assert page.get_by_text("문제가 생겼습니다").count() == 0


def test_switching_language_keeps_the_lessons_settings(server, web):
    page = web.page
    # Non-default settings, two of them choices whose labels are translated (the input kind
    # and the image source), on the Pooling page.
    _open(
        web,
        f"{server}/pooling?pool_mode=avg&pool_kernel_size=4&pool_padding=0"
        "&pool_input=Image+picker&pool_source=Fashion-MNIST+sample&pool_sample=7",
    )
    page.get_by_text("Y = nn.AvgPool2d(4, stride=2)(X)").wait_for(timeout=60_000)
    before = _params(web)
    picked = page.locator(".st-key-pool_input").get_by_role("radio", name="이미지 선택기")
    assert before["pool_input"] == "picker"  # the old link's English label, as its key
    assert before["pool_source"] == "fashion"

    _switch(web, "한국어")
    page.get_by_role("heading", name="풀링").first.wait_for(timeout=60_000)
    after = _params(web)
    assert after["lang"] == "ko"
    for key in ("pool_mode", "pool_kernel_size", "pool_padding", "pool_sample"):
        assert after[key] == before[key], key
    assert after["pool_input"] == "picker"  # the same choice: its key, in every language
    assert after["pool_source"] == "fashion"
    page.get_by_text("Y = nn.AvgPool2d(4, stride=2)(X)").wait_for()  # the widgets kept them
    assert page.get_by_role("slider", name="창 크기").input_value() == "4"
    assert picked.is_checked()
    assert page.locator(".st-key-pool_source input").input_value() == "Fashion-MNIST 샘플"

    web.goto(page.url)  # a reload of the Korean link restores it all
    page.get_by_role("heading", name="풀링").first.wait_for(timeout=60_000)
    page.get_by_text("Y = nn.AvgPool2d(4, stride=2)(X)").wait_for(timeout=60_000)
    assert _params(web) == after
    assert picked.is_checked()

    _switch(web, "English")
    page.get_by_role("heading", name="Pooling").first.wait_for(timeout=60_000)
    back = _params(web)
    assert "lang" not in back and back == before
    web.assert_clean()


def test_switching_keeps_the_training_form(server, web):
    """The run form lives in the address too: preset, epochs and subset (whose "Auto" label is
    translated) survive a switch both ways."""
    page = web.page
    _open(web, f"{server}/training?train_preset=VGG-11&train_epochs=3&train_subset=2%2C000")
    page.get_by_role("heading", name="Training runs").first.wait_for(timeout=60_000)
    before = _params(web)
    _switch(web, "한국어")
    page.get_by_role("heading", name="학습 실행").first.wait_for(timeout=60_000)
    after = _params(web)
    assert after["lang"] == "ko"
    for key in ("train_preset", "train_epochs", "train_subset"):
        assert after[key] == before[key], key
    assert page.get_by_label("에포크 수 (num_epochs)").input_value() == "3"
    assert page.locator(".st-key-train_preset input").input_value() == "VGG-11"
    _switch(web, "English")
    page.get_by_role("heading", name="Training runs").first.wait_for(timeout=60_000)
    assert {k: v for k, v in _params(web).items() if k != "run"} == {
        k: v for k, v in before.items() if k != "run"
    }
    web.assert_clean()


def test_an_imported_run_in_korean(own_server, web, trained_run):
    """A run file imported on the Korean Training page: the refusal and the import say so in
    Korean, the curves and the first layer are labelled in Korean, and the Ablation lab compares
    it in Korean (charts, table). Screenshots in presenter mode."""
    _, run_id, data = trained_run
    page = web.page
    page.set_viewport_size({"width": 1400, "height": 1800})
    _open(web, f"{own_server}/training?lang=ko")
    page.get_by_text("아직 실행이 없습니다").first.wait_for(timeout=60_000)
    box = page.get_by_test_id("stExpander").filter(has_text="실행 가져오기")
    box.get_by_text("실행 가져오기").click()

    def upload(name: str, payload: bytes) -> None:
        box.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
            files=[{"name": name, "mimeType": "application/octet-stream", "buffer": payload}]
        )

    upload("notes.safetensors", b"hello")
    page.get_by_text("“notes.safetensors”은(는) safetensors 파일이 아닙니다").wait_for(
        timeout=60_000
    )
    upload(f"{run_id}.safetensors", data)
    page.get_by_text("class demo을(를) 가져왔습니다 (3 에포크 중 3 에포크, 완료)").wait_for(
        timeout=120_000
    )
    web.wait_idle()
    page.get_by_text("마친 에포크: 3/3").wait_for(timeout=60_000)
    curves = page.get_by_test_id("stPlotlyChart").first
    curves.locator(".scatterlayer path.point").first.wait_for(timeout=60_000)
    assert "에포크" in curves.inner_text() and "검증 정확도" in curves.inner_text()
    kernels = page.get_by_test_id("stPlotlyChart").nth(1)
    assert "에포크 0 (초기화)" in kernels.inner_text()
    page.locator(".st-key-presenter_mode").get_by_text("발표 모드").click()
    web.wait_charts()
    web.screenshot("i18n_ko_training_run_presenter")
    assert not _overflow(web), _overflow(web)

    _open(web, f"{own_server}/ablation?lang=ko&group=store&mode=classroom&runs={run_id}")
    page.get_by_text("최종 지표").first.wait_for(timeout=60_000)
    charts = page.get_by_test_id("stPlotlyChart")
    charts.nth(1).locator(".scatterlayer path.point").first.wait_for(timeout=60_000)
    web.wait_charts()
    assert "검증 정확도" in charts.nth(0).inner_text()  # the headline's axis
    assert "학습 손실" in charts.nth(1).inner_text()  # the small multiples' titles
    page.locator(".st-key-presenter_mode").get_by_text("발표 모드").click()
    web.wait_charts()
    web.screenshot("i18n_ko_ablation_run_presenter")
    assert not _overflow(web), _overflow(web)
    web.assert_clean()


def test_a_korean_browser_opens_a_bare_address_in_korean(server, browser):
    """navigator.language ko-KR: a bare address opens in Korean (and says so in the address);
    a link with settings but no ?lang= was made in English and stays English."""
    from conftest import PageWatch

    context = browser.new_context(locale="ko-KR", viewport={"width": 1400, "height": 1000})
    try:
        web = PageWatch(context.new_page())
        _open(web, f"{server}/pooling")
        web.page.get_by_role("heading", name="풀링").first.wait_for(timeout=60_000)
        assert _params(web).get("lang") == "ko"
        web.goto(f"{server}/pooling?pool_kernel_size=4")
        web.page.get_by_role("heading", name="Pooling").first.wait_for(timeout=60_000)
        web.assert_clean()
    finally:
        context.close()
