"""The package's layers import downwards only, and nothing closes an import circle (issue 11).

Every import counts: module level, inside functions and under ``TYPE_CHECKING``. A failure
names the file, the line and the import. ``docs/architecture.md`` draws the same layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import amzv_pandas

PACKAGE = Path(amzv_pandas.__file__).parent
ROOT = PACKAGE.parent

#: Module prefix -> rank. Higher ranks may import lower ones; equal ranks only without a circle.
#: The domain's packages are ranked among themselves so that data flows one way:
#: parsers < cache < reports, sellers < catalog < sync.
RANKS: dict[str, float] = {
    "amzv_pandas.exceptions": 0,
    "amzv_pandas._version": 0,
    "amzv_pandas._util": 0,
    "amzv_pandas._specs": 1,
    "amzv_pandas._transport": 2,
    "amzv_pandas._parsers": 3.0,
    "amzv_pandas._cache": 3.1,
    "amzv_pandas._reports": 3.2,
    "amzv_pandas._sellers": 3.2,
    "amzv_pandas._datakiosk": 3.25,
    "amzv_pandas._catalog": 3.3,
    "amzv_pandas._sync": 3.4,
    "amzv_pandas._facade": 4,
    "amzv_pandas._frontends": 5,
    "amzv_pandas.__main__": 5,
    "amzv_pandas": 5,  # the package's __init__: the lazy public names
}
LAYER_NAMES = {0: "foundations", 1: "specs", 2: "transport", 3: "domain", 4: "facade", 5: "front ends"}

#: The sandbox's own sub-layers: data <- services <- http <- its public modules.
SANDBOX_RANKS = {"_data": 0, "_services": 1, "_http": 2}
#: What the sandbox may import of the package: its specs and its errors...
SANDBOX_MAY_IMPORT = ("amzv_pandas._specs", "amzv_pandas.exceptions")
#: ...and, inside functions of sandbox/__init__.py only, what Sandbox.client()/.credentials build.
SANDBOX_FUNCTION_ONLY = ("amzv_pandas._facade.client", "amzv_pandas._transport.lwa")


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module(p): p for p in sorted(PACKAGE.rglob("*.py")) if "spapi" not in p.parts}


def _imports(path: Path):
    """(imported module, line, inside a function) for every package import in ``path``."""
    me = _module(path)
    package = me if path.name == "__init__.py" else me.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    in_function = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                   for n in ast.walk(f)}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # ``from . import data`` imports a module, ``from .x import name`` a module's name
            targets = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in MODULES] or [target]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            continue
        for t in targets:
            if t == "amzv_pandas" or t.startswith("amzv_pandas."):
                yield t, node.lineno, id(node) in in_function


def _rank(module: str) -> float:
    best = max((p for p in RANKS if module == p or module.startswith(p + ".")), key=len)
    return RANKS[best]


def _sandbox_rank(module: str) -> int:
    parts = module.split(".")
    return SANDBOX_RANKS.get(parts[2], 3) if len(parts) > 2 else 3


def _is_sandbox(module: str) -> bool:
    return module == "amzv_pandas.sandbox" or module.startswith("amzv_pandas.sandbox.")


def _check(module: str, target: str, in_function: bool) -> str | None:
    """Why ``module`` may not import ``target``, or None."""
    if target not in MODULES:
        return None if target == "amzv_pandas" else f"{target} is not a module of the package"
    if _is_sandbox(module):
        if _is_sandbox(target):
            if _sandbox_rank(target) > _sandbox_rank(module):
                return "a higher sandbox layer"
            return None
        if any(target == p or target.startswith(p + ".") for p in SANDBOX_MAY_IMPORT):
            return None
        if target in SANDBOX_FUNCTION_ONLY and in_function and module == "amzv_pandas.sandbox":
            return None
        return "the sandbox imports only the package's specs and exceptions"
    if _is_sandbox(target):
        # the package reaches the sandbox only from front ends (the demo, the CLI's `amzv sandbox`)
        return None if _rank(module) >= 5 else "only front ends may start the sandbox"
    mine, theirs = _rank(module), _rank(target)
    if theirs > mine:
        return f"{LAYER_NAMES[int(mine)]} ({mine:g}) imports the higher {LAYER_NAMES[int(theirs)]} ({theirs:g})"
    return None


def _graph() -> dict[str, list[tuple[str, int]]]:
    graph: dict[str, list[tuple[str, int]]] = {}
    for module, path in MODULES.items():
        graph[module] = [(t, line) for t, line, _ in _imports(path) if t in MODULES and t != module]
    return graph


def test_every_import_points_down():
    problems = []
    for module, path in MODULES.items():
        for target, line, in_function in _imports(path):
            why = _check(module, target, in_function)
            if why:
                problems.append(f"{path.relative_to(ROOT)}:{line} imports {target}: {why}")
    assert not problems, "\n".join(problems)


def test_no_import_circles():
    graph = _graph()
    # Tarjan's strongly connected components: any component of two or more modules is a circle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w, _ in graph[v]:
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
                circles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    described = []
    for component in circles:
        members = set(component)
        edges = [f"{MODULES[a].relative_to(ROOT)}:{line} imports {b}"
                 for a in component for b, line in graph[a] if b in members]
        described.append("circle of " + ", ".join(component) + ":\n    " + "\n    ".join(edges))
    assert not circles, "\n".join(described)


@pytest.mark.parametrize("module, target, in_function, allowed", [
    ("amzv_pandas._transport.http", "amzv_pandas._reports.api", True, False),
    ("amzv_pandas._reports.api", "amzv_pandas._facade.api", True, False),
    ("amzv_pandas._cache.store", "amzv_pandas._reports.api", False, False),
    ("amzv_pandas._reports.api", "amzv_pandas._cache.store", False, True),
    ("amzv_pandas.sandbox._data.rules", "amzv_pandas._specs.registry", False, True),
    ("amzv_pandas.sandbox._data.rules", "amzv_pandas.sandbox._http.server", False, False),
    ("amzv_pandas.sandbox", "amzv_pandas._facade.client", True, True),
    ("amzv_pandas.sandbox", "amzv_pandas._facade.client", False, False),
    ("amzv_pandas.sandbox._http.server", "amzv_pandas._transport.http", True, False),
])
def test_the_rules_themselves(module, target, in_function, allowed):
    # The checker must be able to fail: known-bad imports are refused, known-good ones pass.
    if target not in MODULES or (module not in MODULES and module != "amzv_pandas.sandbox"):
        pytest.skip(f"{target} or {module} does not exist in this tree")
    assert (_check(module, target, in_function) is None) == allowed


def test_every_module_has_a_layer():
    for module in MODULES:
        if not _is_sandbox(module):
            assert any(module == p or module.startswith(p + ".") for p in RANKS if p != "amzv_pandas") \
                or module == "amzv_pandas", f"{module} belongs to no layer: add it to RANKS and docs/architecture.md"
