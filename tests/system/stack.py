"""The production shape on this machine, for the rehearsals: PostgreSQL (a database of its
own), gunicorn with two workers and PARENTLINK_ENV=production, `parentlink jobs` as its own
process, and Debian's nginx with the kit's site file (deploy/nginx/parentlink.conf) and a
certificate from the tests' own authority, all on 127.0.0.1 with free ports. Every process
writes its log to a file in `logs/`, which a rehearsal reads at the end. `production()`
starts the whole of it with the gateways a rehearsal chooses."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.builders import STAFF_PASSWORD
from tests.system.postgres import fresh_database
from tests.system.tls import Certificate, issue

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HOST = "parentlink.test"  # a reserved name: Chromium maps it to 127.0.0.1
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
DEPLOY_GUNICORN = REPO / "deploy" / "gunicorn.conf.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def render_site(
    folder: Path, certificate: Certificate, *, https_port: int, http_port: int, app_port: int
) -> Path:
    """The kit's site file with its placeholders filled, inside a minimal nginx.conf that
    stands in for Debian's /etc/nginx/nginx.conf (which includes sites-enabled/*)."""
    cert, key = certificate.chain, certificate.key
    logs = folder / "logs"
    site = (REPO / "deploy" / "nginx" / "parentlink.conf").read_text()
    for placeholder, value in {
        "__SERVER_NAME__": HOST,
        "__PUBLIC_URL__": f"https://{HOST}:{https_port}",
        "__HTTP_PORT__": f"127.0.0.1:{http_port}",
        "__HTTPS_PORT__": f"127.0.0.1:{https_port}",
        "__TLS_CERT__": str(cert),
        "__TLS_KEY__": str(key),
        "__APP_ADDRESS__": f"127.0.0.1:{app_port}",
        "__LOG_DIR__": str(logs),
    }.items():
        site = site.replace(placeholder, value)
    settings = [line for line in site.splitlines() if not line.lstrip().startswith("#")]
    assert not re.search(r"__[A-Z_]+__", "\n".join(settings)), "a placeholder was left"
    (folder / "parentlink.conf").write_text(site)
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {folder / 'tmp' / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = folder / "nginx.conf"
    conf.write_text(
        f"""{user}worker_processes 1;
pid {folder / "nginx.pid"};
error_log {logs / "nginx.error.log"} crit;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {logs / "nginx.other.access.log"};
{temp}
    include {folder / "parentlink.conf"};
}}
"""
    )
    (folder / "tmp").mkdir(exist_ok=True)
    return conf


class Stack:
    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.logs = folder / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.env = env
        self.processes: list[subprocess.Popen] = []

    def cli(self, *args: str) -> str:
        result = subprocess.run(
            [str(BIN / "parentlink"), *args],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        with open(self.logs / "cli.log", "a") as log:
            log.write(result.stderr)
        return result.stdout

    def start(self, name: str, *command: str) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            list(command), cwd=self.folder, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        process.log = log
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in reversed(self.processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
            process.log.close()

    def lines(self) -> dict[str, list[str]]:
        """Every line every process wrote, by file."""
        return {p.name: p.read_text(errors="replace").splitlines() for p in self.logs.iterdir()}


def unverified() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def through_nginx(
    port: int,
    path: str,
    *,
    data: bytes | None = None,
    headers: dict | None = None,
    scheme: str = "https",
):
    """A request to nginx on 127.0.0.1 for https://parentlink.test:<port>/…: the status,
    headers and raw body (not decompressed)."""
    request = urllib.request.Request(  # noqa: S310 - our own local nginx
        f"{scheme}://127.0.0.1:{port}{path}",
        data=data,
        headers={"Host": f"{HOST}:{port}", **(headers or {})},
        method="POST" if data is not None else "GET",
    )
    handlers = [urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=unverified())]

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(*handlers, NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers, exc.read()


def wait_until(check, what: str, timeout: float = 60.0, processes=()) -> None:
    deadline = time.monotonic() + timeout
    while True:
        for process in processes:
            assert process.poll() is None, f"{process.args[0]} stopped while waiting for {what}"
        try:
            if check():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout:.0f} s for {what}")
        time.sleep(0.2)


@dataclass
class Site:
    """A running production stack, as a rehearsal sees it."""

    stack: Stack
    public_url: str  # https://parentlink.test:<https_port>
    https_port: int
    http_port: int
    database_url: str
    certificate: Certificate

    @property
    def webhooks(self) -> str:
        return f"{self.public_url}/webhooks"


def _set_up_school(stack: Stack, database_url: str) -> None:
    """What an administrator does once with the CLI: the schema, the school, the agreement,
    the first member of staff; and a sending window of the whole day, so that a rehearsal
    sends texts at any hour."""
    stack.cli("db", "upgrade")
    stack.cli(
        "school",
        "create",
        "Coates Lane Primary School",
        "--short-name",
        "Coates Lane Primary",
        "--slug",
        "coates-lane",
    )
    stack.cli("agreement", "load")
    stack.cli(
        "staff",
        "create",
        "--email",
        "head@example.com",
        "--name",
        "Head Teacher",
        "--role",
        "admin",
        "--password",
        STAFF_PASSWORD,
    )
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE school SET sending_window_start = '00:00', sending_window_end = '23:59:59'"
            )
        )
    engine.dispose()


