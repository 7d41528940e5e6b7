"""StreamField blocks for lessons.

The block names used in ``LessonPage.body`` (paragraph, heading, image, video, document, citation,
dialogue, callout, knowledge_check) and their child names are a contract: demo content and
imports write data in this shape. Statute text is never typed into a lesson; a ``citation``
points at a row of the regulation library, so a correction there reaches every lesson.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageBlock as WagtailImageBlock
from wagtail.snippets.blocks import SnippetChooserBlock

from content.models import Regulation

# What browsers play in a <video> element; anything else is better offered as a document.
VIDEO_EXTENSIONS = frozenset({"mp4", "m4v", "webm", "ogv", "mov"})

PARAGRAPH_FEATURES = ["h3", "bold", "italic", "link", "ol", "ul"]
CALLOUT_FEATURES = ["bold", "italic", "link", "ul", "ol"]


class RegulationChooserBlock(SnippetChooserBlock):
    """Chooses an article of the regulation library.

    Loads every cited article of a lesson, and its successor, in one query, so a lesson with
    many citations costs no more queries than one with a single citation.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("content.Regulation", **kwargs)

    def bulk_to_python(self, values):
        objects = self.model_class.objects.select_related("superseded_by").in_bulk(
            [v for v in values if v is not None]
        )
        return [objects.get(v) for v in values]

    def get_searchable_content(self, value) -> list[str]:
        if value is None:
            return []
        return [value.short_name, value.article_label]


def _first_regulation(**filters):
    """A real article for the block previews in the admin's block picker (None before loading)."""
    return Regulation.objects.filter(**filters).select_related("superseded_by").first()


class HeadingBlock(blocks.StructBlock):
    """A section heading inside a lesson (the lesson title is the page's only h1)."""

    text = blocks.CharBlock(label=_("Text"), max_length=120)
    level = blocks.ChoiceBlock(
        label=_("Level"),
        choices=[("h2", _("Section (h2)")), ("h3", _("Sub-section (h3)"))],
        default="h2",
        search_index=False,
    )

    class Meta:
        icon = "title"
        label = _("Heading")
        template = "blocks/heading.html"
        preview_value = {"text": "为什么要合规催收", "level": "h2"}
        description = _("A section heading that splits a long lesson into parts.")


class ImageBlock(blocks.StructBlock):
    """An illustration with alt text (from Wagtail's ImageBlock) and an optional caption."""

    image = WagtailImageBlock(label=_("Image"))
    caption = blocks.CharBlock(label=_("Caption"), required=False, default="", max_length=250)

    class Meta:
        icon = "image"
        label = _("Image")
        template = "blocks/image.html"
        preview_value = {"caption": "催收作业现场示意图"}
        description = _("An image with alternative text for screen readers and a caption.")


class VideoBlock(blocks.StructBlock):
    """A video: either embedded from a video site or an uploaded file, never both."""

    embed = EmbedBlock(
        label=_("Embedded video"),
        required=False,
        help_text=_("Address of the video on a video site."),
    )
    file = DocumentChooserBlock(
        label=_("Video file"),
        required=False,
        help_text=_("An uploaded video file (MP4 or WebM)."),
    )
    caption = blocks.CharBlock(label=_("Caption"), required=False, default="", max_length=250)

    class Meta:
        icon = "media"
        label = _("Video")
        template = "blocks/video.html"
        preview_value = {"caption": "情景演示：与情绪激动的债务人沟通"}
        description = _("An embedded video or an uploaded video file, with a caption.")

    def clean(self, value):
        value = super().clean(value)
        embed, document = value.get("embed"), value.get("file")
        if bool(embed) == bool(document):
            message = _("Give either an embedded video or a video file, not both and not neither.")
            raise StructBlockValidationError(non_block_errors=[ValidationError(message)])
        if document and document.file_extension.lower() not in VIDEO_EXTENSIONS:
            message = _("This file is not a video a browser can play (use MP4 or WebM).")
            raise StructBlockValidationError(block_errors={"file": ValidationError(message)})
        return value


class DocumentBlock(blocks.StructBlock):
    """A handout or form the learner can download."""

    document = DocumentChooserBlock(label=_("Document"))
    description = blocks.CharBlock(
        label=_("Description"), required=False, default="", max_length=250
    )

    class Meta:
        icon = "doc-full"
        label = _("Document")
        template = "blocks/document.html"
        preview_value = {"description": "催收话术合规自查表（可打印）"}
        description = _("A downloadable document with a short description.")

    def get_searchable_content(self, value) -> list[str]:
        document = value.get("document")
        return [document.title if document else "", value.get("description") or ""]


class CitationBlock(blocks.StructBlock):
    """An article of law quoted word for word from the regulation library, with its edition."""

    regulation = RegulationChooserBlock(label=_("Article"))
    note = blocks.TextBlock(
        label=_("Note"),
        required=False,
        default="",
        help_text=_("Why this article matters here. The article's text is shown automatically."),
    )

    class Meta:
        icon = "openquote"
        label = _("Citation")
        template = "blocks/citation.html"
        description = _("Quotes an article from the regulation library, word for word.")

    def get_preview_value(self):
        return self.normalize(
            {
                "regulation": _first_regulation(superseded_by__isnull=False),
                "note": "旧版条文已被替换时，页面会提示新版条号。",
            }
        )


