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


# Norwegian bokmål labels for the Meeting Guide type codes (the spec ships none). Written for this
# project; AA Norway's own words are used where they exist ("trinn", "Storboka", "nykommer").
MEETING_TYPE_LABELS_NB = {
    "11": "11. trinn-meditasjon",
    "12x12": "12 trinn og 12 tradisjoner",
    "A": "Sekulært",
    "ABSI": "Slik Bill ser det",
    "AF": "Afrikaans",
    "AL": "Samtidig med Alateen",
    "AL-AN": "Samtidig med Al-Anon",
    "AM": "Amharisk",
    "AR": "Arabisk",
    "ASL": "Amerikansk tegnspråk",
    "B": "Storboka",
    "BA": "Barnepass",
    "BE": "For nykommere",
    "BG": "Bulgarsk",
    "BI": "Bifile",
    "BRK": "Frokost",
    "C": "Lukket",
    "CAN": "Levende lys",
    "CF": "Barnevennlig",
    "D": "Samtale",
    "DA": "Dansk",
    "DB": "Digital innsamling",
    "DD": "Dobbeltdiagnose",
    "DE": "Tysk",
    "DR": "Daglige refleksjoner",
    "EL": "Gresk",
    "EN": "Engelsk",
    "FA": "Persisk",
    "FI": "Finsk",
    "FF": "Parfymefritt",
    "FR": "Fransk",
    "G": "Homofile",
    "GR": "Grapevine",
    "H": "Bursdagsmøte",
    "HE": "Hebraisk",
    "HI": "Hindi",
    "HR": "Kroatisk",
    "HU": "Ungarsk",
    "IS": "Islandsk",
    "ITA": "Italiensk",
    "JA": "Japansk",
    "KA": "Georgisk",
    "KOR": "Koreansk",
    "L": "Lesbiske",
    "LGBTQ": "LHBT+",
    "LIT": "Litteratur",
    "LS": "Å leve edru",
    "LT": "Litauisk",
    "M": "Menn",
    "MED": "Meditasjon",
    "ML": "Malayalam",
    "MT": "Maltesisk",
    "N": "Amerikanske urfolk",
    "NB": "Ikke-binære",
    "NDG": "Urfolk",
    "NE": "Nepali",
    "NL": "Nederlandsk",
    "NO": "Norsk",
    "O": "Åpent",
    "OUT": "Utendørs",
    "P": "For fagfolk",
    "POA": "Oppmøtebekreftelse",
    "POC": "Rasialiserte personer",
    "POL": "Polsk",
    "POR": "Portugisisk",
    "PUN": "Punjabi",
    "RUS": "Russisk",
    "S": "Spansk",
    "SEN": "Seniorer",
    "SK": "Slovakisk",
    "SL": "Slovensk",
    "SM": "Røyking tillatt",
    "SP": "Talermøte",
    "ST": "Trinnmøte",
    "SV": "Svensk",
    "T": "Transpersoner",
    "TC": "Lokalet midlertidig stengt",
    "TH": "Thai",
    "TL": "Tagalog",
    "TR": "Tradisjonsmøte",
    "TUR": "Tyrkisk",
    "UK": "Ukrainsk",
    "W": "Kvinner",
    "X": "Rullestoltilgang",
    "XB": "Rullestoltilpasset toalett",
    "XT": "Kryssprat tillatt",
    "Y": "Unge",
}


def load_meeting_types(MeetingType) -> None:
    """All 87 Meeting Guide codes with the spec's English label and our Norwegian one; safe to run again."""
    import json

    with open(DATA_DIR / "meeting_guide_types.json", encoding="utf-8") as handle:
        spec = json.load(handle)
    missing = set(spec) - set(MEETING_TYPE_LABELS_NB)
    if missing:
        raise ValueError(f"Meeting types without a Norwegian label: {sorted(missing)}")
    for code, labels in spec.items():
        MeetingType.objects.update_or_create(
            code=code, defaults={"name_en": labels["en"], "name_nb": MEETING_TYPE_LABELS_NB[code]}
        )


# The fellowships a referral can name (DOMAIN.md: AA, NA, other 12-step, family groups, other peer support).
# Websites only where the fellowship's Norwegian service office publishes one we have seen.
FELLOWSHIPS = [
    {
        "code": "AA",
        "name": "Anonyme Alkoholikere",
        "twelve_step": True,
        "website": "https://www.anonymealkoholikere.no/",
        "description": "For alle som ønsker å slutte å drikke.",
    },
    {
        "code": "NA",
        "name": "Anonyme Narkomane",
        "twelve_step": True,
        "website": "https://nanorge.org/",
        "description": "For alle som ønsker å slutte å bruke rusmidler.",
    },
    {"code": "CA", "name": "Cocaine Anonymous", "twelve_step": True, "website": "", "description": ""},
    {"code": "GA", "name": "Anonyme Gamblere", "twelve_step": True, "website": "", "description": ""},
    {
        "code": "Al-Anon",
        "name": "Al-Anon familiegrupper",
        "twelve_step": True,
        "website": "",
        "description": "For pårørende og venner av alkoholikere.",
    },
    {"code": "OTHER-12", "name": "Annet tolvtrinnsfellesskap", "twelve_step": True, "website": "", "description": ""},
    {"code": "PEER", "name": "Annen likepersonstøtte", "twelve_step": False, "website": "", "description": ""},
]


def load_fellowships(Fellowship) -> None:
    """Create the reference fellowships; leave rows a curator has since edited alone."""
    for row in FELLOWSHIPS:
        Fellowship.objects.get_or_create(code=row["code"], defaults={k: v for k, v in row.items() if k != "code"})
