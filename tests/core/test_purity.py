"""core/ is the policy as code: it must import neither the UI nor the database library."""

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "core"
FORBIDDEN = {"streamlit", "sqlalchemy", "alembic", "psycopg", "streamlit_authenticator"}


def test_core_imports_no_ui_or_database_library():
    offenders = []
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert not offenders, offenders
    assert list(CORE.rglob("*.py")), "core/ should not be empty"