class DialogueBlock(blocks.StructBlock):
    """A de-escalation scenario: what the debtor says, a response that breaks the rules and why,
    and a compliant response."""

    title = blocks.CharBlock(label=_("Title"), required=False, default="", max_length=120)
    debtor_line = blocks.TextBlock(label=_("What the debtor says"))
    non_compliant_response = blocks.TextBlock(label=_("Non-compliant response"))
    why_non_compliant = blocks.TextBlock(label=_("Why it is non-compliant"))
    breaks = RegulationChooserBlock(
        label=_("Rule it breaks"),
        required=False,
        help_text=_("The article of law the non-compliant response breaks, if any."),
    )
    compliant_response = blocks.TextBlock(label=_("Compliant response"))

    class Meta:
        icon = "group"
        label = _("Dialogue")
        template = "blocks/dialogue.html"
        preview_value = {
            "title": "债务人表示“没钱还”",
            "debtor_line": "我现在真的没钱，你们别再打了！",
            "non_compliant_response": "没钱？那我就去你单位找你领导，让大家都知道你欠钱不还。",
            "why_non_compliant": "以向单位、同事披露欠款相威胁，侵犯隐私并可能构成骚扰。",
            "compliant_response": "我理解您现在有困难。我们可以一起看看有没有分期或延期的方案，"
            "您方便说一下大概什么时候收入会稳定吗？",
        }
        description = _("A conversation with a debtor: a non-compliant and a compliant response.")


class CalloutBlock(blocks.StructBlock):
    """A boxed "do" or "don't" that stands out from the running text."""

    kind = blocks.ChoiceBlock(
        label=_("Kind"),
        choices=[("do", _("Do")), ("dont", _("Don't"))],
        default="do",
        search_index=False,
    )
    title = blocks.CharBlock(label=_("Title"), max_length=120)
    text = blocks.RichTextBlock(label=_("Text"), features=CALLOUT_FEATURES)

    class Meta:
        icon = "warning"
        label = _("Callout")
        template = "blocks/callout.html"
        preview_value = {
            "kind": "dont",
            "title": "不要在晚上十点后致电",
            "text": "<p>深夜致电容易被认定为骚扰。</p>",
        }
        description = _("A highlighted do or don't.")


class KnowledgeCheckChoiceBlock(blocks.StructBlock):
    """One answer of a knowledge check."""

    text = blocks.CharBlock(label=_("Answer"), max_length=250)
    is_correct = blocks.BooleanBlock(label=_("Correct answer"), required=False)
    feedback = blocks.TextBlock(
        label=_("Feedback"),
        required=False,
        default="",
        help_text=_("Shown when this answer is chosen."),
    )

    class Meta:
        icon = "radio-full"
        label = _("Answer")


class KnowledgeCheckBlock(blocks.StructBlock):
    """An ungraded question with instant feedback, so learners test themselves as they read."""

    question = blocks.TextBlock(label=_("Question"))
    choices = blocks.ListBlock(KnowledgeCheckChoiceBlock(), label=_("Answers"), min_num=2)
    explanation = blocks.TextBlock(
        label=_("Explanation"), required=False, default="", help_text=_("Shown after any answer.")
    )

    class Meta:
        icon = "help"
        label = _("Knowledge check")
        template = "blocks/knowledge_check.html"
        preview_value = {
            "question": "催收员可以在什么时间段联系债务人？",
            "choices": [
                {"text": "任何时间", "is_correct": False, "feedback": "深夜致电构成骚扰。"},
                {"text": "合理时间段，如8:00—21:00", "is_correct": True, "feedback": ""},
            ],
            "explanation": "联系时间应避免影响债务人正常休息。",
        }
        description = _("An ungraded question with instant feedback.")

    def clean(self, value):
        value = super().clean(value)
        if not any(choice.get("is_correct") for choice in value.get("choices") or []):
            message = _("Mark at least one answer as correct.")
            raise StructBlockValidationError(block_errors={"choices": ValidationError(message)})
        return value


class LessonStreamBlock(blocks.StreamBlock):
    """Everything a lesson body may contain."""

    paragraph = blocks.RichTextBlock(
        label=_("Paragraph"),
        features=PARAGRAPH_FEATURES,
        icon="pilcrow",
        template="blocks/paragraph.html",
        preview_value="<p>阳光催收要求合法、透明、文明地沟通。</p>",
        description=_("Running text with lists and links."),
    )
    heading = HeadingBlock()
    image = ImageBlock()
    video = VideoBlock()
    document = DocumentBlock()
    citation = CitationBlock()
    dialogue = DialogueBlock()
    callout = CalloutBlock()
    knowledge_check = KnowledgeCheckBlock()


def stream_text(value) -> str:
    """The readable text of a lesson body (rich text without tags, dialogue lines, callouts,
    questions, cited article labels), for the search index."""
    if not value:
        return ""
    return " ".join(t for t in value.stream_block.get_searchable_content(value) if t)
