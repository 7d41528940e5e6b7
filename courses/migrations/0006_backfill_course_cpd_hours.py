"""Credit the CPD ledger with the courses completed before it existed.

Formula 2026.3 replaced the rating's "+5 for a course completed in the last 365 days" by the
ledger's hours, and renewal asks for hours in the cycle: without these entries every collector
who completed a course before the ledger would lose points and renewal at deploy. Each
completed enrolment without an entry gets what ``courses.cpd.credit_course`` would have given
it: the course's ``estimated_minutes / 60`` hours (2 decimals, half up), online, on the Beijing
day of ``completed_at``. A course stating no length credits nothing (as the service).

Historical models only (no service import), in batches. Reversing is a no-op: the entries are
ledger history like any other (the unique constraint on ``enrolment`` keeps a second run, or
``manage.py backfill_cpd``, from crediting twice).
"""

from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.db import migrations

BATCH = 500
BEIJING = ZoneInfo("Asia/Shanghai")
HOURS = Decimal("0.01")


def backfill(apps, schema_editor):
    Enrolment = apps.get_model("courses", "Enrolment")
    CPDEntry = apps.get_model("courses", "CPDEntry")
    pending = (
        Enrolment.objects.filter(completed_at__isnull=False, course__estimated_minutes__gt=0)
        .exclude(cpd_entries__isnull=False)
        .order_by("pk")
        .values_list("pk", "user_id", "completed_at", "course__estimated_minutes")
    )
    after = 0
    while True:
        rows = list(pending.filter(pk__gt=after)[:BATCH])
        if not rows:
            return
        CPDEntry.objects.bulk_create(
            CPDEntry(
                user_id=user_id,
                source="course",
                hours=(Decimal(minutes) / 60).quantize(HOURS, rounding=ROUND_HALF_UP),
                offline=False,
                earned_on=completed_at.astimezone(BEIJING).date(),
                enrolment_id=pk,
            )
            for pk, user_id, completed_at, minutes in rows
        )
        after = rows[-1][0]


class Migration(migrations.Migration):
    dependencies = [("courses", "0005_cpd_permissions")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]
