"""Rating the chunks of a full recompute side by side, in worker processes.

Why: the formula runs in Python, so one process rates on one core while PostgreSQL waits, and
the other cores idle. A million collectors take minutes that way; with one process per core,
each with its own database connection, the chunks are rated side by side and PostgreSQL's
reads and writes overlap with the next chunk's Python. The chunks hold disjoint collectors, so
they never write the same row; :mod:`.recompute` keeps other recomputes out while they run.

The pool is billiard's, the process pool Celery's own workers use: the nightly recompute runs
inside a Celery worker process, which the standard library's pool refuses to fork from
(it is a daemon process). Workers are forked, so they start with the code and settings
already loaded; the parent closes its database connections first, so no socket is shared.

Only on PostgreSQL and outside a transaction: the workers read what is committed, and SQLite
takes one writer at a time anyway. Anywhere else the chunks run one after the other in this
process, exactly as before.
"""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from billiard import get_context
from billiard.util import Finalize
from django.db import connection, connections

logger = logging.getLogger(__name__)


def usable(processes: int) -> int:
    """How many processes may rate chunks here: ``processes`` (0: one per core) when the
    database and the transaction allow it, else 1."""
    wanted = processes or os.cpu_count() or 1
    if wanted <= 1:
        return 1
    if connection.vendor != "postgresql":
        return 1
    if connection.in_atomic_block:
        # Workers could not see this transaction's uncommitted rows.
        logger.info("full recompute inside a transaction: rating in one process")
        return 1
    return wanted


# The function the forked workers run, set before they are forked: only the items and the
# results travel between processes, never the function itself.
_function: Callable[[Any], Any] | None = None


def _start_worker() -> None:
    """Close the worker's database connection when it exits (after its last item, when the
    pool is closed): no session is left behind, and chunks reuse one connection.

    And leave what the worker inherited (the loaded code, the settings: most of its objects)
    out of the garbage collector's full passes, as ``lms/wsgi.py`` does for web processes: a
    chunk keeps thousands of objects alive until it is written, which triggers full passes,
    and each would walk every inherited object again (and dirty the pages it shares with the
    parent)."""
    gc.freeze()
    Finalize(None, connections.close_all, exitpriority=10)


def _run(item: Any) -> Any:
    assert _function is not None
    return _function(item)


@contextmanager
def pool[T, R](
    processes: int, function: Callable[[T], R]
) -> Iterator[Callable[[Iterable[T]], Iterator[R]]]:
    """``map(items)`` → ``function(item)`` for each item, in ``processes`` forked workers (or in
    this process, for 1). Leaving the block stops the workers; an error in a worker is raised
    here, and its chunk's transaction rolls back (the chunks already committed stay: the next
    run picks up the rest)."""
    global _function
    if processes <= 1:
        yield lambda items: map(function, items)
        return
    connections.close_all()  # forked workers must not share this process's sockets
    _function = function
    try:
        workers = get_context("fork").Pool(processes, initializer=_start_worker)
    finally:
        _function = None  # the workers have their copy
    try:
        yield lambda items: workers.imap_unordered(_run, items)
    except BaseException:
        workers.terminate()
        raise
    workers.close()
    workers.join()
