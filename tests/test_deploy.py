"""The deployment of docs/deploy.md, run here: app processes behind Debian's nginx.

The module starts two app processes with the flags and environment of
``deploy/systemd/hedong-geo@.service``, renders ``deploy/nginx/*.conf`` into a temporary folder
(loopback addresses and free ports, a self-signed certificate, a password file, logs inside the
folder) and runs nginx as this user over it, next to a site made by ``publish``. The tests then
go through the proxy as a visitor would: TLS, basic auth, the websocket, sticky sessions, the
map in chromium, nothing fetched from outside, and the static site. Everything is stopped at
the end, also on failure. Needs nginx and openssl (skipped without them, failed under
HEDONG_GEO_REQUIRE_BROWSER).
"""

from __future__ import annotations

import base64
import os
import re
import shlex
import shutil
import socket
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import (
    DATA,
    MAP_READY,
    ROOT,
    START_TIMEOUT,
    fire,
    free_port,
    map_frame,
    open_session,
    stop,
    wait_for_health,
    wait_for_port,
    wait_until,
    watch,
)

from hedong_geo import settings

playwright_api = pytest.importorskip("playwright.sync_api")

DEPLOY = ROOT / "deploy"
DOC = ROOT / "docs" / "deploy.md"
APP_CONF = DEPLOY / "nginx" / "hedong-geo.conf"
SITE_CONF = DEPLOY / "nginx" / "hedong-geo-site.conf"
UNIT = DEPLOY / "systemd" / "hedong-geo@.service"
APP_HOST, SITE_HOST = "geo.hedong.example", "plan.hedong.example"
USER, PASSWORD = "planner", "hedong-test-password"
SE = "park.quadrant.se"
SE_PASSAGE = "以核理化院和国机集团天津电气院为核心"


# --- rendering the committed files for this machine ----------------------------------------------


def render(text: str, changes: dict[str, str], name: str) -> str:
    """``text`` with each key of ``changes`` replaced; every key must occur (else the file
    changed and this test would no longer run what it ships)."""
    for old, new in changes.items():
        assert old in text, f"{name}: {old!r} not found; update tests/test_deploy.py"
        text = text.replace(old, new)
    return text


def unit_command(port: int, tls_port: int, home: Path) -> tuple[list[str], dict[str, str]]:
    """The unit's ExecStart (as ``python -m hedong_geo app ...``) and Environment for ``port``."""
    changes = {"%i": str(port), APP_HOST: "localhost", "serverPort 443": f"serverPort {tls_port}"}
    changes["/var/lib/hedong-geo"] = str(home)
    text = render(UNIT.read_text(encoding="utf-8"), changes, UNIT.name)
    lines = text.replace("\\\n", " ").splitlines()
    env = dict(line.split("=", 2)[1:] for line in lines if line.startswith("Environment="))
    (start,) = [
        shlex.split(line.split("=", 1)[1]) for line in lines if line.startswith("ExecStart=")
    ]
    assert Path(start[0]).name == "hedong-geo" and start[1] == "app", start
    return [sys.executable, "-m", "hedong_geo", *start[1:]], env


def find_nginx() -> str:
    """Debian's nginx (in /usr/sbin, often not on a user's PATH), or skip/fail."""
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    openssl = shutil.which("openssl")
    if nginx and openssl:
        return nginx
    message = "not installed: apt-get install nginx openssl to run the deployment test"
    if settings.get().require_browser:
        pytest.fail(f"HEDONG_GEO_REQUIRE_BROWSER is set but {message}")
    pytest.skip(message)


def _openssl(*args: str) -> str:
    return subprocess.run(
        ["openssl", *args], check=True, capture_output=True, text=True, timeout=30
    ).stdout


def _mime_types(nginx: str) -> str:
    """mime.types beside the nginx.conf this nginx was built for."""
    built = subprocess.run([nginx, "-V"], capture_output=True, text=True, timeout=10).stderr
    found = re.search(r"--conf-path=(\S+)", built)
    path = Path(found.group(1)).parent / "mime.types" if found else None
    assert path and path.is_file(), f"no mime.types for {nginx}"
    return str(path)


MAIN_CONF = """\
worker_processes 1;
{user}
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/logs/error.log;
events {{ worker_connections 256; }}
http {{
    include {mime};
    default_type application/octet-stream;
    access_log {tmp}/logs/access.log;
    client_body_temp_path {tmp}/temp/body;
    proxy_temp_path {tmp}/temp/proxy;
    fastcgi_temp_path {tmp}/temp/fastcgi;
    uwsgi_temp_path {tmp}/temp/uwsgi;
    scgi_temp_path {tmp}/temp/scgi;
    include app.conf;
    include site.conf;
}}
"""


