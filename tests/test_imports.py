"""The package's import structure: no import cycles, and the NumPy oracle kept out of the
library (issue "One place per concept").

Imports are read from the source (every ``import`` statement, also those inside functions,
which run later but still tie the modules together), so the test needs no import."""

import ast
import pathlib

import fastmlp

ROOT = pathlib.Path(fastmlp.__file__).parent

#: Lazy imports that go back up the layers on purpose: a method of the model that hands
#: the work to a module built on the model (``MLP.to_onnx`` -> :mod:`fastmlp.export`).
DELEGATIONS = {("fastmlp.network", "fastmlp.export")}

#: Library modules allowed to import :mod:`fastmlp.reference`, the tests' NumPy twin: the
#: benchmark (it is the baseline there) and the digits demo, which times it against the
#: kernels.
ORACLE_USERS = {"fastmlp.cli.digits_demo"}


def _modules() -> dict[str, pathlib.Path]:
    modules = {}
    for path in ROOT.rglob("*.py"):
        parts = ["fastmlp", *path.relative_to(ROOT).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _imports(name: str, path: pathlib.Path, modules) -> set[str]:
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                full = f"{target}.{alias.name}"
                found.add(full if full in modules else target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    # the package root only re-exports; every module may import from it
    return {m for m in found if m in modules and m not in (name, "fastmlp")}


def _graph():
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_the_graph_is_read():
    graph = _graph()
    assert "fastmlp.engines.base" in graph["fastmlp.engines.chunked"]  # relative import
    assert "fastmlp.kernels.rng" in graph["fastmlp.engines.specialize"]  # inside a function
    assert "fastmlp.fitting" in graph["fastmlp.network"]
    assert ("fastmlp.network", "fastmlp.export") in {
        (a, b) for a, targets in graph.items() for b in targets}


def test_no_import_cycles():
    graph = _graph()
    for source, target in DELEGATIONS:
        graph[source].discard(target)
    assert _cycles(graph) == []


def test_a_cycle_is_detected():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_oracle_stays_out_of_the_library():
    users = {name for name, targets in _graph().items()
             if "fastmlp.reference" in targets and not name.startswith("fastmlp.bench")}
    assert users <= ORACLE_USERS, users - ORACLE_USERS
