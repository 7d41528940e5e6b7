"""Links to the audit trail from the admin pages of a firm, a certificate and a person, shown
to those who may read the trail (superusers and Auditors) and to nobody else."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import signed_in
from tests.exams.certificate_factories import issue_certificate, make_programme, use_fast_pdf
from tests.factories import FirmFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["auditor", "admin_user"])
def test_the_firm_pages_link_to_the_firms_trail(client, request, role):
    firm = FirmFactory()
    trail = reverse("auditlog_trail:firm", args=[firm.pk])
    signed_in(client, request.getfixturevalue(role))
    for url in (reverse("accounts_firms:inspect", args=[firm.pk]), reverse("accounts_firms:index")):
        assert trail in client.get(url).content.decode(), url
    assert client.get(trail).status_code == 200


def test_the_certificate_page_links_to_its_trail(client, auditor, collector, monkeypatch):
    use_fast_pdf(monkeypatch)
    certificate = issue_certificate(collector, make_programme().programme)
    trail = reverse("auditlog_trail:certificate", args=[certificate.pk])
    signed_in(client, auditor)
    inspect = reverse("exams_certificates:inspect", args=[certificate.pk])
    assert trail in client.get(inspect).content.decode()
    assert trail in client.get(reverse("exams_certificates:index")).content.decode()


def test_a_certificate_page_has_no_trail_link_for_those_who_may_not_read_it(
    client, reviewer, collector, monkeypatch
):
    use_fast_pdf(monkeypatch)
    certificate = issue_certificate(collector, make_programme().programme)
    signed_in(client, reviewer)
    response = client.get(reverse("exams_certificates:inspect", args=[certificate.pk]))
    assert response.status_code == 200  # reviewers may look at certificates
    html = response.content.decode()
    assert certificate.serial in html
    assert reverse("auditlog_trail:certificate", args=[certificate.pk]) not in html


def test_the_persons_admin_page_links_to_their_trail(client, admin_user, collector):
    trail = reverse("auditlog_trail:person", args=[collector.pk])
    html = (
        signed_in(client, admin_user)
        .get(reverse("wagtailusers_users:edit", args=[collector.pk]))
        .content.decode()
    )
    assert trail in html
