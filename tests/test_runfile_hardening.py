"""Run files as a fuzzer sees them: every bad input is a RunFileError with a reason, never
another exception, and what is accepted stays inside the limits (cnnviz.runfile's MAX_*).

Every bad file here is made from a real one (the ``trained_run`` fixture: a 3-epoch LeNet).
"""

from __future__ import annotations

import base64
import json
import math
import random
import struct
import time

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.torch import load, save

from cnnviz import runfile as rf
from cnnviz.models import PRESETS, build_model
from cnnviz.runfile import EPOCHS_KEY, RUN_KEY, RunFile, RunFileError, read_run_file
from cnnviz.runs import RunStore
from cnnviz.train import RunConfig

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread")]
FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


# -- making files ----------------------------------------------------------------------------


def split(data: bytes) -> tuple[dict, bytes]:
    """(the parsed header, the tensor bytes after it)."""
    (n,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8 : 8 + n]), data[8 + n :]


def assemble(header: dict | bytes | str, body: bytes) -> bytes:
    """A safetensors file from a header (a dict, or raw JSON text) and tensor bytes."""
    if isinstance(header, dict):
        header = json.dumps(header)
    if isinstance(header, str):
        header = header.encode()
    return struct.pack("<Q", len(header)) + header + body


def desc(data: bytes) -> dict:
    return json.loads(split(data)[0]["__metadata__"][RUN_KEY])


def with_meta(data: bytes, **meta) -> bytes:
    """The same header and tensors with metadata replaced (None deletes a key)."""
    header, body = split(data)
    old = header.pop("__metadata__")
    header["__metadata__"] = {k: v for k, v in {**old, **meta}.items() if v is not None}
    return assemble(header, body)


def with_desc(data: bytes, text: str | None = None, **fields) -> bytes:
    """The description replaced by ``text``, or with top-level ``fields`` changed."""
    if text is None:
        d = desc(data)
        d.update(fields)
        text = json.dumps(d)
    return with_meta(data, **{RUN_KEY: text})


def with_config(data: bytes, **fields) -> bytes:
    d = desc(data)
    d["config"].update(fields)
    return with_desc(data, json.dumps(d))


def with_spec(data: bytes, **fields) -> bytes:
    d = desc(data)
    d["config"]["spec"].update(fields)
    return with_desc(data, json.dumps(d))


def with_metric(data: bytes, epoch: int, **fields) -> bytes:
    d = desc(data)
    d["metrics"][epoch - 1].update(fields)
    return with_desc(data, json.dumps(d))


def with_tensors(data: bytes, tensors: dict[str, torch.Tensor]) -> bytes:
    return save(tensors, metadata=split(data)[0]["__metadata__"])


def snapshots_file(data: bytes) -> dict[str, torch.Tensor]:
    return load(base64.b64decode(split(data)[0]["__metadata__"][EPOCHS_KEY]))


def with_snapshots(data: bytes, tensors: dict[str, torch.Tensor] | bytes | str) -> bytes:
    if isinstance(tensors, dict):
        tensors = save(tensors)
    if isinstance(tensors, bytes):
        tensors = base64.b64encode(tensors).decode()
    return with_meta(data, **{EPOCHS_KEY: tensors})


# -- what every outcome must look like ---------------------------------------------------------


def outcome(data: bytes, name: str = "bad.safetensors") -> RunFile | RunFileError:
    """The file read: a RunFile, or the RunFileError (any other exception fails the test)."""
    try:
        return read_run_file(data, name)
    except RunFileError as exc:
        text = str(exc)
        assert text and "\n" not in text and len(text) < 1000, text
        assert "Traceback" not in text
        return exc


def refused(data: bytes, match: str | None = None) -> str:
    got = outcome(data)
    assert isinstance(got, RunFileError), "accepted"
    if match is not None:
        assert match in str(got), str(got)
    return str(got)


