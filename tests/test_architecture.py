"""The shape of the code, read from the source with ast: the app graph and the length of functions.

The app graph (README, "Architecture"): each app imports only the apps below it.

core → registry → accounts → referrals → reports → privacy → ops → config. `core` imports no app of ours; the
registry knows nothing of units, patients or reports; nothing but `config` imports `privacy`, the layer that
watches the domain apps. A lower app tells a higher one something through a signal or a session flag.
"""

import ast
import re
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
LAYERS = ["core", "registry", "accounts", "referrals", "reports", "privacy", "ops", "config"]
# Apps that may import privacy (the site's assembly: its URLs, menu and home page).
PRIVACY_IMPORTERS = {"config"}
# A function longer than this is split for reading (migrations are generated, so they do not count).
LONGEST_FUNCTION = 80
LONG_FUNCTIONS_ALLOWED: set[str] = set()
SKIPPED_FOLDERS = {".git", ".venv", "node_modules", "vendor", "migrations"}


def imported_apps(source: str) -> list[tuple[int, str]]:
    """(line, top-level package) of every absolute import in `source`, inside functions too."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def violations(app: str, path: str, source: str) -> list[str]:
    rank = {name: index for index, name in enumerate(LAYERS)}
    problems = []
    for line, imported in imported_apps(source):
        if imported not in rank or imported == app:
            continue
        if rank[imported] > rank[app]:
            problems.append(f"{path}:{line}: {app} imports {imported}, which is above it")
        elif imported == "privacy" and app not in PRIVACY_IMPORTERS:
            problems.append(f"{path}:{line}: {app} imports privacy; only {', '.join(PRIVACY_IMPORTERS)} may")
    return problems


def app_modules():
    for app in LAYERS:
        for path in sorted((BASE_DIR / app).rglob("*.py")):
            yield app, path


def test_every_app_exists():
    assert [app for app in LAYERS if not (BASE_DIR / app / "apps.py").exists()] == []


def test_no_app_imports_against_the_graph():
    problems = []
    for app, path in app_modules():
        problems += violations(app, str(path.relative_to(BASE_DIR)), path.read_text(encoding="utf-8"))
    assert problems == []


@pytest.mark.parametrize(
    ("app", "source", "expected"),
    [
        (
            "registry",
            "from accounts.access import patient_units\n",
            ["x.py:1: registry imports accounts, which is above it"],
        ),
        (
            "accounts",
            "def f():\n    from privacy import services\n",
            ["x.py:2: accounts imports privacy, which is above it"],
        ),
        ("ops", "import privacy.models\n", ["x.py:1: ops imports privacy; only config may"]),
        ("core", "import referrals\n", ["x.py:1: core imports referrals, which is above it"]),
        ("reports", "from referrals.models import PatientContact\nfrom core import periods\nimport django\n", []),
        ("config", "from privacy import navigation\n", []),
    ],
)
def test_the_check_finds_imports_against_the_graph(app, source, expected):
    assert violations(app, "x.py", source) == expected


TEMPLATE_USE = re.compile(r'\{%\s*(?:include|extends)\s+"([a-z_]+)/')


def template_violations(app: str, path: str, source: str) -> list[str]:
    """An app's templates (templates/<app>/) include and extend only their own, those of apps below them and the
    site-wide ones at the top of templates/ (base.html, _field.html, ...)."""
    rank = {name: index for index, name in enumerate(LAYERS)}
    return [
        f"{path}: {app} uses a template of {used}, which is above it"
        for used in TEMPLATE_USE.findall(source)
        if used in rank and rank[used] > rank[app]
    ]


def test_no_template_uses_one_against_the_graph():
    problems = []
    for app in LAYERS:
        for path in sorted((BASE_DIR / "templates" / app).rglob("*.html")):
            problems += template_violations(app, str(path.relative_to(BASE_DIR)), path.read_text(encoding="utf-8"))
    assert problems == []


def test_the_template_check_finds_a_registry_template_using_a_referrals_one():
    source = '{% extends "base.html" %}{% include "referrals/_checkbox.html" %}{% include "registry/_x.html" %}'
    assert template_violations("registry", "x.html", source) == [
        "x.html: registry uses a template of referrals, which is above it"
    ]
    assert template_violations("config", "x.html", source) == []


def long_functions(path: str, source: str, limit: int = LONGEST_FUNCTION) -> list[str]:
    """`path::name (lines)` of every function or method in `source` longer than `limit` lines, nested ones too."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = node.end_lineno - node.lineno + 1
            if length > limit:
                found.append(f"{path}::{node.name} ({length} lines)")
    return found


def python_files():
    for path in sorted(BASE_DIR.rglob("*.py")):
        if not SKIPPED_FOLDERS.intersection(path.relative_to(BASE_DIR).parts):
            yield path


def test_no_function_outside_migrations_runs_over_80_lines():
    problems = []
    for path in python_files():
        problems += long_functions(str(path.relative_to(BASE_DIR)), path.read_text(encoding="utf-8"))
    names = {problem.split(" (")[0] for problem in problems}
    assert [problem for problem in problems if problem.split(" (")[0] not in LONG_FUNCTIONS_ALLOWED] == []
    assert LONG_FUNCTIONS_ALLOWED - names == set(), "split now: take it off LONG_FUNCTIONS_ALLOWED"


def test_the_length_check_counts_every_line_of_a_function():
    source = "def short():\n    pass\n\n\nclass Page:\n    async def long(self):\n" + "        x = 1\n" * 80
    assert long_functions("x.py", source) == ["x.py::long (81 lines)"]
    assert long_functions("x.py", source, limit=81) == []
