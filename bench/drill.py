"""The two-node drill: two web nodes, two Celery workers and one beat behave as one site.

Why: the academy runs on several machines, and nothing short of running it that way shows that
sessions, rate limits, files and queued work are shared rather than per process. The drill
starts every process of the production topology (README, "Production topology") on this
machine, each a separate OS process sharing only PostgreSQL, Redis and the object store:

* a fresh PostgreSQL database (a copy of a migrated, seeded template, rebuilt whenever the
  migrations or the demo data change), an S3-compatible server (``bench.s3server``) with the
  media and private buckets, Redis databases for the broker and the cache;
* gunicorn on two ports (nodes A and B), two Celery workers, one beat, on the production
  settings (``bench.drill_settings``), HTTPS terminated by a "proxy" (requests carry
  ``X-Forwarded-Proto: https``);

then walks a collector's journey over HTTP and checks what must hold across nodes:

1. sign in on A; start the exam, autosave every answer and submit on A;
2. a worker issues the certificate; its PDF downloads on B with the session made on A, and the
   public verification page and JSON answer on B;
3. failed sign-ins alternated between A and B are refused at allauth's configured count, not at
   twice it; the certificate lookups' limit (``CERTIFICATE_VERIFY_RATE``) likewise;
4. a worker killed (SIGKILL, the whole worker) in the middle of an issuance, after the PDF is
   rendered and stored, loses nothing: the broker hands the message to the other worker after
   the visibility timeout; a pool process killed the same way (its worker survives) has its
   message put back at once (``reject_on_worker_lost``); every certificate exists exactly once.

Run ``make drill`` or ``python -m bench.drill``; it exits non-zero on any failure and stops every
process it started, on Ctrl-C and SIGTERM too. Killed outright (SIGKILL), it cannot: its
children then get SIGTERM from the kernel (Linux, ``PR_SET_PDEATHSIG``), and the next run
first stops whatever is left of the PIDs recorded in ``var/drill/pids`` (only processes whose
command line carries the drill's ``-X sunshine_drill=<workdir>`` marker). Configuration
(environment): ``DRILL_DATABASE_URL`` (default: the server of ``DATABASE_URL`` or 127.0.0.1,
database ``sunshine_drill``; the drill drops and recreates it, and only ever drops databases
whose name contains "drill"), ``DRILL_REDIS_URL`` (default: the server of
``CELERY_BROKER_URL`` or 127.0.0.1:6379), ``DRILL_BROKER_DB`` (2) and ``DRILL_CACHE_DB`` (3),
which the drill empties: only on a Redis on this machine (127.0.0.1, localhost, ::1) unless
``DRILL_REDIS_URL`` names the server.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = "bench.drill_settings"
DEFAULT_DATABASE = "sunshine_drill"
DEFAULT_REDIS = "redis://127.0.0.1:6379"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
MEDIA_BUCKET = "drill-media"
PRIVATE_BUCKET = "drill-private"
# A lost message comes back after this many seconds (production: an hour, see base.py).
VISIBILITY_TIMEOUT = 10
# Public lookups per client IP during the drill: per hour, so that no window ends mid-check.
VERIFY_RATE = "12/h"
JOURNEY_COLLECTOR = "collector2@demo.test"  # revoked certificate, courses done, attempts left
LOCKOUT_VICTIM = "collector@demo.test"
KILL_CANDIDATES = 4


class DrillError(Exception):
    """A step of the drill failed; the message says what was expected and what happened."""


class ServiceMissing(DrillError):
    """PostgreSQL or Redis is not reachable: the drill cannot run here."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise DrillError(message)


# --- Configuration -------------------------------------------------------------------------------


def _with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


@dataclass(frozen=True)
class Config:
    """Where the drill's database and Redis databases are; derived from CI's variables."""

    database_url: str
    redis_url: str
    broker_db: int
    cache_db: int
    workdir: Path
    # DRILL_REDIS_URL given: the drill may empty its databases there, wherever it is.
    redis_explicit: bool = False

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> Config:
        env = os.environ if environ is None else environ
        database_url = env.get("DRILL_DATABASE_URL")
        if not database_url:
            base = env.get("DATABASE_URL", "")
            if urlsplit(base).scheme not in {"postgres", "postgresql"}:
                base = "postgres://postgres@127.0.0.1:5432/postgres"
            database_url = _with_path(base, "/" + DEFAULT_DATABASE)
        redis_url = env.get("DRILL_REDIS_URL")
        if not redis_url:
            broker = env.get("CELERY_BROKER_URL", "")
            redis_url = _with_path(broker, "") if broker.startswith("redis") else DEFAULT_REDIS
        return cls(
            database_url=database_url,
            redis_url=redis_url.rstrip("/"),
            broker_db=int(env.get("DRILL_BROKER_DB", "2")),
            cache_db=int(env.get("DRILL_CACHE_DB", "3")),
            workdir=ROOT / "var" / "drill",
            redis_explicit=bool(env.get("DRILL_REDIS_URL")),
        )

    @property
    def database_name(self) -> str:
        return urlsplit(self.database_url).path.lstrip("/")

    @property
    def template_name(self) -> str:
        return f"{self.database_name}_template"

    @property
    def maintenance_url(self) -> str:
        return _with_path(self.database_url, "/postgres")

    @property
    def redis_is_local(self) -> bool:
        parts = urlsplit(self.redis_url)
        if parts.scheme in {"redis+socket", "unix"}:
            return True
        return (parts.hostname or "") in LOCAL_HOSTS

    @property
    def broker_url(self) -> str:
        return f"{self.redis_url}/{self.broker_db}"

    @property
    def cache_url(self) -> str:
        return f"{self.redis_url}/{self.cache_db}"