def assert_in_bounds(run: RunFile) -> None:
    """What an accepted file may hold."""
    assert rf.RUN_ID.fullmatch(run.run_id) and run.run_id.isascii()
    assert run.status in rf.RUN_STATUSES
    assert isinstance(run.name, str) and 0 < len(run.name) <= rf.MAX_TEXT_CHARS
    for text in (run.group, run.preset, run.device):
        assert text is None or (isinstance(text, str) and len(text) <= rf.MAX_TEXT_CHARS)
    c = run.config
    for value, high in ((c.num_epochs, rf.MAX_EPOCHS), (c.batch_size, rf.MAX_BATCH_SIZE),
                        (c.seed, rf.MAX_SEED)):  # fmt: skip
        assert type(value) is int and 0 <= value <= high
    for value, high in ((c.limit, rf.MAX_LIMIT), (c.val_limit, rf.MAX_VAL_LIMIT)):
        assert value is None or (type(value) is int and 1 <= value <= high)
    assert c.lr is None or (type(c.lr) is float and 0 < c.lr <= rf.MAX_LR)
    assert math.isfinite(run.created) and rf.EARLIEST_CREATED <= run.created <= time.time() + 2e5
    assert [m["epoch"] for m in run.metrics] == list(range(1, len(run.metrics) + 1))
    assert len(run.metrics) <= c.num_epochs
    for m in run.metrics:
        for col in rf.METRIC_COLUMNS[1:]:
            v = m[col]
            assert v is None or (type(v) is float and math.isfinite(v) and v >= 0)
        for col in ("train_acc", "val_acc"):
            assert m[col] is None or m[col] <= 1
    net = build_model(c.spec, device="meta")
    expected = net.state_dict()
    assert run.tensors.keys() == expected.keys()
    assert all(run.tensors[k].shape == v.shape for k, v in expected.items())
    if run.snapshots is not None:
        assert run.snapshots_dropped is None
        assert all(rf.SNAPSHOT_KEY.fullmatch(k) for k in load(run.snapshots))


@pytest.fixture(scope="module")
def good(trained_run) -> bytes:
    return trained_run[2]


def test_the_real_file_is_accepted_whole(good):
    run = outcome(good)
    assert isinstance(run, RunFile), run
    assert_in_bounds(run)
    assert run.snapshots is not None and run.snapshots_dropped is None


# -- the issue's examples, through a store: refused, and nothing written ----------------------


def test_the_issues_examples_are_refused_by_the_store(good, tmp_path):
    _, body = split(good)
    nested = b"[" * 100_000
    d = desc(good)
    no_snapshots = with_meta(good, **{EPOCHS_KEY: None})
    snapshot_key = {f"epoch{'9' * 5000}/0.weight": torch.zeros(6, 1, 5, 5)}
    cases = {
        "100,000 nested [": struct.pack("<Q", len(nested)) + nested + body,
        "num_epochs 10**30": with_config(good, num_epochs=10**30),
        "seed 2**70, no snapshots": with_config(no_snapshots, seed=2**70),
        "kernel_size 99": with_spec(good, kernel_size=99),
        "created NaN": with_desc(good, json.dumps({**d, "created": float("nan")})),
        "created 1e20": with_desc(good, created=1e20),
        "created -1e15": with_desc(good, created=-1e15),
        "num_epochs 2.5": with_config(good, num_epochs=2.5),
        "batch_size 10**12": with_config(good, batch_size=10**12),
        "a boolean metric": with_metric(good, 1, val_acc=True),
        "a 20 MB name": with_desc(good, name="x" * 20 * 2**20),
        "non-ASCII digits in the id": with_desc(good, run_id="١٢٣٤٥"),
    }
    store = RunStore(tmp_path / "store")
    for case, bad in cases.items():
        with pytest.raises(RunFileError):
            store.import_run(bad, "bad.safetensors")
        assert store.list_runs() == [], case
        assert not list(store.checkpoints.iterdir()), case
    # the 5,000-digit snapshot epoch costs only the scrubbing: the run itself comes in
    run_id, added = store.import_run(with_snapshots(good, snapshot_key), "odd.safetensors")
    assert added and store.snapshot_epochs(run_id) == [0, 3]


