"""A run's stored evaluation (confusion matrix, mistakes, seconds) is checked like every other
stored field, on the way in (a run file's import) and on the way out (the pages): a table of
hostile values per field, each refused with an InsightError and nothing else."""

from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest

from cnnviz import insight as I

pytestmark = pytest.mark.unit

N, K = 200, 10


def valid() -> dict:
    """What a run keeps (Evaluation.to_stored) for a network's answers on N test images."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, K, N)
    logits = rng.normal(size=(N, K)) + 3 * np.eye(K)[labels]
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    cm = I.confusion_from_predictions(labels, probs.argmax(1), K)
    stored = I.Evaluation(cm, 1.25, probs.astype(np.float32), labels).to_stored()
    stored["epochs_done"] = 3
    return json.loads(json.dumps(stored))  # as a store or a file gives it back


BASE = valid()
M0 = BASE["mistakes"][0]


def _set(path: tuple, value):
    """A mutation: the valid dict with the value at ``path`` replaced (or deleted: ``...``)."""

    def mutate(d):
        *parents, last = path
        target = d
        for p in parents:
            target = target[p]
        if value is ...:
            del target[last]
        else:
            target[last] = value
        return d

    return mutate


def _cell_mismatch(d):  # one image moved off the diagonal, the sum unchanged, accuracy stale
    d["confusion"][0][0] -= 1
    d["confusion"][0][1] += 1
    return d


def _sum_mismatch(d):
    d["confusion"][0][0] += 1
    return d


def _repeat_index(d):
    d["mistakes"][1]["index"] = d["mistakes"][0]["index"]
    return d


def _too_many_in_a_cell(d):
    t, p = M0["true"], M0["predicted"]
    count = d["confusion"][t][p]
    used = {m["index"] for m in d["mistakes"]}
    free = [i for i in range(N) if i not in used]
    for i in free[: count + 1]:
        d["mistakes"].append({**copy.deepcopy(M0), "index": i})
    return d


def _too_many(d):
    d["mistakes"] = [{**copy.deepcopy(M0), "index": i} for i in range(I.STORED_WORST + 6 * K + 1)]
    return d


def _top3_unsorted(d):
    top = d["mistakes"][0]["top3"]
    top[1], top[2] = top[2], top[1]
    top[1][1], top[2][1] = 0.01, 0.2
    return d


HOSTILE = {
    # the record itself
    "not a dict (list)": lambda d: [d],
    "not a dict (text)": lambda d: "evaluation",
    "not a dict (None)": lambda d: None,
    "version 2": _set(("version",), 2),
    "version True": _set(("version",), True),
    "version text": _set(("version",), "1"),
    "no version": _set(("version",), ...),
    "no confusion": _set(("confusion",), ...),
    "no mistakes": _set(("mistakes",), ...),
    "no num_images": _set(("num_images",), ...),
    # num_images
    "num_images 0": _set(("num_images",), 0),
    "num_images negative": _set(("num_images",), -N),
    "num_images bool": _set(("num_images",), True),
    "num_images float": _set(("num_images",), float(N)),
    "num_images text": _set(("num_images",), str(N)),
    "num_images huge": _set(("num_images",), 10**400),
    "num_images nan": _set(("num_images",), math.nan),
    "num_images beyond the test set": _set(("num_images",), 10_001),
    "num_images not the matrix's sum": _set(("num_images",), N - 1),
    # the confusion matrix
    "confusion empty": _set(("confusion",), []),
    "confusion not square": lambda d: d["confusion"].pop() and d,
    "confusion short row": lambda d: d["confusion"][3].pop() and d,
    "confusion of text": _set(("confusion",), "[[1]]"),
    "confusion row of text": _set(("confusion", 2), "0" * K),
    "confusion of 1001 classes": _set(("confusion",), [[0] * 1001] * 1001),
    "confusion negative count": _set(("confusion", 1, 2), -1),
    "confusion bool count": _set(("confusion", 1, 2), True),
    "confusion float count": _set(("confusion", 1, 2), 1.5),
    "confusion nan": _set(("confusion", 1, 2), math.nan),
    "confusion inf": _set(("confusion", 1, 2), math.inf),
    "confusion huge count": _set(("confusion", 1, 2), 10**30),
    "confusion None": _set(("confusion", 1, 2), None),
    "confusion nested deeper": _set(("confusion", 1, 2), [1]),
    "confusion sum differs": _sum_mismatch,
    "accuracy not the matrix's": _cell_mismatch,
    # accuracy
    "accuracy 500%": _set(("accuracy",), 5.0),
    "accuracy negative": _set(("accuracy",), -0.1),
    "accuracy nan": _set(("accuracy",), math.nan),
    "accuracy text": _set(("accuracy",), "0.5"),
    "accuracy bool": _set(("accuracy",), True),
    # the mistakes
    "mistakes not a list": _set(("mistakes",), {"0": M0}),
    "mistakes too many": _too_many,
    "mistake not a record": _set(("mistakes", 0), [1, 2, 3]),
    "mistake without index": _set(("mistakes", 0, "index"), ...),
    "mistake without top3": _set(("mistakes", 0, "top3"), ...),
    "index negative": _set(("mistakes", 0, "index"), -1),
    "index = num_images": _set(("mistakes", 0, "index"), N),
    "index beyond the test set": _set(("mistakes", 0, "index"), 10**12),
    "index bool": _set(("mistakes", 0, "index"), True),
    "index float": _set(("mistakes", 0, "index"), 1.5),
    "index text": _set(("mistakes", 0, "index"), "7"),
    "index repeated": _repeat_index,
    "true class out of range": _set(("mistakes", 0, "true"), K),
    "true class negative": _set(("mistakes", 0, "true"), -1),
    "true class huge": _set(("mistakes", 0, "true"), 10**9),
    "predicted class huge": _set(("mistakes", 0, "predicted"), 2**62),
    "predicted = true (no mistake)": _set(("mistakes", 0, "predicted"), M0["true"]),
    "more mistakes in a cell than it counts": _too_many_in_a_cell,
    "confidence 500%": _set(("mistakes", 0, "confidence"), 5.0),
    "confidence negative": _set(("mistakes", 0, "confidence"), -0.1),
    "confidence nan": _set(("mistakes", 0, "confidence"), math.nan),
    "confidence inf": _set(("mistakes", 0, "confidence"), math.inf),
    "confidence text": _set(("mistakes", 0, "confidence"), "90%"),
    "confidence not the top answer's": _set(("mistakes", 0, "confidence"), 0.001),
    "top3 empty": _set(("mistakes", 0, "top3"), []),
    "top3 of two": lambda d: d["mistakes"][0]["top3"].pop() and d,
    "top3 of four": lambda d: d["mistakes"][0]["top3"].append([9, 0.0]) or d,
    "top3 not a list": _set(("mistakes", 0, "top3"), "abc"),
    "top3 pair of three": lambda d: d["mistakes"][0]["top3"][1].append(0) or d,
    "top3 class out of range": _set(("mistakes", 0, "top3", 2, 0), K),
    "top3 class huge": _set(("mistakes", 0, "top3", 2, 0), 10**12),
    "top3 repeated class": _set(("mistakes", 0, "top3", 2, 0), M0["top3"][1][0]),
    "top3 probability nan": _set(("mistakes", 0, "top3", 1, 1), math.nan),
    "top3 probability above 1": _set(("mistakes", 0, "top3", 1, 1), 1.5),
    "top3 not falling": _top3_unsorted,
    "top3 not led by the prediction": _set(("mistakes", 0, "top3", 0, 0), M0["top3"][1][0]),
    # seconds and epochs
    "seconds text": _set(("seconds",), "fast"),
    "seconds nan": _set(("seconds",), math.nan),
    "seconds inf": _set(("seconds",), math.inf),
    "seconds negative": _set(("seconds",), -1.0),
    "seconds bool": _set(("seconds",), True),
    "seconds too long for a float": _set(("seconds",), 10**400),
    "seconds None": _set(("seconds",), None),
    "epochs_done negative": _set(("epochs_done",), -1),
    "epochs_done text": _set(("epochs_done",), "3"),
    "epochs_done float": _set(("epochs_done",), 2.5),
}


def test_the_valid_evaluation_reads_back():
    cm, mistakes, seconds = I.stored_evaluation(BASE, K)
    assert cm.shape == (K, K) and cm.sum() == N and seconds == 1.25
    assert [m.as_dict() for m in mistakes] == BASE["mistakes"]
    ev = I.Evaluation.from_stored(BASE, K)
    assert ev.to_stored()["mistakes"] == BASE["mistakes"]


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_value_is_refused_with_an_insight_error(name):
    bad = HOSTILE[name](copy.deepcopy(BASE))
    with pytest.raises(I.InsightError) as err:
        I.stored_evaluation(bad, K)
    assert err.value.key in ("insight.damaged_evaluation", "insight.eval_version")
    assert len(str(err.value)) < 400  # a 400-digit number is not quoted whole
    with pytest.raises(I.InsightError):
        I.Evaluation.from_stored(bad, K)
    with pytest.raises(I.InsightError):
        I.evaluation_from_stored(bad)  # also without the network's class count


def test_the_class_count_must_be_the_networks():
    with pytest.raises(I.InsightError, match="confusion"):
        I.stored_evaluation(BASE, 9)


ODD = [None, True, False, 0, -1, 2**63, 10**400, 1.5, math.nan, math.inf, -math.inf, "", "x",
       [], [[]], {}, {"a": 1}, [None] * 3]  # fmt: skip
FIELDS = [("version",), ("num_images",), ("accuracy",), ("confusion",), ("confusion", 0),
          ("confusion", 0, 0), ("mistakes",), ("mistakes", 0), ("mistakes", 0, "index"),
          ("mistakes", 0, "true"), ("mistakes", 0, "predicted"), ("mistakes", 0, "confidence"),
          ("mistakes", 0, "top3"), ("mistakes", 0, "top3", 0), ("mistakes", 0, "top3", 0, 0),
          ("mistakes", 0, "top3", 0, 1), ("seconds",), ("epochs_done",)]  # fmt: skip


@pytest.mark.parametrize("path", FIELDS, ids=lambda p: ".".join(map(str, p)))
def test_any_odd_value_in_any_field_raises_only_insight_error(path):
    """Every field × odd values of every type: refused as damaged, or (where it is harmless,
    e.g. 0 seconds) read; never another exception."""
    for value in ODD:
        bad = _set(path, value)(copy.deepcopy(BASE))
        try:
            cm, mistakes, seconds = I.stored_evaluation(bad, K)
        except I.InsightError:
            continue
        assert cm.sum() == N and math.isfinite(seconds) and 0 <= seconds
        assert all(0 <= m.index < N and 0 <= m.confidence <= 1 for m in mistakes)
