"""API tokens for the collection platform: scoped to one firm, stored hashed, revocable.

Issuing and revoking a token are the two changes the audit log records (``api_token.created``,
``api_token.revoked``): :meth:`ApiToken.issue` and :meth:`ApiToken.revoke` are the only code that
makes them (the admin screens, ``create_api_token`` and the demo all call these), and each writes
its event in the same transaction.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lms.auditlog import chain

TOKEN_PREFIX = "ssa_"


class ApiScope(models.TextChoices):
    COLLECTORS_READ = "collectors:read", _("List collectors and their ratings")
    RATINGS_READ = "ratings:read", _("Read ratings and their breakdowns")
    CERTIFICATES_VERIFY = "certificates:verify", _("Verify certificates")
    PERSONAL_DATA = "personal_data:read", _("See unmasked personal data (phone numbers)")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token a firm's systems use to call ``/api/v1/``.

    Only the SHA-256 of the key is stored: the key is shown once, when created, and cannot be
    recovered. ``prefix`` (the key's first characters) identifies a token in lists and logs.
    A token sees only its own firm's data and only what its scopes allow.
    """

    firm = models.ForeignKey(
        "accounts.Firm", verbose_name=_("firm"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(
        cls,
        *,
        firm,
        name: str,
        scopes: list[str],
        created_by=None,
        expires_at=None,
        actor=None,
    ):
        """Create a token; returns ``(token, key)`` — the only time the key is available.

        ``actor`` names who issued it in the audit log when it is not ``created_by`` (e.g. the
        management command); by default the person creating it, else the request's user."""
        key = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with transaction.atomic():
            token = cls.objects.create(
                firm=firm,
                name=name,
                prefix=key[: len(TOKEN_PREFIX) + 6],
                key_hash=hash_key(key),
                scopes=sorted(set(scopes)),
                created_by=created_by,
                expires_at=expires_at,
            )
            chain.record(
                "api_token.created",
                subject=token,
                subject_label=token.audit_label,
                actor=actor or created_by,
                firms=[token.firm],
                payload={
                    "token": token.pk,
                    "prefix": token.prefix,
                    "scopes": token.scopes,
                    "expires_at": expires_at,
                    "created_by": token.created_by_id,
                },
            )
        return token, key

    @property
    def audit_label(self) -> str:
        """The token in the audit log: its prefix, never its name (free text, hashed for good)."""
        return f"API token {self.prefix}…"

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def revoke(self, *, by=None) -> bool:
        """Refuse every call with this token from now on. Returns False (and records nothing)
        when it was already revoked, by someone else a moment ago included."""
        now = timezone.now()
        with transaction.atomic():
            revoked = ApiToken.objects.filter(pk=self.pk, revoked_at__isnull=True).update(
                revoked_at=now
            )
            if not revoked:
                return False
            self.revoked_at = now
            chain.record(
                "api_token.revoked",
                subject=self,
                subject_label=self.audit_label,
                actor=by,
                firms=[self.firm],
                payload={"token": self.pk, "prefix": self.prefix, "scopes": self.scopes},
            )
        return True
