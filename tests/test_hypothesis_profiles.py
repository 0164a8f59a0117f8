"""CI draws the same hypothesis examples every run; a local run draws new ones."""

import os
from pathlib import Path

from hypothesis import settings


def test_ci_profile_is_derandomized_and_the_local_one_is_not():
    assert settings.get_profile("ci").derandomize is True
    assert settings.get_profile("dev").derandomize is False


def test_ci_selects_the_derandomized_profile():
    script = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert "export HYPOTHESIS_PROFILE=ci" in script


def test_the_profile_named_in_the_environment_is_the_one_in_use():
    assert settings.default.derandomize is (os.environ.get("HYPOTHESIS_PROFILE", "dev") == "ci")
