# Two indexes of the contacts that other indexes cover, dropped because every import paid for them (EXPLAIN of the
# pages, reports and the import's look-ups on 1,000,000 contacts: README, Performance):
# - (unit, patient_pseudonym): the pseudonym index finds a patient's few contacts, the unit filters those;
# - unit_id alone: the indexes starting with the unit serve every query by unit and PostgreSQL's check when a unit is
#   deleted. Only the index is dropped: Django's own AlterField would drop and re-add the foreign key, which checks
#   every contact again under a lock that stops writes.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_external_identities"),
        ("referrals", "0010_plain_pseudonym_indexes"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="patientcontact",
            name="referrals_p_unit_id_37145b_idx",
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="patientcontact",
                    name="unit",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="contacts",
                        to="accounts.unit",
                        verbose_name="unit",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "referrals_patientcontact_unit_id_ebd941a7"',
                    reverse_sql='CREATE INDEX "referrals_patientcontact_unit_id_ebd941a7"'
                    ' ON "referrals_patientcontact" ("unit_id")',
                ),
            ],
        ),
    ]
