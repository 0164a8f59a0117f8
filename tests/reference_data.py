"""Reference data that the data migrations load (geography, meeting types, fellowships), loaded again fast.

A transactional test (live_server, transaction=True) ends with a flush that empties every table, the
migrations' rows included. Call `load_reference_data()` at the start of such a test instead of relying
on `serialized_rollback` (which deserialises 5,600 rows one save at a time, and fails when another
transactional test's flush has recreated the content types).
"""


def load_reference_data():
    import json

    from django.db import transaction

    from registry.models import County, Fellowship, MeetingType, Municipality, PostalCode
    from registry.reference_data import DATA_DIR, MEETING_TYPE_LABELS_NB, load_fellowships, read_rows

    if Municipality.objects.exists():
        return
    with transaction.atomic():
        County.objects.bulk_create(
            County(number=row["county_number"], name=row["name"], other_names=row["other_names"])
            for row in read_rows("norway_counties_2024.csv")
        )
        Municipality.objects.bulk_create(
            Municipality(
                number=row["municipality_number"],
                name=row["name"],
                county_id=row["county_number"],
                other_names=row["other_names"],
                latitude=float(row["lat"]),
                longitude=float(row["lon"]),
            )
            for row in read_rows("norway_municipalities_2024.csv")
        )
        known = set(Municipality.objects.values_list("number", flat=True))
        PostalCode.objects.bulk_create(
            (
                PostalCode(
                    code=row["postal_code"],
                    place=row["place"],
                    municipality_id=row["municipality_number"] if row["municipality_number"] in known else None,
                )
                for row in read_rows("norway_postal_codes.csv")
            ),
            batch_size=1000,
        )
        with open(DATA_DIR / "meeting_guide_types.json", encoding="utf-8") as handle:
            spec = json.load(handle)
        MeetingType.objects.bulk_create(
            MeetingType(code=code, name_en=labels["en"], name_nb=MEETING_TYPE_LABELS_NB[code])
            for code, labels in spec.items()
        )
        load_fellowships(Fellowship)
