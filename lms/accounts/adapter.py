"""allauth adapter: account emails go out through Celery, after the transaction commits."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter

from .tasks import send_email


class AccountAdapter(DefaultAccountAdapter):
    """Renders allauth's emails here, then hands them to a worker.

    A slow or failing SMTP server then neither blocks the sign-up request nor loses the mail
    (the task retries), and nothing is sent for a sign-up whose transaction rolled back.
    """

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        message = self.render_mail(template_prefix, email, context)
        html = next(
            (
                content
                for content, mimetype in getattr(message, "alternatives", [])
                if mimetype == "text/html"
            ),
            None,
        )
        send_email.delay_on_commit(
            subject=message.subject,
            body=message.body,
            to=list(message.to),
            from_email=message.from_email,
            html=html,
        )