# -- the container -------------------------------------------------------------------------------


def test_container_damage_is_refused(good):
    header, body = split(good)
    meta = header["__metadata__"]
    tensors = {k: v for k, v in header.items() if k != "__metadata__"}
    first = next(iter(tensors))

    def tensor(**entry):
        return assemble({**header, first: {**tensors[first], **entry}}, body)

    cases = {
        "empty": b"",
        "7 bytes": good[:7],
        "length only": good[:8],
        "length past the end": struct.pack("<Q", len(good)) + good[8:],
        "length 2**64-1": b"\xff" * 8 + good[8:],
        "length 0": struct.pack("<Q", 0) + good[8:],
        "not JSON": assemble("{not json", body),
        "not UTF-8": assemble(b'{"\xff\xfe": 1}', body),
        "a JSON list": assemble("[1, 2]", body),
        "a JSON string": assemble('"header"', body),
        "nested objects": assemble('{"a":' * 50_000 + "1" + "}" * 50_000, body),
        "a 5,000-digit number": assemble('{"x": ' + "9" * 5000 + "}", body),
        "NaN in the header": assemble('{"__metadata__": {}, "x": NaN}', body),
        "duplicate tensor": assemble(
            json.dumps(header)[:-1] + f', "{first}": ' + json.dumps(tensors[first]) + "}", body
        ),
        "duplicate metadata key": assemble(
            json.dumps(header).replace('"__metadata__": {', '"__metadata__": {"format": "pt", ', 1),
            body,
        ),
        "metadata a list": assemble({**header, "__metadata__": ["a"]}, body),
        "metadata value a number": assemble({**header, "__metadata__": {**meta, "x": 1}}, body),
        "metadata value null": assemble({**header, "__metadata__": {**meta, "x": None}}, body),
        "run description an object": assemble(
            {**header, "__metadata__": {**meta, RUN_KEY: desc(good)}}, body
        ),
        "tensor entry a list": assemble({**header, first: [1]}, body),
        "dtype missing": tensor(dtype=None),
        "shape negative": tensor(shape=[-6]),
        "shape of floats": tensor(shape=[6.0]),
        "shape of booleans": tensor(shape=[True] * 6),
        "shape huge": tensor(shape=[2**62, 2**62]),
        "offsets reversed": tensor(data_offsets=[24, 0]),
        "offsets past the end": tensor(data_offsets=[0, 2**40]),
        "offsets not numbers": tensor(data_offsets=["0", "24"]),
        "too many values": assemble({**header, "junk": [0] * (rf.MAX_HEADER_VALUES + 1)}, body),
        "other metadata of 100 KB": with_meta(good, note="x" * 100_000),
        "description over 1 MB": with_desc(good, padding="x" * (rf.MAX_DESCRIPTION_CHARS + 1)),
        "PNG": b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
        "text": b"hello world, this is not a run file at all",
        "no run": save(load(good)),
        "not bytes": "a str",
    }
    for case, bad in cases.items():
        msg = refused(bad)
        assert "bad.safetensors" in msg, (case, msg)


