"""Ratings' and snapshots' references to users and firms carry no database constraint (see
CollectorRating): dropping a constraint is a catalogue change, instant at any size."""


import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0007_firm_admission_expiry_and_ban_confirmation'),
        ('compliance', '0012_drop_redundant_rating_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='collectorrating',
            name='firm',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='collector_ratings', to='accounts.firm', verbose_name='firm'),
        ),
        migrations.AlterField(
            model_name='collectorrating',
            name='user',
            field=models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='rating', serialize=False, to=settings.AUTH_USER_MODEL, verbose_name='collector'),
        ),
        migrations.AlterField(
            model_name='ratingsnapshot',
            name='user',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='rating_snapshots', to=settings.AUTH_USER_MODEL, verbose_name='collector'),
        ),
    ]
