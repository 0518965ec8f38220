"""AppTest of the pooling page (d2l 7.5) through its keyed widgets."""

import pytest

from conftest import app_test, assert_clean, codes, metrics

pytestmark = pytest.mark.apptest


def test_seed_outputs_and_parameter_table():
    at = app_test("pooling.py").run()
    assert_clean(at)
    shown = codes(at)
    assert "tensor([[4., 5.],\n        [7., 8.]])" in shown
    assert "tensor([[2., 3.],\n        [5., 6.]])" in shown
    assert "tensor([[[[10.]]]])" in shown
    assert "tensor([[[[ 5.,  7.],\n          [13., 15.]]]])" in shown
    table = at.dataframe[0].value
    assert dict(zip(table["parameter"], table["default"], strict=True)) == {
        "kernel_size": "required", "stride": "kernel_size", "padding": "0", "dilation": "1",
        "return_indices": "False", "ceil_mode": "False",
    }  # fmt: skip
    # The interactive part starts at the seed's MaxPool2d(3, padding=1, stride=2).
    assert "Y = nn.MaxPool2d(3, stride=2, padding=1, return_indices=True)(X)" in shown
    assert "tensor([[ 5,  7],\n        [13, 15]])" in shown  # the winners' indices
    m = metrics(at)
    assert m["Output shape"] == "2×2" and m["Output sum"] == "40"
    assert float(m["max |loop − torch|"]) == 0


def test_widgets_change_output_and_explain_invalid():
    at = app_test("pooling.py").run()
    at.checkbox(key="pool_stride_default").check()
    at.slider(key="pool_padding").set_value(0).run()
    assert_clean(at)
    assert metrics(at)["Output sum"] == "10"  # MaxPool2d(3) → 10
    at.slider(key="pool_kernel_size").set_value(2).run()
    m = metrics(at)
    assert m["Output shape"] == "2×2" and m["Output sum"] == "40"  # [[5, 7], [13, 15]]
    at.radio(key="pool_mode").set_value("avg").run()
    assert metrics(at)["Output sum"] == "30"  # 2.5 + 4.5 + 10.5 + 12.5
    at.radio(key="pool_mode").set_value("max").run()
    at.slider(key="pool_padding").set_value(2).run()
    errors = " ".join(e.value for e in at.error)
    assert "padding = 2" in errors and "kernel_size / 2" in errors
    assert "Output shape" not in metrics(at)
    at.slider(key="pool_padding").set_value(1)
    at.toggle(key="pool_ceil_mode").set_value(True).run()
    assert_clean(at)
    assert metrics(at)["Output shape"] == "3×3"  # ⌈(4 + 2 − 2) / 2⌉ + 1 = 3
    at.slider(key="pool_kernel_size").set_value(7).run()
    assert metrics(at)["Output shape"] == "1×1"  # ceil_mode: the window may overhang
    at.toggle(key="pool_ceil_mode").set_value(False).run()
    assert "output would be empty" in " ".join(e.value for e in at.error)
    at.slider(key="pool_kernel_size").set_value(3)
    at.radio(key="pool_mode").set_value("avg")
    at.slider(key="pool_dilation").set_value(2).run()
    assert "no dilation" in " ".join(e.value for e in at.error)
    at.radio(key="pool_mode").set_value("max").run()
    at.toggle(key="pool_return_indices").set_value(False).run()
    assert "return_indices" in at.info[0].value


def test_shift_tolerance_numbers():
    at = app_test("pooling.py").run()
    m = metrics(at)
    # Default: the stripes image, [1, -1] edge, shift 1, 2×2 max pool.
    assert m["conv: cells changed"] == "57%" and m["pooled: cells changed"] == "33%"
    at.slider(key="pool_shift").set_value(0).run()
    m = metrics(at)
    assert m["conv: cells changed"] == "0%" and m["pooled: cells changed"] == "0%"
    at.radio(key="pool_input").set_value("picker").run()
    at.selectbox(key="pool_source").set_value("fashion").run()
    at.slider(key="pool_shift").set_value(1).run()
    assert_clean(at)
    m = metrics(at)
    conv = int(m["conv: cells changed"].rstrip("%"))
    pooled = int(m["pooled: cells changed"].rstrip("%"))
    assert pooled < conv
    assert m["Output shape"] == "14×14"  # 28×28, kernel 3, stride 2, padding 1


@pytest.mark.parametrize(
    ("old", "key"), [("arange(16) 4×4 (d2l 7.5)", "arange"), ("Image picker", "picker")]
)
def test_an_old_link_with_the_english_label_opens_the_same_input(old, key):
    """Links saved when the option values were English sentences still open that input."""
    at = app_test("pooling.py")
    at.query_params["pool_input"] = old
    at.run()
    assert_clean(at)
    assert at.radio(key="pool_input").value == key
    # The address names it by its key (no parameter at all for the default).
    assert at.query_params.get("pool_input") in ([key], key, None if key == "arange" else key)
    assert any(s.key == "pool_source" for s in at.selectbox) == (key == "picker")