def test_cut_anywhere_is_refused(good):
    header, _ = split(good)
    n = struct.unpack("<Q", good[:8])[0]
    cuts = set(range(0, 8 + n, 97)) | {0, 1, 7, 8, 9, 8 + n - 1, 8 + n, 8 + n + 1, len(good) - 1}
    for key, entry in header.items():
        if key != "__metadata__":
            a, b = entry["data_offsets"]
            cuts |= {8 + n + a, 8 + n + (a + b) // 2, 8 + n + b - 1}
    cuts.discard(len(good))
    for cut in sorted(cuts):
        msg = refused(good[:cut])
        assert "safetensors" in msg or "cut short" in msg, (cut, msg)


def test_bit_flips_in_the_header_never_escape(good):
    n = struct.unpack("<Q", good[:8])[0]
    rng = random.Random(0)
    outcomes = {"accepted": 0, "refused": 0}
    for _ in range(400):
        pos = rng.randrange(0, 8 + n)
        flipped = bytearray(good)
        flipped[pos] ^= 1 << rng.randrange(8)
        got = outcome(bytes(flipped))
        if isinstance(got, RunFile):
            assert_in_bounds(got)
            outcomes["accepted"] += 1
        else:
            outcomes["refused"] += 1
    assert outcomes["refused"] > 100  # most flips break something; the rest stay in bounds


@FUZZ
@given(
    edits=st.lists(st.tuples(st.integers(0, 2**32), st.integers(0, 255)), min_size=1, max_size=6),
    cut=st.none() | st.integers(0, 2**32),
)
def test_fuzzed_headers_give_a_run_file_error_or_a_run_in_bounds(good, edits, cut):
    n = struct.unpack("<Q", good[:8])[0]
    data = bytearray(good)
    for pos, byte in edits:
        data[pos % (8 + n)] = byte
    if cut is not None:
        data = data[: cut % len(data)]
    got = outcome(bytes(data))
    if isinstance(got, RunFile):
        assert_in_bounds(got)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                  max_size=3),
    max_leaves=6,
)  # fmt: skip
FIELDS = [
    ("version",), ("run_id",), ("name",), ("group",), ("preset",), ("status",), ("created",),
    ("device",), ("config",), ("metrics",), ("config", "num_epochs"), ("config", "lr"),
    ("config", "batch_size"), ("config", "limit"), ("config", "val_limit"), ("config", "seed"),
    ("config", "device"), ("config", "spec"), ("config", "spec", "family"),
    ("config", "spec", "kernel_size"), ("config", "spec", "channels"), ("config", "spec", "fc"),
    ("config", "spec", "padding"), ("config", "spec", "lr"), ("config", "spec", "input_size"),
    ("metrics", 0), ("metrics", 0, "epoch"), ("metrics", 1, "val_acc"),
    ("metrics", 2, "train_loss"), ("metrics", 2, "seconds"),
]  # fmt: skip


@FUZZ
@given(field=st.sampled_from(FIELDS), value=JSON)
def test_fuzzed_fields_give_a_run_file_error_or_a_run_in_bounds(good, field, value):
    d = desc(good)
    target = d
    for key in field[:-1]:
        target = target[key]
    target[field[-1]] = value
    got = outcome(with_desc(good, json.dumps(d)))
    if isinstance(got, RunFile):
        assert_in_bounds(got)


# -- the description, field by field ----------------------------------------------------------


def test_description_damage_is_refused(good):
    d = desc(good)
    now = time.time()
    cases = {
        "not JSON": with_desc(good, "{"),
        "a list": with_desc(good, "[]"),
        "nested": with_desc(good, "[" * 100_000 + "]" * 100_000),
        "duplicate key": with_desc(good, json.dumps(d)[:-1] + ', "name": "again"}'),
        "version a string": with_desc(good, version="1"),
        "version a boolean": with_desc(good, version=True),
        "version 5,000 digits": with_desc(
            good, json.dumps(d).replace('"version": 1', '"version": ' + "9" * 5000)
        ),
        "newer version": with_desc(good, version=99),
        "huge version": with_desc(good, version=10**40),
    }
    bad_ids = ["", "x" * 33, "0" * 33, "ABCDEF", "../etc", "a/b", "a b", "a.b", "١٢٣٤٥",
               "１２３", "abc\x00", "ab\n", 12345, None, ["ab"], True]  # fmt: skip
    cases |= {f"run id {v!r}": with_desc(good, run_id=v) for v in bad_ids}
    long = "x" * (rf.MAX_TEXT_CHARS + 1)
    for field in ("name", "group", "preset", "device"):
        for v in (long, 12, 1.5, True, ["a"], {"a": 1}, "a\nb", "a\x00b", "a\x1bb"):
            cases[f"{field} {v!r:.20}"] = with_desc(good, **{field: v})
    cases["name missing"] = with_desc(good, name=None)
    cases["name empty"] = with_desc(good, name="   ")
    cases["lone surrogate"] = with_desc(
        good, json.dumps(d).replace('"name": "class demo"', '"name": "\\ud800"')
    )
    for v in ("weird", None, 1, "FINISHED", ["finished"]):
        cases[f"status {v!r}"] = with_desc(good, status=v)
    for v in (float("nan"), float("inf"), float("-inf"), 1e20, -1e15, 0, 946_684_799,
              now + 3 * 86_400, "2024", True, None, [now]):  # fmt: skip
        cases[f"created {v!r}"] = with_desc(good, json.dumps({**d, "created": v}))
    cases["no config"] = with_desc(good, config=None)
    cases["config a list"] = with_desc(good, config=[1])
    for case, bad in cases.items():
        msg = refused(bad)
        assert "bad.safetensors" in msg, (case, msg)


