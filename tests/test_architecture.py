"""The layout rules of issue 10, checked on the source: short modules, no import cycles, one error edge."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "dvc_trail"
MAX_LINES = 400
DOCSTRINGS_PENDING: tuple[str, ...] = ()
BROAD_EXCEPT_ALLOWED = {"edge.py", "dvcremote.py"}  # the error edge, and the DVC adapter translating DVC's exceptions


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every internal module `name` imports, at the top or inside functions (TYPE_CHECKING blocks excluded)."""
    tree = ast.parse(path.read_text())
    type_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for stmt in block.body
        for node in ast.walk(stmt)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in known}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in known else node.module)
    return {m for m in found if m in known and m != name}


def test_no_module_is_over_400_lines() -> None:
    long = {name: n for name, path in _modules().items() if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert not long, long


def test_no_import_cycles_function_level_imports_included() -> None:
    modules = _modules()
    graph = {name: _imports(name, path, set(modules)) for name, path in modules.items()}
    done: set[str] = set()

    def visit(node: str, stack: list[str]) -> None:
        if node in stack:
            raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(node) :] + [node]))
        if node in done:
            return
        for child in sorted(graph[node]):
            visit(child, [*stack, node])
        done.add(node)

    for name in sorted(graph):
        visit(name, [])


def test_broad_except_only_at_the_edge_and_in_the_dvc_adapter() -> None:
    offenders = []
    for name, path in _modules().items():
        if path.name in BROAD_EXCEPT_ALLOWED and path.parent == PACKAGE:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ExceptHandler) and (
                node.type is None or re.search(r"\b(?:Base)?Exception\b", ast.unparse(node.type))
            ):
                reraises = isinstance(node.body[-1], ast.Raise) and node.body[-1].exc is None
                if not reraises:  # clean-up that re-raises (`except BaseException: undo(); raise`) swallows nothing
                    offenders.append(f"{name}:{node.lineno}")
    assert not offenders, offenders


def test_internal_modules_are_imported_under_their_own_names() -> None:
    renamed = []
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "dvc_trail":
                renamed += [f"{name}: {a.name} as {a.asname}" for a in node.names if a.asname]
    assert not renamed, renamed


def test_every_public_function_has_a_docstring() -> None:
    missing = []
    for name, path in _modules().items():
        if name.startswith(DOCSTRINGS_PENDING):
            continue

        def walk(body: list[ast.stmt], prefix: str) -> None:
            for node in body:
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    if not node.name.startswith("_") and not ast.get_docstring(node):
                        missing.append(f"{prefix}{node.name}")
                elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                    walk(node.body, f"{prefix}{node.name}.")

        walk(ast.parse(path.read_text()).body, f"{name}.")
    assert not missing, missing


def test_fast_ls_imports_no_typer(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "--quiet", str(tmp_path)], check=True)
    for args in (["ls", "--json"], ["ls"], ["-C", str(tmp_path), "ls", "--all"]):
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "dvc_trail", *args], cwd=tmp_path, capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stderr
        imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
        slow = {m for m in imported if m.split(".")[0] in ("typer", "click", "rich", "yaml", "dvc", "subprocess")}
        assert not slow, (args, slow)


def test_every_test_named_in_the_reliability_and_security_docs_exists() -> None:
    root = PACKAGE.parents[1]
    missing = []
    for doc in ("docs/RELIABILITY.md", "docs/SECURITY.md"):
        for line in (root / doc).read_text().splitlines():
            current = None
            for token in re.findall(r"`([^`]+)`", line):
                found = re.fullmatch(r"(tests/\w+\.py)(?:::(\w+))?", token)
                if found:
                    current, name = found[1], found[2]
                elif re.fullmatch(r"test_\w+", token) and current:
                    name = token
                else:
                    continue
                if not (root / current).is_file():
                    missing.append(f"{doc}: {current}")
                elif name and not re.search(rf"^def {name}\(", (root / current).read_text(), re.M):
                    missing.append(f"{doc}: {current}::{name}")
    assert not missing, missing
