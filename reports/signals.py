"""What makes cached report bodies stale (reports/report_cache.py): any saved or deleted contact, follow-up,
target, frozen month, unit or membership, a changed set of fellowships on a contact, and a committed contact import."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from referrals.signals import contacts_bulk_changed
from reports.report_cache import bump_generation


def connect() -> None:
    from accounts.models import Membership, Unit
    from referrals.models import FollowUp, PatientContact
    from reports.models import FrozenMonth, MonthlyBreakdown, MonthlyFigures, Target

    for model in (PatientContact, FollowUp, Target, FrozenMonth, MonthlyFigures, MonthlyBreakdown, Unit, Membership):
        post_save.connect(bump_generation, sender=model, dispatch_uid=f"reports-cache-save-{model.__name__}")
        post_delete.connect(bump_generation, sender=model, dispatch_uid=f"reports-cache-delete-{model.__name__}")
    m2m_changed.connect(
        bump_generation, sender=PatientContact.fellowships.through, dispatch_uid="reports-cache-fellowships"
    )
    # The contact import writes in bulk (no post_save per contact) and says so once, after its commit.
    contacts_bulk_changed.connect(bump_generation, dispatch_uid="reports-cache-contact-import")
