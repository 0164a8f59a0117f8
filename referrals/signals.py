"""Signals referrals sends for apps above it (a lower app tells a higher one through a signal, not an import)."""

from django.dispatch import Signal

# Sent after the commit of a bulk write of contacts (the import), which sends no post_save per contact.
# Receivers take **kwargs: `sender` is PatientContact, `created` and `updated` the numbers of contacts written.
contacts_bulk_changed = Signal()
