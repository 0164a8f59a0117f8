"""README, Makefile, Dockerfile and compose.yaml tell the same story as the code.

No Docker engine runs here, so these checks keep the Dockerfile on the Makefile's commands.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
GUNICORN = "gunicorn -c config/gunicorn.conf.py config.wsgi"


def _read(name: str) -> str:
    return (BASE_DIR / name).read_text(encoding="utf-8")


def environment_variables_read_by_the_code() -> set[str]:
    settings_source = _read("config/settings.py")
    names = set(re.findall(r'env\.\w+\(\s*"([A-Z][A-Z0-9_]*)"', settings_source))
    names |= set(re.findall(r'require_secret\(\s*"([A-Z][A-Z0-9_]*)"', settings_source))
    names |= set(re.findall(r'os\.environ\.get\(\s*"([A-Z][A-Z0-9_]*)"', _read("config/gunicorn.conf.py")))
    return names


def test_readme_configuration_table_lists_every_environment_variable():
    readme = _read("README.md")
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", table, re.MULTILINE))
    missing = environment_variables_read_by_the_code() - documented
    assert not missing, f"Add these variables to README's Configuration table: {sorted(missing)}"


def test_readme_quick_start_has_exactly_the_two_make_commands():
    quick_start = _read("README.md").split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = quick_start.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make run", "make test"]


def test_readme_has_a_section_for_every_area():
    headings = set(re.findall(r"^## (.+)$", _read("README.md"), re.MULTILINE))
    assert {
        "Quick start",
        "Configuration",
        "Running on PostgreSQL",
        "Deployment",
        "Meeting registry",
        "Referral recording",
        "Reports",
        "Security and data lifecycle",
        "Testing",
        "Performance",
        "Data sources",
    } <= headings


def test_readme_demo_users_match_seed_demo():
    from accounts.demo import DEMO_USERS

    readme = _read("README.md")
    assert settings.DEMO_PASSWORD in readme
    for user in DEMO_USERS:
        assert f"| `{user.username}` |" in readme


def test_make_run_and_docker_start_gunicorn_with_the_same_configuration():
    assert GUNICORN in _read("Makefile")
    assert f"exec {GUNICORN}" in _read("Dockerfile")


def test_dockerfile_builds_assets_with_the_makefile_and_runs_as_a_user():
    dockerfile = _read("Dockerfile")
    assert re.search(r"^FROM node:20\S* AS assets$", dockerfile, re.MULTILINE)
    assert "RUN make assets" in dockerfile
    assert re.search(r"^FROM python:3\.11-slim\S* AS app$", dockerfile, re.MULTILINE)
    assert "pip install -r requirements.txt" in dockerfile
    assert "COPY --from=assets /build/static/vendor/ static/vendor/" in dockerfile
    assert "manage.py collectstatic --noinput" in dockerfile
    assert "libpango" in dockerfile
    assert re.search(r"^USER app$", dockerfile, re.MULTILINE)
    assert "BIND=0.0.0.0:8000" in dockerfile
    assert 'CMD ["python", "-m", "config.healthcheck"]' in dockerfile


def test_makefile_assets_are_what_the_templates_load():
    makefile = _read("Makefile")
    base = _read("templates/base.html")
    for asset in re.findall(r"\{% static '(vendor/[^']+)' %\}", base):
        assert f"static/{asset}" in makefile, f"{asset} is loaded by base.html but not copied by `make assets`"


def test_compose_runs_postgresql_migrations_and_the_app():
    compose = _read("compose.yaml")
    assert "image: postgres:" in compose
    assert "DATABASE_URL: postgres://" in compose
    assert '["python", "manage.py", "migrate", "--noinput"]' in compose
    assert "condition: service_completed_successfully" in compose


def test_dockerignore_keeps_local_environments_out_of_the_image():
    ignored = set(_read(".dockerignore").split())
    assert {".git", ".venv", "node_modules", "var", ".env"} <= ignored


@pytest.mark.parametrize(
    ("allowed_hosts", "host"),
    [
        (".example.no,localhost", "example.no"),
        ("*", "localhost"),
        ("", "localhost"),
        (" selvhjelp.no ", "selvhjelp.no"),
    ],
)
def test_container_health_check_uses_a_host_the_app_accepts(monkeypatch, allowed_hosts, host):
    from config import healthcheck

    monkeypatch.setenv("ALLOWED_HOSTS", allowed_hosts)
    assert healthcheck.allowed_host() == host


def test_container_health_check_passes_against_a_running_app(live_server, monkeypatch):
    from config import healthcheck

    monkeypatch.setenv("BIND", f"0.0.0.0:{live_server.url.rsplit(':', 1)[-1]}")
    monkeypatch.setenv("ALLOWED_HOSTS", "localhost")
    assert healthcheck.main() == 0


def test_container_health_check_fails_when_nothing_answers(monkeypatch):
    from config import healthcheck

    monkeypatch.setenv("BIND", "0.0.0.0:9")
    assert healthcheck.main() == 1
