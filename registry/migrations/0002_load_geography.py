from django.db import migrations


def load(apps, schema_editor):
    from registry.reference_data import load_geography

    load_geography(
        apps.get_model("registry", "County"),
        apps.get_model("registry", "Municipality"),
        apps.get_model("registry", "PostalCode"),
    )


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
