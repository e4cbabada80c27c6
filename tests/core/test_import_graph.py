"""The layers by their imports: db/ modules import one another without a circle, and screens/ and ui/ reach the store
only through db/ (never the database library itself)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imported(path: Path) -> set[str]:
    """Every module named by an import anywhere in the file: at module level, inside functions, under `if`."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}  # `from db import audit` names db.audit
    return names


def db_graph() -> dict[str, set[str]]:
    modules = {p.stem for p in (ROOT / "db").glob("*.py") if p.stem != "__init__"}
    graph = {}
    for name in modules:
        graph[name] = {n.split(".")[1] for n in _imported(ROOT / "db" / f"{name}.py")
                       if n.startswith("db.") and n.split(".")[1] in modules} - {name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle of the graph as a path that ends where it starts, or None."""
    state: dict[str, str] = {}  # "open" while on the current path, "done" once every path from it is explored
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == "open":
                return path[path.index(dep):] + [dep]
            if dep not in state and (found := visit(dep)):
                return found
        path.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_cycle_finder_finds_a_circle_through_a_function_level_import():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None
    source = ROOT / "db" / "households.py"
    assert "db.file_access" in _imported(source)


def test_no_import_circle_in_db():
    graph = db_graph()
    assert len(graph) > 20, "db/ should hold the store's modules"
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_screens_and_ui_never_import_the_database_library():
    offenders = [f"{path.relative_to(ROOT)}: {name}"
                 for folder in ("screens", "ui") for path in (ROOT / folder).rglob("*.py")
                 for name in _imported(path) if name.split(".")[0] in {"sqlalchemy", "psycopg", "alembic"}]
    assert not offenders, offenders
    assert list((ROOT / "screens").glob("*.py")) and list((ROOT / "ui").glob("*.py"))


# what each folder may import of ours (the map in docs/architecture.md)
ALLOWED = {"app.py": {"ui"}, "screens": {"ui", "db", "core", "demo"}, "ui": {"ui", "db", "core"},
           "db": {"db", "core", "file_sandbox"}, "core": {"core"}, "file_sandbox.py": {"core"},
           "demo": {"demo", "db", "core"}, "manage.py": {"db", "core", "demo"}}
OURS = {"app", "screens", "ui", "db", "core", "file_sandbox", "demo", "manage", "bench", "tests"}


def test_each_folder_imports_only_the_layers_below_it():
    offenders = []
    for where, allowed in ALLOWED.items():
        paths = [ROOT / where] if where.endswith(".py") else list((ROOT / where).rglob("*.py"))
        assert paths and all(p.exists() for p in paths), where
        for path in paths:
            offenders += [f"{path.relative_to(ROOT)}: {name}" for name in _imported(path)
                          if name.split(".")[0] in OURS and name.split(".")[0] not in allowed]
    assert not offenders, offenders
