"""The signed Open Badges 3.0 credential, its issuer documents and the revocation list (issue 5).

What a verifier sees, checked the way a verifier would: documents fetched over HTTP, the proof
checked by an independent verifier written from the W3C specifications (``vc_verifier``), the
shape compared with 1EdTech's sample credentials, and JSON-LD expanded with the published
contexts only. The signing code itself must reproduce the W3C ``eddsa-jcs-2022`` test vector.
Tests that read ``../shared/fixtures`` skip when it is absent (a clone outside the workspace).
"""

from __future__ import annotations

import base64
import copy
import gzip
import hashlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from content.models import Regulation
from exams.certificates import basis, issuance, lifecycle, signing, status_list
from exams.certificates.models import Certificate
from exams.certificates.openbadges import CREDENTIAL_CONTEXT
from tests.exams import vc_verifier
from tests.exams.credential_fixtures import (  # noqa: F401 — fixtures
    fetcher,
    issue_certificate,
    make_programme,
    media,
    stub_pdf,
)

ROOT = Path(settings.BASE_DIR)
FIXTURES = ROOT.parent / "shared" / "fixtures"
OPENBADGES = FIXTURES / "openbadges"
VECTORS = FIXTURES / "vc-di-eddsa"
needs_shared = pytest.mark.skipif(
    not FIXTURES.exists(),
    reason=f"third-party fixtures are not at {FIXTURES} (outside this checkout)",
)
# Published contexts, from the local copies only: any other URL is an error (no network).
LOCAL_CONTEXTS = {
    "https://www.w3.org/ns/credentials/v2": "contexts/credentials-v2.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "contexts/context-3.0.3.json",
}

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stub_pdf", "media")]
REAL_RENDER = issuance.render  # before stub_pdf replaces it


def get_credential(client, certificate: Certificate) -> dict:
    response = client.get(certificate.credential_url)
    assert response.status_code == 200
    return json.loads(response.content)


@pytest.fixture
def programme(db):
    return make_programme()


@pytest.fixture
def certificate(collector, programme) -> Certificate:
    return issue_certificate(collector, programme, percent="87.50")


@pytest.fixture
def based_certificate(other_collector, programme) -> Certificate:
    """A certificate whose legal basis holds the 2012 治安管理处罚法 第四十二条 (superseded by
    第五十条 of the 2025 revision) and two articles of the criminal law."""
    call_command("load_regulations", verbosity=0)
    certificate = issue_certificate(other_collector, programme, percent="90.00")
    basis.record_regulations(certificate, [regulation.pk for regulation in basis_articles()])
    return certificate


def basis_articles() -> list[Regulation]:
    return [
        Regulation.objects.get(
            short_name="治安管理处罚法", article_no="42", superseded_by__isnull=False
        ),
        Regulation.objects.get(short_name="刑法", article_no="293"),
        Regulation.objects.get(short_name="刑法", article_no="293-1"),
    ]


# --- The signing code against the W3C test vector ---------------------------------------------


@needs_shared
def test_signing_reproduces_the_w3c_eddsa_jcs_2022_test_vector():
    vector = json.loads((VECTORS / "signedJCS.json").read_text())
    key_pair = json.loads((VECTORS / "keyPair.json").read_text())
    private_key = signing.decode_secret_multikey(key_pair["privateKeyMultibase"])
    assert signing.public_multikey(private_key.public_key()) == key_pair["publicKeyMultibase"]

    unsecured = {key: value for key, value in vector.items() if key != "proof"}
    proof = signing.create_proof(
        unsecured,
        private_key,
        verification_method=vector["proof"]["verificationMethod"],
        created=vc_verifier.parse_datetime(vector["proof"]["created"]),
    )

    assert proof["proofValue"] == vector["proof"]["proofValue"]
    assert proof == vector["proof"]
    public_key = signing.decode_public_multikey(key_pair["publicKeyMultibase"])
    assert signing.verify_proof(vector, public_key)
    changed = copy.deepcopy(vector)
    changed["credentialSubject"]["alumniOf"] = "Another School"
    assert not signing.verify_proof(changed, public_key)