def check_services(config: Config) -> None:
    """Fail with a clear message when PostgreSQL or Redis is not there, or is not the drill's
    to empty."""
    import psycopg
    from kombu import Connection

    if not (config.redis_is_local or config.redis_explicit):
        # CELERY_BROKER_URL may point at a shared or production Redis: emptying two of its
        # databases is only done where asked for by name.
        raise DrillError(
            f"refusing to empty databases {config.broker_db} and {config.cache_db} of the Redis "
            f"server at {urlsplit(config.redis_url).hostname} (taken from CELERY_BROKER_URL): it "
            "is not on this machine; set DRILL_REDIS_URL to a Redis server the drill may empty"
        )

    try:
        psycopg.connect(config.maintenance_url, connect_timeout=3).close()
    except psycopg.Error as error:
        raise ServiceMissing(
            f"PostgreSQL is not reachable at {config.maintenance_url} ({error}); start it, or set "
            "DRILL_DATABASE_URL to a server the drill may create databases on"
        ) from None
    try:
        with Connection(config.broker_url, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1, timeout=3)
    except Exception as error:  # noqa: BLE001 — kombu's errors depend on the transport
        raise ServiceMissing(
            f"Redis is not reachable at {config.redis_url} ({error}); start it, or set "
            "DRILL_REDIS_URL"
        ) from None
    if "drill" not in config.database_name:
        raise DrillError(
            f"refusing to drop and recreate {config.database_name!r}: the drill's database "
            "name must contain 'drill'"
        )


# --- The report ----------------------------------------------------------------------------------


@dataclass
class Step:
    title: str
    detail: str = ""
    ok: bool = True


class Report:
    """Prints each step as it ends, with the time since the start."""

    def __init__(self, out: Callable[[str], None] = print) -> None:
        self.out = out
        self.started = time.monotonic()
        self.steps: list[Step] = []

    @contextmanager
    def step(self, title: str) -> Iterator[Step]:
        step = Step(title)
        self.steps.append(step)
        try:
            yield step
        except BaseException as error:
            step.ok = False
            step.detail = f"{type(error).__name__}: {error}"
            self._print(step)
            raise
        self._print(step)

    def _print(self, step: Step) -> None:
        elapsed = time.monotonic() - self.started
        mark = "ok  " if step.ok else "FAIL"
        detail = f": {step.detail}" if step.detail else ""
        self.out(f"[{elapsed:6.1f}s] {mark} {step.title}{detail}")


# --- Processes -----------------------------------------------------------------------------------


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 15) -> str:
        try:
            text = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(f"    {self.name}| {line}" for line in text[-lines:])


# Every child's command line carries this (``python -X sunshine_drill=<workdir>``; CPython
# accepts and ignores unknown -X options): how a later run tells the drill's leftovers from
# other gunicorns, Celery workers and S3 servers on the machine.
MARKER_OPTION = "sunshine_drill"
PIDS_FILE = "pids"
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def marker(workdir: Path) -> str:
    return f"{MARKER_OPTION}={workdir}"


def _die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes a Linux child get SIGTERM when the drill dies, even by
    SIGKILL (``PR_SET_PDEATHSIG``); None elsewhere. libc is loaded here, in the parent: the
    child only calls into it between fork and exec."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the drill died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state, session id) of a process from /proc, or None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # the name may hold spaces and parentheses
    return fields[0], int(fields[3])


def _proc_argv(pid: int) -> list[str]:
    """A process's arguments (compared whole: one workdir's marker is a prefix of another's)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return raw.decode(errors="replace").split("\0")


def marked_processes(workdir: Path) -> list[tuple[int, int]]:
    """(PID, session id) of every live process whose command line has the drill's marker for
    ``workdir``; empty where there is no /proc."""
    if not Path("/proc/self/stat").exists():
        return []
    mark = marker(workdir)
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        pid = int(entry.name)
        stat = _proc_stat(pid)
        if stat and stat[0] != "Z" and mark in _proc_argv(pid):
            found.append((pid, stat[1]))
    return sorted(found)


def find_leftovers(workdir: Path) -> list[int]:
    """Processes left by an earlier drill in ``workdir`` (killed before it could stop them): in
    the session of a child it recorded in ``workdir/pids`` (each child leads a session of its
    own, so this takes in pool processes and gunicorn workers) and with the drill's marker as an
    argument. Both must hold: a recorded PID may since belong to someone else."""
    try:
        lines = (workdir / PIDS_FILE).read_text().splitlines()
        recorded = {int(line.split()[0]) for line in lines if line.strip()}
    except (OSError, ValueError):
        return []
    return [pid for pid, session in marked_processes(workdir) if session in recorded]


def kill_leftovers(workdir: Path, grace: float = 10) -> list[int]:
    """Stop an earlier run's leftovers (SIGTERM, SIGKILL after ``grace`` seconds); their PIDs.
    Left running, they would keep consuming the broker database and hold ports and the
    database the new run recreates."""
    leftovers = find_leftovers(workdir)
    for pid in leftovers:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    alive = leftovers
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = [pid for pid in alive if _still_ours(pid, workdir)]
    for pid in alive:
        _signal(pid, signal.SIGKILL)
    (workdir / PIDS_FILE).unlink(missing_ok=True)
    return leftovers


def _still_ours(pid: int, workdir: Path) -> bool:
    stat = _proc_stat(pid)
    return stat is not None and stat[0] != "Z" and marker(workdir) in _proc_argv(pid)


def _signal(pid: int, sig: signal.Signals) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


class Processes:
    """The drill's children, each in a session of its own, so that stopping one stops its pool
    children too and Ctrl-C reaches only the drill, which then stops them all.

    Should the drill itself be killed (SIGKILL: no ``finally`` runs), its children still go:
    on Linux each gets SIGTERM when the drill dies (``PR_SET_PDEATHSIG``), and every child's
    PID is written to ``workdir/pids``, whose survivors the next run stops first
    (:func:`kill_leftovers`)."""

    def __init__(self, logs: Path, workdir: Path) -> None:
        self.logs = logs
        self.workdir = workdir
        self.started: list[Process] = []

    @property
    def python(self) -> list[str]:
        """The start of a child's command: this Python, with the drill's marker."""
        return [sys.executable, "-X", marker(self.workdir)]

    def start(self, name: str, command: list[str], env: dict[str, str]) -> Process:
        log = self.logs / f"{name}.log"
        with log.open("wb") as handle:
            popen = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_die_with_parent(),
            )
        with (self.workdir / PIDS_FILE).open("a") as pids:
            pids.write(f"{popen.pid} {name}\n")
        process = Process(name, popen, log)
        self.started.append(process)
        return process

    def kill(self, process: Process, sig: signal.Signals = signal.SIGKILL) -> None:
        try:
            os.killpg(process.popen.pid, sig)
        except ProcessLookupError:
            pass

    def stop_all(self) -> None:
        for process in reversed(self.started):
            if process.alive:
                self.kill(process, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in reversed(self.started):
            try:
                process.popen.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                self.kill(process, signal.SIGKILL)
                process.popen.wait(timeout=5)
            # A pool child left behind by a parent that died first.
            self.kill(process, signal.SIGKILL)
        if not find_leftovers(self.workdir):
            (self.workdir / PIDS_FILE).unlink(missing_ok=True)


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.2):
    """Poll ``predicate`` until it returns something truthy; that value, or DrillError."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise DrillError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


