"""The tier markers: every collected test carries one, or the run stops with the list."""

import pytest

from conftest import TIERS, pytest_collection_modifyitems

pytestmark = pytest.mark.unit


class Item:
    def __init__(self, nodeid: str, *marks: str):
        self.nodeid = nodeid
        self.marks = set(marks)

    def get_closest_marker(self, name: str):
        return name if name in self.marks else None


def test_marked_tests_pass_the_hook():
    items = [Item(f"tests/test_x.py::t_{t}", t) for t in TIERS]
    pytest_collection_modifyitems(None, items)  # no error
    assert len(items) == len(TIERS)


def test_an_unmarked_test_stops_the_run_with_its_name():
    items = [Item("tests/test_x.py::marked", "unit"), Item("tests/test_y.py::bare", "parametrize")]
    with pytest.raises(pytest.UsageError, match=r"(?s)1 test\(s\) carry no tier.*test_y.py::bare"):
        pytest_collection_modifyitems(None, items)


def test_the_tiers_are_registered(pytestconfig):
    """--strict-markers turns a marker pyproject.toml does not list into an error."""
    registered = {m.split(":")[0] for m in pytestconfig.getini("markers")}
    assert set(TIERS) <= registered
