"""The admin's question import screen: upload, preview without writing, import, permissions."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from wagtail.images import get_image_model

from exams.models import Question, QuestionBank
from tests.conftest import activate_totp, make_user

FIXTURES = Path(__file__).resolve().parents[2] / "exams" / "fixtures"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def url() -> str:
    return reverse("exams_import_questions")


@pytest.fixture
def trainer_client(client, trainer) -> Client:
    activate_totp(trainer)
    client.force_login(trainer)
    return client


def upload(name: str, content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, content if content is not None else (FIXTURES / name).read_bytes()
    )


def post(client: Client, url: str, name: str, action: str = "preview", **fields: object):
    data = {"file": upload(name), "format": "", "action": action, **fields}
    data.setdefault("new_bank", "新题库")
    return client.post(url, data)


def test_trainers_find_the_screen_in_the_menu(trainer_client, url):
    assert url in trainer_client.get(reverse("wagtailadmin_home")).content.decode()
    response = trainer_client.get(url)
    assert response.status_code == 200
    assert b'enctype="multipart/form-data"' in response.content


def test_the_preview_lists_what_would_be_imported_and_writes_nothing(trainer_client, url):
    response = post(trainer_client, url, "questions_zh.gift")
    assert response.status_code == 200
    assert response.context["stage"] == "preview"
    rows = response.context["rows"]
    assert len(rows) == 9
    first = rows[0]
    assert (first["name"], first["category"], first["choices"]) == (
        "联系时间",
        "合规催收/催收时间与方式",
        3,
    )
    assert str(first["type"]) in {"Single choice", "单选题"}
    html = response.content.decode()
    assert html.count("data-import-question") == 9
    assert "谈话记录" in html and "(essay)" in html
    assert 'data-unsupported-count="1"' in html
    assert not QuestionBank.objects.exists()
    assert not Question.objects.exists()
    assert not get_image_model().objects.exists()


def test_import_after_preview_uses_the_file_kept_in_the_session(trainer_client, trainer, url):
    token = post(trainer_client, url, "questions_zh.gift").context["token"]
    response = trainer_client.post(url, {"token": token})
    assert response.status_code == 200
    assert response.context["stage"] == "done"
    assert response.context["report"].imported == 9
    bank = QuestionBank.objects.get(name="新题库")
    assert bank.questions.count() == 9
    assert get_image_model().objects.get().uploaded_by_user == trainer
    # The token works once: a second post (a double click, a reload) imports nothing more.
    again = trainer_client.post(url, {"token": token})
    assert again.context["form"] is not None
    assert bank.questions.count() == 9


def test_import_now_imports_without_a_preview_into_a_chosen_bank(client, admin_user, url):
    activate_totp(admin_user)
    client.force_login(admin_user)
    bank = QuestionBank.objects.create(name="已有题库")
    response = post(client, url, "questions_zh.xml", "import", bank=bank.pk, new_bank="")
    assert response.context["stage"] == "done"
    assert bank.questions.count() == 3
    assert {c.path for c in bank.categories.all()} == {
        "合规催收",
        "合规催收/个人信息",
        "合规催收/沟通技巧",
    }


def test_a_file_with_errors_is_refused_and_every_error_is_shown(trainer_client, url):
    response = post(trainer_client, url, "invalid.gift", "import")
    assert response.context["stage"] == "rejected"
    report = response.context["report"]
    names = {p.name for p in report.invalid}
    assert names == {"等级错误", "缺少括号", "两个满分答案", "全角括号"}
    html = response.content.decode()
    for name in names:
        assert name in html
    assert not QuestionBank.objects.exists()


def test_the_preview_offers_to_import_only_the_valid_questions(trainer_client, url):
    response = post(trainer_client, url, "invalid.gift")
    assert response.context["can_skip"]
    assert b'name="skip_invalid" value="1"' in response.content
    response = trainer_client.post(url, {"token": response.context["token"], "skip_invalid": "1"})
    assert response.context["report"].imported == 1
    assert list(Question.objects.values_list("name", flat=True)) == ["正确的题"]


def test_skip_invalid_on_the_form_imports_the_valid_questions(trainer_client, url):
    response = post(trainer_client, url, "invalid.xml", "import", skip_invalid="on")
    assert response.context["stage"] == "done"
    assert list(Question.objects.values_list("name", flat=True)) == ["正确的题"]


def test_files_over_5_mb_are_refused_with_a_clear_error(trainer_client, url):
    big = upload("big.gift", b"// " + b"x" * (5 * 1024 * 1024))
    response = trainer_client.post(url, {"file": big, "new_bank": "B", "action": "preview"})
    assert response.status_code == 200
    (error,) = response.context["form"].errors["file"]
    assert "5 MB" in error
    assert not QuestionBank.objects.exists()


def test_the_form_needs_a_bank_and_a_format_it_can_tell(trainer_client, url):
    response = trainer_client.post(
        url, {"file": upload("questions.csv", b"x"), "new_bank": "", "action": "preview"}
    )
    errors = response.context["form"].errors
    assert set(errors) == {"bank", "format"}


def test_creating_a_bank_needs_the_add_bank_permission(db, client, url):
    group = Group.objects.create(name="Question writers")
    group.permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="add_question", content_type__app_label="exams"),
    )
    writer = make_user("writer@example.com", "写题人")
    writer.groups.add(group)
    client.force_login(writer)
    response = post(client, url, "questions_zh.gift")
    assert "new_bank" in response.context["form"].errors
    QuestionBank.objects.create(name="已有")
    response = post(client, url, "questions_zh.gift", new_bank="已有")
    assert response.context["stage"] == "preview"


@pytest.mark.parametrize("persona", ["manager", "collector"])
def test_people_without_admin_access_are_sent_to_sign_in(db, client, url, persona, request):
    user = request.getfixturevalue(persona)
    activate_totp(user)
    client.force_login(user)
    response = post(client, url, "questions_zh.gift", "import")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not QuestionBank.objects.exists()


def test_admin_users_who_cannot_add_questions_are_turned_away_and_see_no_menu_item(db, client, url):
    group = Group.objects.create(name="Admin readers")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    reader = make_user("reader@example.com", "只读")
    reader.groups.add(group)
    client.force_login(reader)
    # Wagtail answers PermissionDenied with its "no permission" redirect to the dashboard.
    for response in (post(client, url, "questions_zh.gift", "import"), client.get(url)):
        assert (response.status_code, response["Location"]) == (302, reverse("wagtailadmin_home"))
    assert url not in client.get(reverse("wagtailadmin_home")).content.decode()
    assert not QuestionBank.objects.exists()


def test_reviewers_may_import_too(client, reviewer, url):
    activate_totp(reviewer)
    client.force_login(reviewer)
    response = post(client, url, "questions_zh.gift", "import")
    assert response.context["report"].imported == 9


def test_posts_need_a_csrf_token(trainer, url):
    activate_totp(trainer)
    client = Client(enforce_csrf_checks=True)
    client.force_login(trainer)
    response = post(client, url, "questions_zh.gift", "import")
    assert response.status_code == 403
    assert not QuestionBank.objects.exists()
