"""The suspension status list beside the revocation list, the two status entries of the
credential, and random status indexes (issue 13, W3C Bitstring Status List v1.0).

Checked the way a verifier would: the documents are fetched over HTTP and read by the
independent verifier (``vc_verifier``), which decodes each list (multibase base64url, GZIP),
reads the bit and checks the list's signature.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse

from exams.certificates import lifecycle, status_list, suspension
from exams.certificates.models import Certificate, CertificateSuspension
from tests.conftest import make_user, require_service
from tests.exams import vc_verifier
from tests.exams.credential_fixtures import (  # noqa: F401 — fixtures
    fetcher,
    issue_certificate,
    make_programme,
    media,
    stub_pdf,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stub_pdf", "media")]
LAW_CHANGE = CertificateSuspension.Category.LAW_CHANGE


def decoded_bits(document: dict) -> bytes:
    encoded = document["credentialSubject"]["encodedList"]
    assert encoded.startswith("u")  # multibase base64url, no padding
    assert "=" not in encoded
    return vc_verifier.decode_list(encoded)


bit = vc_verifier.read_bit


@pytest.fixture
def programme(db):
    return make_programme()


@pytest.fixture
def certificate(collector, programme) -> Certificate:
    return issue_certificate(collector, programme)


def credential(client, certificate) -> dict:
    response = client.get(certificate.credential_url)
    assert response.status_code == 200
    return json.loads(response.content)


# --- The credential's two entries --------------------------------------------------------------


def test_the_credential_carries_a_revocation_and_a_suspension_entry_at_the_same_index(
    client, certificate
):
    revocation, suspended = credential(client, certificate)["credentialStatus"]

    position = str(certificate.status_index % status_list.LIST_SIZE)
    assert revocation["type"] == suspended["type"] == "BitstringStatusListEntry"
    assert (revocation["statusPurpose"], suspended["statusPurpose"]) == ("revocation", "suspension")
    assert revocation["statusListIndex"] == suspended["statusListIndex"] == position
    assert revocation["statusListCredential"].endswith(
        reverse("certificates:status_list", args=[0])
    )
    assert suspended["statusListCredential"].endswith(
        reverse("certificates:suspension_list", args=[0])
    )
    assert revocation["id"] != suspended["id"]


def test_a_suspended_credential_is_read_as_suspended_then_valid_once_reinstated(
    client, certificate
):
    result = vc_verifier.verify_credential(credential(client, certificate), fetcher(client))
    assert (result.problems, result.revoked, result.suspended) == ([], False, False)

    suspension.suspend(certificate, category=LAW_CHANGE, reason="未在截止日期前完成法规更新学习")
    result = vc_verifier.verify_credential(credential(client, certificate), fetcher(client))
    assert (result.problems, result.revoked, result.suspended) == (["suspended"], False, True)

    suspension.reinstate(certificate)
    result = vc_verifier.verify_credential(credential(client, certificate), fetcher(client))
    assert (result.problems, result.revoked, result.suspended) == ([], False, False)


# --- The suspension list -----------------------------------------------------------------------


def test_the_suspension_list_is_signed_one_query_and_sets_only_suspended_bits(
    client, certificate, other_collector, programme, auditor, django_assert_num_queries
):
    suspended = issue_certificate(other_collector, programme)
    suspension.suspend(suspended, category=LAW_CHANGE, reason="逾期未完成更新课程")
    revoked = issue_certificate(make_user("third@example.com", "王五"), programme)
    lifecycle.revoke(revoked, by=auditor, reason="违规催收")
    url = reverse("certificates:suspension_list", args=[0])

    with django_assert_num_queries(1):
        response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vc+ld+json")
    document = json.loads(response.content)
    subject = document["credentialSubject"]
    assert document["id"] == settings.SITE_BASE_URL + url
    assert document["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert (subject["type"], subject["statusPurpose"]) == ("BitstringStatusList", "suspension")
    # ttl is in milliseconds (§2.2) and says what the HTTP cache header says in seconds.
    assert response["Cache-Control"] == f"public, max-age={subject['ttl'] // 1000}"
    assert subject["ttl"] == status_list.TTL_SECONDS * 1000
    bits = decoded_bits(document)
    assert len(bits) * 8 == 131_072
    set_bits = [i for i in range(len(bits) * 8) if bit(bits, i)]
    assert set_bits == [suspended.status_index]  # not the revoked one, not the valid one
    # Signed by the issuer: the independent verifier checks the proof with the published key.
    now = datetime.now(UTC)
    assert vc_verifier.proof_problems(document, fetcher(client), now) == []
    tampered = json.loads(response.content)
    tampered["credentialSubject"]["encodedList"] = status_list.encode_bitstring([])
    assert vc_verifier.proof_problems(tampered, fetcher(client), now) == [
        "signature does not match"
    ]

    # The revocation list is unchanged in meaning: the revoked bit only.
    revocation = json.loads(client.get(reverse("certificates:status_list", args=[0])).content)
    assert revocation["credentialSubject"]["statusPurpose"] == "revocation"
    revocation_bits = decoded_bits(revocation)
    assert [i for i in range(131_072) if bit(revocation_bits, i)] == [revoked.status_index]
    assert revocation["credentialSubject"]["ttl"] == subject["ttl"]


def test_the_bit_is_cleared_when_the_suspension_ends(client, certificate, auditor):
    suspension.suspend(certificate, category=LAW_CHANGE, reason="逾期")
    url = reverse("certificates:suspension_list", args=[0])
    assert bit(decoded_bits(client.get(url).json()), certificate.status_index) == 1

    lifecycle.revoke(certificate, by=auditor, reason="稽核确认违规")

    assert bit(decoded_bits(client.get(url).json()), certificate.status_index) == 0
    revocation = client.get(reverse("certificates:status_list", args=[0])).json()
    assert bit(decoded_bits(revocation), certificate.status_index) == 1


def test_no_suspension_list_beyond_the_last_possible_one(client):
    number = status_list.MAX_LIST_NUMBER + 1
    assert client.get(reverse("certificates:suspension_list", args=[number])).status_code == 404
    assert client.get(reverse("certificates:suspension_list", args=[1])).status_code == 200


# --- Random indexes ----------------------------------------------------------------------------


def test_new_certificates_get_random_indexes_not_the_issuance_sequence(programme):
    certificates = [
        issue_certificate(make_user(f"c{n}@example.com", f"催收员{n}"), programme) for n in range(6)
    ]
    indexes = [c.status_index for c in certificates]
    requests = [c.request_id for c in certificates]
    assert indexes != requests
    assert len(set(indexes)) == len(indexes)
    assert all(0 <= index < status_list.LIST_SIZE for index in indexes)
    assert max(indexes) - min(indexes) > 100  # spread over the list (odds of failing ~1e-20)


def test_draws_are_uniform_over_the_free_indexes_only(monkeypatch, certificate):
    monkeypatch.setattr(status_list, "LIST_SIZE", 8)
    Certificate.objects.filter(pk=certificate.pk).update(status_index=3)
    draws = Counter(status_list.random_free_index() for _ in range(700))

    assert set(draws) == {0, 1, 2, 4, 5, 6, 7}  # every free index, never the taken one
    assert min(draws.values()) > 50  # 100 expected each


def test_a_new_list_opens_once_the_lists_in_use_are_over_half_full(
    monkeypatch, collector, programme
):
    monkeypatch.setattr(status_list, "LIST_SIZE", 8)
    assert status_list.lists_in_use() == 1  # no certificate yet: list 0
    certificate = issue_certificate(collector, programme)
    assert 0 <= certificate.status_index < 8
    for n in range(3):  # 4 of 8 taken: half full, not over
        issue_certificate(make_user(f"h{n}@example.com", f"持证{n}"), programme)
    assert status_list.lists_in_use() == 1
    fifth = issue_certificate(make_user("h9@example.com", "持证九"), programme)
    assert fifth.status_index < 8
    assert status_list.lists_in_use() == 2  # 5 of 8: the next draw may land in list 1
    draws = {status_list.random_free_index() for _ in range(200)}
    assert draws <= set(range(16)) and any(index >= 8 for index in draws)


def test_existing_certificates_keep_their_index(certificate):
    Certificate.objects.filter(pk=certificate.pk).update(status_index=7)
    certificate.refresh_from_db()
    suspension.suspend(certificate, category=LAW_CHANGE, reason="逾期")
    certificate.refresh_from_db()
    assert certificate.status_index == 7


# --- Concurrency (PostgreSQL) ------------------------------------------------------------------


@pytest.fixture
def _postgresql():
    if connection.vendor != "postgresql":
        require_service(
            "PostgreSQL", "concurrency needs PostgreSQL (SQLite serialises whole transactions)"
        )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_transactions_that_draw_the_same_index_get_different_ones(
    _postgresql, monkeypatch
):
    """Both transactions draw index 42 first; the one that claims it second draws again."""
    scripted: dict[int, list[int]] = {}
    real = status_list._random.randrange

    def randrange(upper):
        queue = scripted.setdefault(threading.get_ident(), [42])
        return queue.pop(0) if queue else real(upper)

    monkeypatch.setattr(status_list._random, "randrange", randrange)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            with transaction.atomic():
                barrier.wait()
                results.append(status_list.random_free_index())
                barrier.wait()  # both have drawn before either commits
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(results)[0] != sorted(results)[1]
    assert 42 in results


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_many_concurrent_issuances_take_distinct_indexes(_postgresql):
    programme = make_programme()
    holders = [make_user(f"many{n}@example.com", f"并发多{n}") for n in range(8)]
    barrier = threading.Barrier(len(holders))
    errors = []

    def run(holder):
        try:
            barrier.wait()
            issue_certificate(holder, programme)
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(holder,)) for holder in holders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    indexes = list(Certificate.objects.values_list("status_index", flat=True))
    assert len(indexes) == len(set(indexes)) == len(holders)
