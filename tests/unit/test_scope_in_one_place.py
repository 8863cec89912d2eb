"""Department scope is applied in one place (control/core/scope.py): no other module reads the actor's
scope path or checks a department by hand, so a new query cannot forget or misspell the scope."""
from __future__ import annotations

import ast
from pathlib import Path

CONTROL = Path(__file__).resolve().parents[2] / "control"
ALLOWED = {CONTROL / "core" / "scope.py", CONTROL / "core" / "auth.py"}


def hand_written_scope(source: str) -> list[tuple[int, str]]:
    """(line, attribute) of every `x.scope_path` read and `x.check_department(...)` call."""
    return sorted((node.lineno, node.attr) for node in ast.walk(ast.parse(source))
                  if isinstance(node, ast.Attribute) and node.attr in {"scope_path", "check_department"})


def test_no_module_spells_the_scope_outside_core_scope():
    found = [f"{path.relative_to(CONTROL.parent)}:{line} uses .{attr}"
             for path in sorted(CONTROL.rglob("*.py")) if path not in ALLOWED
             for line, attr in hand_written_scope(path.read_text(encoding="utf-8"))]
    assert found == [], "use control.core.scope (scoped, get_scoped, under_department, visible_department)"


def test_the_scan_sees_the_old_spellings():
    old = ("if actor.scope_path is not None:\n"
           "    stmt = stmt.where(Department.path.startswith(actor.scope_path))\n"
           "actor.check_department(session.get(Department, row.department_id))\n")
    assert hand_written_scope(old) == [(1, "scope_path"), (2, "scope_path"), (3, "check_department")]
