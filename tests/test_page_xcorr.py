"""AppTest of the cross-correlation page (d2l 7.2), driven through its keyed widgets."""

from __future__ import annotations

import pytest

from conftest import app_test, assert_clean, metrics

pytestmark = pytest.mark.apptest


def _cell(at) -> tuple[str, str, str]:
    """(label of the output-cell metric, its value, the sum of the products)."""
    m = metrics(at)
    label = next(k for k in m if k.startswith("Output Y["))
    return label, m[label], m["Sum of the products"]


def test_default_is_the_books_edge_example():
    at = app_test("cross_correlation.py").run()
    assert_clean(at)
    m = metrics(at)
    assert (m["Input X"], m["Kernel K"], m["Output Y"]) == ("6×8", "1×2", "6×7")
    assert "(n_h − k_h + 1)" in at.caption[0].value or any(
        "6 − 1 + 1 = 6" in c.value for c in at.caption
    )
    # The book's demo figure is on the page.
    assert any("demonstration" in s.value for s in at.subheader)


def test_step_through_sum_equals_output_cell():
    at = app_test("cross_correlation.py").run()
    expected = {(0, 0): "0", (0, 1): "1", (3, 5): "-1", (5, 6): "0"}  # row of d2l's Y
    for (i, j), value in expected.items():
        at.number_input(key="xcorr_row").set_value(i)
        at.number_input(key="xcorr_col").set_value(j).run()
        assert_clean(at)
        label, shown, total = _cell(at)
        assert label == f"Output Y[{i}, {j}]"
        assert shown == total == value
    expr = [m.value for m in at.markdown if m.value.startswith("**Y[5, 6]**")]
    assert expr == ["**Y[5, 6]** = 1·1 + 1·(−1) = 0"]


def test_play_advances_in_loop_order_and_wraps():
    at = app_test("cross_correlation.py").run()
    at.number_input(key="xcorr_row").set_value(0)
    at.number_input(key="xcorr_col").set_value(5).run()
    at.toggle(key="xcorr_play").set_value(True).run()  # full rerun: one step
    assert _cell(at)[0] == "Output Y[0, 6]"
    at.run()  # AppTest does not fire run_every: a rerun stands in for the timer
    assert _cell(at)[0] == "Output Y[1, 0]"
    at.number_input(key="xcorr_row").set_value(5)
    at.number_input(key="xcorr_col").set_value(6).run()
    assert _cell(at)[0] == "Output Y[0, 0]"  # wrapped around
    at.toggle(key="xcorr_play").set_value(False).run()
    at.run()
    assert _cell(at)[0] == "Output Y[0, 0]"


def test_transposed_stripes_give_zeros():
    at = app_test("cross_correlation.py").run()
    at.toggle(key="xcorr_transpose").set_value(True).run()
    assert_clean(at)
    m = metrics(at)
    assert (m["Input X"], m["Output Y"], m["Mean |Y|"]) == ("8×6", "8×5", "0.0000")


def test_presets_and_sources_keep_sum_equal_to_cell():
    at = app_test("cross_correlation.py").run()
    at.selectbox(key="xcorr_source").set_value("matrix")
    at.selectbox(key="xcorr_kernel_preset").set_value("Sobel x").run()
    assert_clean(at)
    m = metrics(at)
    assert (m["Input X"], m["Output Y"]) == ("3×3", "1×1")
    assert _cell(at)[1:] == ("8", "8")  # (2 − 0) + 2·(5 − 3) + (8 − 6)
    at.selectbox(key="xcorr_source").set_value("fashion")
    at.selectbox(key="xcorr_kernel_preset").set_value("Laplacian").run()
    assert_clean(at)
    assert metrics(at)["Output Y"] == "26×26"
    at.number_input(key="xcorr_row").set_value(13)
    at.number_input(key="xcorr_col").set_value(13).run()
    _, shown, total = _cell(at)
    assert shown == total


def test_custom_kernel_too_big_is_explained():
    at = app_test("cross_correlation.py").run()
    at.selectbox(key="xcorr_source").set_value("matrix")
    at.selectbox(key="xcorr_kernel_preset").set_value("Custom…").run()
    at.number_input(key="xcorr_kernel_rows").set_value(5).run()
    assert_clean(at)
    assert any("does not fit" in e.value and "larger than" in e.value for e in at.error)
    assert (
        at.session_state["current_kernel"] == [[0.0] * 3] * 2 + [[0.0, 1.0, 0.0]] + [[0.0] * 3] * 2
    )


def _printed_products(at) -> list[str]:
    """The numbers printed in the step-through's "= X ⊙ K" panel (its third heatmap)."""
    import json

    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        titles = [a.get("text") for a in spec["layout"].get("annotations", [])]
        if "= X ⊙ K" in titles:
            return [t for row in spec["data"][2]["text"] for t in row]
    raise AssertionError("no step-through chart")


def test_printed_products_add_up_to_the_printed_sum():
    """At 3 significant digits each, the products of a Fashion-MNIST window once summed to
    0.016 while the sum read 0.0157. They are printed with the sum's decimals, enough that
    the printed products add up to the printed sum (and the output cell reads the same)."""
    at = app_test("cross_correlation.py").run()
    at.selectbox(key="xcorr_source").set_value("fashion")
    cells = [(0, 3), (0, 4), (5, 7), (13, 13), (20, 9)]
    for kernel in ("Blur (box 3×3)", "Sobel x", "Sharpen"):
        at.selectbox(key="xcorr_kernel_preset").set_value(kernel).run()
        for i, j in cells:
            at.number_input(key="xcorr_row").set_value(i)
            at.number_input(key="xcorr_col").set_value(j).run()
            assert_clean(at)
            _, shown, total = _cell(at)
            printed = _printed_products(at)
            decimals = {len(p.partition(".")[2]) for p in printed}
            assert decimals == {len(total.partition(".")[2])}, (kernel, i, j, printed, total)
            added = f"{sum(float(p) for p in printed):.{decimals.pop()}f}"
            assert added.replace("-0.", "0.") == total.replace("-0.", "0."), (printed, total)
            note = [c.value for c in at.caption if "as printed they add up to" in c.value]
            # The output cell reads the same, or the page says the printed sum is rounded.
            assert shown == total if not note else total in note[0] and shown in note[0]


def test_cell_buttons_move_the_cell_and_the_expression_reads_the_metric():
    """← ↑ ↓ → move the explained cell (the arrow keys press them in a browser), stop at the
    edges; the expression's result is the number the output metric shows."""
    at = app_test("cross_correlation.py").run()
    at.selectbox(key="xcorr_source").set_value("fashion")
    at.selectbox(key="xcorr_kernel_preset").set_value("Blur (box 3×3)").run()
    assert at.button(key="xcorr_move_left").disabled and at.button(key="xcorr_move_up").disabled
    for name in ("right", "right", "down"):
        at.button(key=f"xcorr_move_{name}").click().run()
    assert_clean(at)
    label, shown, total = _cell(at)
    assert label == "Output Y[1, 2]"
    expr = next(m.value for m in at.markdown if m.value.startswith("**Y[1, 2]**"))
    assert expr.endswith(f"= {shown.replace('-', '−')}"), (expr, shown)
    presses = 0
    while not at.button(key="xcorr_move_down").disabled and presses < 40:
        at.button(key="xcorr_move_down").click().run()
        presses += 1
    assert (presses, _cell(at)[0]) == (24, "Output Y[25, 2]")  # the 26×26 output's last row
