"""Throwaway PostgreSQL + PostGIS server for tests.

Used by ``tests/conftest.py``; also runnable by hand to get a scratch server::

    .venv/bin/python scripts/pg_test_server.py      # prints the URL, Ctrl-C stops and deletes it

The cluster lives in a temporary directory, listens on 127.0.0.1 and a free port,
keeps its unix socket in that directory (so it never clashes with a system
cluster) and runs with ``fsync=off``: it is disposable and fast, never durable.
initdb refuses to run as root, so as root the cluster belongs to the ``postgres``
user (created by Debian's postgresql package) and is driven through ``runuser``.
"""
from __future__ import annotations

import atexit
import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

ADMIN_DB = "postgres"
SQLALCHEMY_PREFIX = "postgresql+psycopg://"

_SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "shared_buffers": "64MB",
    "log_min_messages": "warning",
    "timezone": "'Asia/Shanghai'",
}


def find_bin_dir() -> Path | None:
    """Newest ``/usr/lib/postgresql/<major>/bin`` that has initdb, or None."""
    found = []
    for initdb in glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        major = Path(initdb).parent.parent.name
        if major.isdigit():
            found.append((int(major), Path(initdb).parent))
    return max(found)[1] if found else None


def unavailable_reason() -> str | None:
    """Why a throwaway cluster cannot be started here, or None if it can."""
    if find_bin_dir() is None:
        return "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); run `make system` as root"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root but there is no `postgres` user to own the cluster"
        if shutil.which("runuser") is None:
            return "running as root but `runuser` is missing"
    return None


def to_sqlalchemy_url(url: str) -> str:
    """``postgresql://`` / ``postgres://`` / ``postgresql+driver://`` → ``postgresql+psycopg://``."""
    return re.sub(r"^postgres(ql)?(\+\w+)?://", SQLALCHEMY_PREFIX, url)


def to_libpq_url(url: str) -> str:
    """Strip the SQLAlchemy driver so psycopg.connect() accepts the URL."""
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql://", url)


def with_database(url: str, dbname: str) -> str:
    """Same server and user, another database."""
    head, sep, tail = url.partition("://")
    rest = tail.split("?", 1)
    hostpart = rest[0].split("/", 1)[0]
    query = "?" + rest[1] if len(rest) > 1 else ""
    return f"{head}{sep}{hostpart}/{dbname}{query}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgTestServer:
    """A private PostgreSQL cluster in a temporary directory.

    ``start()`` returns the admin URL (database ``postgres``, user ``postgres``,
    trust authentication); ``stop()`` shuts it down and deletes every file.
    """

    def __init__(self) -> None:
        self.bin_dir = find_bin_dir()
        self.base: Path | None = None
        self.port: int | None = None
        self._running = False

    # -- lifecycle ---------------------------------------------------------
    def start(self, attempts: int = 3) -> str:
        reason = unavailable_reason()
        if reason:
            raise RuntimeError(reason)
        # as root the cluster belongs to `postgres`, which cannot traverse e.g. a TMPDIR under /root
        where = "/tmp" if os.geteuid() == 0 and os.path.isdir("/tmp") else None
        self.base = Path(tempfile.mkdtemp(prefix="pgtest-", dir=where))
        self._as_owner_dir(self.base)
        self._run("initdb", "-D", str(self.data_dir), "-U", "postgres", "-A", "trust",
                  "-E", "UTF8", "--no-locale", "--no-sync")
        atexit.register(self.stop)
        last_error = ""
        for _ in range(attempts):  # the free port may be taken between probe and bind
            self.port = free_port()
            self._write_config()
            result = self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file),
                               "-w", "-t", "60", "start", check=False)
            if result.returncode == 0:
                self._running = True
                return self.admin_url
            last_error = result.stdout + result.stderr + self.log_tail()
        self.stop()
        raise RuntimeError(f"could not start PostgreSQL test server:\n{last_error}")

    def stop(self) -> None:
        if self.base is None:
            return
        if self._running:
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop", check=False)
            self._running = False
        shutil.rmtree(self.base, ignore_errors=True)
        self.base = None

    # -- paths and URLs ----------------------------------------------------
    @property
    def data_dir(self) -> Path:
        assert self.base is not None
        return self.base / "data"

    @property
    def log_file(self) -> Path:
        assert self.base is not None
        return self.base / "server.log"

    @property
    def admin_url(self) -> str:
        return f"{SQLALCHEMY_PREFIX}postgres@127.0.0.1:{self.port}/{ADMIN_DB}"

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    # -- helpers -------------------------------------------------------------
    def _write_config(self) -> None:
        settings = dict(_SERVER_SETTINGS, port=str(self.port),
                        unix_socket_directories=f"'{self.base}'")
        conf = self.data_dir / "postgresql.auto.conf"
        conf.write_text("".join(f"{k} = {v}\n" for k, v in settings.items()))
        self._as_owner_dir(conf)

    def _as_owner_dir(self, path: Path) -> None:
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(path, pw.pw_uid, pw.pw_gid)

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(self.bin_dir / tool), *args]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        result = subprocess.run(cmd, cwd=self.base, capture_output=True, text=True,
                                env=dict(os.environ, LC_ALL="C", LANG="C"))
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({result.returncode}):\n"
                               f"{result.stdout}{result.stderr}")
        return result


class PostgisDatabases:
    """Creates fresh PostGIS databases on a server, from a template made once.

    ``CREATE EXTENSION postgis`` costs about a second; copying a template that
    already has it costs a few tens of milliseconds.
    """

    def __init__(self, admin_url: str) -> None:
        self.admin_url = to_sqlalchemy_url(admin_url)
        tag = uuid.uuid4().hex[:8]
        self.template = f"tpl_postgis_{tag}"
        self._prefix = f"t_{tag}_"
        self._made = False

    def _admin(self):
        import psycopg  # installed with the app's requirements

        return psycopg.connect(to_libpq_url(self.admin_url), autocommit=True, connect_timeout=10)

    def check(self) -> str:
        """Connect once; returns the server version string (raises on failure)."""
        with self._admin() as conn:
            return conn.execute("SHOW server_version").fetchone()[0]

    def ensure_template(self) -> None:
        if self._made:
            return
        import psycopg

        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{self.template}"')
        with psycopg.connect(to_libpq_url(with_database(self.admin_url, self.template)),
                             autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        self._made = True

    def create(self) -> str:
        """A new empty database with PostGIS; returns its SQLAlchemy URL."""
        self.ensure_template()
        name = self._prefix + uuid.uuid4().hex[:12]
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return with_database(self.admin_url, name)

    def drop(self, url: str) -> None:
        name = url.rsplit("/", 1)[1].split("?", 1)[0]
        with self._admin() as conn:
            # FORCE: engines the test left open must not keep the database alive
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        if self._made:
            with self._admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
            self._made = False


def main() -> None:  # pragma: no cover - manual helper
    import signal

    def _quit(signum, frame):
        raise SystemExit(0)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _quit)  # also when started in the background, where SIGINT is ignored
    server = PgTestServer()
    try:
        print(server.start(), flush=True)
        print(f"data in {server.base}; Ctrl-C (or SIGTERM) stops the server and deletes it", flush=True)
        while True:
            signal.pause()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
