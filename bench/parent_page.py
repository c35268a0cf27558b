"""The parent page under gunicorn on loopback, driven by wrk, against a minimal Flask route
served by the same app, server and run.

    .venv/bin/pip install -e '.[bench]'    # gunicorn
    apt-get install wrk                     # the load generator (Debian package)
    .venv/bin/python -m bench.parent_page [--seconds 10] [--connections 50] [--workers 2]
                                          [--rounds 3]

It seeds a school with 120 families in a fresh SQLite database (or PARENTLINK_DATABASE_URL),
then measures, each for the same time and connections:
  GET  /a/<token>            the agreement page (7 points), rotating over all links
  POST /a/<token>            the confirm form, with a real CSRF token and session, missing
                             the typed name: the full validation path and the page again (422)
  GET  /bench/minimal        a minimal Flask route in the same app
  POST /bench/minimal        the same, posted
and prints requests/second, the ratio to the minimal route (goal >= 0.5) and p99 latency.

The machines are shared and noisy, so the four runs are repeated in `--rounds` rounds, each
round running them back to back (each page right after its minimal route): each round gives a
ratio, and the median of those is the result. Each link's first open (which records it) falls
in the first round's GET run, as it would for a family.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

FAMILIES = 120


def make_app():
    """The gunicorn entry point: ParentLink plus one minimal route."""
    from parentlink import create_app
    from parentlink.extensions import csrf

    app = create_app()

    @app.route("/bench/minimal", methods=["GET", "POST"])
    @csrf.exempt
    def minimal():
        return "ok"

    return app


def seed(env: dict) -> list[str]:
    """Fresh database, Coates Lane policy, families, a launched campaign; returns the links."""
    script = f"""
import csv, io
from datetime import timedelta
from sqlalchemy import select
from parentlink import create_app
from parentlink.db import db
from parentlink.schema import upgrade
from parentlink.agreements.services import COATES_LANE_POLICY, load_version, publish
from parentlink.campaigns.services import launch_campaign
from parentlink.core.clock import now
from parentlink.directory.importer import COLUMNS, import_families
from parentlink.messaging.models import Message
from parentlink.schools.services import create_school
app = create_app()
with app.app_context():
    upgrade()
    school = create_school(name="Coates Lane Primary School", short_name="Coates Lane Primary",
                           slug="coates-lane", office_phone="01632 960123")
    version = publish(load_version(school.id, COATES_LANE_POLICY, actor="bench"), actor="bench")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for n in range({FAMILIES}):
        for child in range(2):
            writer.writerow([f"P{{n}}-{{child}}", f"Child{{child}}", "Example", "Year 3",
                             "Kestrels", f"C{{n}}", f"Carer{{n}}", "Example", "Mother", "yes",
                             f"07700 900{{n:03d}}", f"carer{{n}}@example.com", "sms"])
    import_families(school.id, out.getvalue().encode())
    launch_campaign(school, version, name="Bench", closes_at=now() + timedelta(days=30),
                    actor="bench")
    db.session.commit()
    for token in db.session.scalars(select(Message.link_token)):
        print(token)
"""
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    return [line for line in result.stdout.split() if line]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str) -> None:
    for _ in range(100):
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer at {url}")


def post_form(base: str, token: str) -> tuple[str, str]:
    """A real browser session: the session cookie and a CSRF token from the page."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/a/{token}").read().decode()
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    fields = {"csrf_token": csrf, "typed_name": ""}
    return cookie, urllib.parse.urlencode(fields)


LUA = """
paths = {%(paths)s}
i = 0
wrk.method = "%(method)s"
%(extra)s
request = function()
  i = i %% #paths + 1
  return wrk.format(nil, paths[i])
end
"""


def run_wrk(
    url: str,
    paths: list[str],
    method: str,
    seconds: int,
    connections: int,
    folder: Path,
    body: str = "",
    cookie: str = "",
) -> tuple[float, str, dict]:
    extra = ""
    if method == "POST":
        extra = (
            f'wrk.body = "{body}"\n'
            'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
            f'wrk.headers["Cookie"] = "{cookie}"\n'
        )
    script = folder / f"{method}-{len(paths)}.lua"
    quoted = ", ".join(f'"{p}"' for p in paths)
    script.write_text(LUA % {"paths": quoted, "method": method, "extra": extra})
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1)  # the latency line, not a Stdev
    found = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    codes = {"non2xx": int(found.group(1))} if found else {}
    return rps, p99, codes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    gunicorn = Path(sys.executable).parent / "gunicorn"
    if not gunicorn.exists():
        sys.exit("gunicorn is missing: .venv/bin/pip install -e '.[bench]'")

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = {
            **os.environ,
            "PARENTLINK_ENV": "development",
            "PARENTLINK_DATABASE_URL": os.environ.get(
                "PARENTLINK_DATABASE_URL", f"sqlite:///{folder / 'bench.db'}"
            ),
            "PARENTLINK_SANDBOX_OUTBOX": str(folder / "outbox.jsonl"),
        }
        tokens = seed(env)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [
                str(gunicorn),
                "-w",
                str(args.workers),
                "-b",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "bench.parent_page:make_app()",
            ],
            env=env,
            cwd=Path(__file__).resolve().parents[1],
        )
        try:
            wait_for(f"{base}/bench/minimal")
            cookie, body = post_form(base, tokens[0])
            pages = [f"/a/{t}" for t in tokens]
            size = len(urllib.request.urlopen(f"{base}{pages[0]}").read())
            runs: dict[str, list] = {}
            for _ in range(args.rounds):
                for name, run in (
                    ("GET minimal", (["/bench/minimal"], "GET")),
                    ("GET parent page", (pages, "GET")),
                    ("POST minimal", (["/bench/minimal"], "POST", "x=1")),
                    ("POST parent page", (pages[:1], "POST", body, cookie)),
                ):
                    paths, method, *posted = run
                    result = run_wrk(
                        base, paths, method, args.seconds, args.connections, folder, *posted
                    )
                    runs.setdefault(name, []).append(result)
        finally:
            server.terminate()
            server.wait(timeout=10)

    print(
        f"\nparent page: {size} bytes of HTML, {len(tokens)} links, gunicorn -w {args.workers}, "
        f"wrk -c{args.connections} -d{args.seconds}s on loopback, {args.rounds} rounds"
    )
    print(f"{'run':<18}{'req/s (each round)':>28}{'p99 (each round)':>30}")
    for name, results in runs.items():
        rates = " ".join(f"{rps:7.1f}" for rps, _, _ in results)
        p99s = " ".join(f"{p99:>9}" for _, p99, _ in results)
        codes = sum(c.get("non2xx", 0) for _, _, c in results)
        note = f"  {codes} non-2xx/3xx (expected: 422 for the POST)" if codes else ""
        print(f"{name:<18}{rates:>28}{p99s:>30}{note}")
    for method in ("GET", "POST"):
        ratios = [
            page[0] / minimal[0]
            for minimal, page in zip(
                runs[f"{method} minimal"], runs[f"{method} parent page"], strict=True
            )
        ]
        each = " ".join(f"{r:.2f}" for r in ratios)
        print(
            f"{method} ratio to the minimal route: {each}; "
            f"median {statistics.median(ratios):.2f} (goal >= 0.5)"
        )


if __name__ == "__main__":
    main()