@needs_shared
def test_the_independent_verifier_accepts_the_w3c_vector_and_rejects_a_change():
    """The verifier the credential tests rely on is itself right about the official vector."""
    vector = json.loads((VECTORS / "signedJCS.json").read_text())
    key_pair = json.loads((VECTORS / "keyPair.json").read_text())
    method = vector["proof"]["verificationMethod"]
    key_document = {
        "id": method,
        "type": "Multikey",
        "controller": vector["issuer"],
        "publicKeyMultibase": key_pair["publicKeyMultibase"],
    }

    def fetch(url):
        assert url == method.split("#")[0]
        return key_document

    now = datetime.now(UTC)
    assert vc_verifier.proof_problems(vector, fetch, now) == []
    changed = copy.deepcopy(vector)
    changed["validFrom"] = "2024-01-01T00:00:00Z"
    assert vc_verifier.proof_problems(changed, fetch, now) == ["signature does not match"]


# --- The credential -------------------------------------------------------------------------


def test_a_fresh_credential_verifies_and_says_what_was_certified(client, certificate, collector):
    response = client.get(certificate.credential_url)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vc+ld+json")
    assert response["Access-Control-Allow-Origin"] == "*"
    document = json.loads(response.content)
    result = vc_verifier.verify_credential(document, fetcher(client))
    assert result.problems == []
    assert result.revoked is False

    assert document["@context"] == CREDENTIAL_CONTEXT
    assert document["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert document["id"] == settings.SITE_BASE_URL + certificate.credential_url
    assert document["name"] == certificate.programme_name
    assert document["issuer"]["id"] == settings.SITE_BASE_URL + reverse("certificates:issuer")
    assert document["issuer"]["url"] == settings.SITE_BASE_URL
    assert document["validFrom"] == certificate.issued_at.astimezone(UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    assert document["validUntil"] == certificate.expires_at.astimezone(UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    subject = document["credentialSubject"]
    assert subject["licenseNumber"] == certificate.serial
    achievement = subject["achievement"]
    assert achievement["id"] == settings.SITE_BASE_URL + reverse(
        "certificates:achievement", args=[certificate.programme.code]
    )
    assert achievement["name"] == certificate.programme_name
    assert "80%" in achievement["criteria"]["narrative"]  # the exam's pass mark
    descriptions = {item["resultType"]: item["id"] for item in achievement["resultDescription"]}
    results = {item["resultDescription"]: item for item in subject["result"]}
    assert results[descriptions["Percent"]]["value"] == "87.5"
    assert results[descriptions["Status"]]["status"] == "Completed"
    proof = document["proof"]
    assert (proof["type"], proof["cryptosuite"]) == ("DataIntegrityProof", "eddsa-jcs-2022")


def test_the_credential_takes_three_queries(client, based_certificate, django_assert_num_queries):
    """The certificate with its holder and programme, the programme's required courses, and
    the legal basis with each version's successor."""
    with django_assert_num_queries(3):
        assert client.get(based_certificate.credential_url).status_code == 200


def test_the_holder_is_identified_by_a_salted_hash_only(client, certificate, collector):
    text = client.get(certificate.credential_url).content.decode()
    document = json.loads(text)

    [identity] = document["credentialSubject"]["identifier"]
    assert identity["identityType"] == "emailAddress"
    assert identity["hashed"] is True
    salt = identity["salt"]
    assert len(salt) >= 16
    expected = hashlib.sha256((collector.email + salt).encode()).hexdigest()
    assert identity["identityHash"] == f"sha256${expected}"
    assert "id" not in document["credentialSubject"]
    for personal in (collector.email, collector.legal_name, certificate.holder_name):
        assert personal not in text


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda d: d["credentialSubject"]["result"][0].update(value="99"), id="score"),
        pytest.param(lambda d: d.update(validUntil="2099-12-31T00:00:00Z"), id="validUntil"),
        pytest.param(
            lambda d: d["credentialSubject"]["achievement"].update(name="别的资格"), id="name"
        ),
    ],
)
def test_a_tampered_copy_fails_verification(client, certificate, tamper):
    document = get_credential(client, certificate)
    tampered = copy.deepcopy(document)
    tamper(tampered)

    assert vc_verifier.verify_credential(document, fetcher(client)).verified
    assert (
        "signature does not match"
        in vc_verifier.verify_credential(tampered, fetcher(client)).problems
    )


