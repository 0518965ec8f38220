"""AppTest of the channels page (d2l 7.4) through its keyed widgets."""

import pytest

from conftest import app_test, assert_clean, codes, metrics

pytestmark = pytest.mark.apptest


def test_seed_values_and_checks_on_default_image():
    at = app_test("channels.py").run()
    assert_clean(at)
    shown = codes(at)
    assert "tensor([[ 56.,  72.],\n        [104., 120.]])" in shown
    # Seed bank K, K + 1, K + 2 is the default.
    assert "[[ 76., 100.],\n         [148., 172.]]" in shown
    assert "[[ 96., 128.],\n         [192., 224.]]" in shown
    m = metrics(at)
    assert m["Output stack shape (c_o, h, w)"] == "3×2×2"
    assert float(m["max |sum − F.conv2d|"]) < 1e-5
    assert float(m["max |loop − F.conv2d|"]) < 1e-5
    assert m["Output shape"] == "4×6"  # stripes 6×8, 3×3 kernels
    assert float(m["max |matmul − F.conv2d|"]) < 1e-5
    assert float(m["max |matmul − loop|"]) < 1e-5


def test_kernels_per_channel_bank_and_one_by_one():
    at = app_test("channels.py").run()
    for ch in ("red", "green", "blue"):
        at.selectbox(key=f"chan_kernel_{ch}").set_value("Edge [1, -1] (d2l)")
    at.run()
    assert_clean(at)
    assert metrics(at)["Output shape"] == "6×7"
    at.selectbox(key="chan_kernel_blue").set_value("Blur (box 3×3)").run()
    assert metrics(at)["Output shape"] == "4×6"  # padded to the largest kernel
    at.radio(key="chan_bank").set_value("presets").run()
    assert metrics(at)["Output stack shape (c_o, h, w)"] == "4×4×6"
    at.multiselect(key="chan_bank_kernels").set_value(["Sobel x", "Edge [1, -1] (d2l)"]).run()
    assert metrics(at)["Output stack shape (c_o, h, w)"] == "2×4×6"
    at.multiselect(key="chan_bank_kernels").set_value([]).run()
    assert "Pick at least one kernel" in at.warning[0].value
    at.slider(key="chan_c_o").set_value(5).run()
    assert_clean(at)
    assert at.dataframe[0].value.shape == (5, 3)
    assert float(metrics(at)["max |matmul − F.conv2d|"]) < 1e-5
    text = " ".join(x.value for x in at.markdown)
    assert "X.reshape(3, 48)" in text and "K.reshape(5, 3)" in text


@pytest.mark.parametrize(
    ("lang", "value"),
    [
        ("en", "presets"),  # the stable key
        ("en", "Kernel presets on your image"),  # a link made before the keys
        ("ko", "Kernel presets on your image"),
        ("ko", "내 이미지에 커널 프리셋"),  # a Korean link made before the keys
    ],
)
def test_links_open_the_bank_by_key_old_english_label_or_korean_label(lang, value):
    """The address holds the bank's stable key whatever the language; a link saved when it
    held the label shown (English or Korean) still opens the same bank."""
    at = app_test("channels.py")
    at.query_params["chan_bank"] = value
    at.query_params["lang"] = lang
    at.run()
    assert_clean(at)
    assert at.radio(key="chan_bank").value == "presets"
    assert at.query_params["chan_bank"] in ("presets", ["presets"])
    assert at.multiselect(key="chan_bank_kernels").value  # the presets' kernels are shown
    at.radio(key="chan_bank").set_value("seed").run()  # the default: no parameter
    assert "chan_bank" not in at.query_params
