"""Production's static files storage gives the same addresses as whitenoise's, worked out once (core/storage.py)."""

import json

import pytest
from whitenoise.storage import CompressedManifestStaticFilesStorage

from core.storage import StaticFilesStorage

PATHS = {"css/app.css": "css/app.0123456789ab.css", "js/app.js": "js/app.ba9876543210.js"}


def manifest(directory, paths: dict) -> None:
    (directory / "staticfiles.json").write_text(json.dumps({"paths": paths, "version": "1.1", "hash": "x"}))


@pytest.fixture
def production(settings):
    settings.DEBUG = False


def test_addresses_are_whitenoises_hashed_ones(tmp_path, production):
    manifest(tmp_path, PATHS)
    ours = StaticFilesStorage(location=tmp_path, base_url="/static/")
    theirs = CompressedManifestStaticFilesStorage(location=tmp_path, base_url="/static/")
    for name in [*PATHS, "css/app.css", "css/app.css#top"]:
        assert ours.url(name) == theirs.url(name)
    assert ours.url("css/app.css") == "/static/css/app.0123456789ab.css"


def test_a_file_missing_from_the_manifest_is_refused_every_time(tmp_path, production):
    manifest(tmp_path, PATHS)
    storage = StaticFilesStorage(location=tmp_path, base_url="/static/")
    for _attempt in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("css/missing.css")


def test_collecting_the_files_again_in_the_same_process_gives_the_new_addresses(tmp_path, production):
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "app.css").write_text("body { color: black; }")
    manifest(tmp_path, {"css/app.css": "css/app.old000000000.css"})
    storage = StaticFilesStorage(location=tmp_path, base_url="/static/")
    assert storage.url("css/app.css") == "/static/css/app.old000000000.css"

    list(storage.post_process({"css/app.css": (storage, "css/app.css")}))

    assert storage.url("css/app.css") == f"/static/{storage.hashed_files['css/app.css']}"
    assert "old000000000" not in storage.url("css/app.css")
