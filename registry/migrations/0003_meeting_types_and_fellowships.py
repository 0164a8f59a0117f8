from django.db import migrations


def load(apps, schema_editor):
    from registry.reference_data import load_fellowships, load_meeting_types

    load_meeting_types(apps.get_model("registry", "MeetingType"))
    load_fellowships(apps.get_model("registry", "Fellowship"))


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_load_geography")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
