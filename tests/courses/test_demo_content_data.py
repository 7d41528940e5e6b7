"""The demo courses and events are well-formed data that the builder can rely on.

No database: these tests read ``courses.demo_content`` and ``content.demo_content`` as plain
data and check them against the block contract and the regulation library on disk.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

from content.demo_content import EVENTS
from courses.demo_content import COURSES

REGULATIONS_PATH = Path(__file__).resolve().parents[2] / "content" / "data" / "regulations.json"
REGULATIONS: list[dict] = json.loads(REGULATIONS_PATH.read_text(encoding="utf-8"))

TOPICS = {
    "banking-rules",
    "public-security-law",
    "criminal-law",
    "personal-information",
    "de-escalation",
}
LEVELS = {"foundation", "intermediate", "advanced"}
COURSE_KEYS = {
    "slug",
    "title",
    "topic",
    "level",
    "estimated_minutes",
    "summary",
    "objectives",
    "lessons",
}
LESSON_KEYS = {"slug", "title", "intro", "estimated_minutes", "body"}
BLOCK_KEYS = {
    "heading": {"text", "level"},
    "citation": {"regulation", "note"},
    "dialogue": {
        "title",
        "debtor_line",
        "non_compliant_response",
        "why_non_compliant",
        "breaks",
        "compliant_response",
    },
    "callout": {"kind", "title", "text"},
    "knowledge_check": {"question", "choices", "explanation"},
}
CHOICE_KEYS = {"text", "is_correct", "feedback"}
PARAGRAPH_TAGS = {"p", "h3", "b", "i", "ol", "ul", "li", "a"}
CALLOUT_TAGS = {"p", "b", "i", "ol", "ul", "li", "a"}
REQUIRED_CITATIONS = {
    ("刑法", "238"),
    ("刑法", "246"),
    ("刑法", "274"),
    ("刑法", "293"),
    ("刑法", "293-1"),
    ("治安管理处罚法", "47"),
    ("治安管理处罚法", "50"),
    ("个人信息保护法", "10"),
    ("个人信息保护法", "13"),
    ("民法典", "1033"),
    ("民间借贷司法解释", "25"),
}
# Statute text may only reach a page through a citation block: no run of this many characters
# of any article may appear in our own text.
QUOTE_WINDOW = 20
TODAY = dt.datetime(2026, 11, 28)
SUMMARY_LABEL = "【监管要求摘要，非原文】"


def resolve(key: tuple) -> dict:
    """The one library article a citation key names (2025 治安管理处罚法 unless "2012")."""
    assert isinstance(key, tuple) and len(key) in (2, 3), key
    short, article_no = key[0], key[1]
    matches = [r for r in REGULATIONS if r["short"] == short and r["article_no"] == article_no]
    if len(key) == 3:
        assert key[2] == "2012" and short == "治安管理处罚法", key
        matches = [r for r in matches if r.get("superseded_by")]
    elif short == "治安管理处罚法":
        matches = [r for r in matches if r.get("effective_date") == "2026-01-01"]
    assert len(matches) == 1, f"{key} matches {len(matches)} articles"
    return matches[0]


def lessons():
    for course in COURSES:
        for lesson in course["lessons"]:
            yield course, lesson


def blocks(kind: str | None = None):
    for course, lesson in lessons():
        for name, value in lesson["body"]:
            if kind is None or name == kind:
                yield course, lesson, value


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.add(tag)
        self.attrs.extend(attrs)


def tags_of(html: str) -> set[str]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def strip_tags(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def chinese_chars(text: str) -> int:
    return len(re.findall(r"[\u4e00-\u9fff]", text))


def own_texts():
    """Every piece of text we wrote ourselves (everything except the cited statute text)."""
    for course in COURSES:
        yield course["title"]
        yield course["summary"]
        yield from course["objectives"]
    for _, lesson in lessons():
        yield lesson["title"]
        yield lesson["intro"]
        for name, value in lesson["body"]:
            if name == "paragraph":
                yield strip_tags(value)
            elif name == "heading":
                yield value["text"]
            elif name == "citation":
                yield value["note"]
            elif name == "callout":
                yield value["title"]
                yield strip_tags(value["text"])
            elif name == "dialogue":
                yield from (v for k, v in value.items() if k != "breaks")
            elif name == "knowledge_check":
                yield value["question"]
                yield value["explanation"]
                for choice in value["choices"]:
                    yield choice["text"]
                    yield choice["feedback"]


def test_there_is_one_course_per_topic():
    assert len(COURSES) == 5
    assert {course["topic"] for course in COURSES} == TOPICS


def test_courses_have_exactly_the_contract_fields():
    slugs = [course["slug"] for course in COURSES]
    assert len(set(slugs)) == len(slugs)
    for course in COURSES:
        assert set(course) == COURSE_KEYS, course["slug"]
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", course["slug"])
        assert course["level"] in LEVELS
        assert course["title"] and len(course["title"]) <= 255
        assert 0 < len(course["summary"]) <= 250
        assert len(course["objectives"]) >= 3
        assert all(isinstance(o, str) and o and "\n" not in o for o in course["objectives"])
        assert course["estimated_minutes"] == sum(
            lesson["estimated_minutes"] for lesson in course["lessons"]
        )


def test_each_course_has_three_or_four_lessons():
    for course in COURSES:
        assert 3 <= len(course["lessons"]) <= 4, course["slug"]


def test_lessons_have_exactly_the_contract_fields():
    slugs = [lesson["slug"] for _, lesson in lessons()]
    assert len(set(slugs)) == len(slugs)
    for _, lesson in lessons():
        assert set(lesson) == LESSON_KEYS, lesson["slug"]
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", lesson["slug"])
        assert 0 < len(lesson["intro"]) <= 250
        assert isinstance(lesson["estimated_minutes"], int) and lesson["estimated_minutes"] > 0
        assert lesson["body"], lesson["slug"]


def test_blocks_use_only_contract_names_and_keys():
    for _, lesson in lessons():
        for block in lesson["body"]:
            assert isinstance(block, tuple) and len(block) == 2, lesson["slug"]
            name, value = block
            if name == "paragraph":
                assert isinstance(value, str) and value.strip()
                continue
            assert name in BLOCK_KEYS, f"{lesson['slug']}: unknown block {name}"
            assert set(value) == BLOCK_KEYS[name], f"{lesson['slug']}: {name} {set(value)}"
            if name == "heading":
                assert value["level"] in {"h2", "h3"}
                assert 0 < len(value["text"]) <= 120
            elif name == "callout":
                assert value["kind"] in {"do", "dont"}
                assert 0 < len(value["title"]) <= 120
            elif name == "dialogue":
                assert len(value["title"]) <= 120
                for key in BLOCK_KEYS["dialogue"] - {"breaks", "title"}:
                    assert value[key].strip(), f"{lesson['slug']}: empty {key}"
            elif name == "citation":
                assert isinstance(value["note"], str)
            elif name == "knowledge_check":
                assert value["question"].strip()
                for choice in value["choices"]:
                    assert set(choice) == CHOICE_KEYS
                    assert isinstance(choice["is_correct"], bool)
                    assert 0 < len(choice["text"]) <= 250


def test_every_citation_resolves_to_one_library_article():
    for _, _, value in blocks("citation"):
        resolve(value["regulation"])
    for _, _, value in blocks("dialogue"):
        if value["breaks"] is not None:
            resolve(value["breaks"])


def test_the_2012_edition_is_cited_only_next_to_its_successor():
    for _, lesson, value in blocks("citation"):
        article = resolve(value["regulation"])
        if article.get("superseded_by"):
            cited = {b[1]["regulation"] for b in lesson["body"] if b[0] == "citation"}
            assert ("治安管理处罚法", article["superseded_by"]) in cited, lesson["slug"]
    for _, lesson, value in blocks("dialogue"):
        if value["breaks"] is not None:
            assert not resolve(value["breaks"]).get("superseded_by"), lesson["slug"]


def test_the_required_articles_are_cited():
    cited = {value["regulation"] for _, _, value in blocks("citation")}
    assert REQUIRED_CITATIONS <= cited, REQUIRED_CITATIONS - cited
    assert ("治安管理处罚法", "42", "2012") in cited


def test_there_are_dialogues_in_the_de_escalation_course_and_elsewhere():
    by_topic = Counter(course["topic"] for course, _, _ in blocks("dialogue"))
    assert sum(by_topic.values()) >= 3
    assert by_topic["de-escalation"] >= 3
    assert by_topic["de-escalation"] == max(by_topic.values())
    assert len(by_topic) >= 2


def test_each_course_has_a_knowledge_check_and_do_and_dont_callouts():
    for course in COURSES:
        names = [name for lesson in course["lessons"] for name, _ in lesson["body"]]
        kinds = {
            value["kind"]
            for lesson in course["lessons"]
            for name, value in lesson["body"]
            if name == "callout"
        }
        assert "knowledge_check" in names, course["slug"]
        assert kinds == {"do", "dont"}, course["slug"]


def test_every_knowledge_check_has_a_correct_choice_and_feedback_for_each():
    for _, lesson, value in blocks("knowledge_check"):
        choices = value["choices"]
        assert len(choices) >= 2, lesson["slug"]
        assert any(choice["is_correct"] for choice in choices), lesson["slug"]
        assert not all(choice["is_correct"] for choice in choices), lesson["slug"]
        assert all(choice["feedback"].strip() for choice in choices), lesson["slug"]
        assert value["explanation"].strip()


def test_rich_text_uses_only_the_allowed_tags():
    for _, lesson, value in blocks("paragraph"):
        assert tags_of(value) <= PARAGRAPH_TAGS, (lesson["slug"], tags_of(value))
    for _, lesson, value in blocks("callout"):
        assert tags_of(value["text"]) <= CALLOUT_TAGS, (lesson["slug"], tags_of(value["text"]))
        assert value["text"].startswith("<p>")


def test_each_lesson_has_a_real_amount_of_explanatory_text():
    for _, lesson in lessons():
        own = sum(
            chinese_chars(strip_tags(value if name == "paragraph" else value["text"]))
            for name, value in lesson["body"]
            if name in {"paragraph", "callout", "heading"}
        )
        assert 400 <= own <= 1200, (lesson["slug"], own)


def test_statute_text_appears_only_through_citations():
    windows = {
        text[i : i + QUOTE_WINDOW]
        for article in REGULATIONS
        for text in article["text"].split("\n")
        for i in range(len(text) - QUOTE_WINDOW + 1)
    }
    for text in own_texts():
        for i in range(len(text) - QUOTE_WINDOW + 1):
            assert text[i : i + QUOTE_WINDOW] not in windows, text


def test_regulator_summaries_are_labelled_and_name_no_article_numbers():
    labelled = 0
    for course, lesson, value in blocks("paragraph"):
        for part in re.findall(r"<p>.*?</p>", value):
            plain = strip_tags(part)
            if re.search(r"(办法|指引|通知)》", plain):
                assert plain.startswith(SUMMARY_LABEL), (lesson["slug"], plain[:40])
            if "非原文" in plain:
                assert re.match(r"【[^】]*摘要，非原文】", plain), (lesson["slug"], plain[:40])
                assert not re.search(r"第[一二三四五六七八九十百零〇0-9]+条", plain), plain[:40]
                labelled += course["topic"] == "banking-rules" and plain.startswith(SUMMARY_LABEL)
    assert labelled >= 2


def test_there_is_a_past_salon_and_an_upcoming_summit():
    assert sorted(event["kind"] for event in EVENTS) == ["salon", "summit"]
    for event in EVENTS:
        start = dt.datetime.fromisoformat(event["start"])
        end = dt.datetime.fromisoformat(event["end"])
        assert start < end and start.date() == end.date()
        if event["kind"] == "salon":
            assert end < TODAY
            assert event["recap"].strip()
        else:
            assert start > TODAY
            assert event["recap"] == ""


EVENT_KEYS = {
    "slug",
    "title",
    "kind",
    "start",
    "end",
    "city",
    "venue",
    "online_url",
    "intro",
    "speakers",
    "agenda",
    "materials",
    "recap",
}


@pytest.mark.parametrize("event", EVENTS, ids=lambda event: event["slug"])
def test_events_have_exactly_the_contract_fields(event):
    assert set(event) == EVENT_KEYS
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", event["slug"])
    assert event["title"] and event["city"] and event["venue"] and event["intro"]
    # Field sizes of content.EventPage, EventSpeaker and the agenda/slides blocks.
    assert len(event["intro"]) <= 250 and len(event["venue"]) <= 255
    assert tags_of(event["recap"]) <= PARAGRAPH_TAGS
    assert event["online_url"] == "" or event["online_url"].startswith("https://example.com/")
    assert "recording" not in json.dumps(event)
    names = set()
    for speaker in event["speakers"]:
        assert set(speaker) == {"name", "title", "bio"}
        assert 0 < len(speaker["name"]) <= 100 and len(speaker["title"]) <= 200
        assert "虚构" in speaker["title"] + speaker["bio"]
        names.add(speaker["name"])
    start = dt.datetime.fromisoformat(event["start"]).strftime("%H:%M")
    end = dt.datetime.fromisoformat(event["end"]).strftime("%H:%M")
    times = [item["time"] for item in event["agenda"]]
    assert times == sorted(times) and times[0] == start and times[-1] < end
    for item in event["agenda"]:
        assert set(item) == {"time", "title", "speaker", "description"}
        assert re.fullmatch(r"[0-2][0-9]:[0-5][0-9]", item["time"])
        assert 0 < len(item["title"]) <= 200 and len(item["speaker"]) <= 200
        assert item["speaker"] == "" or set(item["speaker"].split("、")) <= names
    assert event["materials"]
    for material in event["materials"]:
        assert set(material) == {"title", "slides_html"}
        assert 0 < len(material["title"]) <= 200
        sections = re.findall(r"<section>.*?</section>", material["slides_html"], re.S)
        assert 3 <= len(sections) <= 6
        assert "".join(sections) == material["slides_html"]
