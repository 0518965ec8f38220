"""The code's shape: no import cycle inside cnnviz (function-level imports included: they only
hide a cycle until the function runs), no private name imported across modules, no access
decision left in the pages (the run service owns them), the run store's parts small, and no
module of the runs package long or repeating another's lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "cnnviz"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(path: Path, known: dict[str, Path]) -> list[tuple[str, list[str]]]:
    """(imported cnnviz module, names taken from it) for every import the module runs, at
    any depth (functions, methods), but not those under ``if TYPE_CHECKING``."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: list[tuple[str, list[str]]] = []

    def visit(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import):
                out.extend((a.name, []) for a in child.names if a.name in known)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    up = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    base = ".".join(up + ([base] if base else []))
                for a in child.names:
                    sub = f"{base}.{a.name}"
                    if sub in known:
                        out.append((sub, []))
                    elif base in known:
                        out.append((base, [a.name]))
            visit(child)

    visit(ast.parse(path.read_text(), str(path)))
    return out


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {
        name: {target for target, _ in imports(path, known) if target != name}
        for name, path in known.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def test_the_cycle_finder_finds_a_hidden_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_function_level_imports_are_seen(tmp_path):
    pkg = tmp_path / "cnnviz"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "one.py").write_text("def f():\n    from cnnviz import two\n")
    (pkg / "two.py").write_text("from cnnviz.one import f\n")
    known = {"cnnviz": pkg / "__init__.py", "cnnviz.one": pkg / "one.py",
             "cnnviz.two": pkg / "two.py"}  # fmt: skip
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert [t for t, _ in imports(pkg / "one.py", known)] == ["cnnviz.two"]
        assert [t for t, _ in imports(pkg / "two.py", known)] == ["cnnviz.one"]
    finally:
        ROOT = saved


def test_cnnviz_has_no_import_cycle():
    found = cycles(import_graph())
    assert not found, "import cycles: " + "; ".join(" -> ".join(c) for c in found)


def test_no_private_name_is_imported_across_modules():
    known = modules()
    crossing = [
        f"{module_name(path)} imports {target}.{n}"
        for path in known.values()
        for target, names in imports(path, known)
        for n in names
        if n.startswith("_") and not n.startswith("__")
    ]
    assert not crossing, crossing


def test_the_pages_hold_no_access_decision():
    """Who may see or touch a run is the run service's to say: the pages ask it."""
    old_helpers = ("visible_runs(", "may_view(mgr", "may_control(mgr", "can_view(", "can_control(")
    found = [
        f"{p.relative_to(ROOT)}:{i}: {line.strip()}"
        for p in [*(ROOT / "ui").rglob("*.py"), *(ROOT / "app_pages").rglob("*.py")]
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if any(h in line for h in old_helpers) or "store.set_pinned" in line
        or "store.import_run" in line or "store.delete(" in line
    ]  # fmt: skip
    assert not found, found


MANAGER_NAMES = {"mgr", "_mgr", "manager", "_manager", "get_manager"}
MANAGER_ACTIONS = {"submit", "submit_many", "stop", "delete"}
STORE_ACTIONS = {"create", "create_many", "request_stop", "stop_queued", "set_pinned",
                 "import_run", "delete", "set_status"}  # fmt: skip


def _receiver(node: ast.expr) -> str:
    """The last name a call's receiver ends in: ``mgr`` for ``mgr.stop``, ``manager`` for
    ``svc.manager.stop``, ``get_manager`` for ``get_manager().stop``, ``store`` for
    ``mgr.store.delete``."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def run_actions_off_the_service(source: str) -> list[str]:
    """The calls in ``source`` that start, stop or delete runs without the run service: the
    manager's submit/stop/delete, the store's writes, the ablation lab's ``launch`` (it
    queues through the manager)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        attr, receiver = node.func.attr, _receiver(node.func.value)
        if (
            (attr in MANAGER_ACTIONS and receiver in MANAGER_NAMES)
            or (attr in STORE_ACTIONS and "store" in receiver)
            or (attr == "submit_many")
            or (attr == "launch" and receiver in ("A", "ablation"))
        ):
            found.append(f"{node.lineno}: {ast.unparse(node.func)}")
    return found


