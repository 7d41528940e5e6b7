"""Loading the statute library from JSON: validate it all first, then write in one transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from wagtail import hooks

from lms.auditlog import chain

from .models import Regulation, RegulationChange, RegulationTopic

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "regulations.json"
REQUIRED = ("statute", "short", "article", "article_no", "topic", "text", "source", "version")
OPTIONAL = ("statute_en", "crime_name", "effective_date", "superseded_by")

# Apps above content say what the changes just loaded mean for them (the certification app
# answers with their impact): fn(changes: list[RegulationChange]) -> str | None, a one-line
# summary or None. ``load_regulations`` prints each line; content never imports those apps.
REGULATION_CHANGES_LOADED_HOOK = "regulation_changes_loaded"


class RegulationDataError(ValueError):
    """The file cannot be loaded; ``errors`` lists every problem, each naming entry and field."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changed_keys: list[str] = field(default_factory=list)
    # The changes this load recorded (corrections first, then supersessions, in file order).
    changes: list[RegulationChange] = field(default_factory=list)


def _describe(index: int, entry: object) -> str:
    if isinstance(entry, dict) and entry.get("short") and entry.get("article"):
        return f"entry {index} ({entry['short']} {entry['article']})"
    return f"entry {index}"


def parse(raw: str) -> list[dict]:
    """Check the JSON and every entry; raise RegulationDataError listing all problems."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise RegulationDataError([f"not valid JSON: {exc}"]) from None
    if not isinstance(data, list):
        raise RegulationDataError(["the file must contain a JSON array of articles"])
    errors: list[str] = []
    topics = set(RegulationTopic.values)
    keys: dict[tuple[str, str, str], int] = {}
    for index, entry in enumerate(data, start=1):
        where = _describe(index, entry)
        if not isinstance(entry, dict):
            errors.append(f"{where}: must be an object")
            continue
        for name in REQUIRED:
            value = entry.get(name)
            if not isinstance(value, str) or not value.strip():
                errors.append(f"{where}: field '{name}' is missing or empty")
        unknown = set(entry) - set(REQUIRED) - set(OPTIONAL)
        if unknown:
            errors.append(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        if isinstance(entry.get("topic"), str) and entry["topic"] not in topics:
            errors.append(
                f"{where}: field 'topic' is '{entry['topic']}', "
                f"not one of {', '.join(sorted(topics))}"
            )
        if entry.get("effective_date") is not None:
            try:
                dt.date.fromisoformat(str(entry["effective_date"]))
            except ValueError:
                errors.append(f"{where}: field 'effective_date' must be a date like 2026-01-01")
        short, article_no, version = (
            entry.get("short"),
            entry.get("article_no"),
            entry.get("version"),
        )
        if isinstance(short, str) and isinstance(article_no, str) and isinstance(version, str):
            key = (short, article_no, version)
            if key in keys:
                errors.append(
                    f"{where}: duplicates entry {keys[key]} (same short, article_no, version)"
                )
            keys[key] = index
    if not errors:
        for index, entry in enumerate(data, start=1):
            if entry.get("superseded_by") and _successor(data, entry) is None:
                errors.append(
                    f"{_describe(index, entry)}: field 'superseded_by' names article "
                    f"{entry['superseded_by']}, but no newer {entry['short']} article has it"
                )
    if errors:
        raise RegulationDataError(errors)
    return data


def _successor(data: list[dict], entry: dict) -> dict | None:
    """The newest entry of the same statute with the article number ``superseded_by`` names."""
    candidates = [
        other
        for other in data
        if other["short"] == entry["short"]
        and other["article_no"] == str(entry["superseded_by"])
        and other["version"] != entry["version"]
        and (other.get("effective_date") or "") > (entry.get("effective_date") or "")
    ]
    return max(candidates, key=lambda o: o.get("effective_date") or "", default=None)


def _values(entry: dict) -> dict:
    date = entry.get("effective_date")
    return {
        "statute": entry["statute"],
        "statute_en": entry.get("statute_en", ""),
        "crime_name": entry.get("crime_name", ""),
        "article_label": entry["article"],
        "topic": entry["topic"],
        "text": entry["text"],
        "source": entry["source"],
        "effective_date": dt.date.fromisoformat(date) if date else None,
    }


def data_digest(data: list[dict]) -> str:
    """SHA-256 of the entries as canonical JSON (keys sorted, UTF-8, no spaces): anyone with
    the file can recompute it (``json.dumps(json.load(f), sort_keys=True, ensure_ascii=False,
    separators=(",", ":"))``) and compare it with the audit event of the load."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@transaction.atomic
