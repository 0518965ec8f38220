"""Links carry stable keys: on every page, each choice kept in the address is written there as a
short ASCII key, the same in English and Korean (never the label shown, which changes with the
language and with any edit of the text); links made with the older values (English display
text, a label) still open the same choice."""

from __future__ import annotations

import re

import pytest
from test_page_links import PAGES  # every page with settings

from conftest import app_test, assert_clean
from ui.i18n import KEYED_CHOICES

pytestmark = [pytest.mark.apptest, pytest.mark.usefixtures("one_torch_thread")]

CHOICES = ["selectbox", "radio", "multiselect", "segmented_control", "pills", "select_slider"]
KEY = re.compile(r"[A-Za-z0-9_.-]{1,24}")  # a short ASCII key ("sobel_x", "2000", "VGG-11")


def _values(value) -> list[str]:
    return [str(v) for v in (value if isinstance(value, list | tuple) else [value])]


def _options(widget) -> list[str]:
    """The labels a widget sends to the browser (a segmented control's are protos)."""
    return [getattr(o, "content", o) for o in widget.options]


def _open(page: str, lang: str, **params: str):
    at = app_test(page)
    at.query_params["lang"] = lang
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def _address_of_choices(page: str, lang: str) -> tuple[dict, dict]:
    """The page in ``lang`` with every choice it keeps in the address moved off its default:
    (the options of the choices Streamlit binds to the address itself, which it writes as
    their labels; the address's values of the choices kept there by key)."""
    at = _open(page, lang)
    assert_clean(at)
    bound, moved = {}, []
    for kind in CHOICES:
        for w in at.get(kind):
            if getattr(w.proto, "query_param_key", ""):
                bound[w.key] = _options(w)
            elif w.key in KEYED_CHOICES and kind in ("selectbox", "radio"):
                # the label of another option, as the browser sends it
                w.set_value(w.options[-1] if w.index != len(w.options) - 1 else w.options[0])
                moved.append(w.key)
            elif w.key in KEYED_CHOICES and kind == "multiselect":
                w.set_value(w.options[:1] if w.value != w.options[:1] else w.options[-1:])
                moved.append(w.key)
    at.run()
    assert_clean(at)
    keyed = {k: _values(at.query_params[k]) for k in moved if k in at.query_params}
    assert set(keyed) == set(moved), f"{page}: not in the address: {set(moved) - set(keyed)}"
    return bound, keyed


@pytest.mark.parametrize("page", PAGES)
def test_every_choice_in_the_address_is_a_stable_key_in_both_languages(page):
    en, ko = _address_of_choices(page, "en"), _address_of_choices(page, "ko")
    bound, keyed = en
    for key, options in bound.items():  # Streamlit writes the label: it must be the key
        assert all(KEY.fullmatch(o) for o in options), (key, options)
    for key, values in keyed.items():
        assert all(KEY.fullmatch(v) for v in values), (key, values)
    assert en == ko  # the same options, the same address, in either language


def test_the_choices_in_the_address_are_found():
    """The page above moves real choices: the image picker, the kernel presets, the Training
    page's source and subset are among those kept by key."""
    _, xcorr = _address_of_choices("cross_correlation.py", "en")
    assert {"xcorr_source", "xcorr_kernel_preset"} <= set(xcorr)
    _, training = _address_of_choices("training.py", "ko")
    assert {"train_source", "train_subset"} <= set(training)


