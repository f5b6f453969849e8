"""The layout rules of issues 10 and 18, checked on the source: short modules, rooms by domain with no import
cycle between modules or between rooms, one error edge, git started only in git/."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "dvc_trail"
MAX_LINES = 400
DOCSTRINGS_PENDING: tuple[str, ...] = ()
BROAD_EXCEPT_ALLOWED = {"edge.py", "dvc/remote.py"}  # the error edge, and the DVC adapter translating DVC's exceptions
MAX_TOP_LEVEL = (
    12  # modules at the top of the package; everything else lives in a room (subpackage) named by its domain
)
PROCESS_MODULES = {"git/process.py", "dvc/adapter.py"}  # the only modules that import subprocess
# Imports between rooms that close a cycle and need a design change, not a move (issue 18 removes them):
ROOM_CYCLES_ALLOWED = {
    # store/revisions.py fetches missing metrics objects through the DVC adapter (`--fetch`), and the adapter
    # reads and writes through store/objects.py and store/worktree.py. Issue 18: inject the fetcher instead.
    ("store", "dvc"),
}

# Rooms from the bottom up, with why each sits where it does: a room imports only rooms of LOWER layers (peers in
# one layer import each other neither), function-level imports included, TYPE_CHECKING blocks excluded. The order
# is today's import graph made explicit; ROOM_CYCLES_ALLOWED are the only upward edges.
LAYERS: list[tuple[tuple[str, ...], str]] = [
    (("dvc_trail", "secrets", "shorthand", "argv"), "import nothing of ours: the version, masking, short ids, argv"),
    (("errors",), "the error types every room raises; their messages are masked by secrets"),
    (("registry", "dvcfiles"), "pure grammar, no I/O: GTO tags and registry state; DVC's files as data"),
    (("git",), "the only room that starts git (and holds the GitReader seam); returns registry records"),
    (("store",), "what commits and the work tree record, read through a GitReader"),
    (("dvc",), "the DVC adapter, reading and writing the local cache through store"),
    (("config", "project"), "trail.yaml; one repository as a registry: git and store feeding the registry"),
    (("lineage",), "stage graphs over a project's commits"),
    (("metrics",), "diffs, gates and trends over a project's revisions (lineage for the PR report)"),
    (("render",), "inert text per medium for the results of metrics and store"),
    (("demo", "sharing"), "the guided tour; publish/get/verify/doctor: a project's data to and from remotes"),
    (("site",), "the static site: reads every room below, and sharing's registry client"),
    (("api", "edge"), "the Python API over sharing and site; the one error edge over render"),
    (("cli",), "Typer commands: arguments -> core call -> renderer"),
    (("main",), "the entry point: the fast paths, then cli"),
    (("__main__",), "`python -m dvc_trail`"),
]
PROCESS_BOUNDS = {"MAX_BLOB", "MAX_BLOBS"}  # git.process's size limits, shared with the work-tree reader


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _room(module: str) -> str:
    """The room of a module: its subpackage under dvc_trail, or the top-level module itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _relative(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def _runtime_nodes(tree: ast.Module) -> list[ast.AST]:
    """Every node of a module but those inside `if TYPE_CHECKING:` blocks."""
    type_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for stmt in block.body
        for node in ast.walk(stmt)
    }
    return [node for node in ast.walk(tree) if id(node) not in type_only]


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every internal module `name` imports, at the top or inside functions (TYPE_CHECKING blocks excluded)."""
    found = set()
    for node in _runtime_nodes(ast.parse(path.read_text())):
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


def test_at_most_12_top_level_modules() -> None:
    top = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL, top


def test_no_import_cycle_between_rooms() -> None:
    """Subpackages (and top-level modules, each its own room) import each other in one direction only."""
    modules = _modules()
    known = set(modules)
    rooms: dict[str, set[str]] = {}
    for name, path in modules.items():
        for imported in _imports(name, path, known):
            if _room(name) != _room(imported) and (_room(name), _room(imported)) not in ROOM_CYCLES_ALLOWED:
                rooms.setdefault(_room(name), set()).add(_room(imported))
    done: set[str] = set()

    def visit(node: str, stack: list[str]) -> None:
        if node in stack:
            raise AssertionError("import cycle between rooms: " + " -> ".join(stack[stack.index(node) :] + [node]))
        if node in done:
            return
        for child in sorted(rooms.get(node, ())):
            visit(child, [*stack, node])
        done.add(node)

    for room in sorted(rooms):
        visit(room, [])
    for importer, imported in ROOM_CYCLES_ALLOWED:  # an allowed edge that no longer exists is removed from the list
        assert any(
            _room(n) == importer and any(_room(m) == imported for m in _imports(n, p, known))
            for n, p in modules.items()
        ), (importer, imported)


def test_no_room_imports_a_room_above_it() -> None:
    """LAYERS, checked: each import goes down (or is an allowed cycle edge); every room has its layer."""
    modules = _modules()
    layer = {room: n for n, (rooms, _) in enumerate(LAYERS) for room in rooms}
    assert sorted(layer) == sorted({room for rooms, _ in LAYERS for room in rooms}), "a room listed twice"
    unplaced = sorted({_room(name) for name in modules} - set(layer))
    assert not unplaced, f"place these rooms in LAYERS: {unplaced}"
    upward = []
    for name, path in modules.items():
        for imported in _imports(name, path, set(modules)):
            low, high = _room(name), _room(imported)
            if low != high and layer[high] >= layer[low] and (low, high) not in ROOM_CYCLES_ALLOWED:
                upward.append(f"{name} ({low}, layer {layer[low]}) imports {imported} ({high}, layer {layer[high]})")
    assert not upward, upward


def test_git_is_started_only_through_the_repository_adapter() -> None:
    """Outside git/, no module imports git.process (the process starter), save its size bounds."""
    offenders = []
    for name, path in _modules().items():
        if name.startswith("dvc_trail.git."):
            continue
        for node in _runtime_nodes(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                offenders += [f"{name}:{node.lineno}" for a in node.names if a.name == "dvc_trail.git.process"]
            elif isinstance(node, ast.ImportFrom) and node.module == "dvc_trail.git":
                offenders += [f"{name}:{node.lineno}" for a in node.names if a.name == "process"]
            elif isinstance(node, ast.ImportFrom) and node.module == "dvc_trail.git.process":
                offenders += [f"{name}:{node.lineno}: {a.name}" for a in node.names if a.name not in PROCESS_BOUNDS]
    assert not offenders, offenders


def test_only_git_and_the_dvc_adapter_start_processes() -> None:
    offenders = []
    for name, path in _modules().items():
        if _relative(path) in PROCESS_MODULES:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "subprocess" for a in node.names):
                offenders.append(f"{name}:{node.lineno}")
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "subprocess":
                offenders.append(f"{name}:{node.lineno}")
    assert not offenders, offenders


def test_broad_except_only_at_the_edge_and_in_the_dvc_adapter() -> None:
    offenders = []
    for name, path in _modules().items():
        if _relative(path) in BROAD_EXCEPT_ALLOWED:
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
    """No alias in any form: `import dvc_trail.x as y`, `from dvc_trail(.x) import y as z` (module or function)."""
    renamed = []
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                internal = [a for a in node.names if a.name.split(".")[0] == "dvc_trail"]
            elif isinstance(node, ast.ImportFrom):
                internal = node.names if (node.module or "").split(".")[0] == "dvc_trail" or node.level else []
            else:
                continue
            renamed += [f"{name}:{node.lineno}: {a.name} as {a.asname}" for a in internal if a.asname]
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
                found = re.fullmatch(r"(tests/(?:\w+/)*\w+\.py)(?:::(\w+))?", token)
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


def test_every_command_is_named_explicitly() -> None:
    """Each `@command("NAME")` names its command: a function's name (or an alias of it) never decides one."""
    unnamed = []
    for name, path in _modules().items():
        if not name.startswith("dvc_trail.cli."):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            for deco in getattr(node, "decorator_list", []):
                call = deco if isinstance(deco, ast.Call) else None
                target = ast.unparse(call.func if call else deco)
                if target not in ("command", "app.command"):
                    continue
                args = [
                    *(call.args if call else []),
                    *(k.value for k in (call.keywords if call else []) if k.arg == "name"),
                ]
                if not (
                    args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str) and args[0].value
                ):
                    unnamed.append(f"{name}:{deco.lineno}: @{ast.unparse(deco)}")
    assert not unnamed, unnamed
    from dvc_trail.cli import app

    assert all(c.name for c in app.registered_commands), [c.callback for c in app.registered_commands if not c.name]
