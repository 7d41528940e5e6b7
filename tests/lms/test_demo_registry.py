"""seed_demo's registry: every app's steps, in their written order, each order used once."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from lms.lib import demo


def test_every_app_registers_its_steps_in_order():
    assert [name for name, _path in demo.steps()] == [
        "content.regulations",
        "accounts.site",
        "content.site_structure",
        "courses.courses",
        "content.events",
        "exams.exam",
        "accounts.accounts",
        "certificates.programme",
        "compliance.firms",
        "certificates.law_change",
        "certificates.links",
        "content.attendance",
        "admission.applications",
        "admission.reassessments",
        "auditlog.checkpoint",
    ]


def test_two_steps_with_one_order_are_refused():
    with pytest.raises(ImproperlyConfigured, match="both have order 10"):
        demo.register("tests.clash", 10, "tests.nowhere")
    assert "tests.clash" not in dict(demo.steps())