@dataclass
class Deployment:
    app: str  # https://localhost:PORT/ through nginx
    http: str  # the plain-HTTP server that redirects
    site: str  # the static site through nginx
    backends: list[int]
    site_dir: Path
    cert: Path
    log: Path  # the app's access log (deploy's log_format)

    def tls(self) -> ssl.SSLContext:
        """Verifies nginx's certificate, our self-signed one."""
        return ssl.create_default_context(cafile=str(self.cert))


def _configure(tmp: Path, nginx: str, ports: dict[str, int], backends: list[int]) -> Path:
    """Write the certificate, password file and nginx configuration; return the main file."""
    for sub in ("logs", "temp"):
        (tmp / sub).mkdir(exist_ok=True)
    cert, key = tmp / "hedong-geo.crt", tmp / "hedong-geo.key"
    # As docs/deploy.md makes them: a self-signed certificate and an htpasswd line.
    _openssl(
        *("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
        *("-nodes", "-days", "2", "-subj", "/CN=localhost"),
        *("-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)),
    )
    hashed = _openssl("passwd", "-6", PASSWORD).strip()
    (tmp / "hedong-geo.htpasswd").write_text(f"{USER}:{hashed}\n", encoding="utf-8")
    common = {
        "/etc/ssl/certs/hedong-geo.crt": str(cert),
        "/etc/ssl/private/hedong-geo.key": str(key),
        "/var/log/nginx/": f"{tmp}/logs/",
    }
    app = render(
        APP_CONF.read_text(encoding="utf-8"),
        {
            **common,
            "listen 443 ssl;": f"listen 127.0.0.1:{ports['tls']} ssl;",
            "listen 80;": f"listen 127.0.0.1:{ports['http']};",
            "server 127.0.0.1:8501;": f"server 127.0.0.1:{backends[0]};",
            "server 127.0.0.1:8502;": f"server 127.0.0.1:{backends[1]};",
            APP_HOST: "localhost",
            "/etc/nginx/hedong-geo.htpasswd": str(tmp / "hedong-geo.htpasswd"),
        },
        APP_CONF.name,
    )
    site = render(
        SITE_CONF.read_text(encoding="utf-8"),
        {
            **common,
            "listen 443 ssl;": f"listen 127.0.0.1:{ports['site']} ssl;",
            "listen 80;": f"listen 127.0.0.1:{ports['site_http']};",
            SITE_HOST: "localhost",
            "/srv/hedong-geo/site": str(tmp / "site"),
        },
        SITE_CONF.name,
    )
    for name, text in (("app.conf", app), ("site.conf", site)):
        listens = re.findall(r"^\s*listen\s+(\S+)", text, flags=re.M)
        assert listens and all(a.startswith("127.0.0.1:") for a in listens), listens
        (tmp / name).write_text(text, encoding="utf-8")
    # nginx started by root hands its workers to "nobody", who cannot read a private tmp dir.
    user = "user root;" if os.geteuid() == 0 else ""
    main = MAIN_CONF.format(tmp=tmp, mime=_mime_types(nginx), user=user)
    (tmp / "nginx.conf").write_text(main, encoding="utf-8")
    return tmp / "nginx.conf"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    nginx = find_nginx()
    tmp = tmp_path_factory.mktemp("deploy")
    ports = {k: free_port() for k in ("tls", "http", "site", "site_http")}
    backends = [free_port(), free_port()]
    with ExitStack() as stack:

        def start(cmd: list[str], log: Path, **kwargs) -> subprocess.Popen:
            out = stack.enter_context(open(log, "wb"))
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, **kwargs)
            stack.callback(stop, proc)
            return proc

        # Both app processes and the publish run at once; nginx meanwhile.
        apps = []
        (tmp / "home").mkdir()
        for port in backends:
            cmd, env = unit_command(port, ports["tls"], tmp / "home")
            log = tmp / f"app-{port}.log"
            apps.append((start(cmd, log, cwd=ROOT, env={**os.environ, **env}), port, log))
        publish = [sys.executable, "-m", "hedong_geo", "publish", str(tmp / "site")]
        publish += ["--layers-dir", str(DATA / "layers_small")]
        published = start(publish, tmp / "publish.log", cwd=ROOT)
        conf = _configure(tmp, nginx, ports, backends)
        base = [nginx, "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "logs" / "error.log")]
        checked = subprocess.run([*base, "-t"], capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, checked.stderr
        proxy = start(base, tmp / "logs" / "nginx.out")
        try:
            wait_for_port(ports["tls"], proxy)
        except RuntimeError as exc:
            raise RuntimeError(
                f"nginx: {exc}: {(tmp / 'logs' / 'error.log').read_text()}"
            ) from None
        for proc, port, log in apps:
            try:
                wait_for_health(f"http://127.0.0.1:{port}/", proc, START_TIMEOUT)
            except RuntimeError as exc:
                raise RuntimeError(f"{exc}: {log.read_text(errors='replace')}") from None
        assert published.wait(timeout=START_TIMEOUT) == 0, (tmp / "publish.log").read_text()
        yield Deployment(
            app=f"https://localhost:{ports['tls']}/",
            http=f"http://localhost:{ports['http']}/",
            site=f"https://localhost:{ports['site']}/",
            backends=backends,
            site_dir=tmp / "site",
            cert=tmp / "hedong-geo.crt",
            log=tmp / "logs" / "hedong-geo.access.log",
        )


# --- plain requests through the proxy ------------------------------------------------------------


AUTH = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


def fetch(dep: Deployment, url: str, headers: dict[str, str] | None = None):
    """(status, headers, body) of a GET, errors included; redirects are not followed."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPSHandler(context=dep.tls()))
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(request, timeout=20) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def handshake(dep: Deployment, port: int, host: str, proxied: bool) -> int:
    """Status of a websocket handshake on /_stcore/stream with ``Host: host`` (101 = opened)."""
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        "GET /_stcore/stream HTTP/1.1",
        f"Host: {host}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        "Sec-WebSocket-Protocol: streamlit",
        *([f"Authorization: {AUTH}"] if proxied else []),
    ]
    with socket.create_connection(("127.0.0.1", port), timeout=20) as raw:
        sock = dep.tls().wrap_socket(raw, server_hostname="localhost") if proxied else raw
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        status = sock.recv(1024).split(b"\r\n", 1)[0].decode()
        sock.close()
    return int(status.split()[1])


def upstreams(log: Path) -> list[tuple[str, str, str, str]]:
    """(request, status, upstream, route) of each line of the app's access log."""
    pattern = r'"([^"]*)" (\d+) .* upstream=(\S+) route=(\S+)'
    return re.findall(pattern, log.read_text(encoding="utf-8"))


# --- tests ---------------------------------------------------------------------------------------


def test_tls_auth_and_health(deployment: Deployment) -> None:
    dep = deployment
    status, _, body = fetch(dep, dep.app + "_stcore/health")
    assert (status, body) == (200, b"ok")  # for monitoring: no password
    status, headers, _ = fetch(dep, dep.app)
    assert status == 401 and "Basic" in headers["WWW-Authenticate"]
    wrong = "Basic " + base64.b64encode(f"{USER}:wrong".encode()).decode()
    assert fetch(dep, dep.app, {"Authorization": wrong})[0] == 401
    status, headers, body = fetch(dep, dep.app, {"Authorization": AUTH})
    assert status == 200 and b"<html" in body.lower()
    route = headers["Set-Cookie"]
    assert route.startswith("hedong_route=") and "Secure" in route and "HttpOnly" in route
    status, headers, _ = fetch(dep, dep.http + "?view=reader")
    assert status == 301 and headers["Location"].startswith("https://localhost")


def test_websocket_and_allowed_hosts(deployment: Deployment) -> None:
    dep = deployment
    tls_port = urlsplit(dep.app).port
    assert handshake(dep, tls_port, f"localhost:{tls_port}", proxied=True) == 101
    # server.allowedHosts: a websocket for another host name is refused, proxied or not.
    assert handshake(dep, tls_port, "attacker.example", proxied=True) == 403
    for port in dep.backends:
        assert handshake(dep, port, "localhost", proxied=False) == 101
        assert handshake(dep, port, f"127.0.0.1:{port}", proxied=False) == 403


def test_sessions_stick_and_spread(deployment: Deployment) -> None:
    dep = deployment
    routes = [f"test-{i}" for i in range(16)]
    for route in routes + routes[::-1]:  # not in step with a round robin
        headers = {"Authorization": AUTH, "Cookie": f"hedong_route={route}"}
        status, headers, _ = fetch(dep, dep.app + "_stcore/host-config", headers)
        assert status == 200 and "Set-Cookie" not in headers
    served: dict[str, set[str]] = {}
    for _, _, upstream, route in upstreams(dep.log):
        if route in routes:
            served.setdefault(route, set()).add(upstream)
    assert set(served) == set(routes)
    assert all(len(u) == 1 for u in served.values()), served  # one browser, one process
    both = {f"127.0.0.1:{p}" for p in dep.backends}
    assert set().union(*served.values()) == both  # browsers spread over the processes


def _websocket_logged(log: Path, route: str) -> list[tuple[str, str, str]]:
    """(request, status, upstream) of the lines of ``route`` in the app's access log, once the
    websocket's line is there (nginx writes it when the socket closes), else []."""
    mine = [(r, s, u) for r, s, u, rt in upstreams(log) if rt == route]
    done = any(r.startswith("GET /_stcore/stream") and s == "101" for r, s, _ in mine)
    return mine if done else []


@pytest.mark.browser
def test_app_through_the_proxy_in_chromium(deployment: Deployment, browser) -> None:
    dep = deployment
    # The app behind its password, with our self-signed certificate.
    login = {"username": USER, "password": PASSWORD}
    with open_session(browser, ignore_https_errors=True, http_credentials=login) as session:
        page = session.page
        page.goto(dep.app)
        frame = map_frame(page)
        # Interactive: a click goes over the websocket, the app runs and shows the passage.
        fire(frame, SE)
        passage = page.locator(".hd-passage", has_text=SE_PASSAGE)
        # A new process writes every panel while its first map is drawn (seconds on a busy
        # machine): until then the panel says it is loading.
        playwright_api.expect(passage).to_be_visible(timeout=60_000)
        cookies = {c["name"]: c["value"] for c in page.context.cookies()}
        assert "_streamlit_xsrf" in cookies  # XSRF protection on
        route = cookies["hedong_route"]
        # The published site, public: no password, the map drawn from its own files.
        site = browser.new_context(ignore_https_errors=True)
        site_page = site.new_page()
        watch(site_page, session)
        site_page.goto(dep.site)
        site_page.wait_for_function(MAP_READY)
        site.close()
    # Closing the context closed the websocket: nginx logs it.
    assert any(u.startswith(f"wss://localhost:{urlsplit(dep.app).port}/") for u in session.requests)
    session.assert_local()
    # Every request of that browser went to one app process, the websocket included.
    wait_until(
        lambda: _websocket_logged(dep.log, route), f"a websocket line in {dep.log}", timeout=10
    )
    mine = _websocket_logged(dep.log, route)
    assert len({u for _, _, u in mine}) == 1, mine


def test_static_site_headers(deployment: Deployment) -> None:
    dep = deployment
    status, headers, body = fetch(dep, dep.site)
    assert status == 200 and b'src="assets/vendor/leaflet/leaflet.js"' in body
    assert headers["Cache-Control"] == "public, max-age=300"
    status, headers, _ = fetch(dep, dep.site + "assets/vendor/leaflet/leaflet.js")
    assert status == 200 and headers["Cache-Control"] == "public, max-age=3600"
    layer = next((dep.site_dir / "data").glob("*.geojson")).name
    status, headers, _ = fetch(dep, dep.site + "data/" + layer)
    assert status == 200 and headers["Content-Type"] == "application/geo+json"
    assert fetch(dep, dep.site + ".hedong-geo-site")[0] == 404


# --- the documentation ---------------------------------------------------------------------------


def test_docs_link_every_deploy_file() -> None:
    doc = DOC.read_text(encoding="utf-8")
    files = sorted(p.relative_to(ROOT).as_posix() for p in DEPLOY.rglob("*") if p.is_file())
    assert files
    for rel in files:
        assert f"](../{rel})" in doc, f"docs/deploy.md does not link {rel}"
    for rel in re.findall(r"\]\(\.\./(deploy/[^)#]+)\)", doc):
        assert (ROOT / rel).is_file(), f"docs/deploy.md links {rel}, which does not exist"


def test_streamlit_options_exist() -> None:
    """Every Streamlit option the deployment names is one the installed Streamlit has."""
    import streamlit
    from streamlit import config

    texts = [DOC.read_text(encoding="utf-8"), UNIT.read_text(encoding="utf-8")]
    named = set()
    for text in texts:
        named |= set(re.findall(r"\b((?:server|browser|client|global)\.[a-zA-Z]+)\b", text))
    assert {"server.allowedHosts", "server.enableXsrfProtection"} <= named
    unknown = sorted(n for n in named if n not in config.get_config_options())
    assert not unknown, f"not options of streamlit {streamlit.__version__}: {unknown}"