CONFIG_CASES = {
    "num_epochs": [2.5, True, 0, -1, 10**30, rf.MAX_EPOCHS + 1, "3", None, float("nan")],
    "batch_size": [10**12, 0, "128", 128.0, False, rf.MAX_BATCH_SIZE + 1],
    "limit": [0, -5, 10**12, 2.5, "256", True, rf.MAX_LIMIT + 1],
    "val_limit": [0, 10**12, 1.5, rf.MAX_VAL_LIMIT + 1, [1]],
    "seed": [-1, 2**63, 2**70, 1.5, True, "0", None],
    "lr": [0, -0.1, float("inf"), float("nan"), "0.1", 1e6, True, [0.1]],
    "device": ["tpu", None, 1, ["cpu"], "cpu" * 100],
    "unknown": [1],
}
SPEC_CASES = {
    "kernel_size": [99, 0, "5", True, 5.0, None, 10**30],
    "channels": [[6], [6, 16, 3], [0, 16], [10**9, 16], "6,16", None],
    "fc": [[120], [True, 84], [120.5, 84]],
    "activation": ["swish", 1, None],
    "pool": ["median"],
    "in_channels": [0, 17, True],
    "num_classes": [0, 10**6],
    "input_size": [0, 10**6, 4],
    "lr": [True, 0, -1, 11, float("nan"), "0.1"],
    "family": ["mlp", None, 1, ["lenet"]],
    "unknown_field": [1],
}


def test_settings_out_of_range_are_refused(good):
    for field, values in CONFIG_CASES.items():
        for v in values:
            d = desc(good)
            d["config"][field] = v
            msg = refused(with_desc(good, json.dumps(d)), "damaged run description")
            assert field in msg or "unknown" in msg or "lr" in msg, (field, v, msg)
    for field, values in SPEC_CASES.items():
        for v in values:
            d = desc(good)
            d["config"]["spec"][field] = v
            refused(with_desc(good, json.dumps(d)), "damaged run description")
    d = desc(good)
    d["config"]["spec"] = {"family": "lenet", "kernel_size": 99}
    assert "kernel_size" in refused(with_desc(good, json.dumps(d)))
    for spec in (None, [], "lenet", {}):
        d["config"]["spec"] = spec
        refused(with_desc(good, json.dumps(d)), "damaged run description")


def test_the_largest_allowed_settings_are_accepted(good):
    largest = dict(seed=rf.MAX_SEED, batch_size=rf.MAX_BATCH_SIZE, limit=rf.MAX_LIMIT,
                   val_limit=rf.MAX_VAL_LIMIT, lr=rf.MAX_LR)  # fmt: skip
    run = outcome(with_config(good, **largest))
    assert isinstance(run, RunFile), run
    assert run.config.seed == 2**63 - 1
    torch.Generator().manual_seed(run.config.seed)  # what a rebuild does with it
    assert_in_bounds(run)
    name = "n" * rf.MAX_TEXT_CHARS
    assert outcome(with_desc(good, name=name, group=name)).name == name
    assert outcome(with_desc(good, created=time.time())).created > 0


