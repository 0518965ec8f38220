"""AppTest of the Learn-a-kernel page: Step, Start (polled by reruns), divergence, targets."""

import time

import pytest

from conftest import app_test, assert_clean

pytestmark = pytest.mark.apptest


def _status(at) -> str:
    lines = [c.value for c in at.caption if c.value.startswith("Epoch")]
    return lines[0] if lines else ""


def _poll_until_done(at, limit: float = 90.0):
    """AppTest does not fire run_every: rerun until the background run has ended."""
    deadline = time.monotonic() + limit
    seen = []
    while time.monotonic() < deadline:
        at.run()
        assert_clean(at)
        seen.append(_status(at))
        if seen[-1] and "running" not in seen[-1]:
            return seen
        time.sleep(0.2)
    raise AssertionError(f"the run did not finish: {seen[-3:]}")


def test_seed_setting_step_then_start_learns_one_minus_one():
    at = app_test("learn_kernel.py").run()
    assert_clean(at)
    assert at.selectbox(key="learn_target").value == "Edge [1, -1] (d2l)"
    assert at.number_input(key="learn_lr").value == 0.03
    assert not _status(at)  # nothing trained yet

    at.button(key="learn_step").click().run()
    assert_clean(at)
    assert _status(at).startswith("Epoch **1** of 10")

    at.button(key="learn_start").click().run()
    seen = _poll_until_done(at)
    assert seen[-1].startswith("Epoch **10** of 10")
    assert at.success and "Finished" in at.success[0].value
    runner = at.session_state["learn_runner"]
    kernel = runner.snapshot()[-1].kernel[0]
    assert abs(kernel[0] - 1) < 0.05 and abs(kernel[1] + 1) < 0.05
    # Faithful mode prints the run the way the book does, beside the book's printout.
    table = at.table[0].value
    assert list(table["The book printed"])[:5] == ["3.635", "0.638", "0.118", "0.025", "0.006"]
    ours = [float(v) for v in list(table["This run printed"])[:5]]
    assert ours == sorted(ours, reverse=True) and ours[-1] < 0.01


def test_too_high_lr_is_caught_and_explained():
    at = app_test("learn_kernel.py").run()
    at.number_input(key="learn_lr").set_value(0.5).run()
    assert_clean(at)
    assert any("will diverge" in w.value for w in at.warning)
    at.radio(key="learn_pace").set_value("full").run()
    at.button(key="learn_start").click().run()
    _poll_until_done(at)
    errors = " ".join(e.value for e in at.error)
    assert "diverged" in errors and "stability limit" in errors
    # The suggested lr fixes it: the next Start starts over and converges.
    at.button(key="learn_suggest").click().run()
    assert at.number_input(key="learn_lr").value < 1 / 30
    at.button(key="learn_start").click().run()
    _poll_until_done(at)
    assert not any("diverged" in e.value for e in at.error)


def test_sobel_on_stripes_explains_what_cannot_be_learned_and_faithful_resets():
    at = app_test("learn_kernel.py").run()
    at.selectbox(key="learn_target").set_value("Sobel x").run()
    assert_clean(at)
    text = " ".join(m.value for m in at.markdown)
    assert "3 of 9" in text and "not identifiable" in text and "column sums" in text
    at.button(key="learn_step").click().run()
    assert _status(at).startswith("Epoch **1**")
    at.button(key="learn_faithful").click().run()
    assert_clean(at)
    assert at.selectbox(key="learn_target").value == "Edge [1, -1] (d2l)"
    assert not _status(at)  # a fresh run


def test_flipping_the_target_computes_each_kernel_size_once(monkeypatch):
    """A change of target builds a fresh learner and explains the image for that kernel: the
    patch matrix's spectrum both need is computed once per kernel size, not per change."""
    from collections import OrderedDict

    from cnnviz import kernel_learning as kl

    sizes = []
    real = kl._gram
    monkeypatch.setattr(kl, "_spectra", OrderedDict())  # nothing remembered from other tests
    monkeypatch.setattr(kl, "_gram", lambda X, shape: sizes.append(tuple(shape)) or real(X, shape))
    at = app_test("learn_kernel.py").run()
    for target in ("Sobel x", "Edge [1, -1] (d2l)", "Sobel x", "Laplacian", "Edge [1, -1] (d2l)"):
        at.selectbox(key="learn_target").set_value(target).run()
        assert_clean(at)
        runner = at.session_state["learn_runner"]
        assert runner.learner.K.shape == ((1, 2) if target.startswith("Edge") else (3, 3))
        text = " ".join(m.value for m in at.markdown)
        assert ("3 of 9" in text) == (not target.startswith("Edge")), target
    assert sorted(sizes) == [(1, 2), (3, 3)]
    assert runner.learner.lr_limit == pytest.approx(1 / 30)  # the seed's: AᵀA = 6·[[3, 2], [2, 3]]


def test_custom_and_cross_correlation_kernels():
    at = app_test("learn_kernel.py").run()
    at.selectbox(key="learn_target").set_value("Custom (type it)").run()
    at.text_area(key="learn_custom").input("1 2\n3").run()
    assert_clean(at)
    assert any("same number of values" in e.value for e in at.error)
    at.text_area(key="learn_custom").input("1, -1").run()
    assert not at.error
    at.session_state["current_kernel"] = [[0.0, 1.0], [-1.0, 0.0]]
    at.selectbox(key="learn_target").set_value("The kernel from the Cross-correlation page").run()
    assert_clean(at)
    at.button(key="learn_step").click().run()
    assert at.session_state["learn_runner"].learner.K.tolist() == [[0.0, 1.0], [-1.0, 0.0]]


def test_sobel_x_from_a_fashion_mnist_sample_with_the_suggested_lr():
    at = app_test("learn_kernel.py").run()
    at.selectbox(key="learn_target").set_value("Sobel x").run()
    at.selectbox(key="learn_source").set_value("fashion").run()
    at.selectbox(key="learn_class").set_value(5).run()  # a sandal
    assert_clean(at)
    assert any("will diverge" in w.value for w in at.warning)  # lr 0.03 is too big here
    at.button(key="learn_suggest").click().run()
    at.number_input(key="learn_epochs").set_value(400).run()
    at.radio(key="learn_pace").set_value("full").run()
    assert not any("will diverge" in w.value for w in at.warning)
    text = " ".join(m.value for m in at.markdown)
    assert "9 of 9" in text and "identifiable" in text
    at.button(key="learn_start").click().run()
    _poll_until_done(at)
    last = at.session_state["learn_runner"].snapshot()[-1]
    assert last.step == 400 and not last.diverged and last.error < 0.05
    assert at.success
