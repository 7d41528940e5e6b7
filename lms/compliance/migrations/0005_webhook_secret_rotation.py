"""Webhook secrets in the Standard Webhooks form, and room for the previous one while rotating.

Until now a secret was ``whsec_`` and 32 random bytes in URL-safe base64 without padding, and
the HMAC key was that whole string. The specification's secrets are ``whsec_`` and the key in
*standard* base64: its reference libraries decode the part after the prefix with the standard
alphabet and silently drop ``-`` and ``_``, so about every existing secret would be read as a
different (and shorter) key. The existing secrets can be expressed in the new form, so they are
not replaced: each is rewritten as the same 32 random bytes in standard base64 (``-`` becomes
``+``, ``_`` becomes ``/``, padding added). A firm that kept the old text makes the same two
substitutions; nobody needs a new secret. Only a secret that is not 24 or more bytes of URL-safe
base64 after the prefix (none that this platform made) is replaced by a new random one; rotate
it in the admin to see and hand out the new one.
"""

from __future__ import annotations

import base64
import binascii
import secrets

from django.db import migrations, models

PREFIX = "whsec_"
MIN_KEY_BYTES = 24


def standard_form(secret: str) -> str:
    """``secret`` in the Standard Webhooks form: the same key bytes, or a new key when the old
    text holds no usable one."""
    text = secret.removeprefix(PREFIX)
    try:
        key = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        key = b""
    if len(key) < MIN_KEY_BYTES:
        key = secrets.token_bytes(32)
    return PREFIX + base64.b64encode(key).decode()


def rewrite_secrets(apps, schema_editor) -> None:
    WebhookSubscription = apps.get_model("compliance", "WebhookSubscription")
    for subscription in WebhookSubscription.objects.only("pk", "secret").iterator():
        secret = standard_form(subscription.secret)
        if secret != subscription.secret:
            WebhookSubscription.objects.filter(pk=subscription.pk).update(secret=secret)


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0004_evidence_content_type"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhooksubscription",
            name="previous_secret",
            field=models.CharField(
                blank=True,
                editable=False,
                max_length=80,
                verbose_name="previous signing secret",
            ),
        ),
        migrations.AddField(
            model_name="webhooksubscription",
            name="previous_secret_expires_at",
            field=models.DateTimeField(
                blank=True,
                editable=False,
                null=True,
                verbose_name="previous secret valid until",
            ),
        ),
        # Backwards, the standard form is left as it is: the old code signs with any string.
        migrations.RunPython(rewrite_secrets, migrations.RunPython.noop, elidable=True),
    ]
