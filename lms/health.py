"""``/healthz``: a load balancer's view of whether this web process can serve requests."""

from __future__ import annotations

import logging

from celery import current_app
from django.conf import settings
from django.db import DatabaseError, connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def database_state(alias: str = "default") -> str:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("health check: database %s unreachable", alias)
        return "error"
    return "ok"


def broker_state() -> str:
    """ "eager" when tasks run in-process; otherwise whether the broker accepts a connection."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    try:
        # current_app is lms.celery's app (lms/__init__ creates it first); importing lms.celery
        # here would point this infrastructure module up at the project wiring.
        with current_app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception:
        logger.exception("health check: broker unreachable")
        return "error"
    return "ok"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the database answers; 503 when it does not (the process cannot serve pages).

    A broker outage is reported but does not fail the check: pages still work and tasks queue
    up once it returns, so taking web processes out of rotation would only make things worse.
    """
    checks = {"database": database_state(), "broker": broker_state()}
    healthy = checks["database"] == "ok"
    degraded = checks["broker"] == "error"
    status = "ok" if healthy and not degraded else ("degraded" if healthy else "error")
    return JsonResponse({"status": status, "checks": checks}, status=200 if healthy else 503)