def test_metric_damage_is_refused(good):
    d = desc(good)
    rows = d["metrics"]
    cases = {
        "not a list": {"metrics": {"1": rows[0]}},
        "a row not an object": {"metrics": [1, 2, 3]},
        "epoch a boolean": {"metrics": [{**rows[0], "epoch": True}]},
        "epoch a string": {"metrics": [{**rows[0], "epoch": "1"}]},
        "epoch a float": {"metrics": [{**rows[0], "epoch": 1.0}]},
        "a gap": {"metrics": [rows[0], rows[2]]},
        "out of order": {"metrics": [rows[1], rows[0]]},
        "a duplicate": {"metrics": [rows[0], rows[0]]},
        "more epochs than the run": {"metrics": [{**rows[0], "epoch": i} for i in range(1, 5)]},
        "1,001 rows": {"metrics": [{"epoch": i} for i in range(1, 1002)]},
    }
    for col, values in {
        "val_acc": [1.5, -0.1, True, "high", float("nan"), float("inf"), [0.5]],
        "train_acc": [2, False],
        "train_loss": [-1, float("inf"), float("-inf"), "x", {"a": 1}],
        "val_loss": [float("nan"), -0.5],
        "examples_per_s": [-1, float("inf")],
        "seconds": [-0.1, float("nan"), 1e400],
    }.items():
        for v in values:
            cases[f"{col} {v!r}"] = {"metrics": [{**rows[0], col: v}, *rows[1:]]}
    for case, change in cases.items():
        msg = refused(with_desc(good, json.dumps({**d, **change})), "damaged run description")
        assert "epoch" in msg or "metrics" in msg, (case, msg)
    many = {"metrics": [{"epoch": i} for i in range(1, 100_001)]}  # refused before parsing
    assert "values" in refused(with_desc(good, json.dumps({**d, **many})))


def test_null_metrics_and_a_short_run_are_accepted(good):
    d = desc(good)
    rows = [{**d["metrics"][0], "train_loss": None, "val_loss": None}]  # a run that diverged
    run = outcome(with_desc(good, json.dumps({**d, "metrics": rows, "status": "stopped"})))
    assert isinstance(run, RunFile), run
    assert run.metrics[0]["train_loss"] is None and len(run.metrics) == 1


def test_describe_writes_no_nan(good):
    config = RunConfig(PRESETS["LeNet"], num_epochs=2)
    rows = [{"epoch": 1, "train_loss": float("nan"), "train_acc": 0.1, "val_loss": float("inf"),
             "val_acc": 0.2, "examples_per_s": 10.0, "seconds": 1.0}]  # fmt: skip
    text = rf.describe("ab12", "n", None, None, "stopped", config, 1.7e9, "cpu", rows)
    back = json.loads(text)  # strict JSON: no NaN or Infinity
    assert back["metrics"][0]["train_loss"] is None and back["metrics"][0]["val_loss"] is None
    assert isinstance(outcome(with_desc(good, text)), RunFile)


def test_a_hostile_file_name_gives_a_short_one_line_message(good):
    name = "evil\n<img src=x onerror=alert(1)>" + "x" * 10_000
    with pytest.raises(RunFileError) as info:
        read_run_file(b"xx", name)
    text = str(info.value)
    assert "\n" not in text and len(text) < 300 and "evil <img" in text


# -- the tensors -----------------------------------------------------------------------------


