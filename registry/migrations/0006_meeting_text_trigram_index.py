"""Trigram indexes for the search's free text, on PostgreSQL only (SQLite keeps its plain scan).

The meeting's own text (name, venue, address, postal code, notes) is one expression in upper case, and so is a
group's name: registry.selectors.text_q asks for exactly these expressions, so that PostgreSQL answers a word from
the indexes instead of reading every meeting. The indexes are not in the models' Meta (SQLite has no GIN), so the
migration state does not know them and makemigrations leaves them alone.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


def text_indexes():
    from django.contrib.postgres.indexes import GinIndex, OpClass

    from registry.selectors import group_name_text, meeting_text

    return [
        ("Meeting", GinIndex(OpClass(meeting_text(), name="gin_trgm_ops"), name="registry_meeting_text_trgm")),
        ("Group", GinIndex(OpClass(group_name_text(), name="gin_trgm_ops"), name="registry_group_name_trgm")),
    ]


def add_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, index in text_indexes():
        schema_editor.add_index(apps.get_model("registry", model_name), index)


def remove_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, index in text_indexes():
        schema_editor.remove_index(apps.get_model("registry", model_name), index)


class Migration(migrations.Migration):
    dependencies = [("registry", "0005_meeting_coordinates_index")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(add_indexes, remove_indexes),
    ]
