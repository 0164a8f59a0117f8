"""The access log of patient-level data: one call per read or write, from views, exports and commands."""

from core import bulk_copy
from core.national_id import redact_national_ids
from referrals.models import AccessLogEntry

Action = AccessLogEntry.Action


def client_address(request) -> str | None:
    # Behind a proxy, gunicorn's forwarded_allow_ips and SECURE_PROXY_SSL_HEADER decide what REMOTE_ADDR is.
    return request.META.get("REMOTE_ADDR") or None if request is not None else None


def _safe_detail(detail: str) -> str:
    # The log is append-only: a national identity number that reached it could never be removed. Services refuse
    # them in what users type; this is the last guard for any text a caller passes on.
    return redact_national_ids(detail)[:500]


def log_access(
    *,
    user,
    action: str,
    request=None,
    contact=None,
    unit=None,
    pseudonym: str = "",
    detail: str = "",
) -> AccessLogEntry:
    """Write one access-log entry. `contact` fills unit, pseudonym and the record description."""
    if contact is not None:
        unit = unit or contact.unit
        pseudonym = pseudonym or contact.patient_pseudonym
    return AccessLogEntry.objects.create(
        user=user if getattr(user, "pk", None) else None,
        username=getattr(user, "username", "") or "system",
        unit=unit,
        contact=contact,
        patient_pseudonym=pseudonym,
        action=action,
        object_description=f"PatientContact #{contact.pk}" if contact is not None else "",
        client_address=client_address(request),
        detail=_safe_detail(detail),
    )


def log_shown(*, user, action: str, contacts, request=None, detail: str = "") -> AccessLogEntry | None:
    """One entry for a page that shows several contacts (a list, a worklist, a look-up), naming every one of them
    (contacts, or anything with their pk, unit_id and patient_pseudonym, such as referrals.list_cache.Shown)
    and their patients' pseudonyms, so that "all access to this patient's records" finds it
    (AccessLogEntry.objects.about_patient). Nothing is written for a page that showed none."""
    contacts = list(contacts)
    if not contacts:
        return None
    units = {contact.unit_id for contact in contacts}
    only = contacts[0] if len(contacts) == 1 else None
    numbers = ", ".join(f"#{contact.pk}" for contact in contacts)
    return AccessLogEntry.objects.create(
        user=user if getattr(user, "pk", None) else None,
        username=getattr(user, "username", "") or "system",
        unit_id=units.pop() if len(units) == 1 else None,
        contact_id=only.pk if only else None,
        patient_pseudonym=only.patient_pseudonym if only else "",
        contact_ids=[contact.pk for contact in contacts],
        patient_pseudonyms=[contact.patient_pseudonym for contact in contacts],
        action=action,
        object_description=f"{len(contacts)} × PatientContact {numbers}"[:200],
        client_address=client_address(request),
        detail=_safe_detail(detail),
    )


def log_many(*, user, action: str, contacts, request=None, detail: str = "", copy: bool = False) -> None:
    """One entry per contact, in one query: for writes to many records at once (imports, retention), where each
    record's own history must show the change. `copy`: write with COPY (core.bulk_copy, PostgreSQL only), for the
    tens of thousands of entries of a large import."""
    entry = {
        "user_id": user.pk if getattr(user, "pk", None) else None,
        "username": getattr(user, "username", "") or "system",
        "action": action,
        "client_address": client_address(request),
        "detail": _safe_detail(detail),
    }
    if copy:
        bulk_copy.copy_rows(
            AccessLogEntry,
            (
                (contact.unit_id, contact.pk, contact.patient_pseudonym, f"PatientContact #{contact.pk}")
                for contact in contacts
            ),
            columns=("unit_id", "contact_id", "patient_pseudonym", "object_description"),
            constants=entry,
        )
        return
    AccessLogEntry.objects.bulk_create(
        [
            AccessLogEntry(
                **entry,
                unit_id=contact.unit_id,
                contact=contact,
                patient_pseudonym=contact.patient_pseudonym,
                object_description=f"PatientContact #{contact.pk}",
            )
            for contact in contacts
        ]
    )