def test_weights_of_another_shape_or_type_are_refused(good):
    tensors = load(good)
    resnet = desc(good)
    resnet["config"] = RunConfig(PRESETS["ResNet-18"]).to_dict()
    cases = {
        "another network": with_desc(good, json.dumps(resnet)),
        "a tensor missing": with_tensors(good, {k: v for k, v in tensors.items() if k != "0.bias"}),
        "a tensor more": with_tensors(good, {**tensors, "extra": torch.zeros(1)}),
        "a wrong shape": with_tensors(good, {**tensors, "0.bias": torch.zeros(7)}),
        "float16": with_tensors(good, {**tensors, "0.bias": tensors["0.bias"].half()}),
        "float64": with_tensors(good, {**tensors, "0.bias": tensors["0.bias"].double()}),
        "int64": with_tensors(good, {**tensors, "0.bias": tensors["0.bias"].long()}),
        "bool": with_tensors(good, {**tensors, "0.bias": tensors["0.bias"] > 0}),
    }
    for case, bad in cases.items():
        assert "do not fit" in refused(bad), case
    # a header whose shape does not match its bytes
    header, body = split(good)
    header["0.bias"]["shape"] = [5]
    header["0.bias"]["data_offsets"] = [0, 24]
    refused(assemble(header, body))
    # NaN weights are data (a diverged run), not damage
    nan = with_tensors(good, {**tensors, "0.bias": torch.full((6,), float("nan"))})
    assert isinstance(outcome(nan), RunFile)


# -- the snapshots: dropped with a reason, the run still comes in ---------------------------


def test_bad_snapshots_are_dropped_and_the_import_still_works(good, tmp_path):
    snaps = snapshots_file(good)
    resnet_stem = build_model(PRESETS["ResNet-18"], device="meta").state_dict()
    other = {f"epoch{e}/0.weight": torch.zeros(64, 1, 7, 7) for e in range(4)}
    cases = {
        "not base64": "not base64!",
        "base64 of garbage": base64.b64encode(b"garbage").decode(),
        "empty file": save({}),
        "another network's stem": other,
        "a shape of ResNet": {
            **snaps,
            "epoch1/0.weight": torch.zeros(resnet_stem["b1.0.weight"].shape),
        },
        "a wrong dtype": {**snaps, "epoch1/0.weight": snaps["epoch1/0.weight"].double()},
        "a tensor missing": {k: v for k, v in snaps.items() if k != "epoch2/0.bias"},
        "a tensor more": {**snaps, "epoch2/extra": torch.zeros(1)},
        "a 5,000-digit epoch": {**snaps, f"epoch{'9' * 5000}/0.weight": torch.zeros(6, 1, 5, 5)},
        "non-ASCII digits": {**snaps, "epoch٣/0.weight": torch.zeros(6, 1, 5, 5)},
        "an epoch past the run": {
            **snaps,
            "epoch4/0.weight": snaps["epoch3/0.weight"].clone(),
            "epoch4/0.bias": snaps["epoch3/0.bias"].clone(),
        },  # fmt: skip
        "a key without an epoch": {**snaps, "weights": torch.zeros(1)},
        "nested header": assemble("[" * 100_000, b""),
        "cut short": save(snaps)[:-10],
    }
    for i, (case, snapshot) in enumerate(cases.items()):
        bad = with_snapshots(good, snapshot)
        run = outcome(bad)
        assert isinstance(run, RunFile), (case, run)
        assert run.snapshots is None and run.snapshots_dropped, case
        store = RunStore(tmp_path / f"s{i}")
        run_id, added = store.import_run(bad, "odd.safetensors")
        assert added and store.snapshot_epochs(run_id) == [0, 3], case  # rebuilt
        assert store.load_snapshot(run_id, 3).keys() == {"0.weight", "0.bias"}


def test_snapshots_over_the_limit_are_dropped(good, monkeypatch):
    monkeypatch.setattr(rf, "MAX_SNAPSHOTS_CHARS", 100)
    run = outcome(good)
    assert isinstance(run, RunFile) and run.snapshots is None
    assert "at most 100" in run.snapshots_dropped


def test_the_statuses_a_file_may_carry_are_the_stores():
    from cnnviz.runs import STATUSES

    assert set(rf.RUN_STATUSES) == set(STATUSES)
