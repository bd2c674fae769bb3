"""The layers, where `lint-imports` cannot look: the names the store imports, the size of the
package's top level, and import cycles among the service's modules (pyproject.toml
``[tool.importlinter]`` has the layer contracts themselves).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "calendar_service"

# Request-handling names: the store is called by the web layer and never reaches back into it.
HTTP_NAMES = frozenset(
    {"request", "url_for", "abort", "session", "redirect", "make_response", "jsonify", "Response"}
)
MAX_TOP_LEVEL_MODULES = 12


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def service_modules() -> dict[str, Path]:
    """Every module of the service by dotted name (not the migration scripts, which are data)."""
    return {
        module_name(path): path
        for path in sorted(PACKAGE.rglob("*.py"))
        if "migrations" not in path.relative_to(PACKAGE).parts
    }


# --- names the store imports -------------------------------------------------------------------


def http_imports(tree: ast.Module) -> Iterator[str]:
    """Each HTTP name ``tree`` imports from flask, and each import of werkzeug.exceptions."""
    flask_aliases: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            package = node.module.split(".")[0]
            if node.module == "werkzeug.exceptions" or node.module.startswith(
                "werkzeug.exceptions."
            ):
                yield f"from {node.module} import ..."
            elif node.module == "werkzeug" and any(a.name == "exceptions" for a in node.names):
                yield "from werkzeug import exceptions"
            elif package == "flask":
                yield from (
                    f"from {node.module} import {a.name}"
                    for a in node.names
                    if a.name in HTTP_NAMES | {"*"}
                )
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("werkzeug.exceptions"):
                    yield f"import {alias.name}"
                elif alias.name == "flask":
                    flask_aliases.add(alias.asname or "flask")
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in flask_aliases
            and node.attr in HTTP_NAMES
        ):
            yield f"flask.{node.attr}"


def test_http_imports_are_found() -> None:
    found = list(
        http_imports(
            ast.parse(
                "import flask\n"
                "from flask import Flask, request as r, url_for\n"
                "from werkzeug.exceptions import NotFound\n"
                "from werkzeug.security import check_password_hash\n"
                "def f():\n"
                "    from flask.helpers import abort\n"
                "    return flask.session, flask.current_app\n"
            )
        )
    )
    assert sorted(found) == sorted(
        [
            "from flask import request",
            "from flask import url_for",
            "from werkzeug.exceptions import ...",
            "from flask.helpers import abort",
            "flask.session",
        ]
    )


def test_the_store_imports_no_request_handling_names() -> None:
    store = PACKAGE / "store"
    found = {
        str(path.relative_to(PACKAGE.parent)): names
        for path in sorted(store.rglob("*.py"))
        if (names := list(http_imports(ast.parse(path.read_text(encoding="utf-8")))))
    }
    assert found == {}, "the store knows no HTTP: raise store errors, let the web layer answer"


# --- the top level -----------------------------------------------------------------------------


def test_the_package_top_level_stays_small() -> None:
    modules = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(modules) <= MAX_TOP_LEVEL_MODULES, (
        f"calendar_service/ has {len(modules)} top-level modules ({', '.join(modules)}): "
        "put new ones in the package they belong to"
    )


# --- import cycles -----------------------------------------------------------------------------


def is_type_checking_test(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_modules(node: ast.AST, known: set[str], *, deferred: bool) -> Iterator[str]:
    """The modules of ``known`` that ``node`` imports when its module runs (``deferred``: and
    when its functions run).  ``from a import b`` imports the module a.b when there is one, else a.

    Imports under ``if TYPE_CHECKING:`` never run and are left out; `lint-imports` sees them.
    """
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names if alias.name in known)
    elif isinstance(node, ast.ImportFrom):
        if node.module and node.level == 0 and node.module in known:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                yield submodule if submodule in known else node.module
    elif isinstance(node, ast.If) and is_type_checking_test(node.test):
        for statement in node.orelse:
            yield from imported_modules(statement, known, deferred=deferred)
    elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not deferred:
        return
    else:
        for child in ast.iter_child_nodes(node):
            yield from imported_modules(child, known, deferred=deferred)


def import_graph(sources: dict[str, str], *, deferred: bool) -> dict[str, set[str]]:
    """Module -> the modules of ``sources`` it imports."""
    known = set(sources)
    return {
        name: set(imported_modules(ast.parse(source), known, deferred=deferred)) - {name}
        for name, source in sources.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in sorted(graph[module]):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return sorted(found)


def sources() -> dict[str, str]:
    return {name: path.read_text(encoding="utf-8") for name, path in service_modules().items()}


def test_the_cycle_check_finds_a_cycle() -> None:
    fake = {
        "pkg": "",
        "pkg.a": "from pkg.b import thing\n",
        "pkg.b": "from pkg import c\n",
        "pkg.c": "import pkg.a\n",
        "pkg.d": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.a\n",
        "pkg.e": "import pkg.d\ndef later():\n    import pkg.e\n    from pkg import d\n",
        "pkg.f": "def later():\n    from pkg.g import x\n",
        "pkg.g": "from pkg.f import later\n",
    }
    assert cycles(import_graph(fake, deferred=False)) == [["pkg.a", "pkg.b", "pkg.c"]]
    assert cycles(import_graph(fake, deferred=True)) == [
        ["pkg.a", "pkg.b", "pkg.c"],
        ["pkg.f", "pkg.g"],
    ]


def test_no_module_level_import_cycles() -> None:
    assert cycles(import_graph(sources(), deferred=False)) == []


def test_no_import_cycles_through_deferred_imports_either() -> None:
    assert cycles(import_graph(sources(), deferred=True)) == []
