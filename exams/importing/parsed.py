"""What the parsers (:mod:`.gift`, :mod:`.moodlexml`) produce, and the constants of the formats
they share (format names, the true/false texts, Moodle's grade list).

Why apart: the parsers depend on these values only, never on planning or writing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePosixPath

GIFT = "gift"
MOODLE_XML = "moodlexml"
FORMATS = (GIFT, MOODLE_XML)
EXTENSIONS = {".gift": GIFT, ".txt": GIFT, ".xml": MOODLE_XML}
MAX_UPLOAD_BYTES = 5 * 1024 * 1024

# How true/false choices are stored: always these two texts, true first.
TRUE_TEXT = "正确"
FALSE_TEXT = "错误"
TRUE_TEXTS = {TRUE_TEXT, "对", "是", "true", "True", "TRUE", "T"}

DEFAULT_CATEGORY = "Default"
PLUGINFILE = "@@PLUGINFILE@@/"

# question_bank::fraction_options_full() in Moodle (question/engine/bank.php).
_POSITIVE_GRADES = (
    "1 0.9 0.8333333 0.8 0.75 0.7 0.6666667 0.6 0.5 0.4 0.3333333 0.3 0.25 0.2 0.1666667 "
    "0.1428571 0.125 0.1111111 0.1 0.05"
).split()
MOODLE_GRADES = sorted(
    {Decimal("0")}
    | {Decimal(g) for g in _POSITIVE_GRADES}
    | {-Decimal(g) for g in _POSITIVE_GRADES}
)
_GRADE_TOLERANCE = Decimal("0.00001")
ONE = Decimal("1")


def match_grade(fraction: Decimal) -> Decimal | None:
    """The grade from Moodle's list that ``fraction`` denotes, or None (Moodle's 'error' mode)."""
    for grade in MOODLE_GRADES:
        if abs(fraction - grade) < _GRADE_TOLERANCE:
            return grade
    return None


def format_for_name(filename: str) -> str | None:
    """The format a file name implies: .gift/.txt → GIFT, .xml → Moodle XML."""
    return EXTENSIONS.get(PurePosixPath(filename.lower()).suffix)


@dataclass(frozen=True)
class Problem:
    """Something a file could not give us, with where it is (``line 12``, ``question 3``)."""

    where: str
    message: str = ""
    name: str = ""
    qtype: str = ""  # set for unsupported questions: the type as the file names it

    def __str__(self) -> str:
        if self.qtype:
            text = f'skipped "{self.name}" ({self.qtype}, {self.where})'
            return f"{text}: {self.message}" if self.message else text
        if self.name:
            return f'{self.where} "{self.name}": {self.message}'
        return f"{self.where}: {self.message}"


@dataclass
class ParsedChoice:
    text: str
    fraction: Decimal
    feedback: str = ""
    where: str = ""  # its own place in the file, where the format knows it


@dataclass
class ParsedQuestion:
    """A question as read from a file, before the bank's rules are applied."""

    name: str
    type: str
    stem: str  # HTML, not yet sanitised
    where: str
    choices: list[ParsedChoice] = field(default_factory=list)
    explanation: str = ""  # HTML, not yet sanitised
    category: tuple[str, ...] = ()
    idnumber: str = ""
    default_mark: Decimal | None = None
    active: bool = True
    tags: list[str] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)  # @@PLUGINFILE@@ name → content
    problems: list[str] = field(default_factory=list)  # errors found while parsing
    notes: list[str] = field(default_factory=list)  # warnings found while parsing


@dataclass
class ParsedCategory:
    path: tuple[str, ...]
    info: str = ""
    idnumber: str = ""


@dataclass
class ParseResult:
    questions: list[ParsedQuestion] = field(default_factory=list)
    categories: list[ParsedCategory] = field(default_factory=list)
    unsupported: list[Problem] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)  # question-level: that question fails
    fatal: list[Problem] = field(default_factory=list)  # file-level: nothing can be read
    warnings: list[Problem] = field(default_factory=list)
