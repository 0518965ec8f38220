"""AppTest of the padding-and-stride page (d2l 7.3), driven through its keyed widgets."""

from __future__ import annotations

import pytest

from conftest import app_test, assert_clean, metrics
from ui.conv import SEED_EXAMPLES

pytestmark = pytest.mark.apptest


def _shapes(at) -> tuple[str, str]:
    m = metrics(at)
    return m["Formula gives"], m["torch: nn.Conv2d(X).shape[2:]"]


@pytest.mark.parametrize(
    "example, shape", list(zip(SEED_EXAMPLES, ["8×8", "8×8", "4×4", "2×2"], strict=True))
)
def test_the_books_four_examples(example, shape):
    at = app_test("padding_stride.py").run()
    at.selectbox(key="pad_example").set_value(example).run()
    assert_clean(at)
    h, w = shape.split("×")
    assert _shapes(at) == (shape, f"[{h}, {w}]")
    assert at.success[0].value == "The formula and torch agree."


def test_formula_is_written_with_the_numbers():
    at = app_test("padding_stride.py").run()
    at.number_input(key="pad_in_h").set_value(7)
    at.slider(key="pad_kernel_h").set_value(3)
    at.slider(key="pad_padding_h").set_value(2)
    at.slider(key="pad_stride_h").set_value(2)
    at.slider(key="pad_dilation_h").set_value(2).run()
    assert_clean(at)
    code = at.code[0].value
    assert "height = ⌊(7 + 2·2 − 2·(3 − 1) − 1) / 2⌋ + 1\n       = ⌊6 / 2⌋ + 1 = 4" in code
    assert _shapes(at) == ("4×8", "[4, 8]")
    # Moving a slider leaves the book's example.
    assert at.selectbox(key="pad_example").value.startswith("—")


def test_invalid_setting_is_explained_not_crashing():
    at = app_test("padding_stride.py").run()
    at.slider(key="pad_padding_w").set_value(0)
    at.slider(key="pad_kernel_w").set_value(5)
    at.slider(key="pad_dilation_w").set_value(3).run()  # spans 13 > 8
    assert_clean(at)
    assert _shapes(at) == ("invalid", "error")
    warning = at.warning[0].value
    assert "dilated by 3: it spans 13 cells" in warning and "8 + 2·0 = 8" in warning
    assert any("torch refuses it too" in c.value for c in at.caption)


def test_window_position_and_image_input():
    at = app_test("padding_stride.py").run()
    at.selectbox(key="pad_example").set_value(list(SEED_EXAMPLES)[3]).run()
    at.slider(key="pad_cell").set_value(3).run()  # last of 2×2 output cells
    assert_clean(at)
    at.toggle(key="pad_use_image").set_value(True).run()
    assert_clean(at)
    assert at.selectbox(key="pad_source").value == "stripes"
    assert _shapes(at) == ("2×2", "[2, 2]")  # 6×8: ⌊3/3⌋+1, ⌊5/4⌋+1


def test_a_link_sets_the_lesson_up_and_bad_values_are_ignored():
    """Every control lives in the URL (a reload or a teacher's prepared link restores it)."""
    at = app_test("padding_stride.py")
    at.query_params.update({"pad_kernel_h": "5", "pad_stride_w": "2", "pad_in_h": "10"})
    at.run()
    assert_clean(at)
    assert at.slider(key="pad_kernel_h").value == 5 and at.slider(key="pad_stride_w").value == 2
    assert at.number_input(key="pad_in_h").value == 10
    # 10×8 input, padding 1: h (10 + 2 − 5) + 1 = 8, w ⌊(8 + 2 − 3) / 2⌋ + 1 = 4
    assert _shapes(at) == ("8×4", "[8, 4]")

    bad = app_test("padding_stride.py")
    bad.query_params.update({"pad_kernel_h": "99", "pad_stride_w": "two", "pad_in_h": "-3"})
    bad.run()
    assert_clean(bad)
    assert _shapes(bad) == ("8×8", "[8, 8]")  # the defaults: 8×8, 3×3 kernel, padding 1
