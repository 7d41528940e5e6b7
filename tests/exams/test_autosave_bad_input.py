"""Autosave (the attempt page's JSON POST) given bodies no page would send: each is a 400 with the
usual "could not be read" message, never a 500, and the answer already saved stays saved."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from exams.models import Attempt

from .factories import fill_bank, make_bank, make_exam

READ_ERROR = "The answer could not be read."


@pytest.fixture
def attempt(start_in_english) -> Attempt:
    bank = make_bank()
    fill_bank(bank, 2)
    return start_in_english(make_exam([{"bank": bank, "count": 2}], title="催收合规考试"))


def post(client, attempt: Attempt, body: str | bytes):
    return client.post(
        reverse("exams:save", args=[attempt.pk]), body, content_type="application/json"
    )


def first_choice(attempt: Attempt) -> int:
    return attempt.questions.get(position=1).choice_order[0]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("[" * 100_000, id="nested 100,000 deep"),
        pytest.param('{"position": 1, "choices": ' + "[" * 50 + "]" * 50 + "}", id="nested 50"),
        pytest.param('{"position": 1, "choices": [], "\\u0000": 1}', id="NUL in a key"),
        pytest.param('{"position": "1\\u0000", "choices": []}', id="NUL in a value"),
        pytest.param('{"position": NaN, "choices": []}', id="NaN"),
        pytest.param('{"position": 1e400, "choices": []}', id="beyond float"),
        pytest.param('{"position": 1, "choices": [Infinity]}', id="Infinity"),
        pytest.param('{"position": 1, "choices": 5}', id="choices not a list"),
        pytest.param("[1, 2]", id="not an object"),
        pytest.param(b"\xff\xfe", id="not UTF-8"),
        pytest.param('{"position": ' + "9" * 5000 + "}", id="5,000 digits"),
    ],
)
def test_autosave_answers_an_unreadable_body_with_a_400_and_keeps_the_saved_answer(
    client, attempt, body
):
    choice = first_choice(attempt)
    assert post(client, attempt, json.dumps({"position": 1, "choices": [choice]})).json()["saved"]

    response = post(client, attempt, body)

    assert response.status_code == 400
    assert response.json() == {"error": READ_ERROR}
    assert attempt.questions.get(position=1).response == [choice]


@pytest.mark.parametrize("position", [0, 99, 2**63, 10**30, -(2**63) - 1])
def test_autosave_answers_a_position_not_on_the_paper_with_a_400(client, attempt, position):
    response = post(client, attempt, json.dumps({"position": position, "choices": []}))

    assert response.status_code == 400
    assert "There is no question" in response.json()["error"]


@pytest.mark.parametrize("choice", [2**63, 10**30, -1])
def test_autosave_answers_a_choice_beyond_any_id_with_a_400(client, attempt, choice):
    response = post(client, attempt, json.dumps({"position": 1, "choices": [choice]}))

    assert response.status_code == 400
    assert response.json()["error"] == "That answer is not one of this question's options."
