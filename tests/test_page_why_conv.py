"""AppTest of the why-convolutions page (d2l 7.1) through its keyed widgets."""

import pytest

from conftest import app_test, assert_clean, metrics

pytestmark = pytest.mark.apptest


def test_megapixel_default_and_arithmetic():
    at = app_test("why_conv.py").run()
    assert_clean(at)
    m = metrics(at)
    assert m["Fully connected parameters"] == "1.000e+12"
    assert m["Conv parameters"] == "10"
    text = " ".join(x.value for x in at.markdown)
    assert "= 1,000,001,000,000" in text and "3·3·1·1 + 1 = 10" in text
    at.number_input(key="why_height").set_value(28).run()
    at.number_input(key="why_width").set_value(28).run()
    at.number_input(key="why_c_out").set_value(6).run()
    at.number_input(key="why_kernel_size").set_value(5).run()
    m = metrics(at)
    assert m["Fully connected parameters"] == f"{784 * 784 * 6 + 784 * 6:,}"
    assert m["Conv parameters"] == f"{5 * 5 * 6 + 6}"


def test_translation_conv_exact_dense_not():
    at = app_test("why_conv.py").run()
    conv_label = "conv: equivariance error"
    dense_label = "dense: equivariance error"
    for dy, dx in ((0, 2), (3, -1)):
        at.slider(key="why_dy").set_value(dy)
        at.slider(key="why_dx").set_value(dx).run()
        assert_clean(at)
        m = metrics(at)
        assert float(m[conv_label]) == 0.0
        assert float(m[dense_label]) > 0.1
    at.selectbox(key="why_source").set_value("fashion").run()
    at.selectbox(key="why_kernel").set_value("Laplacian").run()
    assert_clean(at)
    assert float(metrics(at)[conv_label]) < 1e-5
    assert "(28, 28)" in " ".join(c.value for c in at.caption)


def test_variable_sizes_table():
    at = app_test("why_conv.py").run()
    df = at.dataframe[0].value
    assert list(df.columns) == ["28×28 input", "64×64 input", "96×96 input"]
    assert df.loc["Linear"].tolist() == ["1×10"] * 3
    at.multiselect(key="why_sizes").set_value([16, 224]).run()
    assert_clean(at)
    df = at.dataframe[0].value
    assert df.loc["MaxPool2d"].tolist() == ["1×8×8×8", "1×8×112×112"]
    assert "cannot be multiplied" in " ".join(x.value for x in at.markdown)
    at.multiselect(key="why_sizes").set_value([]).run()
    assert "Pick at least one" in at.warning[0].value
