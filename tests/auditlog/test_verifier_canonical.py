"""The standalone verifier's canonical JSON (which the chain also hashes with when it appends an
event) is RFC 8785 — the ``rfc8785`` package's output — for every event-like value, and refuses
what RFC 8785 would write differently (floats, non-ASCII keys) rather than guess."""

from __future__ import annotations

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.auditlog import verifier

MAX_SAFE = 2**53 - 1
ascii_keys = st.text(st.characters(min_codepoint=0, max_codepoint=127), max_size=12)
# Any text: CJK, emoji (outside the BMP), controls, quotes, backslashes; no lone surrogates,
# which no JSON document of ours can carry.
texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
scalars = st.none() | st.booleans() | st.integers(-MAX_SAFE, MAX_SAFE) | texts
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(ascii_keys, children, max_size=5)
    ),
    max_leaves=30,
)
event_bodies = st.fixed_dictionaries(
    {
        "v": st.just(1),
        "seq": st.integers(1, MAX_SAFE),
        "time": texts,
        "type": texts,
        "actor": st.fixed_dictionaries({"kind": texts, "id": texts}),
        "subject": st.fixed_dictionaries({"type": texts, "id": texts, "label": texts}),
        "firms": st.lists(st.fixed_dictionaries({"id": st.integers(1, MAX_SAFE), "code": texts})),
        "persons": st.lists(st.integers(1, MAX_SAFE)),
        "request_id": texts,
        "payload": st.dictionaries(ascii_keys, json_values, max_size=6),
        "personal_digest": st.none() | st.text("0123456789abcdef", min_size=64, max_size=64),
    }
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_canonical_json_is_rfc8785_for_any_event_value(value):
    assert verifier.canonical_json(value) == rfc8785.dumps(value)


@settings(max_examples=200, deadline=None)
@given(event_bodies)
def test_an_event_bodys_hash_is_the_sha256_of_its_rfc8785_form(body):
    assert verifier.body_hash(body) == verifier.sha256_hex(rfc8785.dumps(body))


def test_unicode_and_escapes_match_the_rfc_examples():
    value = {"a": '\u20ac$\u000f\nA\'B"\\\\"/', "b": "😀", "c": "\u2028", "d": "\u007f"}
    assert verifier.canonical_json(value) == rfc8785.dumps(value)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_are_refused(number):
    with pytest.raises(verifier.NotCanonicalisable):
        verifier.canonical_json({"score": number})


@pytest.mark.parametrize(
    "value",
    [
        {"名字": 1},
        {"n": 2**53},
        {1: "x"},
        "\ud800",
        {"t": (1,)},
        # Lists of integers (an event's persons) are checked in one pass: at either end too.
        {"persons": [1, 2, 2**53]},
        {"persons": [-(2**53), 1]},
        {"persons": [1, 2.0]},
    ],
)
def test_non_ascii_keys_unsafe_integers_and_other_types_are_refused(value):
    with pytest.raises(verifier.NotCanonicalisable):
        verifier.canonical_json(value)