# --- The database --------------------------------------------------------------------------------


def _fingerprint() -> str:
    """What the template depends on: every migration, the demo data and the locked libraries."""
    digest = hashlib.sha256()
    patterns = ["*/migrations/*.py", "*/*/migrations/*.py", "*/*/*/migrations/*.py"]
    patterns += ["**/demo*.py", "lms/accounts/management/commands/seed_demo.py"]
    files: set[Path] = set()
    for package in ("lms", "content", "courses", "exams"):
        for pattern in patterns:
            files.update((ROOT / package).glob(pattern.removeprefix("*/")))
    files.update(ROOT.glob("requirements.lock"))
    for path in sorted(files):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _admin(config: Config):
    import psycopg

    return psycopg.connect(config.maintenance_url, autocommit=True)


def _template_fingerprint(config: Config) -> str | None:
    with _admin(config) as connection:
        row = connection.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [config.template_name],
        ).fetchone()
    return (row[0] or "") if row else None


def _recreate(config: Config, name: str, template: str | None = None) -> None:
    from psycopg import sql

    with _admin(config) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            create += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        connection.execute(create)


def manage(args: list[str], env: dict[str, str], log: Path) -> None:
    """Run a management command; DrillError with the end of its output if it fails."""
    with log.open("ab") as handle:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            check=False,
            preexec_fn=_die_with_parent(),
        )
    if done.returncode:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
        raise DrillError(f"manage.py {' '.join(args)} failed ({done.returncode}):\n{tail}")


def prepare_database(config: Config, env: dict[str, str], log: Path, rebuild: bool) -> str:
    """A fresh database copied from a migrated, seeded template (built when missing or stale).

    Migrating and seeding take minutes on a small machine; copying the template takes a second.
    The template is rebuilt whenever a migration, the demo data or the locked libraries change.
    Its files (the demo certificates' PDFs) stay in local folders: the drill's object store
    starts empty, and everything the drill checks is written there by the drill's processes.
    """
    fingerprint = _fingerprint()
    built = ""
    if rebuild or _template_fingerprint(config) != f"drill:{fingerprint}":
        from psycopg import sql

        _recreate(config, config.template_name)
        template_env = {
            **env,
            "DATABASE_URL": _with_path(config.database_url, "/" + config.template_name),
            "MEDIA_ROOT": str(config.workdir / "template-files" / "media"),
            "PRIVATE_MEDIA_ROOT": str(config.workdir / "template-files" / "private"),
        }
        # Seeding runs its tasks in-process and writes local files: no broker, no bucket.
        for name in list(template_env):
            if name.startswith("OBJECT_STORAGE_") or name in {"CELERY_BROKER_URL", "CACHE_URL"}:
                del template_env[name]
        manage(["migrate", "--no-input"], template_env, log)
        manage(["seed_demo", "--force"], template_env, log)
        with _admin(config) as connection:
            connection.execute(
                sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                    sql.Identifier(config.template_name), sql.Literal(f"drill:{fingerprint}")
                )
            )
        built = "template built (migrate + seed_demo), "
    _recreate(config, config.database_name, template=config.template_name)
    return f"{built}{config.database_name} copied from {config.template_name} ({fingerprint})"


def signing_key(workdir: Path) -> str:
    """The drill's certificate signing key, made once (the template's audit checkpoints are
    signed with it)."""
    path = workdir / "signing-key"
    if not path.exists():
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        from lms.lib.signing_keys import secret_multikey

        path.write_text(secret_multikey(Ed25519PrivateKey.generate()))
        path.chmod(0o600)
    return path.read_text().strip()


# --- HTTP ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    name: str
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def origin(self) -> str:
        """What the browser sees: the proxy's HTTPS address for this node."""
        return f"https://127.0.0.1:{self.port}"


CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Response:
    """What came back: status, headers and body (3xx answers are not followed)."""

    status_code: int
    headers: Message
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 3xx is raised as HTTPError and returned as it is


_OPENER = urllib.request.build_opener(_NoRedirects)


def fetch(url: str, *, method: str = "GET", body: bytes | None = None, headers=None) -> Response:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with _OPENER.open(request, timeout=60) as answer:
            return Response(answer.status, answer.headers, answer.read())
    except urllib.error.HTTPError as error:
        with error:
            return Response(error.code, error.headers, error.read())