# (page, parameter, the value an older link holds, the widget's kind, the option it opens)
OLD_LINKS = [
    ("cross_correlation.py", "xcorr_source", "Matrix 0..8 (d2l 7.2)", "selectbox", "matrix"),
    ("cross_correlation.py", "xcorr_source", "행렬 0..8 (d2l 7.2)", "selectbox", "matrix"),
    ("cross_correlation.py", "xcorr_kernel_preset", "Sobel y", "selectbox", "Sobel y"),
    ("cross_correlation.py", "xcorr_kernel_preset", "sobel_y", "selectbox", "Sobel y"),
    ("cross_correlation.py", "xcorr_kernel_preset", "Custom…", "selectbox", "Custom…"),
    ("why_conv.py", "why_kernel", "Blur (box 3×3)", "selectbox", "Blur (box 3×3)"),
    ("pooling.py", "pool_shift_kernel", "Identity", "selectbox", "Identity"),
    ("channels.py", "chan_kernel_green", "Sharpen", "selectbox", "Sharpen"),
    ("learn_kernel.py", "learn_pace", "full speed", "radio", "full"),
    ("learn_kernel.py", "learn_reduction", "mean over output pixels", "radio", "mean"),
    ("learn_kernel.py", "learn_target", "Laplacian", "selectbox", "Laplacian"),
    ("batch_norm.py", "bn_layer", "bn2: after conv2 (16 channels)", "radio", "bn2"),
    ("data.py", "data_split", "test", "radio", "test"),
    ("training.py", "train_source", "The builder's current model", "radio", "builder"),
    ("training.py", "train_subset", "2,000", "selectbox", 2000),
    ("training.py", "train_subset", "2000", "selectbox", 2000),
]


@pytest.mark.parametrize(("page", "key", "old", "kind", "want"), OLD_LINKS)
def test_an_older_link_opens_the_same_choice_and_the_address_then_holds_its_key(
    page, key, old, kind, want
):
    at = _open(page, "en", **{key: old})
    assert_clean(at)
    widget = at.get(kind)
    assert next(w for w in widget if w.key == key).value == want
    after = at.query_params.get(key)
    assert after is not None and all(KEY.fullmatch(v) for v in _values(after)), after


@pytest.mark.parametrize("value", ["nonsense", "", "9" * 400, "inf", "Sobel z", "sobel_x "])
def test_a_value_no_option_has_leaves_the_default(value):
    at = _open("cross_correlation.py", "en", xcorr_kernel_preset=value, xcorr_source=value)
    assert_clean(at)
    default = _open("cross_correlation.py", "en")
    for key in ("xcorr_kernel_preset", "xcorr_source"):
        assert at.selectbox(key=key).value == default.selectbox(key=key).value
        assert key not in at.query_params  # the default is never written


def test_the_image_pickers_class_by_number_and_by_its_older_english_name():
    at = _open("pooling.py", "en", pool_input="picker", pool_source="fashion", pool_class="7")
    assert_clean(at)
    assert at.selectbox(key="pool_class").value == 7
    old = _open("pooling.py", "ko", pool_input="Image picker", pool_source="Fashion-MNIST sample",
                pool_class="sneaker")  # fmt: skip
    assert old.selectbox(key="pool_class").value == 7
    assert _values(old.query_params["pool_class"]) == ["7"]
    assert _values(old.query_params["pool_source"]) == ["fashion"]


def test_a_bank_of_kernels_by_keys_and_by_its_older_labels():
    at = _open("channels.py", "en", chan_bank="presets")
    assert_clean(at)
    at.multiselect(key="chan_bank_kernels").set_value(["Edge [1, -1] (d2l)", "Laplacian"]).run()
    assert _values(at.query_params["chan_bank_kernels"]) == ["edge", "laplacian"]
    at.multiselect(key="chan_bank_kernels").set_value([]).run()
    assert _values(at.query_params["chan_bank_kernels"]) == [""]  # none, not the default
    empty = _open("channels.py", "en", chan_bank="presets", chan_bank_kernels="")
    assert empty.multiselect(key="chan_bank_kernels").value == []
    old = app_test("channels.py")
    old.query_params["chan_bank"] = "presets"
    old.query_params["chan_bank_kernels"] = ["Sobel x", "라플라시안", "blur", "no such kernel"]
    old.run()
    assert_clean(old)
    assert old.multiselect(key="chan_bank_kernels").value == ["Sobel x", "Laplacian",
                                                             "Blur (box 3×3)"]  # fmt: skip
