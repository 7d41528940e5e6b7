"""StreamField blocks for salon and summit pages: the agenda and the material handed out after.

Each block renders through its own template under ``templates/blocks/`` so an event page only
loops over its streams.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.embeds.blocks import EmbedBlock

# Document extensions a browser plays in an <audio> element rather than a <video> one.
AUDIO_EXTENSIONS = frozenset({"mp3", "m4a", "ogg", "wav"})


class AgendaItemBlock(blocks.StructBlock):
    """One slot of the programme: when, what, and who speaks."""

    time = blocks.TimeBlock(label=_("Time"), help_text=_("Beijing time."))
    title = blocks.CharBlock(label=_("Title"), max_length=200)
    speaker = blocks.CharBlock(label=_("Speaker"), required=False, max_length=200)
    description = blocks.TextBlock(label=_("Description"), required=False)

    class Meta:
        icon = "time"
        label = _("Agenda item")
        template = "blocks/agenda_item.html"
        preview_value = {
            "time": datetime.time(14, 0),
            "title": "新版治安管理处罚法对催收的影响",
            "speaker": "陈律师",
            "description": "2026年1月1日起施行的修订条文逐条解读。",
        }
        description = _("A time slot with its title, speaker and a short description.")


class SlidesBlock(blocks.StructBlock):
    """A deck or handout that attendees can download."""

    document = DocumentChooserBlock(label=_("Document"))
    title = blocks.CharBlock(
        label=_("Title"),
        required=False,
        max_length=200,
        help_text=_("Leave empty to use the document's title."),
    )

    class Meta:
        icon = "doc-full"
        label = _("Slides")
        template = "blocks/slides.html"
        preview_value = {"title": "催收合规要点（讲义）"}
        description = _("A downloadable document, shown with its file type and size.")


class RecordingBlock(blocks.StructBlock):
    """A recording of the event: either an embedded video (e.g. a video site) or an uploaded file.

    Exactly one source is allowed, so visitors never see two players for one talk.
    """

    embed = EmbedBlock(
        label=_("Embedded video"),
        required=False,
        help_text=_("Address of the video on a video site."),
    )
    file = DocumentChooserBlock(
        label=_("Video or audio file"), required=False, help_text=_("An uploaded MP4 or MP3.")
    )
    title = blocks.CharBlock(label=_("Title"), required=False, max_length=200)

    class Meta:
        icon = "media"
        label = _("Recording")
        template = "blocks/recording.html"
        preview_value = {"title": "沙龙回放"}
        description = _("An embedded video or an uploaded video or audio file.")

    def clean(self, value):
        value = super().clean(value)
        if bool(value.get("embed")) == bool(value.get("file")):
            message = _("Give either an embedded video or a file, not both and not neither.")
            raise StructBlockValidationError(non_block_errors=[ValidationError(message)])
        return value

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        document = value.get("file")
        context["is_audio"] = bool(document) and document.file_extension in AUDIO_EXTENSIONS
        return context
