"""allauth adapter: account emails go out through Celery, after the transaction commits."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpRequest

from .landing import landing_url
from .tasks import send_email


class AccountAdapter(DefaultAccountAdapter):
    """Renders allauth's emails here, then hands them to a worker.

    A slow or failing SMTP server then neither blocks the sign-up request nor loses the mail
    (the task retries), and nothing is sent for a sign-up whose transaction rolled back.
    """

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # The context allauth's own send_mail would give its templates: without current_site
        # they greet "Hello from !" (来自的 Hello!) and sign off with an empty name.
        request = allauth_context.request
        context = {
            "request": request,
            "email": email,
            "current_site": get_current_site(request),
            **context,
        }
        message = self.render_mail(template_prefix, email, context)
        html = next(
            (
                content
                for content, mimetype in getattr(message, "alternatives", [])
                if mimetype == "text/html"
            ),
            None,
        )
        # DjangoTask.delay_on_commit: celery-types types shared_task as a plain Task.
        send_email.delay_on_commit(  # type: ignore[attr-defined]
            subject=message.subject,
            body=message.body,
            to=list(message.to),
            from_email=message.from_email,
            html=html,
        )

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        """Each role lands where its work is (``landing.py``); a safe ``next`` still wins,
        since allauth only asks the adapter when there is none."""
        return landing_url(request.user)