def load(
    data: list[dict], *, source: str = "", file_sha256: str = "", actor: Any = None
) -> LoadResult:
    """Create or update each article by (short name, article number, version).

    Records a :class:`RegulationChange` for each existing version whose text changes (a
    correction) and each version that gains a successor or a different one (a supersession;
    also on a first load, where an old version arrives already superseded), in the same
    transaction. ``source`` names the file on each change. Loading the same data again
    records no change.

    Every load — an unchanged one too — appends a ``regulations.loaded`` event to the audit
    log, last in the transaction: what was loaded (the data's digest, the file's when known),
    the counts and the changes recorded. ``actor``: who loaded it (None: the request's user or
    the task; the platform for a command).
    """
    result = LoadResult()
    rows: dict[tuple[str, str, str], Regulation] = {}
    for entry in data:
        key = (entry["short"], entry["article_no"], entry["version"])
        values = _values(entry)
        row = Regulation.objects.filter(
            short_name=key[0], article_no=key[1], version=key[2]
        ).first()
        if row is None:
            row = Regulation.objects.create(
                short_name=key[0], article_no=key[1], version=key[2], **values
            )
            result.created += 1
        elif any(getattr(row, name) != value for name, value in values.items()):
            old_text = row.text
            for name, value in values.items():
                setattr(row, name, value)
            row.save()
            result.updated += 1
            result.changed_keys.append(f"{key[0]} {entry['article']}")
            if old_text != row.text:
                result.changes.append(
                    RegulationChange.objects.create(
                        kind=RegulationChange.Kind.CORRECTED,
                        old=row,
                        new=row,
                        old_text=old_text,
                        new_text=row.text,
                        source=source,
                    )
                )
        else:
            result.unchanged += 1
        rows[key] = row
    for entry in data:
        row = rows[(entry["short"], entry["article_no"], entry["version"])]
        successor = _successor(data, entry) if entry.get("superseded_by") else None
        target = (
            rows[(successor["short"], successor["article_no"], successor["version"])]
            if successor
            else None
        )
        if row.superseded_by_id != (target.pk if target else None):
            row.superseded_by = target
            row.save(update_fields=["superseded_by"])
            if target is not None:
                result.changes.append(_supersession(row, target, source))
    chain.record(
        "regulations.loaded",
        subject_label=Path(source).name if source else "regulation library",
        actor=actor,
        payload={
            "source": Path(source).name if source else "",
            "data_sha256": data_digest(data),
            "file_sha256": file_sha256,
            "entries": len(data),
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "changed": result.changed_keys,
            "changes": [
                {"id": change.pk, "kind": change.kind, "old": change.old_id, "new": change.new_id}
                for change in result.changes
            ],
        },
    )
    return result


def _supersession(row: Regulation, target: Regulation, source: str) -> RegulationChange:
    """The change ``row`` → ``target``; the one recorded before if the file went back to it."""
    change, _created = RegulationChange.objects.get_or_create(
        kind=RegulationChange.Kind.SUPERSEDED,
        old=row,
        new=target,
        defaults={"old_text": row.text, "new_text": target.text, "source": source},
    )
    return change


def describe_impact(changes: list[RegulationChange]) -> list[str]:
    """One line per app that answers ``regulation_changes_loaded`` for these changes."""
    lines = []
    for describe in hooks.get_hooks(REGULATION_CHANGES_LOADED_HOOK):
        line = describe(changes)
        if line:
            lines.append(line)
    return lines


def load_file(path: Path = DEFAULT_PATH, *, actor: Any = None) -> LoadResult:
    """Read, check and load ``path``; the audit event names the file's SHA-256 too."""
    try:
        raw_bytes = Path(path).read_bytes()
        raw = raw_bytes.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RegulationDataError([f"cannot read {path}: {exc}"]) from None
    # The field holds 255 characters: a deep path keeps its file name.
    return load(
        parse(raw),
        source=str(path)[-255:],
        file_sha256=hashlib.sha256(raw_bytes).hexdigest(),
        actor=actor,
    )
