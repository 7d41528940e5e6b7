"""Index pages' headings in the reader's language.

The catalogue, events and exams index pages are created (by migration) with Chinese titles,
课程 / 活动 / 考试, and English readers saw those as headings. The project does not translate page
content (no wagtail-localize: courses are written in Chinese), but these headings are interface
text: while a page keeps the title it was created with, its heading goes through gettext, like
the navigation's link to it. A title an editor changed is theirs and is shown as written.
"""

from __future__ import annotations

from django.utils.functional import Promise


class TranslatedHeadingMixin:
    """For a page model: ``default_titles`` (as created) map to the gettext ``heading_label``."""

    title: str  # the page's title field (the mixin goes on a Page subclass)
    default_titles: tuple[str, ...] = ()
    heading_label: Promise | None = None

    @property
    def heading(self) -> str:
        if self.heading_label is not None and self.title in self.default_titles:
            return str(self.heading_label)
        return self.title
