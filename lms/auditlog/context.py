"""Who is acting, and in which request or task: read by :func:`lms.auditlog.chain.record`.

Services pass the actor they know (the reviewer deciding, the manager booking); where they do
not, the event names whoever the request or task belongs to. The request id ties every event of
one request together (and to the web server's logs, via ``X-Request-ID``).
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from celery import signals
from django.http import HttpRequest, HttpResponse

current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "audit_request_id", default=""
)
# A user, an API token, or the dotted name of a system task; None when nobody is known.
current_actor: contextvars.ContextVar[Any] = contextvars.ContextVar("audit_actor", default=None)


def set_actor(actor: Any) -> None:
    """Name the actor of the rest of this request (the API's token authentication calls it)."""
    current_actor.set(actor)


def keep_context[T](pieces: Iterable[T]) -> Iterator[T]:
    """``pieces`` iterated under the request id and actor current *now*.

    A ``StreamingHttpResponse`` is iterated by the server after the view has returned, when
    :class:`AuditContextMiddleware` has already reset both; whatever the stream records on the
    way (an export logging each chunk it writes) would otherwise name no request and no actor.
    Call it in the view. The context is set around each step and reset after it, so nothing
    leaks into the server's thread, and a server that steps the iterator in a different context
    each time (ASGI) gets the same values.
    """
    return _kept(iter(pieces), current_request_id.get(), current_actor.get())


def _kept[T](pieces: Iterator[T], request_id: str, actor: Any) -> Iterator[T]:
    try:
        while True:
            id_token = current_request_id.set(request_id)
            actor_token = current_actor.set(actor)
            try:
                piece = next(pieces)
            except StopIteration:
                return
            finally:
                current_request_id.reset(id_token)
                current_actor.reset(actor_token)
            yield piece
    finally:
        close = getattr(pieces, "close", None)
        if close is not None:  # a download cut short: let the source clean up now
            close()


class AuditContextMiddleware:
    """Give each request an id (returned as ``X-Request-ID``, for support and the logs) and an
    actor."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Always our own id: a client's X-Request-ID would go into the hashed event body,
        # where whatever it carried (a phone number, a name) could never be erased.
        request_id = uuid.uuid4().hex
        id_token = current_request_id.set(request_id)
        actor_token = current_actor.set(getattr(request, "user", None))
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(id_token)
            current_actor.reset(actor_token)
        response["X-Request-ID"] = request_id
        return response


_task_tokens: dict[str, tuple[contextvars.Token, contextvars.Token]] = {}


@signals.task_prerun.connect
def _task_started(task_id: str = "", task: Any = None, **kwargs: Any) -> None:
    name = getattr(task, "name", "") or "celery"
    _task_tokens[task_id] = (
        current_request_id.set(task_id or uuid.uuid4().hex),
        current_actor.set(name),
    )


@signals.task_postrun.connect
def _task_finished(task_id: str = "", **kwargs: Any) -> None:
    tokens = _task_tokens.pop(task_id, None)
    if tokens:
        try:
            current_request_id.reset(tokens[0])
            current_actor.reset(tokens[1])
        except ValueError:  # reset in another context (eager tasks nest): set back plainly
            current_request_id.set("")
            current_actor.set(None)