class Browser:
    """One visitor's browser. One cookie jar for both nodes, as behind one load balancer (cookies
    do not depend on the port). The proxy terminates TLS: every request carries
    ``X-Forwarded-Proto: https``, and the jar sends the Secure cookies production sets, which
    an HTTP client would otherwise keep back from a plain-HTTP address."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def request(
        self,
        method: str,
        node: Node,
        path: str,
        *,
        data: dict[str, str] | None = None,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        sent = {"X-Forwarded-Proto": "https", "User-Agent": "sunshine-drill"}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if method == "POST":
            sent |= {"Origin": node.origin, "Referer": node.origin + path}
            if json_body is not None:
                body = json.dumps(json_body).encode()
                sent["Content-Type"] = "application/json"
            else:
                body = urllib.parse.urlencode(data or {}).encode()
                sent["Content-Type"] = "application/x-www-form-urlencoded"
        sent |= headers or {}
        response = fetch(node.url + path, method=method, body=body, headers=sent)
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie: SimpleCookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    def get(self, node: Node, path: str, **kwargs: Any) -> Response:
        return self.request("GET", node, path, **kwargs)

    def post(self, node: Node, path: str, **kwargs: Any) -> Response:
        return self.request("POST", node, path, **kwargs)

    @property
    def csrf(self) -> str:
        return self.cookies.get("csrftoken", "")

    def sign_in(self, node: Node, email: str, password: str) -> Response:
        page = self.get(node, "/accounts/login/")
        check(page.status_code == 200, f"login page on {node.name}: {page.status_code}")
        token = CSRF_FIELD.search(page.text)
        check(token is not None, f"no CSRF field on the login page of {node.name}")
        assert token is not None
        form = {"login": email, "password": password, "csrfmiddlewaretoken": token.group(1)}
        return self.post(node, "/accounts/login/", data=form)


def location_path(response: Response) -> str:
    return urlsplit(response.headers.get("Location", "")).path


# --- The drill -----------------------------------------------------------------------------------


@dataclass
class Drill:
    config: Config
    report: Report
    processes: Processes
    rebuild: bool = False
    env: dict[str, str] = field(default_factory=dict)
    nodes: dict[str, Node] = field(default_factory=dict)
    workers: dict[str, Process] = field(default_factory=dict)
    s3: Any = None

    # Set-up ------------------------------------------------------------------------------------

    def run(self) -> None:
        config = self.config
        config.workdir.mkdir(parents=True, exist_ok=True)
        logs = self.processes.logs
        with self.report.step("leftovers of an earlier run stopped") as step:
            leftovers = kill_leftovers(config.workdir)
            step.detail = f"PIDs {leftovers}" if leftovers else "none"
        with self.report.step("services"):
            check_services(config)
            self.report.steps[-1].detail = f"PostgreSQL {config.maintenance_url}, Redis "
            self.report.steps[-1].detail += f"{config.redis_url} (broker db {config.broker_db}, "
            self.report.steps[-1].detail += f"cache db {config.cache_db})"
        from bench.processes import free_port

        with self.report.step("object store (moto S3 server, two buckets)") as step:
            self.s3 = self._start_s3()
            self.s3.create_buckets(MEDIA_BUCKET, PRIVATE_BUCKET)
            step.detail = f"{self.s3.endpoint_url}: {MEDIA_BUCKET}, {PRIVATE_BUCKET}"
        self.nodes = {"A": Node("A", free_port()), "B": Node("B", free_port())}
        self.env = self._environment()
        with self.report.step("database") as step:
            step.detail = prepare_database(config, self.env, logs / "setup.log", self.rebuild)
        with self.report.step("Redis: the drill's broker and cache databases emptied"):
            self._flush_redis(config.broker_db)
            self._flush_redis(config.cache_db)
        self._setup_django()
        with self.report.step("processes: 2 gunicorn nodes, 2 Celery workers, 1 beat") as s:
            s.detail = self._start_processes()
        self.journey()
        self.login_rate_limit()
        self.verification_rate_limit()
        self.kill_mid_issuance()
        self.kill_pool_child()
        self.every_certificate_once()
        self.nightly_recompute()
        with self.report.step("every process still up but the one killed") as step:
            down = [p.name for p in self.processes.started if not p.alive]
            check(down == ["worker-1"], f"processes down: {down}")
            step.detail = ", ".join(p.name for p in self.processes.started if p.alive)

    def _start_s3(self) -> Any:
        """``bench.s3server`` as one of the drill's processes (marked, stopped with the rest)."""
        from bench.processes import free_port
        from bench.s3server import S3Server

        port = free_port()
        command = [*self.processes.python, "-m", "bench.s3server", "--host", "127.0.0.1"]
        server = self.processes.start("s3", [*command, "--port", str(port)], dict(os.environ))
        endpoint = f"http://127.0.0.1:{port}"

        def answers() -> bool:
            if not server.alive:
                raise DrillError(f"the S3 server exited:\n{server.tail()}")
            try:
                fetch(endpoint + "/")
            except OSError:
                return False
            return True

        wait_for(answers, 30, "the S3 server to answer")
        return S3Server(endpoint_url=endpoint)

    def _environment(self) -> dict[str, str]:
        config = self.config
        node_a = self.nodes["A"]
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": SETTINGS,
            "DJANGO_SECRET_KEY": "drill-" + hashlib.sha256(os.urandom(32)).hexdigest(),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_BASE_URL": node_a.origin,
            "CERTIFICATE_SIGNING_KEY": signing_key(config.workdir),
            "DATABASE_URL": config.database_url,
            "DATABASE_CONN_MAX_AGE": "60",
            "CELERY_BROKER_URL": config.broker_url,
            "CACHE_URL": config.cache_url,
            "CELERY_BROKER_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "CELERY_BROKER_RESTORE_INTERVAL": "1",
            "CERTIFICATE_VERIFY_RATE": VERIFY_RATE,
            # HSTS would pin 127.0.0.1 to HTTPS in a real browser; nothing else changes.
            "SECURE_HSTS_SECONDS": "0",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            **self.s3.environment(media_bucket=MEDIA_BUCKET, private_bucket=PRIVATE_BUCKET),
        }
        env.pop("REQUIRE_SERVICES", None)
        return env

    def _flush_redis(self, db: int) -> None:
        from kombu import Connection

        with Connection(f"{self.config.redis_url}/{db}") as connection:
            connection.default_channel.client.flushdb()

    def _setup_django(self) -> None:
        """This process reads the database and talks to the workers with the nodes' settings."""
        os.environ.update(self.env)
        import django

        django.setup()

    def _start_processes(self) -> str:
        env = self.env
        python = self.processes.python
        for node in self.nodes.values():
            control = self.config.workdir / f"gunicorn-{node.name}.ctl"  # one per gunicorn
            gunicorn = f"-m gunicorn lms.wsgi:application --bind 127.0.0.1:{node.port} "
            gunicorn += "--workers 2 --preload --timeout 120 --access-logfile -"
            command = [*python, *gunicorn.split(), "--control-socket", str(control)]
            self.processes.start(f"node-{node.name}", command, env)
        for number in (1, 2):
            name = f"drill-w{number}@drill"
            # Mingle and gossip (worker-to-worker chatter at start-up) only slow the start here.
            worker = f"-m celery -A lms worker --hostname {name} --pool prefork --concurrency 1 "
            worker += "--without-mingle --without-gossip --loglevel INFO"
            started = self.processes.start(f"worker-{number}", [*python, *worker.split()], env)
            self.workers[name] = started
        schedule = self.config.workdir / "celerybeat-schedule"
        for stale in self.config.workdir.glob("celerybeat-schedule*"):
            stale.unlink()
        self.processes.start(
            "beat",
            [*python, "-m", "celery", "-A", "lms", "beat", "-s", str(schedule), "-l", "INFO"],
            env,
        )
        for node in self.nodes.values():
            wait_for(lambda node=node: self._healthy(node), 120, f"node {node.name} /healthz")
        app = self._celery()
        names = sorted(self.workers)
        wait_for(
            lambda: len(app.control.ping(destination=names, timeout=1)) == len(names),
            120,
            "both workers to answer a ping",
        )
        beat_log = self.processes.logs / "beat.log"
        wait_for(lambda: "beat: Starting" in beat_log.read_text(), 60, "beat to start")
        return (
            f"A :{self.nodes['A'].port}, B :{self.nodes['B'].port} (2 gunicorn workers each), "
            f"workers {', '.join(names)} (prefork, concurrency 1), beat; settings {SETTINGS}"
        )

    def _healthy(self, node: Node) -> bool:
        for process in self.processes.started:
            if not process.alive:
                raise DrillError(f"{process.name} exited at start-up:\n{process.tail()}")
        try:
            response = fetch(node.url + "/healthz", headers={"X-Forwarded-Proto": "https"})
        except OSError:
            return False
        return response.status_code == 200

    def _celery(self):
        from lms.celery import app

        return app

    # The journey -------------------------------------------------------------------------------

    def journey(self) -> None:
        from exams import grading
        from exams.certificates.models import Certificate
        from exams.demo_content import EXAM
        from exams.models import Attempt, AttemptQuestion, ExamPage
        from lms.accounts.demo import DEMO_PASSWORD

        a, b = self.nodes["A"], self.nodes["B"]
        collector = Browser()
        with self.report.step("HTTPS is enforced (production settings)") as step:
            plain = fetch(a.url + "/accounts/login/")
            check(plain.status_code == 301, f"plain HTTP answered {plain.status_code}, not 301")
            check(plain.headers["Location"].startswith("https://"), "not redirected to https")
            step.detail = f"plain HTTP -> 301 {plain.headers['Location']}"
        with self.report.step(f"{JOURNEY_COLLECTOR} signs in on node A") as step:
            response = collector.sign_in(a, JOURNEY_COLLECTOR, DEMO_PASSWORD)
            check(
                response.status_code == 302,
                f"sign-in answered {response.status_code} (expected a redirect)",
            )
            check("sessionid" in collector.cookies, "no session cookie after signing in")
            step.detail = f"302 -> {location_path(response)}, session cookie set (Secure)"
        exam = ExamPage.objects.live().get(slug=EXAM["slug"])
        with self.report.step("the exam is started on node A") as step:
            page = collector.get(a, exam.url)
            check(page.status_code == 200, f"exam page: {page.status_code}")
            start_path = f"/exam-attempts/start/{exam.pk}/"
            check(start_path in page.text, "the exam page has no start button")
            response = collector.post(a, start_path, data={"csrfmiddlewaretoken": collector.csrf})
            match = re.fullmatch(r"/exam-attempts/(\d+)/", location_path(response))
            check(
                response.status_code == 302 and match is not None,
                f"start answered {response.status_code} -> {response.headers.get('Location')}",
            )
            assert match is not None
            attempt_id = int(match.group(1))
            page = collector.get(a, f"/exam-attempts/{attempt_id}/")
            check(page.status_code == 200, f"attempt page: {page.status_code}")
            step.detail = f"attempt {attempt_id}"
        with self.report.step("every answer autosaved on node A (JSON endpoint)") as step:
            rows = AttemptQuestion.objects.filter(attempt_id=attempt_id).select_related("version")
            answers = {row.position: grading.correct_choice_ids(row.version.data) for row in rows}
            check(bool(answers), "the attempt has no questions")
            for position, choices in sorted(answers.items()):
                response = collector.post(
                    a,
                    f"/exam-attempts/{attempt_id}/save/",
                    json_body={"position": position, "choices": choices},
                    headers={"X-CSRFToken": collector.csrf},
                )
                check(
                    response.status_code == 200 and response.json().get("saved") is True,
                    f"autosave of question {position}: {response.status_code} {response.text}",
                )
            step.detail = f"{len(answers)} answers (right ones, read from the database)"
        with self.report.step("the exam is submitted on node A and passes") as step:
            response = collector.post(
                a,
                f"/exam-attempts/{attempt_id}/submit/",
                data={"csrfmiddlewaretoken": collector.csrf, "confirm": "1"},
            )
            check(
                location_path(response) == f"/exam-attempts/{attempt_id}/review/",
                f"submit answered {response.status_code} -> {response.headers.get('Location')}",
            )
            attempt = Attempt.objects.get(pk=attempt_id)
            check(attempt.passed is True, f"the attempt did not pass ({attempt.percent} %)")
            step.detail = f"{attempt.percent} %"
        with self.report.step("a worker issues the certificate") as step:
            certificate = wait_for(
                lambda: Certificate.objects.filter(request__attempt_id=attempt_id).first(),
                90,
                "the certificate",
            )
            # The log line follows the commit the certificate was read from.
            task_worker = wait_for(
                lambda: self._worker_that_issued(certificate.pk), 15, "the worker's log line"
            )
            step.detail = f"{certificate.serial}, by {task_worker}"
        self._download_on_b(collector, certificate)
        with self.report.step("the verification page and its JSON answer on node B") as step:
            visitor = Browser()
            page = visitor.get(b, f"/verify/{certificate.verification_code}/")
            check(page.status_code == 200, f"verification page: {page.status_code}")
            check(certificate.serial in page.text, "the verification page lacks the serial")
            answer = visitor.get(b, f"/verify/{certificate.verification_code}.json")
            check(answer.status_code == 200, f"verification JSON: {answer.status_code}")
            credential = answer.json()
            check("proof" in credential, f"the credential is not signed: {sorted(credential)}")
            step.detail = "page 200 with the serial; signed credential 200"

    def _download_on_b(self, collector: Browser, certificate) -> None:
        b = self.nodes["B"]
        path = f"/certificates/{certificate.pk}/pdf/"
        with self.report.step("the PDF downloads on node B with the session made on A") as step:
            mine = collector.get(b, "/certificates/")
            check(mine.status_code == 200, f"my certificates on B: {mine.status_code}")
            check(certificate.serial in mine.text, "B's certificate list lacks the new serial")
            response = collector.get(b, path)
            if response.status_code == 302:
                target = response.headers["Location"]
                check(
                    target.startswith(self.s3.endpoint_url),
                    f"redirected to {target}, not to the object store",
                )
                stored = fetch(target)
                check(stored.status_code == 200, f"the signed URL answered {stored.status_code}")
                body, how = stored.content, "302 to a signed object-store URL, then 200"
            else:
                check(response.status_code == 200, f"PDF download: {response.status_code}")
                body, how = response.content, "200 streamed"
            check(body.startswith(b"%PDF"), f"not a PDF: {body[:20]!r}")
            anonymous = Browser().get(b, path)
            check(
                anonymous.status_code == 302
                and "/accounts/login/" in anonymous.headers.get("Location", ""),
                f"without the session: {anonymous.status_code}, expected the login redirect",
            )
            step.detail = f"{how} ({len(body)} bytes %PDF); without the session: login"

    def _worker_that_issued(self, certificate_id: int) -> str | None:
        """The worker whose log shows an issuance returning this certificate's id."""
        done = re.compile(rf"issue_certificate\[\S+\] succeeded in \S+: {certificate_id}$", re.M)
        for name, process in self.workers.items():
            if done.search(process.log.read_text(errors="replace")):
                return name
        return None

    # Rate limits -------------------------------------------------------------------------------

    def login_rate_limit(self) -> None:
        from allauth.account import app_settings
        from allauth.account.adapter import get_adapter
        from django.utils import translation

        from lms.accounts.demo import DEMO_PASSWORD

        rate = app_settings.RATE_LIMITS["login_failed"]
        per_key = next(part for part in rate.split(",") if part.endswith("/key"))
        limit = int(per_key.split("/")[0])
        with translation.override("zh-hans"):
            refused_text = str(get_adapter().error_messages["too_many_login_attempts"])
        nodes = [self.nodes["A"], self.nodes["B"]]
        self._flush_redis(self.config.cache_db)  # start from empty counters
        with self.report.step(f"login rate limit shared ({rate})") as step:
            attacker = Browser()
            for attempt in range(limit):
                node = nodes[attempt % 2]
                response = attacker.sign_in(node, LOCKOUT_VICTIM, "wrong-password")
                check(response.status_code == 200, f"failure {attempt + 1}: {response.status_code}")
                check(
                    refused_text not in html.unescape(response.text),
                    f"refused as too many already at failure {attempt + 1} on {node.name}",
                )
            node = nodes[limit % 2]
            response = attacker.sign_in(node, LOCKOUT_VICTIM, DEMO_PASSWORD)
            check(
                response.status_code != 302,
                f"the right password signed in on {node.name} after {limit} failures "
                "alternated between the nodes: each node counted alone",
            )
            check(
                refused_text in html.unescape(response.text),
                f"attempt {limit + 1} was refused, but not as too many attempts",
            )
            sequence = ",".join(nodes[i % 2].name for i in range(limit))
            step.detail = (
                f"{limit} failures on {sequence}; attempt {limit + 1} (right password, node "
                f"{node.name}) refused: too many attempts"
            )

    def verification_rate_limit(self) -> None:
        from django.conf import settings
        from django_ratelimit.core import _get_window

        from exams.certificates.models import Certificate
        from lms.lib.ratelimit import parse_rate

        limit, period = parse_rate(settings.CERTIFICATE_VERIFY_RATE)
        code = Certificate.objects.order_by("-pk").values_list("verification_code", flat=True)[0]
        # django-ratelimit counts in fixed windows: do not start just before one ends.
        window_end = _get_window("127.0.0.1", period)
        if window_end - time.time() < 30:
            time.sleep(max(window_end - time.time(), 0) + 1)
        self._flush_redis(self.config.cache_db)
        nodes = [self.nodes["A"], self.nodes["B"]]
        paths = [f"/verify/{code}/", f"/verify/{code}.json"]
        with self.report.step(
            f"verification rate limit shared ({settings.CERTIFICATE_VERIFY_RATE} per IP)"
        ) as step:
            visitor = Browser()
            for number in range(limit):
                node, path = nodes[number % 2], paths[(number // 2) % 2]
                response = visitor.get(node, path)
                check(
                    response.status_code == 200,
                    f"lookup {number + 1} on {node.name} ({path}): {response.status_code}",
                )
            node = nodes[limit % 2]
            response = visitor.get(node, paths[0])
            check(
                response.status_code == 429,
                f"lookup {limit + 1} on {node.name} answered {response.status_code}, not 429: "
                "each node counted alone",
            )
            step.detail = (
                f"{limit} lookups alternated A/B, page and JSON: 200; lookup {limit + 1} on "
                f"{node.name}: 429, Retry-After {response.headers.get('Retry-After')} s"
            )

    # A worker killed mid-issuance -------------------------------------------------------------

    def kill_mid_issuance(self) -> None:
        import psycopg

        from exams.certificates.models import Certificate, IssuanceRequest
        from lms.auditlog.chain import ADVISORY_LOCK_KEY

        app = self._celery()
        names = sorted(self.workers)
        with self.report.step(f"{KILL_CANDIDATES} more collectors pass; issuances queued") as step:
            # The workers stop taking messages while the passes are recorded (grading writes
            # the audit log, which the lock below would block).
            app.control.cancel_consumer("celery", destination=names, reply=True, timeout=5)
            request_ids = make_candidates(KILL_CANDIDATES)
            check(len(request_ids) == KILL_CANDIDATES, f"requests: {request_ids}")
            step.detail = f"issuance requests {request_ids}"
        stored_before = len(self._stored_objects())
        lock = psycopg.connect(self.config.database_url, autocommit=True)
        try:
            with self.report.step("both workers stopped mid-issuance, PDF stored") as step:
                # Issuing writes the audit log last, under this lock: holding it stops a worker
                # after the PDF is rendered and uploaded and the certificate row is written, in
                # the transaction that a crash must roll back.
                lock.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
                app.control.add_consumer("celery", destination=names, reply=True, timeout=5)
                active = wait_for(lambda: self._busy(app, names, lock), 60, "both workers busy")
                # Each has rendered and uploaded its PDF (the upload precedes the audit entry).
                wait_for(
                    lambda: len(self._stored_objects()) >= stored_before + len(names),
                    30,
                    "both PDFs in the object store",
                )
                busy = ", ".join(f"{name}: request {r}" for name, (_, r, _) in active.items())
                step.detail = f"{busy}; both PDFs uploaded, both waiting for the audit-log lock"
            victim_name = names[0]
            task_id, victim_request, _ = active[victim_name]
            victim = self.workers[victim_name]
            with self.report.step(f"SIGKILL {victim_name} (main process and pool child)") as step:
                killed_at = time.monotonic()
                self.processes.kill(victim, signal.SIGKILL)
                victim.popen.wait(timeout=10)
                step.detail = f"task {task_id} (request {victim_request}) lost with it"
        finally:
            lock.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_KEY])
            lock.close()
        survivor_name = names[1]
        survivor = self.workers[survivor_name]
        with self.report.step("the other worker completes every issuance") as step:
            timeout = VISIBILITY_TIMEOUT + 90
            wait_for(
                lambda: (
                    not IssuanceRequest.objects.filter(
                        pk__in=request_ids, completed_at__isnull=True
                    ).exists()
                ),
                timeout,
                "every issuance request to complete",
            )
            recovered_after = time.monotonic() - killed_at
            per_request = Certificate.objects.filter(request_id__in=request_ids)
            counts = {rid: per_request.filter(request_id=rid).count() for rid in request_ids}
            check(
                all(count == 1 for count in counts.values()),
                f"certificates per request: {counts}",
            )
            log = survivor.log.read_text(errors="replace")
            check(
                re.search(rf"\[{re.escape(task_id)}\] succeeded", log) is not None,
                f"{survivor_name}'s log does not show the lost task {task_id} succeeding",
            )
            victim_certificate = per_request.get(request_id=victim_request)
            pdf = victim_certificate.pdf.open("rb").read(4)
            check(pdf == b"%PDF", "the recovered certificate's PDF is not in the object store")
            step.detail = (
                f"lost task {task_id} redelivered to {survivor_name} and done "
                f"{recovered_after:.1f} s after the kill (visibility timeout "
                f"{VISIBILITY_TIMEOUT} s, counted from delivery); one certificate per request: "
                f"{sorted(counts.items())}"
            )

    def kill_pool_child(self) -> None:
        """The worker survives, only the pool process running the issuance dies:
        ``reject_on_worker_lost`` puts the message back at once (no visibility timeout)."""
        import psycopg

        from exams.certificates.models import Certificate, IssuanceRequest
        from lms.auditlog.chain import ADVISORY_LOCK_KEY

        app = self._celery()
        name = sorted(self.workers)[1]
        worker = self.workers[name]
        app.control.cancel_consumer("celery", destination=[name], reply=True, timeout=5)
        request_ids = make_candidates(1, first=KILL_CANDIDATES + 1)
        stored_before = len(self._stored_objects())
        lock = psycopg.connect(self.config.database_url, autocommit=True)
        try:
            with self.report.step(f"SIGKILL the pool process of {name} mid-issuance") as step:
                lock.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
                app.control.add_consumer("celery", destination=[name], reply=True, timeout=5)
                busy = wait_for(lambda: self._busy(app, [name], lock), 60, f"{name} busy")
                wait_for(lambda: len(self._stored_objects()) > stored_before, 30, "the PDF stored")
                task_id, request_id, pool_pid = busy[name]
                killed_at = time.monotonic()
                os.kill(pool_pid, signal.SIGKILL)
                step.detail = f"pool process pid {pool_pid} running request {request_id}"
        finally:
            lock.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_KEY])
            lock.close()
        with self.report.step("the worker puts the message back at once and issues it") as step:
            wait_for(
                lambda: (
                    IssuanceRequest.objects.filter(
                        pk__in=request_ids, completed_at__isnull=False
                    ).count()
                    == len(request_ids)
                ),
                VISIBILITY_TIMEOUT + 60,
                "the issuance to complete",
            )
            took = time.monotonic() - killed_at
            count = Certificate.objects.filter(request_id=request_id).count()
            check(count == 1, f"{count} certificates for request {request_id}")
            log = worker.log.read_text(errors="replace")
            check("WorkerLostError" in log, f"{name}'s log does not mention the lost process")
            check(
                re.search(rf"\[{re.escape(task_id)}\] succeeded", log) is not None,
                f"{name}'s log does not show task {task_id} succeeding after the loss",
            )
            check(worker.alive, f"{name} itself died")
            step.detail = (
                f"WorkerLostError, message rejected and requeued; issued {took:.1f} s after the "
                f"kill by a new pool process of {name}; one certificate"
            )

    def every_certificate_once(self) -> None:
        from exams.certificates.models import Certificate

        with self.report.step("every certificate exists exactly once") as step:
            from django.db.models import Count

            doubles = (
                Certificate.objects.filter(status="valid")
                .values("holder_id", "programme_id")
                .annotate(n=Count("id"))
                .filter(n__gt=1)
            )
            check(not doubles.exists(), f"holders with two valid certificates: {list(doubles)}")
            orphans = self._orphan_objects()
            step.detail = (
                f"{Certificate.objects.count()} certificates, no holder with two valid ones; "
                f"{len(orphans)} orphaned object(s) in {PRIVATE_BUCKET} (the killed processes' "
                "uploads, referred to by nothing)"
            )

    def nightly_recompute(self) -> None:
        """The nightly full recompute, sent as beat sends it, runs on the surviving worker: a
        prefork pool process, which forks its own rating workers (RATING_RECOMPUTE_PROCESSES,
        one per core here) on PostgreSQL. Every stored fingerprint is cleared first, so every
        rating must be read and written again by that run."""
        from django.utils import timezone

        from lms.compliance.models import CollectorRating
        from lms.compliance.tasks.ratings import recompute_all_ratings

        with self.report.step(
            "the nightly recompute runs on a worker, in rating processes"
        ) as step:
            ratings = CollectorRating.objects.count()
            check(ratings > 0, "no rating to recompute: the journey rated nobody")
            started = timezone.now()
            CollectorRating.objects.update(input_fingerprint=None)
            recompute_all_ratings.delay()
            wait_for(
                lambda: not CollectorRating.objects.filter(computed_at__lt=started).exists(),
                120,
                "every rating recomputed by the nightly task",
            )
            log = self.processes.logs / "worker-2.log"
            done = re.compile(r"recompute_all_ratings\[[^\]]+\] succeeded")
            wait_for(
                lambda: done.search(log.read_text(errors="replace")) is not None,
                30,
                "worker-2 to report the nightly task succeeded",
            )
            step.detail = f"{ratings} ratings recomputed by worker-2's task"

    def _busy(self, app, names: list[str], lock) -> dict[str, tuple[str, int, int]] | None:
        """Each worker's issuance task, once both are waiting for the audit lock."""
        active = app.control.inspect(destination=names, timeout=1).active() or {}
        busy = {}
        for name in names:
            tasks = [t for t in active.get(name, []) if t["name"].endswith("issue_certificate")]
            if tasks:
                task = tasks[0]
                busy[name] = (task["id"], int(task["args"][0]), int(task["worker_pid"]))
        waiting = lock.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND wait_event = 'advisory'"
        ).fetchone()[0]
        if len(busy) == len(names) and waiting >= len(names):
            return busy
        return None

    def _stored_objects(self) -> list[str]:
        """The keys in the private bucket."""
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=self.s3.endpoint_url,
            region_name=self.s3.region,
            aws_access_key_id=self.s3.access_key_id,
            aws_secret_access_key=self.s3.secret_access_key,
        )
        listed = client.list_objects_v2(Bucket=PRIVATE_BUCKET).get("Contents", [])
        return [item["Key"] for item in listed]

    def _orphan_objects(self) -> list[str]:
        """Keys in the private bucket that no certificate refers to."""
        from exams.certificates.models import AttendanceCertificate, Certificate

        referenced = set(Certificate.objects.values_list("pdf", flat=True))
        referenced |= set(AttendanceCertificate.objects.values_list("pdf", flat=True))
        return [key for key in self._stored_objects() if key not in referenced]


