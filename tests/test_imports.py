"""The package's import structure (issue "One place per concept"): no import cycles, the NumPy
oracle kept out of the library, and the layout's one direction -- the model and its training
at the top level, the concerns built on them in subpackages the top level does not import.

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

#: Subpackages built on the core (the top-level modules): the notes' classics, evaluation,
#: the command line, ONNX export, the scikit-learn estimators, the benchmark.
BUILT_ON_THE_CORE = ("fastmlp.classic", "fastmlp.evaluation", "fastmlp.cli", "fastmlp.export",
                     "fastmlp.sklearn", "fastmlp.bench")

#: The documented import paths of modules that moved into a subpackage: each re-exports the
#: module it names (tests/test_layout.py holds them to it).
ALIASES = {
    "fastmlp.metrics": "fastmlp.evaluation.metrics",
    "fastmlp.model_selection": "fastmlp.evaluation.model_selection",
    "fastmlp.optimize": "fastmlp.classic.optimize",
    "fastmlp.demos": "fastmlp.classic.demos",
    "fastmlp.preprocessing": "fastmlp.cli.preprocessing",
    "fastmlp.table_model": "fastmlp.cli.table_model",
}

#: Top-level modules that reach every part of the package on purpose: ``python -m fastmlp``
#: runs the command line, and ``fastmlp.warmup()`` compiles the estimators' kernels too.
ENTRY_POINTS = {"fastmlp.__main__", "fastmlp.warmup"}


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


def test_the_core_does_not_import_what_is_built_on_it():
    graph = _graph()
    for source, target in DELEGATIONS:
        graph[source].discard(target)
    top_level = [name for name, path in _modules().items()
                 if path.parent == ROOT and path.name != "__init__.py"
                 and name not in ALIASES and name not in ENTRY_POINTS]
    assert "fastmlp.network" in top_level and "fastmlp.cli" not in top_level
    upward = {(name, target) for name in top_level for target in graph[name]
              if target.startswith(BUILT_ON_THE_CORE)}
    assert upward == set(), upward


def test_the_aliases_are_the_only_top_level_modules_of_moved_code():
    graph = _graph()
    for alias, home in ALIASES.items():
        assert graph[alias] == {home}, alias
