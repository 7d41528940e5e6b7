"""Emails printed to the console in development are readable: UTF-8 text, not base64."""

from __future__ import annotations

import io

from django.core.mail import EmailMessage

from lms.mail import EmailBackend

LINK = "http://127.0.0.1:8000/accounts/confirm-email/MQ:1vAbCd:xyz/"
BODY = (
    "您好，这里是阳光学堂！\n\n"
    "您收到这封邮件是因为用户 张三 在 127.0.0.1:8000 上使用此电子邮件地址注册了一个账户。"
    "如果确认无误，请点击以下链接完成验证：\n" + LINK + "\n"
)


def printed(message: EmailMessage) -> str:
    stream = io.StringIO()
    EmailBackend(stream=stream).send_messages([message])
    return stream.getvalue()


def test_a_chinese_email_is_printed_as_readable_text_with_its_link_intact():
    output = printed(
        EmailMessage("[阳光学堂] 请确认您的邮箱地址", BODY, "noreply@example.cn", ["a@example.com"])
    )
    assert "Subject: [阳光学堂] 请确认您的邮箱地址" in output
    assert "您收到这封邮件是因为用户 张三" in output
    assert LINK in output
    assert "base64" not in output
    assert "=?utf-8?" not in output
    assert "Content-Transfer-Encoding: 8bit" in output


def test_an_attachment_stays_attached_and_the_text_stays_readable():
    message = EmailMessage("证书", "您的证书见附件。", "noreply@example.cn", ["a@example.com"])
    message.attach("SSA-2026-000001-K.pdf", b"%PDF-1.7 binary \x00\xff", "application/pdf")
    output = printed(message)
    assert "您的证书见附件。" in output
    assert 'filename="SSA-2026-000001-K.pdf"' in output


def test_every_message_is_followed_by_a_separator():
    output = printed(EmailMessage("a", "b", "noreply@example.cn", ["a@example.com"]))
    assert output.rstrip().endswith("-" * 79)
