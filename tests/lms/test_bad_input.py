"""Hostile input never produces a server error: every URL pattern the site serves (ours, Wagtail's,
allauth's, the platform API's) is requested with bad path parameters, bad query strings and bad
form fields, as an anonymous visitor, a collector, a firm manager and a staff member, by GET and
by POST, and no answer may be a 5xx.

CI runs it on PostgreSQL, which refuses NUL in text where SQLite shrugs; it passes unchanged on
SQLite too, whose driver refuses integers beyond bigint where PostgreSQL finds no rows. The one
exception is Wagtail's /admin/failwhale/. The cases the security review found stand at the
bottom, each with the exact status it must get; ``test_input_checks.py`` pins the admin ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

from tests.compliance.dashboard_factories import make_manager
from tests.conftest import signed_in
from tests.factories import FirmFactory, MembershipFactory

pytestmark = pytest.mark.django_db

# U+FFFF (a noncharacter), a right-to-left override, an emoji, combining marks, a zero-width
# joiner, a fullwidth digit and an ideograph: valid Unicode that no view expects.
ODD = "\uffff\u202e😀e\u0301\u0308\u200d１名"
# ... repeated to 10,000 characters: long enough to find a slow regex or an unbounded column.
LONG_ODD = (ODD * (10_000 // len(ODD) + 1))[:10_000]
BIGINT = "9" * 20  # digits only, so ``<int:...>`` converters match; beyond PostgreSQL's bigint
NUL = "a\x00b"
# Percent-encoded, as they arrive on the wire: a NUL, and invalid UTF-8 (the encoded form of
# U+D800, half of a surrogate pair; "/" in an overlong two-byte form).
REFUSED_SEGMENTS = [quote(NUL), "a%ED%A0%80b", "a%C0%AFb"]

# Every query parameter a view of ours reads (grep request.GET and the API's query schemas),
# plus Wagtail's and allauth's common ones.
QUERY_KEYS = [
    "q", "p", "page", "page_size", "format", "status", "firm", "grade", "certificate",
    "expiring", "state", "topic", "kind", "year", "download", "attempts", "updated_since",
    "bank", "category", "parent", "type", "difficulty", "ordering", "next", "id", "locale",
]  # fmt: skip
# What each key is given, in turn: numbers beyond bigint, bigint's maximum (an offset computed
# from it overflows), negative, beyond a float, not a number, odd Unicode. The search box ("q")
# always gets the 10,000 characters (the paths get them too).
HOSTILE_VALUES = [BIGINT, "9223372036854775807", "-1", "1e309", "NaN", ODD]

# Signing out mid-walk would leave the rest of it anonymous.
SKIPPED_NAMES = {"account_logout", "wagtailadmin_logout"}
# /admin/failwhale/ is Wagtail's error-reporting self-test (is Sentry receiving errors from
# production?): it raises on purpose, for staff only, so it must stay a 500.
DELIBERATE_500S = {"wagtailadmin_error_test"}
PERSONAS = ["anonymous", "collector", "manager", "staff"]


def hostile(turn: int, nul: bool = False) -> dict[str, str]:
    """Every query key with a hostile value; ``turn`` rotates which key gets which, so each
    persona's request gives each key a different one. ``nul`` puts a NUL into every other value
    (for form fields, which reach the views: the middleware only guards the address)."""
    values = {}
    for index, key in enumerate(QUERY_KEYS):
        value = LONG_ODD if key == "q" else HOSTILE_VALUES[(index + turn) % len(HOSTILE_VALUES)]
        values[key] = value + NUL if nul and index % 2 else value
    return values


@dataclass(frozen=True)
class Route:
    name: str
    parts: tuple[str, ...]  # one (route or regex) pattern string per nesting level

    @property
    def has_parameters(self) -> bool:
        return any("<" in part or "(" in part for part in self.parts)

    @property
    def has_integer_parameters(self) -> bool:
        return any("<int:" in part or "<id:" in part or r"\d" in part for part in self.parts)

    @property
    def is_admin(self) -> bool:
        return self.parts[0] == "admin/"

    def url(self, value: str) -> str:
        """The URL with every parameter replaced by ``value`` (already percent-encoded)."""
        return "/" + "".join(_fill(part, value) for part in self.parts)


def _fill(part: str, value: str) -> str:
    if "(" in part or part.startswith("^"):  # a regular expression (re_path)
        return _fill_regex(part, value)
    return re.sub(r"<(?:\w+:)?\w+>", lambda _m: value, part)


def _fill_regex(regex: str, value: str) -> str:
    """Each outermost group becomes ``value``; the anchors and escapes around them go."""
    out, depth, index = [], 0, 0
    while index < len(regex):
        char = regex[index]
        if char == "\\" and depth == 0:
            out.append(regex[index + 1])
            index += 2
            continue
        if char == "\\":
            index += 2
            continue
        if char == "(":
            if depth == 0:
                out.append(value)
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and char not in "^$":
            out.append(char)
        index += 1
    return "".join(out)


def routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns, ()))


def _walk(patterns, parts: tuple[str, ...], namespace: str = "") -> Iterator[Route]:
    for pattern in patterns:
        if isinstance(pattern.pattern, RoutePattern):
            text = pattern.pattern._route
        elif isinstance(pattern.pattern, RegexPattern):
            text = pattern.pattern._regex
        else:  # pragma: no cover - no locale prefixes in this project
            text = str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, (*parts, text), inner)
        elif isinstance(pattern, URLPattern) and pattern.name not in SKIPPED_NAMES:
            yield Route(f"{namespace}{pattern.name or ''}", (*parts, text))


class Walker:
    """Sends the requests and collects every 5xx or exception, each in its own savepoint (an
    error on PostgreSQL aborts the transaction; the next request must not inherit that)."""

    def __init__(self) -> None:
        self.failures: list[str] = []
        self.count = 0

    def send(self, who: str, client: Client, method: str, url: str, data=None) -> None:
        self.count += 1
        try:
            with transaction.atomic():
                if method == "GET":
                    response = client.get(url, data)
                else:
                    response = client.post(url, data or {})
        except Exception as error:  # noqa: BLE001 - every failure is reported, not just the first
            self.failures.append(f"{method} {url[:120]} as {who}: {type(error).__name__}: {error}")
            return
        if response.status_code >= 500:
            self.failures.append(f"{method} {url[:120]} as {who}: {response.status_code}")


@pytest.fixture
def personas(collector, admin_user) -> dict[str, Client]:
    firm = FirmFactory(name="阳光资产管理有限公司")
    MembershipFactory(user=collector, firm=firm, employee_number="E001")
    boss = make_manager("boss@example.com", "王经理", firm)
    clients = {"anonymous": Client()}
    for who, user in {"collector": collector, "manager": boss}.items():
        clients[who] = Client()
        clients[who].force_login(user)
    clients["staff"] = signed_in(Client(), admin_user)
    return clients


def test_no_url_answers_hostile_input_with_a_server_error(personas):
    walker = Walker()
    all_routes = routes()
    assert len(all_routes) > 300, "the walk must include Wagtail's, allauth's and the API's routes"
    long_odd, odd = quote(LONG_ODD), quote(ODD)
    for route in all_routes:
        if route.has_parameters:
            # Refused before any view runs, whoever asks: one persona is enough.
            walker.send("anonymous", personas["anonymous"], "GET", route.url(REFUSED_SEGMENTS[0]))
        # Wagtail's admin turns away everyone but staff before its views run: there the walk
        # spends its time on staff, elsewhere on every persona.
        for turn, who in enumerate(["staff"] if route.is_admin else PERSONAS):
            if who == "staff" and route.name in DELIBERATE_500S:
                continue
            client = personas[who]
            if route.has_parameters:
                walker.send(who, client, "GET", route.url(long_odd))
                if route.has_integer_parameters:
                    walker.send(who, client, "GET", route.url(BIGINT))
            # Query strings need a path that resolves: "1" is an id that often exists. POSTs get
            # no real id, so no walk deletes what the next request needs.
            walker.send(who, client, "GET", route.url("1"), hostile(turn))
            walker.send(who, client, "POST", route.url(odd), hostile(turn, nul=True))
    assert not walker.failures, f"{len(walker.failures)} of {walker.count} requests failed:\n" + (
        "\n".join(walker.failures[:40])
    )
    # The walk really ran signed in to the end (it skips the sign-out URLs).
    assert personas["staff"].get("/admin/").status_code == 200
    assert personas["manager"].get("/firm/staff/").status_code == 200


# --- The cases the security review found, with the status each must get -----------------------


@pytest.mark.parametrize(
    "url",
    [
        "/verify/a%00b/",
        "/verify/a%00b.json",
        "/firm/staff/invitations/a%00b/",
        "/firm/staff/?q=a%00b",
        "/search/?q=%ED%A0%80",
        "/search/?q=a%C0%AFb",
        "/regulations/1%00/",
        *(f"/verify/{segment}/" for segment in REFUSED_SEGMENTS),
    ],
)
def test_a_nul_or_invalid_utf8_in_the_address_is_a_400(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "Bad request" in response.content.decode()


def test_a_nul_in_the_api_address_is_a_400_in_the_apis_json_shape(client):
    response = client.get("/api/v1/certificates/%00")
    assert response.status_code == 400
    assert response.json() == {"detail": "The address contains a NUL character."}


def test_a_nul_in_a_header_or_cookie_is_a_400(client):
    client.cookies["sessionid"] = "abcdefgh\x00"
    assert client.get("/").status_code == 400


def test_an_id_beyond_bigint_is_a_404(client):
    assert client.get(f"/regulations/{BIGINT}/").status_code == 404


def test_plain_unicode_in_the_address_still_works(client):
    assert client.get("/search/?" + urlencode({"q": "催收 合规"})).status_code == 200
