"""The contact-import file the tests that write several batches share (their fixtures, `frozen_today` and
`recorded`, are in tests/conftest.py)."""

HEADER = "date,unit,patient_ref,setting,intensity,fellowships,response,clinician"


def csv_bytes(*rows) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()