def test_a_revoked_certificate_is_still_signed_and_its_status_bit_is_set(
    client, certificate, other_collector, programme, auditor
):
    other = issue_certificate(other_collector, programme)
    lifecycle.revoke(certificate, by=auditor, reason="伪造培训记录")

    revoked = vc_verifier.verify_credential(get_credential(client, certificate), fetcher(client))
    assert revoked.problems == ["revoked"]  # the signature and the dates hold
    assert revoked.revoked is True
    untouched = vc_verifier.verify_credential(get_credential(client, other), fetcher(client))
    assert untouched.verified and untouched.revoked is False


def test_an_expired_certificate_is_served_and_fails_on_its_dates(client, certificate):
    now = timezone.now()
    Certificate.objects.filter(pk=certificate.pk).update(
        issued_at=now - timezone.timedelta(days=800), expires_at=now - timezone.timedelta(days=1)
    )

    result = vc_verifier.verify_credential(get_credential(client, certificate), fetcher(client))

    assert len(result.problems) == 1
    assert result.problems[0].startswith("not valid at this time (validUntil")
    assert result.revoked is False


def test_a_certificate_issued_with_its_real_pdf_has_a_verifiable_credential(
    client, collector, programme, monkeypatch
):
    monkeypatch.setattr(issuance, "render", REAL_RENDER)

    certificate = issue_certificate(collector, programme)

    assert certificate.pdf.read().startswith(b"%PDF")
    document = get_credential(client, certificate)
    assert vc_verifier.verify_credential(document, fetcher(client)).verified


def test_unknown_codes_get_a_plain_404(client, db):
    response = client.get(reverse("certificates:verify_json", args=["no-such-code"]))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["error"] == "not_found"


def test_only_get_is_allowed(client, certificate):
    assert client.post(certificate.credential_url).status_code == 405
    assert client.head(certificate.credential_url).status_code == 200


