"""The trigram indexes of the search's free text keep at most 64 kB of pending entries (PostgreSQL only).

A GIN index takes new rows into an unsorted pending list first and merges them into the index when the list passes
`gin_pending_list_limit` (4 MB by default) or a vacuum runs; until then every search reads the whole list. After the
benchmark's 100,000-meeting build the group index still had all 10,000 groups pending and the meeting index 484
pages: each free-text search read about 900 pages for nothing, 2.8 ms in the meeting query and 4 ms in the group
look-up, against 0.04 and 0.7 ms with the lists merged. With 64 kB (the least PostgreSQL allows) a search reads at most
8 pending pages, and a large import still merges its rows a batch at a time. The lists already there are merged now.
"""

from django.db import migrations

INDEXES = ("registry_meeting_text_trgm", "registry_group_name_trgm")


def limit_pending_lists(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index in INDEXES:
        schema_editor.execute(f"ALTER INDEX {index} SET (gin_pending_list_limit = 64)")
        schema_editor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])


def default_pending_lists(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index in INDEXES:
        schema_editor.execute(f"ALTER INDEX {index} RESET (gin_pending_list_limit)")


class Migration(migrations.Migration):
    dependencies = [("registry", "0007_plain_text_without_control_characters")]

    operations = [migrations.RunPython(limit_pending_lists, default_pending_lists)]
