"""The layers of ../shared/DESIGN.md, read from the source with `ast`: core imports nothing above it,
and the shared web helpers import no domain. Function-level imports count: they hide cycles."""
from __future__ import annotations

import ast
from pathlib import Path

CONTROL = Path(__file__).resolve().parents[2] / "control"
DOMAINS = {"org", "systems", "zombies", "migration", "cloud", "automation", "reporting", "devices"}
# Page routers that compose several domains (home dashboard, users, audit labels). They are routes,
# not shared helpers; every other module of web/ is used by the domains' pages and must not import them.
WEB_PAGE_ROUTERS = {"pages.py", "audit_pages.py"}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in the file, wherever it sits (module level or in a function)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def offences(files, allowed) -> list[str]:
    out = []
    for path in files:
        for line, module in imported_modules(path):
            parts = module.split(".")
            if parts[0] == "control" and len(parts) > 1 and not allowed(parts[1]):
                out.append(f"{path.relative_to(CONTROL.parent)}:{line} imports {module}")
    return out


def test_core_imports_nothing_above_it():
    assert offences(sorted((CONTROL / "core").glob("*.py")), lambda top: top == "core") == []


def test_shared_web_helpers_import_no_domain():
    files = [p for p in sorted((CONTROL / "web").glob("*.py")) if p.name not in WEB_PAGE_ROUTERS]
    assert offences(files, lambda top: top not in DOMAINS and top not in {"navigation", "app"}) == []


def test_the_check_sees_function_level_imports(tmp_path):
    """The old core/errors.py imported web/render.py inside a handler: such an import is found."""
    f = tmp_path / "errors.py"
    f.write_text("def handler():\n    from control.web.render import render_error_page\n")
    assert imported_modules(f) == [(2, "control.web.render"), (2, "control.web.render.render_error_page")]


# Modules that carry a flow across domains: they call the other domains' services, never write their models.
FLOWS = {CONTROL / "zombies" / "cleanup.py": "zombies"}


def test_flows_call_other_domains_through_their_services():
    def allowed(path: Path, module: str) -> bool:
        parts = module.split(".")
        return not (parts[0] == "control" and len(parts) > 2 and parts[1] in DOMAINS
                    and parts[1] != FLOWS[path] and parts[2] == "models")
    found = [f"{path.relative_to(CONTROL.parent)}:{line} imports {module}"
             for path in FLOWS for line, module in imported_modules(path) if not allowed(path, module)]
    assert found == []