def test_the_holder_can_download_it_as_a_file(client, certificate):
    response = client.get(certificate.credential_url, {"download": "1"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == f'attachment; filename="{certificate.serial}.json"'
    assert vc_verifier.verify_credential(json.loads(response.content), fetcher(client)).verified


def test_lookups_are_rate_limited_per_client_ip(client, certificate, settings):
    settings.CERTIFICATE_VERIFY_RATE = "3/m"
    cache.clear()
    unknown = reverse("certificates:verify_json", args=["guess-1"])

    # Every lookup counts, found or not.
    assert client.get(unknown).status_code == 404
    assert client.get(unknown).status_code == 404
    assert client.get(certificate.credential_url).status_code == 200
    limited = client.get(certificate.credential_url)

    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60  # until this client's window resets
    assert limited["Content-Type"].startswith("text/plain")
    other_ip = client.get(certificate.credential_url, REMOTE_ADDR="198.51.100.7")
    assert other_ip.status_code == 200


# --- Shape: 1EdTech's samples and schema ------------------------------------------------------


@needs_shared
def test_the_credential_has_the_shape_of_1edtech_samples(client, certificate):
    sample = json.loads((OPENBADGES / "ob30" / "complete.json").read_text())
    eddsa_sample = json.loads((OPENBADGES / "ob30" / "simple-eddsa-2022.json").read_text())
    ours = get_credential(client, certificate)

    assert ours["@context"] == sample["@context"][:2]
    assert ours["type"] == sample["type"]
    assert ours["issuer"]["type"] == sample["issuer"]["type"] == ["Profile"]
    subject, sample_subject = ours["credentialSubject"], sample["credentialSubject"]
    assert subject["type"] == sample_subject["type"]
    assert subject["achievement"]["type"] == sample_subject["achievement"]["type"]
    assert {item["type"] for item in subject["identifier"]} == {
        item["type"] for item in sample_subject["identifier"]
    }
    assert {tuple(item["type"]) for item in subject["result"]} == {
        tuple(item["type"]) for item in sample_subject["result"]
    }
    assert {tuple(item["type"]) for item in subject["achievement"]["resultDescription"]} == {
        tuple(item["type"]) for item in sample_subject["achievement"]["resultDescription"]
    }
    assert ours["proof"]["type"] == eddsa_sample["proof"][0]["type"]
    assert ours["proof"]["proofPurpose"] == eddsa_sample["proof"][0]["proofPurpose"]
    assert set(sample) >= set(ours) - {"awardedDate"}  # no top-level key of our own invention


def ob3_schema() -> dict:
    return json.loads(
        (OPENBADGES / "schema" / "ob_v3p0_achievementcredential_schema_draft4.json").read_text()
    )


def schema_errors(definition: str, value: dict) -> list[str]:
    """What 1EdTech's JSON schema finds wrong with ``value`` as its definition ``definition``
    (validated in full, nested objects included)."""
    import jsonschema_rs

    schema = ob3_schema()
    validator = jsonschema_rs.Draft4Validator(
        {"$ref": f"#/$defs/{definition}", "$defs": schema["$defs"]}
    )
    return [f"{error.instance_path}: {error.message}" for error in validator.iter_errors(value)]


@needs_shared
@pytest.mark.parametrize("which", ["certificate", "based_certificate"])
def test_the_credential_has_what_the_1edtech_schema_requires(client, request, which):
    """Required properties and vocabularies from 1EdTech's AchievementCredential JSON schema
    (its VC 1.1 envelope — issuanceDate — does not apply to VC 2.0 credentials); the subject,
    with its achievement and the legal basis's alignments, and the issuer validate in full (its
    CredentialStatus definition predates the BitstringStatusListEntry properties)."""
    schema = ob3_schema()
    definitions = schema["$defs"]
    ours = get_credential(client, request.getfixturevalue(which))
    subject = ours["credentialSubject"]
    achievement = subject["achievement"]
    assert ("alignment" in achievement) == (which == "based_certificate")
    for name, value in (
        ("AchievementSubject", subject),
        ("Achievement", achievement),
        ("Profile", ours["issuer"]),
    ):
        assert schema_errors(name, value) == [], name
    objects = [
        *[("Alignment", item) for item in achievement.get("alignment", [])],
        ("AchievementSubject", subject),
        ("Achievement", achievement),
        ("Profile", ours["issuer"]),
        ("Profile", achievement["creator"]),
        *[("CredentialStatus", entry) for entry in ours["credentialStatus"]],
        ("Proof", ours["proof"]),
        *[("IdentityObject", item) for item in subject["identifier"]],
        *[("Result", item) for item in subject["result"]],
        *[("ResultDescription", item) for item in achievement["resultDescription"]],
    ]
    for name, value in objects:
        missing = set(definitions[name]["required"]) - set(value)
        assert not missing, f"{name} lacks {missing}"
    for name in set(schema["required"]) - {"issuanceDate"}:
        assert name in ours

    def enum(definition: str, prop: str) -> list[str]:
        spec = definitions[definition]["properties"][prop]
        return spec["enum"] if "enum" in spec else spec["anyOf"][0]["enum"]

    assert achievement["achievementType"] in enum("Achievement", "achievementType")
    for item in achievement["resultDescription"]:
        assert item["resultType"] in enum("ResultDescription", "resultType")
    for item in subject["result"]:
        assert item.get("status", "Completed") in enum("Result", "status")
    for item in subject["identifier"]:
        assert item["identityType"] in enum("IdentityObject", "identityType")
    for item in achievement.get("alignment", []):
        assert item["targetType"].startswith("ext:")  # the schema's extension pattern


@needs_shared
def test_the_public_achievement_document_is_a_valid_achievement(client, based_certificate):
    """Per programme, it carries no certificate's basis: the credential's copy adds that."""
    url = reverse("certificates:achievement", args=[based_certificate.programme.code])
    document = json.loads(client.get(url).content)
    assert schema_errors("Achievement", document) == []
    assert "alignment" not in document


def test_a_credential_with_a_legal_basis_aligns_its_achievement_with_each_article(
    client, based_certificate
):
    document = get_credential(client, based_certificate)
    result = vc_verifier.verify_credential(document, fetcher(client))
    assert result.problems == []

    alignments = document["credentialSubject"]["achievement"]["alignment"]
    old, criminal, criminal_1 = basis_articles()
    assert [item["targetCode"] for item in alignments] == [
        "刑法:293@2024-03-01",
        "刑法:293-1@2024-03-01",
        "治安管理处罚法:42@2013-01-01",
    ]
    by_code = {item["targetCode"]: item for item in alignments}
    item = by_code["治安管理处罚法:42@2013-01-01"]
    assert item["type"] == ["Alignment"]
    assert item["targetName"] == "治安管理处罚法 第四十二条"
    assert item["targetFramework"] == old.statute == "中华人民共和国治安管理处罚法"
    assert old.version in item["targetDescription"]
    assert item["targetType"] == "ext:LegalProvision"
    assert item["targetUrl"] == settings.SITE_BASE_URL + f"/regulations/{old.pk}/"
    page = client.get(urlsplit(item["targetUrl"]).path)
    assert page.status_code == 200 and "第四十二条" in page.content.decode()
    assert by_code["刑法:293-1@2024-03-01"]["targetName"] == f"刑法 {criminal_1.article_label}"
    assert by_code["刑法:293@2024-03-01"]["targetFramework"] == criminal.statute


def test_the_verification_page_and_the_credential_list_the_same_articles(client, based_certificate):
    page = client.get(based_certificate.verification_url).content.decode()
    document = get_credential(client, based_certificate)
    for item in document["credentialSubject"]["achievement"]["alignment"]:
        assert urlsplit(item["targetUrl"]).path in page


# --- JSON-LD with the local contexts only ----------------------------------------------------


def local_document_loader(url: str, options=None) -> dict:
    if url not in LOCAL_CONTEXTS:
        raise AssertionError(f"the expansion tried to load {url}; only local contexts are allowed")
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": json.loads((OPENBADGES / LOCAL_CONTEXTS[url]).read_text()),
    }


def expand_strictly(document: dict) -> list:
    """Expand, failing on any property the contexts do not define (pyld's safe mode)."""
    from pyld import jsonld

    dropped = []
    expanded = jsonld.expand(
        document,
        {"documentLoader": local_document_loader, "base": None},
        on_property_dropped=dropped.append,
    )
    assert dropped == [], f"terms dropped by JSON-LD expansion: {dropped}"
    return expanded


def _types(node) -> list[str]:
    found = []
    if isinstance(node, dict):
        found += node.get("@type", []) if isinstance(node.get("@type"), list) else []
        for value in node.values():
            found += _types(value)
    elif isinstance(node, list):
        for item in node:
            found += _types(item)
    return found


def _keys(node) -> int:
    """How many properties a document has (JSON-LD keywords and @context left out)."""
    if isinstance(node, dict):
        return sum(
            (0 if key.startswith("@") or key in {"id", "type"} else 1) + _keys(value)
            for key, value in node.items()
            if key != "@context"
        )
    if isinstance(node, list):
        return sum(_keys(item) for item in node)
    return 0


def _expanded_keys(node) -> int:
    if isinstance(node, dict):
        return sum(
            (0 if key.startswith("@") else 1) + _expanded_keys(value) for key, value in node.items()
        )
    if isinstance(node, list):
        return sum(_expanded_keys(item) for item in node)
    return 0


@needs_shared
@pytest.mark.parametrize(
    "which",
    ["credential", "based_credential", "status_list", "suspension_list", "issuer", "achievement"],
)
def test_documents_expand_as_json_ld_with_local_contexts_and_lose_nothing(
    client, certificate, request, which
):
    url = {
        "based_credential": (
            request.getfixturevalue("based_certificate").credential_url
            if which == "based_credential"
            else None
        ),
        "credential": certificate.credential_url,
        "status_list": reverse("certificates:status_list", args=[0]),
        "suspension_list": reverse("certificates:suspension_list", args=[0]),
        "issuer": reverse("certificates:issuer"),
        "achievement": reverse("certificates:achievement", args=[certificate.programme.code]),
    }[which]
    document = json.loads(client.get(url).content)

    expanded = expand_strictly(document)

    assert expanded, "expansion produced nothing"
    assert _expanded_keys(expanded) == _keys(document)
    for type_iri in _types(expanded):
        assert urlsplit(type_iri).scheme in {"http", "https"}, f"undefined type {type_iri}"


# --- Key documents, issuer and achievement ----------------------------------------------------


def test_the_key_document_is_a_multikey_controlled_by_the_issuer(client, certificate):
    document = get_credential(client, certificate)
    method = document["proof"]["verificationMethod"]
    key_url, fragment = method.split("#")

    key = fetcher(client)(key_url)

    assert key["type"] == "Multikey"
    assert key["id"] == method
    assert key["controller"] == document["issuer"]["id"]
    assert key["publicKeyMultibase"] == fragment
    assert key["publicKeyMultibase"].startswith("z6Mk")
    assert "https://w3id.org/security/multikey/v1" in json.dumps(key["@context"])


def test_unknown_keys_and_programmes_are_404(client, db):
    assert client.get(reverse("certificates:key", args=["0123456789abcdef"])).status_code == 404
    assert client.get(reverse("certificates:achievement", args=["nope"])).status_code == 404
    assert client.get(reverse("certificates:status_list", args=[10**6])).status_code == 404


def test_the_issuer_and_achievement_documents_match_the_credential(client, certificate):
    document = get_credential(client, certificate)
    fetch = fetcher(client)

    issuer = fetch(document["issuer"]["id"])
    achievement = fetch(document["credentialSubject"]["achievement"]["id"])

    assert issuer["id"] == document["issuer"]["id"]
    assert issuer["type"] == ["Profile"]
    assert issuer["name"] == "阳光学堂 Sunshine Academy"
    assert achievement["@context"] == CREDENTIAL_CONTEXT
    assert achievement["id"] == document["credentialSubject"]["achievement"]["id"]
    assert achievement["achievementType"] == "Certification"
    assert achievement["description"] == certificate.programme.description


# --- The revocation list ----------------------------------------------------------------------


def decode_list(encoded: str) -> bytes:
    payload = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_the_status_list_is_one_query_and_sets_the_bits_of_revoked_certificates(
    client, certificate, other_collector, programme, auditor, django_assert_num_queries
):
    other = issue_certificate(other_collector, programme)
    lifecycle.revoke(other, by=auditor, reason="违规催收")
    url = reverse("certificates:status_list", args=[0])

    with django_assert_num_queries(1):
        response = client.get(url)

    assert response.status_code == 200
    assert response["Cache-Control"] == f"public, max-age={status_list.TTL_SECONDS}"
    document = json.loads(response.content)
    assert document["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    subject = document["credentialSubject"]
    assert (subject["type"], subject["statusPurpose"]) == ("BitstringStatusList", "revocation")
    assert subject["encodedList"].startswith("u")
    assert "=" not in subject["encodedList"]
    bits = decode_list(subject["encodedList"])
    assert len(bits) * 8 == 131_072
    set_bits = [i for i in range(len(bits) * 8) if bits[i // 8] & (0x80 >> (i % 8))]
    assert set_bits == [other.status_index]
    assert certificate.status_index != other.status_index


def test_a_certificate_beyond_the_first_list_is_in_the_next_one(client, certificate, auditor):
    Certificate.objects.filter(pk=certificate.pk).update(status_index=131_072 + 5)
    certificate.refresh_from_db()
    lifecycle.revoke(certificate, by=auditor, reason="重复发证")

    document = get_credential(client, certificate)

    entry = document["credentialStatus"][0]
    assert entry["statusPurpose"] == "revocation"
    assert entry["statusListIndex"] == "5"
    assert entry["statusListCredential"].endswith(reverse("certificates:status_list", args=[1]))
    result = vc_verifier.verify_credential(document, fetcher(client))
    assert result.revoked is True
    first = json.loads(client.get(reverse("certificates:status_list", args=[0])).content)
    assert not any(decode_list(first["credentialSubject"]["encodedList"]))


def test_bit_order_is_left_most_first():
    bits = decode_list(status_list.encode_bitstring([0, 9, 131_071]))
    assert bits[0] == 0b1000_0000
    assert bits[1] == 0b0100_0000
    assert bits[-1] == 0b0000_0001
    with pytest.raises(ValueError):
        status_list.encode_bitstring([131_072])


# --- The key: generation, configuration, rotation, production check ---------------------------


def test_generate_signing_key_prints_a_key_that_signs_verifiable_credentials(
    client, certificate, settings
):
    out = StringIO()
    call_command("generate_signing_key", stdout=out)
    lines = out.getvalue().splitlines()
    name, _, secret = lines[0].partition("=")
    public = next(line for line in lines if "Public key" in line).rsplit(" ", 1)[1]

    assert name == "CERTIFICATE_SIGNING_KEY"
    settings.CERTIFICATE_SIGNING_KEY = secret
    document = get_credential(client, certificate)

    assert document["proof"]["verificationMethod"].endswith("#" + public)
    assert vc_verifier.verify_credential(document, fetcher(client)).verified
    again = StringIO()
    call_command("generate_signing_key", stdout=again)
    assert again.getvalue().splitlines()[0] != lines[0]  # a new key each time


def test_generate_signing_key_current_shows_the_configured_public_key(settings):
    """What an operator lists in CERTIFICATE_RETIRED_PUBLIC_KEYS before replacing the key."""
    private_key = _new_key()
    settings.CERTIFICATE_SIGNING_KEY = signing.secret_multikey(private_key)
    out = StringIO()

    call_command("generate_signing_key", "--current", stdout=out)

    assert f"# Public key (Multikey): {signing.public_multikey(private_key.public_key())}" in (
        out.getvalue().splitlines()
    )
    assert "CERTIFICATE_SIGNING_KEY=" not in out.getvalue()  # the secret is not echoed
    settings.CERTIFICATE_SIGNING_KEY = None
    settings.CERTIFICATE_ALLOW_DEV_SIGNING_KEY = False
    with pytest.raises(CommandError, match="CERTIFICATE_SIGNING_KEY must be set"):
        call_command("generate_signing_key", "--current", stdout=StringIO())


def test_copies_signed_with_a_retired_key_still_verify(client, certificate, settings):
    old_key, new_key = (signing.secret_multikey(_new_key()) for _ in range(2))
    settings.CERTIFICATE_SIGNING_KEY = old_key
    old_copy = get_credential(client, certificate)
    old_public = old_copy["proof"]["verificationMethod"].rsplit("#", 1)[1]

    settings.CERTIFICATE_SIGNING_KEY = new_key
    assert not vc_verifier.verify_credential(old_copy, _lenient(client)).verified
    settings.CERTIFICATE_RETIRED_PUBLIC_KEYS = [old_public]

    assert vc_verifier.verify_credential(old_copy, fetcher(client)).verified
    assert vc_verifier.verify_credential(
        get_credential(client, certificate), fetcher(client)
    ).verified


def _new_key():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.generate()


def _lenient(client):
    """A fetch that returns an empty document for a 404, as a verifier sees a missing key."""

    def fetch(url: str) -> dict:
        response = client.get(urlsplit(url).path)
        return json.loads(response.content) if response.status_code == 200 else {}

    return fetch


def test_the_system_check_requires_a_key_unless_development_keys_are_allowed(settings):
    settings.CERTIFICATE_SIGNING_KEY = None
    settings.DEBUG = False
    settings.CERTIFICATE_ALLOW_DEV_SIGNING_KEY = False
    assert [error.id for error in signing.check_signing_key(None)] == ["exams.E100"]
    with pytest.raises(signing.SigningKeyError):
        signing.current_signing_key()

    settings.CERTIFICATE_SIGNING_KEY = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"  # public
    assert [error.id for error in signing.check_signing_key(None)] == ["exams.E101"]

    settings.CERTIFICATE_SIGNING_KEY = None
    settings.DEBUG = True
    assert signing.check_signing_key(None) == []
    assert signing.current_signing_key().is_development


def test_production_settings_fail_the_system_check_without_a_key():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CERTIFICATE_"))}
    env.pop("DATABASE_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="lms.settings.production",
        DJANGO_SECRET_KEY="kP3v9s-Qm1zX7wL0rT5yB8nC2dF6gH4jK9mN1pR3sU5vW7xY0zA2bC4dE6fG8hJ0",
        ALLOWED_HOSTS="academy.example.cn",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "exams.E100" in result.stderr
    assert "CERTIFICATE_SIGNING_KEY is not set" in result.stderr