def test_the_finder_of_actions_off_the_service_finds_them():
    source = """
mgr.submit(config, user=user)
get_manager().stop(run_id)
svc.manager.delete(run_id)
mgr.store.delete(run_id)
x.submit_many(entries, user)
A.launch(mgr, group)
service(mgr).submit_run(user, config)
service(mgr).stop(user, run_id)
svc.delete(user, run_id)
st.stop()
runner.stop()
"""
    found = run_actions_off_the_service(source)
    assert [f.split(":")[0] for f in found] == ["2", "3", "4", "5", "6", "7"], found


def test_the_pages_start_stop_and_delete_runs_only_through_the_service():
    """Every page submits, stops, deletes and imports runs through the run service, which
    checks the class limits and the role; never through the manager or the store."""
    found = [
        f"{p.relative_to(ROOT)}:{hit}"
        for p in [*(ROOT / "ui").rglob("*.py"), *(ROOT / "app_pages").rglob("*.py")]
        for hit in run_actions_off_the_service(p.read_text())
    ]
    assert not found, found


STORE_PARTS = ("store", "db", "schema", "records", "liveness", "metrics", "portable", "classdata")
STORE_PARTS += ("seating",)  # class sessions and seats
STORE_PARTS += ("shared",)  # leases and rate-limited events, shared by server processes
STORE_PARTS += ("following",)  # the teacher's location per class, each seat's following


def test_the_run_stores_parts_are_small():
    """The store is a facade over parts with one job each, none over ~300 lines."""
    sizes = {n: len((PACKAGE / "runs" / f"{n}.py").read_text().splitlines()) for n in STORE_PARTS}
    assert max(sizes.values()) <= 330, sizes
    assert sizes["store"] <= 100, sizes  # the facade: re-exports and one class line


RUNS_MAX_LINES = 350


def test_no_file_of_the_runs_package_is_long():
    """Each module of ``cnnviz/runs`` does one job (the manager's dispatcher, the process
    executor's worker supervision live apart): none over ~350 lines."""
    sizes = {p.name: len(p.read_text().splitlines()) for p in (PACKAGE / "runs").glob("*.py")}
    assert len(sizes) > 10, sizes
    assert max(sizes.values()) <= RUNS_MAX_LINES, {
        n: k for n, k in sizes.items() if k > RUNS_MAX_LINES
    }


def repeated_blocks(texts: dict[str, str], size: int = 6) -> dict[tuple[str, ...], list]:
    """Runs of ``size`` lines (stripped, blank lines and comment lines left out, each line
    with some letters) that stand in more than one place, with where."""
    seen: dict[tuple[str, ...], list] = {}
    for name, text in texts.items():
        lines = [(i, ln.strip()) for i, ln in enumerate(text.splitlines(), 1)]
        lines = [(i, ln) for i, ln in lines if ln and not ln.startswith("#")]
        for k in range(len(lines) - size + 1):
            window = tuple(ln for _, ln in lines[k : k + size])
            if sum(any(c.isalpha() for c in ln) for ln in window) == size:
                seen.setdefault(window, []).append((name, lines[k][0]))
    return {w: places for w, places in seen.items() if len(places) > 1}


def test_the_repeat_finder_finds_a_repeat():
    block = "\n".join(f"value_{i} = compute({i})" for i in range(6))
    found = repeated_blocks({"a.py": "x = 1\n" + block, "b.py": block + "\ny = 2", "c.py": "z"})
    assert list(found.values()) == [[("a.py", 2), ("b.py", 1)]]


def test_the_runs_package_repeats_no_block_of_six_lines():
    texts = {p.name: p.read_text() for p in (PACKAGE / "runs").glob("*.py")}
    found = repeated_blocks(texts)
    assert not found, {places[0]: places[1:] for places in found.values()}


def test_the_store_facade_has_every_part():
    from cnnviz.runs import store

    bases = {b.__module__.rpartition(".")[2] for b in store.RunStore.__mro__[1:-1]}
    assert bases == set(STORE_PARTS) - {"store"}


def test_the_runs_package_does_not_import_its_worker_module():
    """A worker process runs ``python -m cnnviz.runs.worker``: the package, imported first, must
    not import that module too (it would run as a second copy of itself, with a warning)."""
    import subprocess
    import sys

    code = "import sys, cnnviz.runs; print('cnnviz.runs.worker' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr
