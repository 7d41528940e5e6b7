"""Lesson blocks: each renders, citations quote the library verbatim, videos have one source."""

from __future__ import annotations

import json

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils.html import escape
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.documents.models import Document
from wagtail.embeds.embeds import get_embed_hash
from wagtail.embeds.models import Embed
from wagtail.images.models import Image
from wagtail.images.tests.utils import get_test_image_file

from content.models import Regulation
from courses.blocks import LessonStreamBlock, VideoBlock
from courses.models import Enrolment

from .pages import add_lesson

VIDEO_URL = "https://video.example.com/watch/1"


@pytest.fixture
def regulations(db):
    call_command("load_regulations", verbosity=0)


@pytest.fixture
def old_article_42(regulations) -> Regulation:
    """治安管理处罚法 (2012) 第四十二条, replaced by 第五十条 of the 2025 revision."""
    return Regulation.objects.get(
        short_name="治安管理处罚法", article_no="42", superseded_by__isnull=False
    )


@pytest.fixture
def embedded_video(db):
    """A cached embed, so rendering and validating never reach the network."""
    return Embed.objects.create(
        url=VIDEO_URL,
        hash=get_embed_hash(VIDEO_URL),
        type="video",
        html='<iframe src="https://video.example.com/embed/1" title="演示视频"></iframe>',
    )


def _document(name: str, content: bytes = b"%PDF-1.4\n") -> Document:
    return Document.objects.create(title=name, file=ContentFile(content, name=name))


def _lesson_html(client, user, course, blocks: list[dict]) -> str:
    lesson = add_lesson(course, "全部内容块", slug="all-blocks", body=json.dumps(blocks))
    Enrolment.objects.get_or_create(user=user, course=course)
    client.force_login(user)
    response = client.get(lesson.url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("name", list(LessonStreamBlock.base_blocks))
def test_every_block_renders_its_admin_preview_value(regulations, name):
    block = LessonStreamBlock().child_blocks[name]
    assert block.meta.icon and block.get_description()
    assert block.render(block.get_preview_value()) is not None


def test_every_block_renders_in_a_lesson(client, collector, course, old_article_42, embedded_video):
    image = Image.objects.create(title="催收现场", file=get_test_image_file())
    handout = _document("checklist.pdf")
    video = _document("demo.mp4", b"\x00\x00\x00\x18ftypmp42")
    html = _lesson_html(
        client,
        collector,
        course,
        [
            {"type": "paragraph", "value": "<p>合法、<b>透明</b>地沟通。</p>"},
            {"type": "heading", "value": {"text": "一、基本原则", "level": "h2"}},
            {"type": "heading", "value": {"text": "1. 联系时间", "level": "h3"}},
            {
                "type": "image",
                "value": {
                    "image": {
                        "image": image.pk,
                        "alt_text": "催收员与债务人面谈",
                        "decorative": False,
                    },
                    "caption": "面谈示意",
                },
            },
            {"type": "video", "value": {"embed": None, "file": video.pk, "caption": "上传的视频"}},
            {"type": "video", "value": {"embed": VIDEO_URL, "file": None, "caption": "嵌入视频"}},
            {"type": "document", "value": {"document": handout.pk, "description": "自查表"}},
            {"type": "citation", "value": {"regulation": old_article_42.pk, "note": "旧条文"}},
            {
                "type": "dialogue",
                "value": {
                    "title": "债务人说没钱",
                    "debtor_line": "我没钱！",
                    "non_compliant_response": "不还钱就去你单位闹。",
                    "why_non_compliant": "以披露相威胁。",
                    "breaks": old_article_42.superseded_by_id,
                    "compliant_response": "我们一起看看分期方案。",
                },
            },
            {
                "type": "callout",
                "value": {"kind": "dont", "title": "不要深夜致电", "text": "<p>构成骚扰。</p>"},
            },
            {
                "type": "knowledge_check",
                "value": {
                    "question": "可以向债务人的同事透露欠款吗？",
                    "choices": [
                        {"text": "可以", "is_correct": False, "feedback": "这会侵犯隐私。"},
                        {"text": "不可以", "is_correct": True, "feedback": ""},
                    ],
                    "explanation": "个人信息受法律保护。",
                },
            },
        ],
    )
    assert "<p>合法、<b>透明</b>地沟通。</p>" in html
    assert '<h2 class="block-heading">一、基本原则</h2>' in html
    assert '<h3 class="block-heading">1. 联系时间</h3>' in html
    assert 'alt="催收员与债务人面谈"' in html and "<figcaption>面谈示意</figcaption>" in html
    assert (
        f'<video class="block-video__player" controls preload="metadata" src="{video.url}"' in html
    )
    assert embedded_video.html in html and f'href="{VIDEO_URL}"' in html
    assert f'href="{handout.url}"' in html and "自查表" in html
    assert 'class="block-citation is-superseded"' in html
    assert "block-dialogue__turn--wrong" in html and "不还钱就去你单位闹。" in html
    assert "block-dialogue__turn--right" in html and "我们一起看看分期方案。" in html
    assert "✗" in html and "✓" in html
    assert "第五十条" in html.split("block-dialogue__breaks")[1]
    assert 'class="block-callout block-callout--dont"' in html and "<p>构成骚扰。</p>" in html
    assert 'class="knowledge-check"' in html
    assert html.count('<button type="button" class="knowledge-check__choice"') == 2
    assert 'data-correct="true"' in html and 'data-correct="false"' in html
    assert 'class="knowledge-check__feedback" role="status" aria-live="polite" hidden' in html
    assert "<details" in html and "个人信息受法律保护。" in html
    assert "/static/js/knowledge_check.js" in html


def test_a_citation_quotes_the_article_word_for_word_with_its_edition(client, collector, course):
    call_command("load_regulations", verbosity=0)
    article = Regulation.objects.get(short_name="刑法", article_no="293-1")

    html = _lesson_html(
        client, collector, course, [{"type": "citation", "value": {"regulation": article.pk}}]
    )

    for paragraph in article.paragraphs:
        assert f"<p>{escape(paragraph)}</p>" in html
    assert f"{article.statute} {article.article_label}" in html
    assert escape(article.version) in html
    assert "block-citation__superseded" not in html


def test_a_superseded_article_says_what_replaced_it_and_since_when(
    client, collector, course, old_article_42
):
    successor = old_article_42.superseded_by

    html = _lesson_html(
        client,
        collector,
        course,
        [{"type": "citation", "value": {"regulation": old_article_42.pk, "note": ""}}],
    )

    for paragraph in old_article_42.paragraphs:
        assert f"<p>{escape(paragraph)}</p>" in html
    notice = html.split('class="block-citation__superseded"')[1].split("</p>")[0]
    assert successor.article_label == "第五十条"
    assert f"{successor.short_name} {successor.article_label}" in notice
    assert "2026-01-01" in notice


def test_a_citation_of_a_deleted_article_says_so(client, collector, course):
    html = _lesson_html(
        client, collector, course, [{"type": "citation", "value": {"regulation": 999999}}]
    )
    assert "block-citation is-missing" in html


def test_a_video_needs_exactly_one_source(embedded_video):
    block = VideoBlock()
    video = _document("demo.mp4", b"\x00")
    neither = block.to_python({"embed": None, "file": None, "caption": ""})
    both = block.to_python({"embed": VIDEO_URL, "file": video.pk, "caption": ""})
    for value in (neither, both):
        with pytest.raises(StructBlockValidationError):
            block.clean(value)
    for value in ({"embed": VIDEO_URL, "file": None}, {"embed": None, "file": video.pk}):
        block.clean(block.to_python(value))


def test_an_uploaded_video_must_be_playable_in_a_browser(db):
    block = VideoBlock()
    slides = _document("slides.pdf")
    with pytest.raises(StructBlockValidationError) as error:
        block.clean(block.to_python({"embed": None, "file": slides.pk}))
    assert "file" in error.value.block_errors


def test_a_knowledge_check_needs_a_correct_answer(db):
    block = LessonStreamBlock().child_blocks["knowledge_check"]
    value = block.to_python(
        {
            "question": "问题",
            "choices": [
                {"text": "甲", "is_correct": False},
                {"text": "乙", "is_correct": False},
            ],
        }
    )
    with pytest.raises(StructBlockValidationError):
        block.clean(value)
