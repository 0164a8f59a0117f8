"""Cells a spreadsheet will never run as a formula: one rule for every CSV and XLSX the product writes.

Excel, LibreOffice and Numbers run a cell whose text starts with =, +, - or @ as a formula (and a leading tab or
carriage return lets one through after trimming), so a unit or meeting named `=HYPERLINK("http://…")` would
become a live link in a file a lead opens. Such text gets a leading apostrophe, which spreadsheets show as
nothing and read as "text". Plain numbers ("-5", "12.5") stay numbers. In XLSX, text cells are also written with
the string type, never as formulas (`xlsx_text_cell`).
"""

import re

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"-?\d+(\.\d+)?")


def spreadsheet_safe(value: str) -> str:
    """The text with an apostrophe in front when a spreadsheet would run it as a formula."""
    if value and value.startswith(FORMULA_PREFIXES) and not NUMBER.fullmatch(value):
        return "'" + value
    return value


def unescape(value: str) -> str:
    """The text as written before `spreadsheet_safe` (for importers that read our own files back)."""
    if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_PREFIXES:
        return value[1:]
    return value


def xlsx_text_cell(cell, value: str) -> None:
    """Put text in an openpyxl cell as a string, never a formula."""
    cell.value = spreadsheet_safe(value)
    cell.data_type = "s"


def xlsx_append(sheet, values) -> None:
    """Append a row to an openpyxl sheet: numbers as numbers, every text as a safe string cell."""
    sheet.append([None if isinstance(value, str) else value for value in values])
    row = sheet.max_row
    for column, value in enumerate(values, start=1):
        if isinstance(value, str):
            xlsx_text_cell(sheet.cell(row=row, column=column), value)
