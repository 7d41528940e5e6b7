"""Masking personal data: enough to match an ID card, not to dox."""

from __future__ import annotations

from lms.lib.masking import mask_email, mask_name, mask_phone


def test_phones_keep_their_first_three_and_last_four_digits():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+8613812345678") == "+86138****5678"
    assert mask_phone("12345") == "*****"
    assert mask_phone("") == ""


def test_chinese_names_keep_their_first_and_last_characters():
    assert mask_name("张") == "*"
    assert mask_name("张三") == "张*"
    assert mask_name("张小三") == "张*三"
    assert mask_name("欧阳小明") == "欧**明"


def test_latin_names_keep_each_initial_and_hide_the_length():
    assert mask_name("John Smith") == "J*** S***"
    assert mask_name("  ") == ""


def test_emails_keep_the_first_letter_and_the_domain():
    assert mask_email("zhang.san@example.com") == "z********@example.com"
    assert mask_email("a@example.com") == "a*@example.com"
