"""Ids and fields that cannot be valid answer a clear 4xx (``lms/bad_input.py``).

The URL walk in ``test_bad_input.py`` found these 500s, reachable by a signed-in editor, in
Wagtail's own admin views and our chooser viewsets, and (on SQLite) ids beyond bigint in our
addresses; each is pinned here with the status it must get, next to proof that the views still
do their job with good input.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file

from content.models import Regulation
from lms.bad_input import BoundedIdConverter, fits_column, parse_id
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

BEYOND_BIGINT = "9" * 20
NOT_AN_ID = ["abc", "-1", "0", "1.5", BEYOND_BIGINT, "9223372036854775808", "１"]


@pytest.fixture
def staff(admin_user) -> Client:
    return signed_in(Client(), admin_user)


CHOSEN_URLS = [
    "/admin/images/chooser/chosen/{}/",
    "/admin/documents/chooser/chosen/{}/",
    "/admin/snippets/choose/content/regulation/chosen/{}/",
    "/admin/people-chooser/chosen/{}/",
    "/admin/collector-chooser/chosen/{}/",
]
CHOSEN_MULTIPLE_URLS = [
    "/admin/images/chooser/chosen-multiple/",
    "/admin/documents/chooser/chosen-multiple/",
    "/admin/snippets/choose/content/regulation/chosen-multiple/",
]


@pytest.mark.parametrize("url", CHOSEN_URLS)
@pytest.mark.parametrize("pk", NOT_AN_ID)
def test_a_chooser_given_a_pk_that_cannot_be_an_id_answers_404(staff, url, pk):
    assert staff.get(url.format(pk)).status_code == 404


@pytest.mark.parametrize("url", CHOSEN_MULTIPLE_URLS)
@pytest.mark.parametrize("pk", NOT_AN_ID)
def test_a_multiple_chooser_given_an_id_that_cannot_be_one_answers_400(staff, url, pk):
    assert staff.get(url, {"id": ["1", pk]}).status_code == 400


def test_a_chooser_still_returns_what_was_chosen(staff):
    image = get_image_model().objects.create(title="徽标", file=get_test_image_file())
    document = get_document_model().objects.create(title="手册")
    for url, pk in [(CHOSEN_URLS[0], image.pk), (CHOSEN_URLS[1], document.pk)]:
        response = staff.get(url.format(pk))
        assert response.status_code == 200
        assert response.json()["result"]["id"] == str(pk)
    response = staff.get(CHOSEN_MULTIPLE_URLS[0], {"id": [image.pk]})
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["result"]] == [str(image.pk)]


def test_the_regulation_chooser_has_nothing_to_create(staff):
    url = "/admin/snippets/choose/content/regulation/create/"
    before = Regulation.objects.count()
    assert staff.post(url, {"statute": "x"}).status_code == 404
    assert staff.get(url).status_code == 404
    assert Regulation.objects.count() == before


def test_the_external_link_chooser_posted_without_a_url_answers_400(staff):
    response = staff.post("/admin/choose-external-link/", {"link_text": "x"})
    assert response.status_code == 400


def test_the_external_link_chooser_still_takes_a_url(staff):
    prefix = "external-link-chooser"
    response = staff.post(
        "/admin/choose-external-link/",
        {f"{prefix}-url": "https://example.com/", f"{prefix}-link_text": ""},
    )
    assert response.status_code == 200
    assert response.json()["result"]["url"] == "https://example.com/"


@pytest.mark.parametrize("page", ["abc", "0", "-1", BEYOND_BIGINT, "2"])
def test_the_workflow_editor_given_a_page_number_it_has_not_answers_404(staff, page):
    from wagtail.models import Workflow

    workflow = Workflow.objects.create(name="审核")
    assert staff.get(f"/admin/workflows/edit/{workflow.pk}/").status_code == 200
    assert staff.get(f"/admin/workflows/edit/{workflow.pk}/", {"p": page}).status_code == 404


@pytest.mark.parametrize(
    "data", [{}, {"import_file_name": "x"}, {"input_format": "0"}, {"input_format": ""}]
)
def test_the_redirects_import_posted_without_its_fields_answers_400(staff, data):
    assert staff.post("/admin/redirects/import/process/", data).status_code == 400


# --- Ids in our own addresses ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"/regulations/{BEYOND_BIGINT}/",
        "/regulations/9223372036854775808/",
        "/regulations/0/",
        f"/firm/collectors/{BEYOND_BIGINT}/",
        f"/exam-attempts/{BEYOND_BIGINT}/",
    ],
)
def test_an_id_outside_bigint_does_not_match_our_addresses(client, url):
    assert client.get(url).status_code == 404


def test_an_id_beyond_bigint_in_an_admin_report_is_a_404(staff):
    assert staff.get(f"/admin/exam-reports/{BEYOND_BIGINT}/").status_code == 404
    # No pattern matches, so CommonMiddleware tries the address with a slash first.
    response = staff.get(f"/admin/exam-reports/{BEYOND_BIGINT}/attempts.csv", follow=True)
    assert response.status_code == 404


def test_the_id_converter_takes_bigints_and_reverses_them():
    converter = BoundedIdConverter()
    assert converter.to_python("9223372036854775807") == 2**63 - 1
    for value in ["0", "9223372036854775808", BEYOND_BIGINT]:
        with pytest.raises(ValueError):
            converter.to_python(value)
    assert reverse("regulation_detail", args=[42]) == "/regulations/42/"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", 1), ("9223372036854775807", 2**63 - 1), ("0", None), ("-1", None), (" 1", None),
     ("１", None), ("1e3", None), ("", None), (BEYOND_BIGINT, None)],
)  # fmt: skip
def test_parse_id_takes_only_ascii_digits_within_bigint(raw, expected):
    assert parse_id(raw) == expected


def test_fits_column_knows_each_integer_columns_range():
    from exams.models import AttemptQuestion

    position = AttemptQuestion._meta.get_field("position")  # a positive smallint
    assert fits_column(position, 1) and fits_column(position, 32767)
    assert not fits_column(position, -1) and not fits_column(position, 2**63)
