"""Reading a source: a local file or an http(s) URL, decoded, and split into raw records (JSON or CSV).

Any problem with the source as a whole is a `SourceError`: nothing is imported.
"""

from __future__ import annotations

import csv
import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from django.conf import settings
from django.utils.translation import gettext as _

MAX_SOURCE_BYTES = getattr(settings, "REGISTRY_IMPORT_MAX_BYTES", 50 * 1024 * 1024)
MAX_TEXT_LENGTH = 10_000
MAX_RECORDS = 100_000
URL_TIMEOUT_SECONDS = 30
_JSON_SPACE = re.compile(r"[ \t\n\r]*")  # what JSON allows between tokens
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")  # a line and its end: \r\n, \r or \n


class SourceError(Exception):
    """The source as a whole cannot be read (not found, not JSON, wrong encoding …): nothing is imported."""


@dataclass
class RawRecord:
    position: str
    data: dict
    from_csv: bool = False


def read_source(source: str, *, max_bytes: int = MAX_SOURCE_BYTES) -> bytes:
    """The bytes of a local file or an http(s) URL, at most `max_bytes`."""
    if re.match(r"^[a-z][a-z0-9+.-]*://", source, re.IGNORECASE):
        return fetch_url(source, max_bytes=max_bytes)
    path = Path(source)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SourceError(
                _("%(source)s is %(size)s bytes; the limit is %(limit)s.")
                % {"source": source, "size": size, "limit": max_bytes}
            )
        with path.open("rb") as handle:
            return handle.read(max_bytes + 1)
    except FileNotFoundError as error:
        raise SourceError(_("%(source)s: no such file.") % {"source": source}) from error
    except IsADirectoryError as error:
        raise SourceError(_("%(source)s is a directory, not a file.") % {"source": source}) from error
    except OSError as error:
        raise SourceError(
            _("%(source)s cannot be read: %(error)s.") % {"source": source, "error": error.strerror or error}
        ) from error


