"""Hostile values and the hypothesis strategies that mix them with random text.

A value is a str, or RawBytes for bytes that are not valid UTF-8 (sent percent-encoded as they
are, since a str cannot hold them).
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from django.db import connection
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

SCRIPT = "<script>alert(1)</script>"
# Payloads that must never come back unescaped. Each is long and specific enough not to occur in real markup.
MARKUP_PAYLOADS = [
    SCRIPT,
    '"><script>alert(1)</script>',
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "javascript:alert(1)//<b>bold</b>",
    "{{ 7*7 }}{% debug %}<i>x</i>",
]


@dataclass(frozen=True)
class RawBytes:
    data: bytes

    def __str__(self):
        return self.data.decode("utf-8", "replace")


def national_id(day=1, month=1, year=80, individual=123) -> str:
    """A fødselsnummer with valid mod-11 check digits (not a real person's: found by search from the given date)."""
    for number in range(individual, individual + 200):
        digits = [int(d) for d in f"{day:02d}{month:02d}{year:02d}{number:03d}"]
        k1 = 11 - sum(w * n for w, n in zip([3, 7, 6, 1, 8, 9, 4, 5, 2], digits, strict=True)) % 11
        k1 = 0 if k1 == 11 else k1
        if k1 == 10:
            continue
        k2 = 11 - sum(w * n for w, n in zip([5, 4, 3, 2, 7, 6, 5, 4, 3, 2], digits + [k1], strict=True)) % 11
        k2 = 0 if k2 == 11 else k2
        if k2 == 10:
            continue
        return "".join(map(str, digits)) + f"{k1}{k2}"
    raise ValueError("no valid number in range")


# Beyond 64 bits. SQLite's driver raises OverflowError on them inside Django's ModelChoiceField (a
# Django/SQLite limitation, not reachable on PostgreSQL, where production runs), so only PostgreSQL gets them.
HUGE_NUMBERS = ["99999999999999999999999999"] if connection.vendor != "sqlite" else ["9223372036854775807"]

NATIONAL_IDS = [national_id(), national_id(17, 5, 92, 400), national_id(41, 1, 80, 200)]  # the last one a D-number

HOSTILE = [
    "",
    " ",
    "\x00",
    "abc\x00def",
    "A" * 10_000,
    "Ø" * 3000,
    "'; DROP TABLE registry_meeting; --",
    "' OR '1'='1",
    "1; SELECT pg_sleep(5)",
    "%",
    "_",
    "\\",
    "../../etc/passwd",
    "\u202eevil\u202c",
    "\u200b",
    "🙂" * 50,
    "e\u0301" * 100,
    "\r\n\r\nSet-Cookie: x=1",
    "-1",
    "0",
    *HUGE_NUMBERS,
    "1e309",
    "NaN",
    "-0",
    "2026-02-30",
    "2026-13-01",
    "0000-00-00",
    "9999-12-31",
    "31.02.2026",
    "1900-01-01",
    "25:61",
    "24:00",
    "-01:00",
    "P-1234",
    *NATIONAL_IDS,
    " ".join(NATIONAL_IDS[0]),
    *MARKUP_PAYLOADS,
]
BROKEN_UTF8 = [RawBytes(b"\xff\xfe"), RawBytes(b"abc\xc3\x28"), RawBytes(b"\xed\xa0\x80"), RawBytes(b"\xc0\xaf")]

# Random text without lone surrogates (which no client can send as UTF-8); broken bytes come from BROKEN_UTF8.
random_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=300)
hostile_value = st.one_of(st.sampled_from(HOSTILE), st.sampled_from(BROKEN_UTF8), random_text)

HOSTILE_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


def encode(data: dict[str, list]) -> str:
    """application/x-www-form-urlencoded, keeping RawBytes as they are."""
    parts = []
    for name, values in data.items():
        for value in values if isinstance(values, list) else [values]:
            raw = value.data if isinstance(value, RawBytes) else str(value).encode("utf-8")
            parts.append(f"{urllib.parse.quote_plus(name)}={urllib.parse.quote_from_bytes(raw, safe='')}")
    return "&".join(parts)


def unescaped_payloads(content: bytes) -> list[str]:
    text = content.decode("utf-8", "replace")
    return [payload for payload in MARKUP_PAYLOADS if payload in text]


# Always tried, whatever hypothesis draws: the values most likely to break something.
KEY_VALUES = [
    "\x00",
    SCRIPT,
    "A" * 10_000,
    RawBytes(b"\xff\xfe"),
    "'; DROP TABLE registry_meeting; --",
    NATIONAL_IDS[0],
    "2026-02-30",
    HUGE_NUMBERS[0],
]
# Tried in every single field of every form; the rest of KEY_VALUES go into all fields at once.
FIELD_SWEEP_VALUES = ["\x00", SCRIPT, RawBytes(b"\xff\xfe")]


def key_examples(*names: str, **fixed):
    """Decorator: one hypothesis @example per key value, given to every named argument (`fixed` for the others)."""
    from hypothesis import example

    def decorate(test):
        for value in reversed(KEY_VALUES):
            test = example(**dict.fromkeys(names, value), **fixed)(test)
        return test

    return decorate
