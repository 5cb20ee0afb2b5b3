"""Several Streamlit processes behind nginx with sticky sessions, on 127.0.0.1 (deploy/README.md 多进程部署).

    python scripts/cluster.py run --processes 3 --port 8600      # `make cluster N=3 PORT=8600`; Ctrl-C stops all
    python scripts/cluster.py render --ports 8601,8602 --listen 80 > /etc/nginx/sites-available/wyjg-cluster.conf

``run`` prepares the database once (``python -m data init``: migrate, demo county if empty — N processes
migrating an empty database at once would race), starts N processes on ports PORT+1 … PORT+N sharing
``DATABASE_URL`` and one cookie secret, writes an nginx configuration from
``deploy/nginx/cluster.conf.template`` into its own directory (``var/cluster/`` by default) and runs
nginx in the foreground with its own prefix, pid file, logs and temp paths: the system nginx and its
state under /etc, /var/lib and /run are never touched. It waits until every process and nginx answer
``/_stcore/health``, then until Ctrl-C or SIGTERM, and stops everything.

SQLite is the default (``var/dashboard.sqlite``) and fine for a test on one machine: readers in
several processes share it in WAL mode, but writes queue on one file lock. For real use with several
processes put ``DATABASE_URL`` on PostgreSQL.

Tests and benchmarks use :class:`Cluster` directly.
"""
from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "deploy" / "nginx" / "cluster.conf.template"
ROUTE_COOKIE = "wyjg_route"
MIME_TYPES = Path("/etc/nginx/mime.types")


def streamlit_static_dir() -> Path:
    import streamlit

    return Path(streamlit.__file__).resolve().parent / "static" / "static"


def max_upload_mb() -> int:
    """Streamlit's ``server.maxUploadSize`` from .streamlit/config.toml (its default 200 MB otherwise)."""
    try:
        config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
        return int(config.get("server", {}).get("maxUploadSize", 200))
    except (OSError, ValueError):
        return 200


def render(ports: list[int], listen: str, *, access_log: str = "/var/log/nginx/wyjg-cluster.access.log",
           debug_headers: bool = False, host: str = "127.0.0.1") -> str:
    """``deploy/nginx/cluster.conf.template`` with the processes' ports and the listen address filled in."""
    if not ports:
        raise ValueError("at least one process port")
    opts = "max_fails=2 fail_timeout=10s"
    pool = "\n".join(f"    server {host}:{p} {opts};" for p in ports)
    pinned = []
    for p in ports:
        lines = [f"upstream wyjg_{p} {{", f"    server {host}:{p} {opts};"]
        lines += [f"    server {host}:{q} backup;" for q in ports if q != p]
        pinned.append("\n".join(lines + ["}"]))
    route_map = "\n".join(f"    {p} wyjg_{p};" for p in ports)
    health = "\n".join(
        f"    location = /_cluster/health/{p} {{\n        allow 127.0.0.1;\n        allow ::1;\n        deny all;\n"
        f"        proxy_pass http://{host}:{p}/_stcore/health;\n    }}" for p in ports)
    debug = ("        add_header X-Upstream $upstream_addr always;  # which process answered (tests only)"
             if debug_headers else
             "        # add_header X-Upstream $upstream_addr always;  # which process answered (debugging)")
    text = TEMPLATE.read_text(encoding="utf-8")
    for key, value in {
        "POOL_SERVERS": pool, "PINNED_UPSTREAMS": "\n\n".join(pinned), "ROUTE_MAP": route_map,
        "HEALTH_LOCATIONS": health, "DEBUG_HEADERS": debug, "LISTEN": listen, "ACCESS_LOG": access_log,
        "MAX_BODY_MB": str(max_upload_mb()), "STREAMLIT_STATIC": str(streamlit_static_dir()),
        "APP_STATIC": str(ROOT / "static"),
    }.items():
        text = text.replace(f"@@{key}@@", value)
    if re.search(r"@@[A-Z_]+@@", text):
        raise RuntimeError("a placeholder of the template was left unfilled")
    return text


