"""Certificates as Open Badges 3.0 credentials, and the documents they point to.

A certificate is published as a signed ``OpenBadgeCredential`` (W3C Verifiable Credentials 2.0)
so that any Open Badges wallet or verifier can check it without us: it names the issuer profile,
the achievement (the certification programme, aligned with the regulation versions the
certificate covers — its legal basis), the exam result, the validity period and two status list
entries (revocation and suspension), all at stable URLs under ``SITE_BASE_URL``.

The holder is identified only by a salted SHA-256 hash of their email address (an OB 3.0
``IdentityObject``): a verifier who is told the email can confirm it, but the credential itself
carries no name and no email. Documents are built in the site's default language, so the signed
text does not depend on who asked for it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from content.models import Regulation

from . import basis, signing, status_list
from .models import Certificate, CertificationProgramme

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
CREDENTIAL_CONTEXT = [VC_CONTEXT, OB_CONTEXT]
ISSUER_NAME = "阳光学堂 Sunshine Academy"
# OB 3.0 AchievementType for a time-limited professional qualification that must be renewed.
ACHIEVEMENT_TYPE = "Certification"
# An article of a statute is no node type of the frameworks OB 3.0 names: an extension type
# (the AlignmentTargetType pattern allows ``ext:`` names).
ALIGNMENT_TARGET_TYPE = "ext:LegalProvision"


# --- URLs ---------------------------------------------------------------------------------------


def absolute_url(path: str) -> str:
    return settings.SITE_BASE_URL.rstrip("/") + path


def issuer_id() -> str:
    return absolute_url(reverse("certificates:issuer"))


def achievement_id(code: str) -> str:
    return absolute_url(reverse("certificates:achievement", args=[code]))


def credential_id(certificate: Certificate) -> str:
    return absolute_url(certificate.credential_url)


STATUS_LIST_URL_NAMES = {
    status_list.REVOCATION: "certificates:status_list",
    status_list.SUSPENSION: "certificates:suspension_list",
}


def status_list_url(number: int, purpose: str = status_list.REVOCATION) -> str:
    return absolute_url(reverse(STATUS_LIST_URL_NAMES[purpose], args=[number]))


def verification_method(public_key_multibase: str) -> str:
    """The key document's URL with the public key as fragment (``…/keys/<id>.json#z6Mk…``)."""
    key_id = signing.key_id_for(public_key_multibase)
    return absolute_url(reverse("certificates:key", args=[key_id])) + "#" + public_key_multibase


# --- Issuer and key documents -------------------------------------------------------------------


def issuer_profile() -> dict:
    """The issuer as embedded in credentials (OB 3.0 ``Profile``)."""
    return {
        "id": issuer_id(),
        "type": ["Profile"],
        "name": ISSUER_NAME,
        "url": settings.SITE_BASE_URL,
    }


def issuer_document() -> dict:
    with translation.override(settings.LANGUAGE_CODE):
        description = _(
            "Training and certification for lawful, transparent debt collection (阳光催收)."
        )
    return {"@context": CREDENTIAL_CONTEXT, **issuer_profile(), "description": description}


def key_document(public_key_multibase: str) -> dict:
    """A Multikey verification method controlled by the issuer."""
    return {
        "@context": MULTIKEY_CONTEXT,
        "id": verification_method(public_key_multibase),
        "type": "Multikey",
        "controller": issuer_id(),
        "publicKeyMultibase": public_key_multibase,
    }


# --- Achievement ----------------------------------------------------------------------------------


def achievement(programme: CertificationProgramme, name: str | None = None) -> dict:
    """The programme as an OB 3.0 ``Achievement``; ``name`` overrides it with a certificate's
    snapshot of the programme name."""
    achievement_url = achievement_id(programme.code)
    exam = programme.final_exam
    with translation.override(settings.LANGUAGE_CODE):
        description = programme.description.strip() or _(
            "Certification by %(issuer)s: %(programme)s."
        ) % {"issuer": ISSUER_NAME, "programme": programme.name}
        score = _("Exam score")
        result = _("Exam result")
        narrative = criteria_narrative(programme)
    return {
        "id": achievement_url,
        "type": ["Achievement"],
        "achievementType": ACHIEVEMENT_TYPE,
        "name": name or programme.name,
        "description": description,
        "criteria": {"narrative": narrative},
        "humanCode": programme.code,
        "creator": issuer_profile(),
        "resultDescription": [
            {
                "id": f"{achievement_url}#score",
                "type": ["ResultDescription"],
                "name": score,
                "resultType": "Percent",
                "valueMin": "0",
                "valueMax": "100",
                "requiredValue": str(exam.pass_mark_percent),
            },
            {
                "id": f"{achievement_url}#status",
                "type": ["ResultDescription"],
                "name": result,
                "resultType": "Status",
                "requiredValue": "Completed",
            },
        ],
    }


def criteria_narrative(programme: CertificationProgramme) -> str:
    """What earns the certificate, as a Markdown list (OB 3.0 ``Criteria.narrative``)."""
    courses = [course.title for course in programme.required_courses.order_by("path")]
    exam = programme.final_exam
    lines = []
    if courses:
        lines.append(
            _("Complete the required courses: %(courses)s.")
            % {"courses": "; ".join(f"“{title}”" for title in courses)}
        )
    lines.append(
        _("Pass the final exam “%(exam)s” with a score of at least %(mark)s%%.")
        % {"exam": exam.title, "mark": exam.pass_mark_percent}
    )
    renewal = {
        "months": programme.validity_months,
        "days": programme.renewal_window_days,
        "exam": programme.renewal_exam_or_final.title,
    }
    refresher = programme.refresher_course  # no query when there is none
    if refresher is not None:
        renewal["course"] = refresher.title
        lines.append(
            _(
                "The certificate is valid for %(months)s months. In the last %(days)s days "
                "before it expires it is renewed by completing the refresher course "
                "“%(course)s” and passing the exam “%(exam)s”."
            )
            % renewal
        )
    else:
        lines.append(
            _(
                "The certificate is valid for %(months)s months. In the last %(days)s days "
                "before it expires it is renewed by passing the exam “%(exam)s”."
            )
            % renewal
        )
    return "\n".join(f"- {line}" for line in lines)


