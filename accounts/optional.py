"""Optional cooperation between apps: import `<app>.<module>` if it exists.

Apps plug into shared pages (menu, demo data) through modules with agreed names.
A module that does not exist contributes nothing; an import error *inside* an
existing module is a bug and is raised.
"""

import importlib
from types import ModuleType


def optional_module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name == name or name.startswith(f"{error.name}."):
            return None
        raise