def make_candidates(count: int, first: int = 1) -> list[int]:
    """``count`` new collectors who complete the courses and pass the exam (as ``seed_demo``'s
    holders do, but without issuing): their issuance requests are queued on commit. Returns the
    requests' ids."""
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from courses.models import Enrolment, LessonCompletion
    from courses.progress import course_outline
    from exams import attempts, grading
    from exams.certificates.demo import PROGRAMME
    from exams.certificates.models import CertificationProgramme, IssuanceRequest
    from lms.accounts.demo import DemoAccount, ensure_demo_account
    from lms.accounts.roles import Role

    programme = CertificationProgramme.objects.get(code=PROGRAMME["code"])
    studied = timezone.now() - timedelta(days=1)
    holders = []
    for number in range(first, first + count):
        user, _ = ensure_demo_account(
            DemoAccount(f"drill{number}@drill.test", f"演练{number}", Role.COLLECTOR)
        )
        for course in programme.required_courses.all():
            LessonCompletion.objects.bulk_create(
                [
                    LessonCompletion(user=user, lesson=lesson, completed_at=studied)
                    for lesson in course_outline(course).lessons
                ],
                ignore_conflicts=True,
            )
            Enrolment.objects.update_or_create(
                user=user, course=course, defaults={"enrolled_at": studied, "completed_at": studied}
            )
        attempt = attempts.start_attempt(user, programme.final_exam)
        answers = {
            row.position: grading.correct_choice_ids(row.version.data)
            for row in attempt.questions.select_related("version")
        }
        attempts.save_answers(attempt, answers)
        with transaction.atomic():
            attempts.submit_attempt(attempt)
        holders.append(user)
    requests = IssuanceRequest.objects.filter(holder__in=holders).order_by("pk")
    return list(requests.values_list("pk", flat=True))