def fetch_url(url: str, *, max_bytes: int = MAX_SOURCE_BYTES, timeout: float = URL_TIMEOUT_SECONDS) -> bytes:
    if not url.lower().startswith(("http://", "https://")):
        raise SourceError(_("%(url)s: only http and https addresses can be imported.") % {"url": url})
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, headers={"Accept": "application/json, text/csv;q=0.9, */*;q=0.1", "User-Agent": "selvhjelp-import"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked above
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise SourceError(
                    _("%(url)s sends %(size)s bytes; the limit is %(limit)s.")
                    % {"url": url, "size": length, "limit": max_bytes}
                )
            content = response.read(max_bytes + 1)
    except urllib.error.HTTPError as error:
        raise SourceError(
            _("%(url)s answered HTTP %(code)s %(reason)s.") % {"url": url, "code": error.code, "reason": error.reason}
        ) from error
    except urllib.error.URLError as error:
        raise SourceError(_("%(url)s cannot be fetched: %(error)s.") % {"url": url, "error": error.reason}) from error
    except TimeoutError as error:
        raise SourceError(
            _("%(url)s did not answer within %(seconds)s seconds.") % {"url": url, "seconds": f"{timeout:g}"}
        ) from error
    except OSError as error:
        raise SourceError(_("%(url)s cannot be fetched: %(error)s.") % {"url": url, "error": error}) from error
    if len(content) > max_bytes:
        raise SourceError(_("%(url)s sends more than %(limit)s bytes, the limit.") % {"url": url, "limit": max_bytes})
    return content


def decode(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = content.decode("utf-16")
        except UnicodeDecodeError as error:
            raise SourceError(_("The file claims to be UTF-16 but is not.")) from error
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise SourceError(
                _(
                    "The file is not UTF-8 text (byte 0x%(byte)s at position %(position)s). "
                    "Save it as UTF-8 (in Excel: “CSV UTF-8”) and try again."
                )
                % {"byte": f"{content[error.start]:02X}", "position": error.start}
            ) from error
    if "\x00" in text:
        raise SourceError(_("The file contains NUL bytes; it is not a text file."))
    return text


class RawRecords:
    """The records of a source, read afresh on each pass over them rather than held: a 100,000-meeting feed is some
    40 MB of text but several hundred MB as Python objects. The whole source is read once on creation, so that a
    damaged file, or one with too many records, is refused before any record is checked."""

    def __init__(self, read: Callable[[], Iterator[RawRecord]]) -> None:
        self._read = read
        self._count = sum(1 for _record in read())

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[RawRecord]:
        return self._read()


def parse_content(content: bytes, *, filename: str = "") -> tuple[str, RawRecords]:
    """("json" or "csv", records). JSON when the text starts with [ or { (or the name ends in .json)."""
    if not content.strip():
        raise SourceError(_("The file is empty."))
    text = decode(content)
    stripped = text.lstrip()
    if stripped[:1] in ("[", "{") or filename.lower().endswith(".json"):
        return "json", parse_json(stripped)
    return "csv", parse_csv(text)


def parse_json(text: str) -> RawRecords:
    if not text.startswith("["):
        _refuse_json(text)  # not a list: say what it is, or where it is broken
    records = RawRecords(lambda: _json_array_items(text))
    if len(records) > MAX_RECORDS:
        raise SourceError(
            _("The feed has %(count)s records; at most %(limit)s can be imported at once.")
            % {"count": len(records), "limit": MAX_RECORDS}
        )
    return records


def _json_array_items(text: str) -> Iterator[RawRecord]:
    """The items of the JSON array `text`, decoded one at a time. Anything but a well-formed array is left to
    `_refuse_json`, so that the message is the one json.loads gives."""
    decoder = json.JSONDecoder()
    index = _JSON_SPACE.match(text, 1).end()  # after the "["
    number = 0
    while not text.startswith("]", index):
        try:
            item, index = decoder.raw_decode(text, index)
        except (ValueError, RecursionError):
            _refuse_json(text)
        number += 1
        yield RawRecord(position=_("record %(number)s") % {"number": number}, data=item)
        index = _JSON_SPACE.match(text, index).end()
        if text.startswith(",", index):
            index = _JSON_SPACE.match(text, index + 1).end()
            if text.startswith("]", index):
                _refuse_json(text)  # a comma before the end
        elif not text.startswith("]", index):
            _refuse_json(text)
    if _JSON_SPACE.match(text, index + 1).end() < len(text):
        _refuse_json(text)  # something after the array


def _refuse_json(text: str) -> NoReturn:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise SourceError(
            _("Not valid JSON: %(error)s at line %(line)s, column %(column)s.")
            % {"error": error.msg, "line": error.lineno, "column": error.colno}
        ) from error
    except (ValueError, RecursionError) as error:
        raise SourceError(_("Not valid JSON: %(error)s.") % {"error": str(error)[:200]}) from error
    raise SourceError(
        _("A Meeting Guide feed is a JSON array of meetings; this file holds %(kind)s.") % {"kind": _json_kind(data)}
    )


def _json_kind(value) -> str:
    return {dict: "an object", str: "a string", int: "a number", float: "a number", bool: "a boolean"}.get(
        type(value), "nothing (null)"
    )


def csv_key(header: str) -> str:
    key = re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")
    return {"id": "slug", "region_s": "regions"}.get(key, key)


def parse_csv(text: str) -> RawRecords:
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    return RawRecords(lambda: _csv_records(text, delimiter))


def _csv_records(text: str, delimiter: str) -> Iterator[RawRecord]:
    # Lines as io.StringIO(text, newline="") gives them, without its copy of the text at four bytes a character.
    reader = csv.reader((line.group() for line in _LINE.finditer(text)), delimiter=delimiter)
    try:
        header = next(reader)
        keys = [csv_key(column) for column in header]
        if "name" not in keys or not ({"slug", "time", "day"} & set(keys)):
            raise SourceError(
                _(
                    "The CSV has no header row with the 12 Step Meeting List columns (Time, Day, Name, … Slug). "
                    "First row: %(first)s"
                )
                % {"first": ", ".join(header[:8])[:200]}
            )
        count = 0
        for line_number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if count >= MAX_RECORDS:
                raise SourceError(
                    _("The CSV has more than %(limit)s rows; import at most that many at once.")
                    % {"limit": MAX_RECORDS}
                )
            count += 1
            data = {}
            for key, cell in zip(keys, cells, strict=False):
                if key and cell.strip():
                    data[key] = cell
            yield RawRecord(position=_("row %(number)s") % {"number": line_number}, data=data, from_csv=True)
    except csv.Error as error:
        raise SourceError(
            _("The CSV cannot be read at line %(line)s: %(error)s.") % {"line": reader.line_num, "error": error}
        ) from error
    except StopIteration as error:
        raise SourceError(_("The CSV is empty.")) from error