@contextmanager
def production(folder: Path, gateways: dict[str, str]) -> Iterator[Site]:
    """PostgreSQL, gunicorn (two workers), `parentlink jobs` and nginx, with the gateway
    settings given (PARENTLINK_SMS_GATEWAY and the rest); stopped afterwards."""
    with fresh_database("rehearsal") as database_url:
        https_port, http_port, app_port = free_port(), free_port(), free_port()
        public_url = f"https://{HOST}:{https_port}"
        env = {
            "PATH": "/usr/bin:/bin:/usr/sbin:/sbin",
            # as systemd gives it (RuntimeDirectory=): deploy/gunicorn.conf.py puts gunicorn's
            # control socket there, one each, so rehearsals side by side keep their own.
            "RUNTIME_DIRECTORY": str(folder),
            "PARENTLINK_ENV": "production",
            "PARENTLINK_SECRET_KEY": secrets.token_urlsafe(48),
            "PARENTLINK_DATABASE_URL": database_url,
            "PARENTLINK_PUBLIC_URL": public_url,
            "PARENTLINK_PROXY_FIX_HOPS": "1",
            "PARENTLINK_INSTANCE_DIR": str(folder / "var"),
            "PARENTLINK_JOBS_INTERVALS": "dispatch=1",
            **gateways,
        }
        stack = Stack(folder, env)
        _set_up_school(stack, database_url)
        certificate = issue(folder)
        conf = render_site(
            folder, certificate, https_port=https_port, http_port=http_port, app_port=app_port
        )
        try:
            processes = (
                stack.start(
                    "gunicorn",
                    str(BIN / "gunicorn"),
                    "-c",
                    str(DEPLOY_GUNICORN),
                    "--bind",
                    f"127.0.0.1:{app_port}",
                    "--workers",
                    "2",
                    "parentlink.wsgi:app",
                ),
                stack.start("jobs", str(BIN / "parentlink"), "jobs"),
                stack.start(
                    "nginx-master", NGINX, "-p", str(folder), "-c", str(conf), "-g", "daemon off;"
                ),
            )
            wait_until(
                lambda: through_nginx(https_port, "/office/login")[0] == 200,
                "the office page through nginx",
                processes=processes,
            )
            # deploy/gunicorn.conf.py put gunicorn's control socket where systemd said
            wait_until(
                lambda: (folder / "gunicorn.ctl").is_socket(),
                "gunicorn's control socket in RUNTIME_DIRECTORY",
                processes=processes,
            )
            yield Site(stack, public_url, https_port, http_port, database_url, certificate)
        finally:
            stack.stop()