def achievement_document(programme: CertificationProgramme) -> dict:
    return {"@context": CREDENTIAL_CONTEXT, **achievement(programme)}


def alignment(regulation: Regulation) -> dict:
    """One article version of a certificate's legal basis as an OB 3.0 ``Alignment``.

    ``targetCode`` names the version: statute, article number and the date it took effect
    (``治安管理处罚法:42@2013-01-01``), or the version text when there is no date; the URL is
    the article's page in the site's regulation library, which also says if it was superseded.
    """
    edition = (
        regulation.effective_date.isoformat() if regulation.effective_date else regulation.version
    )
    return {
        "type": ["Alignment"],
        "targetName": f"{regulation.short_name} {regulation.article_label}",
        "targetDescription": f"{regulation.statute}（{regulation.version}）",
        "targetCode": f"{regulation.short_name}:{regulation.article_no}@{edition}",
        "targetFramework": regulation.statute,
        "targetType": ALIGNMENT_TARGET_TYPE,
        "targetUrl": absolute_url(reverse("regulation_detail", args=[regulation.pk])),
    }


# --- The credential -------------------------------------------------------------------------------


def identity_hash(email: str, salt: str) -> str:
    """OB 3.0 ``IdentityHash``: ``sha256$`` + hex SHA-256 of the (lower-case) email + salt."""
    digest = hashlib.sha256((email.strip().lower() + salt).encode("utf-8")).hexdigest()
    return f"sha256${digest}"


def subject_identifier(certificate) -> dict:
    """The holder's salted email hash, as taken when the certificate was issued (so a later change
    of email does not change the credential; older rows without a snapshot use the current one)."""
    salt = certificate.subject_salt
    return {
        "type": "IdentityObject",
        "identityHash": certificate.identity_hash or identity_hash(certificate.holder.email, salt),
        "identityType": "emailAddress",
        "hashed": True,
        "salt": salt,
    }


def percent_value(score: Decimal) -> str:
    """``87.50`` → ``"87.5"``, ``100.00`` → ``"100"``."""
    return f"{score.normalize():f}"


def status_entry(certificate: Certificate, purpose: str) -> dict:
    """The certificate's ``BitstringStatusListEntry`` in the ``purpose`` list."""
    url = status_list_url(status_list.list_number(certificate.status_index), purpose)
    position = status_list.list_position(certificate.status_index)
    return {
        "id": f"{url}#{position}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(position),
        "statusListCredential": url,
    }


def credential_status(certificate: Certificate) -> list[dict]:
    """Both entries, revocation then suspension: the same ``statusListIndex`` in two lists
    (VC 2.0 §4.10 allows several status entries, one per purpose)."""
    return [status_entry(certificate, purpose) for purpose in status_list.PURPOSES]


def credential(certificate: Certificate) -> dict:
    """The unsigned ``OpenBadgeCredential`` for a certificate (any status: verifiers read the
    status list and ``validUntil``)."""
    programme = certificate.programme
    achievement_url = achievement_id(programme.code)
    issued = signing.xml_datetime(certificate.issued_at)
    embedded = achievement(programme, name=certificate.programme_name)
    # The regulation versions this certificate covers (its legal basis; one query).
    aligned = [alignment(regulation) for regulation in basis.basis_of(certificate)]
    if aligned:
        embedded["alignment"] = aligned
    return {
        "@context": CREDENTIAL_CONTEXT,
        "id": credential_id(certificate),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": certificate.programme_name,
        "issuer": issuer_profile(),
        "validFrom": issued,
        "validUntil": signing.xml_datetime(certificate.expires_at),
        "awardedDate": issued,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [subject_identifier(certificate)],
            "licenseNumber": certificate.serial,
            "achievement": embedded,
            "result": [
                {
                    "type": ["Result"],
                    "resultDescription": f"{achievement_url}#score",
                    "value": percent_value(certificate.score),
                },
                {
                    "type": ["Result"],
                    "resultDescription": f"{achievement_url}#status",
                    "status": "Completed",
                },
            ],
        },
        "credentialStatus": credential_status(certificate),
    }


def _sign(document: dict, now: datetime | None) -> dict:
    key = signing.current_signing_key()
    return signing.sign(
        document,
        key,
        verification_method=verification_method(key.public_multikey),
        created=now or timezone.now(),
    )


def signed_credential(certificate: Certificate, now: datetime | None = None) -> dict:
    return _sign(credential(certificate), now)


# --- The status lists ----------------------------------------------------------------------------


def status_list_credential(
    number: int, now: datetime | None = None, purpose: str = status_list.REVOCATION
) -> dict:
    """The unsigned ``BitstringStatusListCredential`` for list ``number`` of ``purpose``."""
    now = now or timezone.now()
    url = status_list_url(number, purpose)
    return {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id(),
        "validFrom": signing.xml_datetime(now),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": status_list.encoded_list(number, purpose),
            # Milliseconds (§2.2), the same time as the HTTP max-age in seconds.
            "ttl": status_list.TTL_SECONDS * 1000,
        },
    }


def signed_status_list_credential(
    number: int, now: datetime | None = None, purpose: str = status_list.REVOCATION
) -> dict:
    now = now or timezone.now()
    return _sign(status_list_credential(number, now, purpose), now)
