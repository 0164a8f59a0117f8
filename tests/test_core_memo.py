"""core.memo.Kept: values made once, all dropped past the limit."""

from core.memo import Kept


def test_a_value_is_made_once_and_everything_goes_past_the_limit():
    made = []

    def make(key):
        return lambda: made.append(key) or key.upper()

    kept = Kept(2)
    assert [kept.get_or_make(key, make(key)) for key in ("a", "b", "a")] == ["A", "B", "A"]
    assert made == ["a", "b"]
    assert kept.get_or_make("c", make("c")) == "C"  # the third key: the first two are dropped
    assert dict(kept) == {"c": "C"}
    assert kept.get_or_make("a", make("a")) == "A"
    assert made == ["a", "b", "c", "a"]
