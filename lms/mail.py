"""A console email backend a person can read: UTF-8 text, sent 8-bit, never base64.

Django's console backend prints the message exactly as SMTP would carry it. Chinese lines are
longer than 78 bytes, so Python's email package base64-encodes them, and a newcomer running
``make run`` cannot read (or click) the confirmation link. This prints the same message with a
policy that allows UTF-8 headers and arbitrarily long 8-bit lines. Attachments (certificate
PDFs) stay base64: they are binary.
"""

from __future__ import annotations

import email.policy

from django.core.mail.backends.console import EmailBackend as ConsoleEmailBackend

READABLE = email.policy.default.clone(utf8=True, cte_type="8bit", max_line_length=100_000)


class EmailBackend(ConsoleEmailBackend):
    """Django's console backend, printing headers and text bodies as plain UTF-8."""

    def write_message(self, message) -> None:
        text = message.message(policy=READABLE).as_bytes().decode("utf-8", "replace")
        self.stream.write(f"{text}\n")
        self.stream.write("-" * 79)
        self.stream.write("\n")