def _main_conf(workdir: Path, site: Path) -> str:
    """A whole nginx.conf for a non-daemon nginx whose every path is inside ``workdir``."""
    tmp = workdir / "tmp"
    user = ""
    if os.geteuid() == 0:  # workers would drop to `nobody`, who cannot write workdir/tmp (root in CI)
        user = "user root;\n"
    mime = f"include {MIME_TYPES};" if MIME_TYPES.is_file() else \
        "types { text/html html; text/css css; application/javascript js mjs; image/png png; " \
        "image/svg+xml svg; font/woff2 woff2; application/json json; }"
    return (
        f"{user}daemon off;\nworker_processes 1;\npid {workdir / 'nginx.pid'};\n"
        f"error_log {workdir / 'error.log'} warn;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        f"    {mime}\n    default_type application/octet-stream;\n    sendfile on;\n"
        f"    client_body_temp_path {tmp / 'body'};\n    proxy_temp_path {tmp / 'proxy'};\n"
        f"    fastcgi_temp_path {tmp / 'fastcgi'};\n    uwsgi_temp_path {tmp / 'uwsgi'};\n"
        f"    scgi_temp_path {tmp / 'scgi'};\n"
        f"    include {site};\n"
        "}\n"
    )


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.read().decode().strip() == "ok"
    except OSError:
        return False


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class Cluster:
    """N ``streamlit run dashboard.py`` processes and one nginx in front, all on 127.0.0.1."""

    def __init__(self, processes: int = 2, port: int = 8600, *, database_url: str | None = None,
                 workdir: Path | str | None = None, ports: list[int] | None = None,
                 debug_headers: bool = True, env: dict[str, str] | None = None) -> None:
        self.port = port
        self.ports = ports or [port + i for i in range(1, processes + 1)]
        self.database_url = database_url or os.environ.get("DATABASE_URL") or \
            f"sqlite:///{ROOT / 'var' / 'dashboard.sqlite'}"
        self.workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="wyjg-cluster-"))
        self.debug_headers = debug_headers
        self.extra_env = env or {}
        self.apps: dict[int, subprocess.Popen] = {}
        self.nginx: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def access_log(self) -> Path:
        return self.workdir / "access.log"

    def pid_of(self, port: int) -> int:
        return self.apps[port].pid

    def app_log(self, port: int) -> Path:
        return self.workdir / f"streamlit-{port}.log"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ, PYTHONUNBUFFERED="1", DATABASE_URL=self.database_url, **self.extra_env)
        # one secret for all: Streamlit signs its XSRF and OIDC cookies with it, so a tab that fails over
        # to another process keeps working (deploy: STREAMLIT_SERVER_COOKIE_SECRET in /etc/wyjg/env)
        env.setdefault("STREAMLIT_SERVER_COOKIE_SECRET", secrets.token_hex(32))
        return env

    def prepare_database(self) -> None:
        if self.database_url.startswith("sqlite:///"):
            Path(self.database_url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "data", "init"], cwd=ROOT, env=self._env(), check=True)
        if not any(p.name != "README.md" for p in (ROOT / "static").iterdir()):
            subprocess.run([sys.executable, "-m", "layers.offline"], cwd=ROOT, check=True)

    def start(self, timeout_s: float = 120.0, *, prepare: bool = True) -> str:
        nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
        if nginx is None:
            raise RuntimeError("nginx is not installed (Debian: apt-get install nginx; `make system` as root)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.workdir / "tmp" / sub).mkdir(parents=True, exist_ok=True)
        if prepare:
            self.prepare_database()
        self._app_env = self._env()
        self.started_at = time.perf_counter()
        try:
            for port in self.ports:
                self.start_app(port)
            site = self.workdir / "cluster.conf"
            site.write_text(render(self.ports, f"127.0.0.1:{self.port}", access_log=str(self.access_log),
                                   debug_headers=self.debug_headers), encoding="utf-8")
            conf = self.workdir / "nginx.conf"
            conf.write_text(_main_conf(self.workdir, site), encoding="utf-8")
            base = [nginx, "-p", str(self.workdir), "-e", str(self.workdir / "error.log"), "-c", str(conf)]
            check = subprocess.run(base + ["-t"], capture_output=True, text=True)
            if check.returncode != 0:
                raise RuntimeError(f"nginx rejected the configuration:\n{check.stderr}")
            with open(self.workdir / "nginx.out", "wb") as log:
                self.nginx = subprocess.Popen(base, stdout=log, stderr=subprocess.STDOUT,
                                              stdin=subprocess.DEVNULL, start_new_session=True)
            self.wait_healthy(timeout_s)
        except BaseException:
            self.stop()
            raise
        return self.url

    def start_app(self, port: int) -> None:
        """(Re)start the Streamlit process on ``port`` (same environment and cookie secret as the others)."""
        cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard.py"),
               "--server.address", "127.0.0.1", "--server.port", str(port), "--server.headless", "true",
               "--server.fileWatcherType", "none", "--server.runOnSave", "false",
               "--browser.gatherUsageStats", "false"]
        with open(self.app_log(port), "ab") as log:
            self.apps[port] = subprocess.Popen(cmd, cwd=ROOT, env=self._app_env, stdout=log, stderr=subprocess.STDOUT,
                                               stdin=subprocess.DEVNULL, start_new_session=True)

    def wait_healthy(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        waiting = set(self.ports)
        while time.monotonic() < deadline:
            for port, proc in self.apps.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"streamlit on {port} exited ({proc.returncode}):\n{_tail(self.app_log(port))}")
            if self.nginx is not None and self.nginx.poll() is not None:
                raise RuntimeError(f"nginx exited ({self.nginx.returncode}):\n{_tail(self.workdir / 'error.log')}")
            # each process through nginx's per-process health location: proves both sides at once
            waiting = {p for p in waiting if not _healthy(f"{self.url}/_cluster/health/{p}")}
            if not waiting:
                return
            time.sleep(0.25)
        raise RuntimeError(f"not healthy after {timeout_s:.0f} s: processes on {sorted(waiting)}\n"
                           f"{_tail(self.workdir / 'error.log')}")

    def stop(self) -> None:
        """nginx first (no new requests), then the processes; TERM, then KILL after 10 s."""
        procs = ([self.nginx] if self.nginx else []) + list(self.apps.values())
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGQUIT if proc is self.nginx else signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)

    def __enter__(self) -> "Cluster":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def cmd_run(args) -> int:
    workdir = Path(args.workdir) if args.workdir else ROOT / "var" / "cluster"
    cluster = Cluster(args.processes, args.port, database_url=args.db, workdir=workdir,
                      debug_headers=args.debug_headers)
    stopping = False

    def _stop(signum, _frame):
        nonlocal stopping
        if not stopping:
            stopping = True
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        cluster.start(timeout_s=args.timeout)
        print(f"cluster: {cluster.url}  ({len(cluster.ports)} processes on {', '.join(map(str, cluster.ports))}; "
              f"database {cluster.database_url.split('@')[-1]}; logs in {cluster.workdir})", flush=True)
        if cluster.database_url.startswith("sqlite"):
            print("cluster: SQLite is for trying this out; for real use set DATABASE_URL to PostgreSQL", flush=True)
        while True:
            for port, proc in cluster.apps.items():
                if proc.poll() is not None:  # as systemd's Restart=always would; nginx fails over meanwhile
                    print(f"cluster: process on {port} exited ({proc.returncode}), restarting; "
                          f"see {cluster.app_log(port)}", file=sys.stderr, flush=True)
                    cluster.start_app(port)
            if cluster.nginx.poll() is not None:
                print("cluster: nginx exited; see error.log", file=sys.stderr, flush=True)
                return 1
            time.sleep(2)
    except KeyboardInterrupt:
        print("\ncluster: stopping", flush=True)
        return 0
    except RuntimeError as exc:
        print(f"cluster: {exc}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not interrupt the cleanup
        cluster.stop()


def cmd_render(args) -> int:
    ports = [int(p) for p in args.ports.split(",") if p.strip()]
    sys.stdout.write(render(ports, args.listen, access_log=args.access_log, debug_headers=args.debug_headers))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cluster", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start N processes and nginx on 127.0.0.1 until Ctrl-C")
    run.add_argument("--processes", "-n", type=int, default=3)
    run.add_argument("--port", type=int, default=8600, help="nginx port; processes on PORT+1 … PORT+N")
    run.add_argument("--db", default=None, help="DATABASE_URL (default: env, else var/dashboard.sqlite)")
    run.add_argument("--workdir", default=None, help="nginx configuration, pid, logs (default var/cluster/)")
    run.add_argument("--timeout", type=float, default=180.0)
    run.add_argument("--debug-headers", action="store_true", help="add X-Upstream to every proxied response")
    run.set_defaults(func=cmd_run)
    ren = sub.add_parser("render", help="print the nginx site file for a deployment")
    ren.add_argument("--ports", required=True, help="comma-separated ports of the Streamlit processes")
    ren.add_argument("--listen", default="80", help="nginx listen (e.g. 80, 10.0.0.5:80)")
    ren.add_argument("--access-log", default="/var/log/nginx/wyjg-cluster.access.log")
    ren.add_argument("--debug-headers", action="store_true")
    ren.set_defaults(func=cmd_render)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
