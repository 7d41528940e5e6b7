"""The demo site, composed: each app registers its ``seed_demo`` steps; the command runs them.

Why a registry: ``seed_demo`` lives in ``lms.accounts``, the lowest app, and importing every
app's demo module from it pointed imports up the layers (accounts -> content, courses, exams,
certificates, compliance). Instead each app's ``AppConfig.ready()`` registers its own steps here
with an explicit order number, so the order is written down in one column and the command knows
only this module. Steps must be idempotent: ``make run`` seeds on every start.

A step is registered by its dotted path and imported only when ``seed_demo`` runs: demo modules
pull in page trees, PDF rendering (WeasyPrint) and fixtures that no web or worker process
should load at start-up.

Orders in use (gaps of 10 leave room): 10 regulations, 20 the Site, 30 the page tree, 40
courses, 50 events, 60 the exam, 70 demo accounts, 80 the programme and certificates, 90 firms,
roster and API token, 95 a law change reaching certificates, 100 certificate links, 105 event
sessions, registrations and attendance (salon and summit), 110
admission applications (one per state) and the demo agency's expiring admission, 115
re-assessments of admissions about to expire, 200 (last) the audit log's checkpoint and
verification of everything the steps before recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string


@dataclass
class DemoReport:
    """What a step tells the operator, and how many objects it created (for the summary)."""

    write: Callable[[str], None]
    created: int = 0

    def line(self, text: str, *, created: int = 0) -> None:
        """Print ``text`` and count ``created`` objects."""
        self.write(text)
        self.created += created

    def created_lines(self, lines: Iterable[str]) -> None:
        """One ``created …`` line per object, as the demo helpers describe them."""
        for text in lines:
            self.line(f"created {text}", created=1)


DemoStep = Callable[[DemoReport], None]


@dataclass(frozen=True)
class _Registered:
    order: int
    name: str
    path: str


_steps: dict[str, _Registered] = {}


def register(name: str, order: int, path: str) -> None:
    """Run the step at dotted ``path`` (a :data:`DemoStep`) at ``order`` in ``seed_demo``;
    ``name`` is ``"<app>.<what>"``.

    Registering a name again replaces it (``ready()`` may run more than once in tests); two
    names with one order would leave their order to chance, so that is refused.
    """
    for other in _steps.values():
        if other.order == order and other.name != name:
            raise ImproperlyConfigured(
                f"demo steps {other.name!r} and {name!r} both have order {order}"
            )
    _steps[name] = _Registered(order, name, path)


def steps() -> list[tuple[str, str]]:
    """The registered steps' names and dotted paths, in order."""
    ordered = sorted(_steps.values(), key=lambda entry: entry.order)
    return [(entry.name, entry.path) for entry in ordered]


def run(write: Callable[[str], None]) -> int:
    """Run every step in order, printing through ``write``; the number of objects created."""
    report = DemoReport(write)
    for _name, path in steps():
        step: DemoStep = import_string(path)
        step(report)
    return report.created
