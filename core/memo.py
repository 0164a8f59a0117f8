"""Values made once and kept in a process for the next use, bounded by dropping them all at once."""

from collections.abc import Callable, Hashable
from typing import Any


class Kept(dict):
    """Values by key, each made the first time it is asked for (`get_or_make`). Past `limit` entries all are dropped
    at once: cheaper than tracking which was used last, and enough where a value costs little to make again next to
    how often it is reused (rendered markup, a compiled query, a checked cell). A value must not be None."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit

    def get_or_make(self, key: Hashable, make: Callable[[], Any]) -> Any:
        value = self.get(key)
        if value is None:
            if len(self) >= self.limit:
                self.clear()
            value = self[key] = make()
        return value
