"""The certificate pages: public verification, "My certificates" and the PDF download."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from django.utils import formats, timezone, translation

from exams.certificates import lifecycle
from exams.certificates.models import Certificate, CertificateStatus, IssuanceRequest
from lms.lib.masking import mask_name
from tests.conftest import make_user, signed_in

from .certificate_factories import (
    FAKE_PDF,
    complete_course,
    issue_certificate,
    make_programme,
    passing_attempt,
    use_fast_pdf,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_pdf(monkeypatch):
    use_fast_pdf(monkeypatch)


@pytest.fixture
def programme(db):
    return make_programme(refresher=True, renewal_exam=True)


@pytest.fixture
def certificate(collector, programme):
    return issue_certificate(collector, programme.programme)


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def verify(client, certificate: Certificate):
    return english(client).get(certificate.verification_url)


# --- Masking -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("张小三", "张*三"),
        ("欧阳小明", "欧**明"),
        ("王", "*"),
        ("  张 小三 ", "张*三"),
        ("阿卜杜拉·买买提", "阿******提"),
        ("John Smith", "J*** S***"),
        ("Madonna", "M***"),
        ("J. R. Tolkien", "J*** R*** T***"),
        ("Li", "L***"),
        ("", ""),
    ],
)
def test_it_masks_names_enough_to_match_an_id_card_but_not_to_identify(name, masked):
    assert mask_name(name) == masked


# --- Public verification -----------------------------------------------------------------------


def test_anyone_can_verify_a_valid_certificate_without_logging_in(client, certificate):
    response = verify(client, certificate)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Valid certificate" in page
    assert 'data-status="valid"' in page
    assert "张*" in page  # the collector is 张三
    assert "张三" not in page
    assert certificate.serial in page
    assert certificate.programme_name in page
    assert response["X-Robots-Tag"].startswith("noindex")
    assert "private" in response["Cache-Control"]


def test_the_verification_page_is_chinese_by_default(client, certificate):
    response = client.get(certificate.verification_url)

    assert response.status_code == 200
    assert '<html lang="zh-hans">' in response.content.decode()
    # Dates as Chinese writes them, whatever the catalogue holds.
    issued = timezone.localtime(certificate.issued_at).date()
    assert f"{issued.year}年{issued.month}月{issued.day}日" in response.content.decode()


def test_the_language_switcher_turns_the_page_into_english(client, certificate):
    client.post(reverse("set_language"), {"language": "en", "next": certificate.verification_url})

    page = client.get(certificate.verification_url).content.decode()

    assert '<html lang="en">' in page
    assert "Certificate verification" in page
    assert "Valid certificate" in page


def test_the_verification_page_links_to_the_signed_credential(client, certificate):
    page = verify(client, certificate).content.decode()

    assert f'href="{certificate.credential_url}"' in page


def test_a_revoked_certificate_is_unmistakable_and_its_reason_stays_private(
    client, certificate, auditor
):
    lifecycle.revoke(certificate, by=auditor, reason="冒充律师催收，联系电话13800000000")

    page = verify(client, certificate).content.decode()

    assert "Revoked — not valid" in page
    assert 'data-status="revoked"' in page
    assert "status-banner--revoked" in page
    with translation.override("en"):
        revoked_on = formats.date_format(timezone.localtime(certificate.revoked_at).date())
    assert f"revoked on {revoked_on}" in page
    assert "冒充律师" not in page
    assert "13800000000" not in page


def test_an_expired_certificate_says_so(client, collector, programme):
    long_ago = timezone.now() - timezone.timedelta(days=800)
    certificate = issue_certificate(collector, programme.programme, now=long_ago)
    lifecycle.expire_certificates()

    page = verify(client, certificate).content.decode()

    assert "Expired — not valid" in page
    assert 'data-status="expired"' in page


def test_a_certificate_past_expiry_shows_expired_before_the_nightly_job_runs(
    client, collector, programme
):
    long_ago = timezone.now() - timezone.timedelta(days=800)
    certificate = issue_certificate(collector, programme.programme, now=long_ago)
    assert certificate.status == CertificateStatus.VALID  # not marked yet

    page = verify(client, certificate).content.decode()

    assert 'data-status="expired"' in page
    assert "Valid certificate" not in page


def test_a_superseded_certificate_links_to_its_successor(client, collector, programme):
    old = issue_certificate(
        collector, programme.programme, now=timezone.now() - timezone.timedelta(days=700)
    )
    new = issue_certificate(collector, programme.programme, kind="renewal", renews=old)

    page = verify(client, old).content.decode()

    assert "Replaced by a newer certificate" in page
    assert 'data-status="superseded"' in page
    assert f'href="{new.verification_url}"' in page
    assert verify(client, new).status_code == 200


def test_an_unknown_code_is_a_plain_404(client, certificate):
    response = english(client).get(reverse("certificates:verify", args=["no-such-code-0000"]))

    assert response.status_code == 404
    html = response.content.decode()
    assert "No certificate has this verification code" in html
    assert "printed under the QR code" in html
    assert certificate.serial not in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_an_unknown_code_gets_the_sites_own_404_page_in_chinese(client, db, settings, debug):
    """Even with DEBUG on (where Django would show its technical 404 in English)."""
    settings.DEBUG = debug
    response = client.get(reverse("certificates:verify", args=["no-such-code-0000"]))

    assert response.status_code == 404
    assert [t.name for t in response.templates][:2] == ["404.html", "base.html"]
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "没有证书使用此验证码" in html
    assert 'class="site-header' in html  # the site's page, with its header and way home


@override_settings(CERTIFICATE_VERIFY_RATE="3/m")
def test_lookups_are_rate_limited_per_client_so_codes_cannot_be_enumerated(client, certificate):
    cache.clear()
    statuses = [
        client.get(reverse("certificates:verify", args=[f"guess-{n}"])).status_code
        for n in range(3)
    ]

    blocked = client.get(certificate.verification_url)

    assert statuses == [404, 404, 404]
    assert blocked.status_code == 429
    assert 1 <= int(blocked["Retry-After"]) <= 60
    other_ip = client.get(certificate.verification_url, REMOTE_ADDR="203.0.113.9")
    assert other_ip.status_code == 200


# --- My certificates ---------------------------------------------------------------------------


def test_my_certificates_needs_a_login(client):
    response = client.get(reverse("certificates:mine"))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_my_certificates_lists_only_the_users_own(client, collector, other_collector, programme):
    mine = issue_certificate(collector, programme.programme)
    theirs = issue_certificate(other_collector, programme.programme)
    collector.preferred_language = "en"
    collector.save(update_fields=["preferred_language"])
    client.force_login(collector)

    response = client.get(reverse("certificates:mine"))

    page = response.content.decode()
    assert response.status_code == 200
    assert mine.serial in page
    assert theirs.serial not in page
    assert "no-store" in response["Cache-Control"]
    assert reverse("certificates:pdf", args=[mine.pk]) in page
    assert mine.absolute_verification_url in page  # the share link
    json_link = reverse("certificates:verify_json", args=[mine.verification_code])
    assert f'href="{json_link}?download=1"' in page


def test_the_json_download_link_gives_a_file_named_after_the_serial(client, collector, certificate):
    client.force_login(collector)
    page = client.get(reverse("certificates:mine")).content.decode()
    link = re.search(r'href="([^"]+\.json\?download=1)"', page).group(1)

    response = client.get(link)

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{certificate.serial}.json"'


def test_the_navigation_links_to_my_certificates(client, collector):
    client.force_login(collector)

    page = client.get(reverse("certificates:mine")).content.decode()

    assert f'href="{reverse("certificates:mine")}" aria-current="page"' in page


def test_a_certificate_being_issued_is_listed(client, collector, programme):
    attempt = passing_attempt(collector, programme.exam)
    IssuanceRequest.objects.create(holder=collector, programme=programme.programme, attempt=attempt)
    collector.preferred_language = "en"
    collector.save(update_fields=["preferred_language"])
    client.force_login(collector)

    page = client.get(reverse("certificates:mine")).content.decode()

    assert "Being issued" in page
    assert f'data-pending="{programme.programme.code}"' in page


def test_in_the_renewal_window_it_says_how_to_renew(client, collector, programme):
    # Issued 23 months ago with 24 months' validity: about 30 days left, window 60 days.
    issued = timezone.now() - timezone.timedelta(days=700)
    issue_certificate(collector, programme.programme, now=issued)
    complete_course(collector, programme.refresher)
    collector.preferred_language = "en"
    collector.save(update_fields=["preferred_language"])
    client.force_login(collector)

    page = client.get(reverse("certificates:mine")).content.decode()

    assert "Renew now" in page
    assert programme.refresher.url in page
    assert programme.renewal_exam.url in page
    assert "(done)" in page  # the refresher course is complete


def test_outside_the_renewal_window_it_says_when_renewal_opens(client, collector, certificate):
    collector.preferred_language = "en"
    collector.save(update_fields=["preferred_language"])
    client.force_login(collector)

    page = client.get(reverse("certificates:mine")).content.decode()

    assert "Renew now" not in page
    assert "You can renew this certificate from" in page


def test_it_shows_progress_towards_a_programme_not_yet_earned(client, collector):
    programme = make_programme(courses=2)
    complete_course(collector, programme.courses[0])
    collector.preferred_language = "en"
    collector.save(update_fields=["preferred_language"])
    client.force_login(collector)

    page = client.get(reverse("certificates:mine")).content.decode()

    assert programme.programme.name in page
    assert "Required courses completed: 1/2" in page


def test_my_certificates_costs_the_same_queries_for_many_certificates(
    client, collector, django_assert_max_num_queries
):
    programmes = [make_programme() for _ in range(2)]
    issue_certificate(collector, programmes[0].programme)
    client.force_login(collector)
    client.get(reverse("certificates:mine"))  # warm the site and session caches
    with django_assert_max_num_queries(30) as one:
        client.get(reverse("certificates:mine"))
    for item in programmes[1:] + [make_programme() for _ in range(3)]:
        issue_certificate(collector, item.programme)

    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(reverse("certificates:mine"))


# --- The PDF -----------------------------------------------------------------------------------


def test_the_holder_downloads_the_pdf_named_after_the_serial(client, collector, certificate):
    client.force_login(collector)

    response = client.get(reverse("certificates:pdf", args=[certificate.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{certificate.serial}.pdf"'
    assert b"".join(response.streaming_content) == FAKE_PDF


def test_another_collector_gets_a_404_not_a_403(client, other_collector, certificate):
    client.force_login(other_collector)

    response = client.get(reverse("certificates:pdf", args=[certificate.pk]))

    assert response.status_code == 404


def test_a_missing_certificate_is_the_same_404(client, other_collector, certificate):
    client.force_login(other_collector)

    response = client.get(reverse("certificates:pdf", args=[certificate.pk + 1000]))

    assert response.status_code == 404


def test_staff_who_may_view_certificates_can_download_the_pdf(client, trainer, certificate):
    signed_in(client, trainer)

    response = client.get(reverse("certificates:pdf", args=[certificate.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == FAKE_PDF


def test_a_firm_manager_without_the_permission_gets_a_404(client, manager, certificate):
    client.force_login(manager)

    response = client.get(reverse("certificates:pdf", args=[certificate.pk]))

    assert response.status_code == 404


def test_the_pdf_needs_a_login(client, certificate):
    response = client.get(reverse("certificates:pdf", args=[certificate.pk]))

    assert response.status_code == 302


def test_a_user_without_a_name_still_gets_a_masked_email_free_page(client, programme):
    nameless = make_user("nameless@example.com", "", None)
    certificate = issue_certificate(nameless, programme.programme)

    page = verify(client, certificate).content.decode()

    assert "nameless@example.com" not in page
