"""The app graph (README, "Architecture"): each app imports only the apps below it, read from the source with ast.

core → registry → accounts → referrals → reports → privacy → ops → config. `core` imports no app of ours; the
registry knows nothing of units, patients or reports; nothing but `config` imports `privacy`, the layer that
watches the domain apps. A lower app tells a higher one something through a signal or a session flag.
"""

import ast
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
LAYERS = ["core", "registry", "accounts", "referrals", "reports", "privacy", "ops", "config"]
# Apps that may import privacy (the site's assembly: its URLs, menu and home page).
PRIVACY_IMPORTERS = {"config"}


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
