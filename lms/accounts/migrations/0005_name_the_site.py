"""Name the site after the product and give it the public address, for allauth's emails.

Without this the sites framework's row is ``example.com`` (or missing), and every account email
greets "Hello from !" (来自的 Hello!). ``seed_demo`` repeats it when ``SITE_BASE_URL`` changes.
"""

from django.db import migrations


def name_site(apps, schema_editor):
    from lms.accounts.site import ensure_site

    ensure_site(apps.get_model("sites", "Site"))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_firm_permissions"),
        ("sites", "0002_alter_domain_unique"),
    ]

    operations = [migrations.RunPython(name_site, migrations.RunPython.noop)]
