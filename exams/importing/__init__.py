"""Importing questions into a bank from GIFT or Moodle XML, and the shared pieces of export.

Why one service: the management command and the admin screen must behave identically, and a
preview must show exactly what an import would do. So the parsers (:mod:`.gift`,
:mod:`.moodlexml`) only turn a file into :class:`ParsedQuestion` values and report what they
cannot read; :func:`plan_import` applies every rule (Moodle's grade list, choice counts,
ID numbers, images, categories) without writing anything; :func:`run_import` repeats the plan
inside one transaction and writes the valid questions with bulk inserts.

Mapping decisions (documented here because other modules rely on them):

* Types: Moodle multichoice with one answer (``single`` true; GIFT with an ``=`` answer) →
  ``single``; with several (``single`` false; GIFT with only ``~`` answers, e.g. ``~%50%``) →
  ``multiple``; truefalse → ``truefalse`` with exactly two choices, ``TRUE_TEXT`` ("正确")
  first and ``FALSE_TEXT`` ("错误") second; Moodle's feedbacktrue/feedbackfalse become those
  choices' feedback. Every other type (essay, matching, numerical, shortanswer, cloze,
  description, …) is reported as unsupported, by name and place, and skipped.
* Question text → ``Question.stem`` (Wagtail rich text, sanitised to the field's features);
  ``html`` is kept as HTML, ``moodle`` auto-format keeps inline HTML and turns line breaks
  into ``<br/>`` and blank lines into paragraphs (as Moodle shows it), ``plain`` is escaped
  first, ``markdown`` goes through Wagtail's own Markdown converter. General feedback →
  ``Question.explanation`` the same way. The result is what Wagtail's editor would keep
  (its whitelister for the field's features: no scripts, styles or unknown tags; Draftail's
  ``data-block-key`` attributes are not kept either). Choice texts and feedback are plain
  text (``Choice.text`` and ``Choice.feedback`` are text fields): HTML there is reduced to
  text, and written back as escaped HTML with ``<br>`` for line breaks.
* Images: ``<img src="@@PLUGINFILE@@/name">`` with the file embedded (Moodle XML ``<file>``,
  the legacy ``<image_base64>``) or ``<img src="data:image/...;base64,...">`` (GIFT has no
  files) become Wagtail images in the root collection (an existing image with the same
  content is reused), referenced as ``<embed embedtype="image" ...>``. Images elsewhere
  (choices, explanations) and non-image files are dropped with a warning.
* Categories: ``$course$/``, ``$module$/``, ``$system$/``, ``$cat$/`` and a leading ``top``
  are dropped; ``A/B`` becomes nested categories in the bank, created as needed; questions
  without a category go to ``Default``. Category info and ID number are kept on creation.
* Grades must be in Moodle's list (``MOODLE_GRADES``, within 0.00001, as Moodle matches them);
  then the rules the admin form applies (``exams.validation``): single choice and true/false
  need exactly one choice at 100% and no other positive grade (Moodle's partial credit on a
  single-answer question is refused, as the form would refuse it); multiple choice needs
  positive grades adding up to 100% (±0.01 percentage points) and a wrong choice; at least
  two choices. ID numbers must be unique within the bank.

Outcome: without ``skip_invalid`` a file with any invalid question imports nothing; with it the
valid questions are imported and the invalid ones reported. Unsupported questions are always
skipped and reported. A file with no question that can be imported is refused (nothing is
written, not even its categories), as Moodle refuses a file without questions.

Layout, one module per job (each imports only the ones before it): :mod:`.parsed` (what the
parsers produce, shared constants), :mod:`.formats` (text formats), :mod:`.categories`
(category paths), :mod:`.export`, the two parsers and writers :mod:`.gift` and
:mod:`.moodlexml`, :mod:`.reading` (a file in either format), :mod:`.planning` and
:mod:`.writing`. The names other modules use are re-exported here.

Round trip: ``import(export(bank))`` gives the same categories and questions (type, name,
stem, explanation, choices with grades and feedback, ID number, tags; with Moodle XML also
mark, hidden state and category descriptions). True/false choices always come back as
``TRUE_TEXT``/``FALSE_TEXT``, since Moodle's format has no texts for them.
"""

from __future__ import annotations

from .categories import categories_by_path, join_category_path, split_category_path
from .export import BankExport, ExportedQuestion, bank_for_export, export_html, fraction_percent
from .formats import (
    HTML,
    MARKDOWN,
    MOODLE,
    PLAIN,
    default_name,
    html_to_text,
    plain_name,
    text_to_html,
    to_html,
    to_text,
)
from .parsed import (
    DEFAULT_CATEGORY,
    EXTENSIONS,
    FALSE_TEXT,
    FORMATS,
    GIFT,
    MAX_UPLOAD_BYTES,
    MOODLE_GRADES,
    MOODLE_XML,
    ONE,
    PLUGINFILE,
    TRUE_TEXT,
    TRUE_TEXTS,
    ParsedCategory,
    ParsedChoice,
    ParsedQuestion,
    ParseResult,
    Problem,
    format_for_name,
    match_grade,
)
from .planning import ImageRef, ImportRejected, ImportReport, plan_import
from .reading import parse
from .writing import run_import

__all__ = [
    "BankExport",
    "DEFAULT_CATEGORY",
    "EXTENSIONS",
    "ExportedQuestion",
    "FALSE_TEXT",
    "FORMATS",
    "GIFT",
    "HTML",
    "ImageRef",
    "ImportRejected",
    "ImportReport",
    "MARKDOWN",
    "MAX_UPLOAD_BYTES",
    "MOODLE",
    "MOODLE_GRADES",
    "MOODLE_XML",
    "ONE",
    "PLAIN",
    "PLUGINFILE",
    "ParseResult",
    "ParsedCategory",
    "ParsedChoice",
    "ParsedQuestion",
    "Problem",
    "TRUE_TEXT",
    "TRUE_TEXTS",
    "bank_for_export",
    "categories_by_path",
    "default_name",
    "export_html",
    "format_for_name",
    "fraction_percent",
    "html_to_text",
    "join_category_path",
    "match_grade",
    "parse",
    "plain_name",
    "plan_import",
    "run_import",
    "split_category_path",
    "text_to_html",
    "to_html",
    "to_text",
]