def run(
    config: Config | None = None, *, rebuild: bool = False, out: Callable[[str], None] = print
) -> bool:
    """Run the drill; True when every step passed. Every process started is stopped."""
    config = config or Config.from_environment()
    logs = config.workdir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    for old in logs.glob("*.log"):
        old.unlink()
    report = Report(out)
    processes = Processes(logs, config.workdir)
    drill = Drill(config, report, processes, rebuild=rebuild)
    out(f"Two-node drill: logs in {logs}")
    passed = False
    try:
        drill.run()
        passed = True
    except DrillError:
        pass
    except KeyboardInterrupt:
        out("interrupted")
    finally:
        if not passed:
            for process in processes.started:
                if process.tail():
                    out(f"  --- end of {process.log}\n{process.tail()}")
        processes.stop_all()
    took = time.monotonic() - report.started
    failed = [step.title for step in report.steps if not step.ok]
    if passed:
        out(f"drill passed: {len(report.steps)} steps in {took:.0f} s; every process stopped")
    else:
        out(f"drill FAILED at: {', '.join(failed) or 'interrupted'}; every process stopped")
    return passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--rebuild-template",
        action="store_true",
        help="migrate and seed the template database again even if it is up to date",
    )
    arguments = parser.parse_args(argv)

    def stop(signum: int, frame: object) -> None:
        # Once: a second Ctrl-C or SIGTERM (a terminal sends SIGINT to the test runner and the
        # drill alike, and the runner then sends SIGTERM) must not cut the stopping short.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise KeyboardInterrupt

    # SIGTERM too, and SIGINT even where the shell started the drill with it ignored (a
    # background job): either way every process started is stopped.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        config = Config.from_environment()
    except ValueError as error:
        sys.stderr.write(f"drill: {error}\n")
        return 2
    return 0 if run(config, rebuild=arguments.rebuild_template) else 1


if __name__ == "__main__":
    sys.exit(main())
