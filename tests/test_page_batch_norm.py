"""AppTest of the batch-normalization page (d2l 8.5): it renders in both languages, Start
trains both networks in the background (polled by reruns), and the numbers it shows hold."""

import time

import pytest

from conftest import app_test, assert_clean

pytestmark = [pytest.mark.apptest, pytest.mark.usefixtures("one_torch_thread")]


def _status(at) -> str:
    lines = [c.value for c in at.caption if c.value.startswith(("Step", "스텝 **"))]
    return lines[0] if lines else ""


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_renders_in_both_languages(lang):
    at = app_test("batch_norm.py")
    at.query_params["lang"] = lang
    at.run()
    assert_clean(at)
    assert at.title[0].value == ("Batch normalization" if lang == "en" else "배치 정규화")
    assert at.number_input(key="bn_lr").value == 1.0
    assert at.radio(key="bn_layer").value == "bn1"
    assert not _status(at)  # nothing trained yet
    # The untrained network: running mean 0 and variance 1 in the train/eval table.
    table = at.dataframe[0].value
    assert list(table.iloc[:, 1]) == ["0.0000"] * 6 and list(table.iloc[:, 3]) == ["1.0000"] * 6
    # The from-scratch function against nn.BatchNorm2d: six rows of differences.
    diffs = [float(v) for v in at.table[0].value.iloc[:, 1]]
    assert len(diffs) == 6 and diffs[0] < 1e-5 and diffs[1] < 1e-6 and diffs[3] < 1e-6
    assert diffs[2] > diffs[3]  # the running variances differ (unbiased), until scaled
    numbers = [m.value for m in at.markdown if "**" in m.value and "%" in m.value]
    assert len(numbers) == 1  # the train/eval differences, with the share that agrees


def test_start_trains_and_stats_follow():
    at = app_test("batch_norm.py")
    at.query_params["bn_steps"] = "20"
    at.run()
    assert_clean(at)
    assert at.number_input(key="bn_steps").value == 20
    at.button(key="bn_start").click().run()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        time.sleep(0.5)
        at.run()
        assert_clean(at)
        if _status(at) and "running" not in _status(at):
            break
    assert _status(at).startswith("Step **20** of 20"), _status(at)
    runner = at.session_state["bn_runner"]
    records = runner.snapshot()
    assert len(records) == 20 and not runner.running
    last = records[-1]
    assert len(last.batch_mean) == 6 and len(last.running_var) == 6
    # After 20 steps with momentum 0.1 the running mean has moved from 0 toward the batch's.
    assert any(abs(m) > 1e-3 for m in last.running_mean)
    assert at.dataframe[0].value.iloc[:, 1].tolist() != ["0.0000"] * 6
    assert at.caption and any("after step 20" in c.value for c in at.caption)


def test_reset_and_layer_change_start_fresh():
    at = app_test("batch_norm.py").run()
    first = at.session_state["bn_runner"]
    at.radio(key="bn_layer").set_value("bn2").run()
    assert_clean(at)
    second = at.session_state["bn_runner"]
    assert second is not first and second.comparison.layer == "bn2"
    assert at.number_input(key="bn_channel_bn2").max == 15
    at.button(key="bn_reset").click().run()
    assert at.session_state["bn_runner"] is not second


def test_stop_halts_a_long_run():
    at = app_test("batch_norm.py")
    at.query_params["bn_steps"] = "2000"
    at.run()
    at.button(key="bn_start").click().run()
    runner = at.session_state["bn_runner"]
    deadline = time.monotonic() + 60
    while len(runner.snapshot()) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert runner.running
    at.button(key="bn_stop").click().run()
    assert_clean(at)
    assert not runner.running
    stopped = len(runner.snapshot())
    assert 3 <= stopped < 2000
    time.sleep(0.5)
    at.run()
    assert len(runner.snapshot()) == stopped and "running" not in _status(at)
    assert _status(at).startswith(f"Step **{stopped}** of 2000")
