"""The sandbox's sub-layers import downwards only: data <- services <- http <- the facade (issue 11).

Every import counts (module level, inside functions, under ``TYPE_CHECKING``). The sandbox
imports of the package only its specs and errors; the client and credentials only inside
functions of ``sandbox/__init__.py``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import amzv_pandas.sandbox as sandbox

ROOT = Path(sandbox.__file__).parent
RANK = {"_data": 0, "_services": 1, "_http": 2}
#: Modules of the package the sandbox may import (anywhere).
SPECS = {"amzv_pandas._specs.marketplaces", "amzv_pandas._specs.operations", "amzv_pandas._specs.registry", "amzv_pandas._specs.dates",
         "amzv_pandas.exceptions"}
#: ... and, inside functions of sandbox/__init__.py only.
FACADE_ONLY = {"amzv_pandas._transport.http", "amzv_pandas._transport.lwa"}


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path):
    """(target module, line, inside a function) for every import of ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module(path) if path.name == "__init__.py" else _module(path).rsplit(".", 1)[0]
    functions = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                 for n in ast.walk(f)}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [f"{target}.{a.name}" for a in node.names]
            yield target, names, node.lineno, id(node) in functions
        elif isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, [a.name], node.lineno, id(node) in functions


def _layer(module: str) -> int:
    parts = module.split(".")
    assert parts[:2] == ["amzv_pandas", "sandbox"], module
    return RANK.get(parts[2], 3) if len(parts) > 2 else 3  # sandbox/__init__, data.py, static.py: the facade


def test_sublayers_import_downwards_and_the_package_only_through_its_specs():
    problems = []
    graph: dict[str, set[str]] = {}
    for path in sorted(ROOT.rglob("*.py")):
        if "spapi" in path.parts:
            continue
        me = _module(path)
        for target, names, line, in_function in _imports(path):
            where = f"{path.relative_to(ROOT.parent.parent)}:{line} imports {target}"
            if target.startswith("amzv_pandas.sandbox"):
                # "from . import data" names a module too
                mods = [n for n in names if (ROOT.parent.parent / Path(*n.split("."))).with_suffix(".py").exists()]
                for mod in mods or [target]:
                    graph.setdefault(me, set()).add(mod)
                    if _layer(mod) > _layer(me):
                        problems.append(f"{where}: a higher sandbox layer")
            elif target.startswith("amzv_pandas"):
                if target in SPECS or target == "amzv_pandas":
                    continue
                if target in FACADE_ONLY and in_function and me == "amzv_pandas.sandbox":
                    continue
                problems.append(f"{where}: not one of the package's specs")
    # no circles among the sandbox's own modules
    def visit(node, stack):
        if node in stack:
            problems.append("circle: " + " -> ".join(stack[stack.index(node):] + [node]))
            return
        for nxt in sorted(graph.get(node, ())):
            if nxt != node:
                visit(nxt, stack + [node])
    for start in sorted(graph):
        visit(start, [])
    assert not problems, "\n".join(sorted(set(problems)))
