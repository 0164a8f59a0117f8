"""Loads Norway's counties, municipalities and postal codes from registry/data/ (sources in SOURCES.md)."""

import csv
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


def read_rows(filename: str) -> list[dict]:
    with open(DATA_DIR / filename, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_geography(County, Municipality, PostalCode) -> None:
    """Insert or update every row; safe to run again. Takes model classes so migrations can pass historical ones."""
    for row in read_rows("norway_counties_2024.csv"):
        County.objects.update_or_create(
            number=row["county_number"], defaults={"name": row["name"], "other_names": row["other_names"]}
        )
    for row in read_rows("norway_municipalities_2024.csv"):
        Municipality.objects.update_or_create(
            number=row["municipality_number"],
            defaults={
                "name": row["name"],
                "county_id": row["county_number"],
                "other_names": row["other_names"],
                "latitude": float(row["lat"]),
                "longitude": float(row["lon"]),
            },
        )
    known = set(Municipality.objects.values_list("number", flat=True))
    existing = set(PostalCode.objects.values_list("code", flat=True))
    new_codes = []
    for row in read_rows("norway_postal_codes.csv"):
        # Svalbard (2100) and Jan Mayen (2211) are not municipalities: keep the code, leave the link empty.
        municipality = row["municipality_number"] if row["municipality_number"] in known else None
        if row["postal_code"] in existing:
            PostalCode.objects.filter(code=row["postal_code"]).update(place=row["place"], municipality_id=municipality)
        else:
            new_codes.append(PostalCode(code=row["postal_code"], place=row["place"], municipality_id=municipality))
    PostalCode.objects.bulk_create(new_codes, batch_size=1000)
