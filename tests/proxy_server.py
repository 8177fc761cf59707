"""Debian's nginx running the site manyi ships (deploy/nginx/manyi.conf), for tests.

`serve_as_manyi_does(app, options)` serves the app in a thread on a free port with the options
`manyi serve` gives uvicorn (uvicorn's own reading of X-Forwarded-For among them: off), which a
test gets by running the command with `uvicorn.run` caught (`manyi_serve_options`).

`nginx_in_front(app_port, directory)` starts an nginx process of its own (not the system's
service): the shipped site with only its ports, certificate and log paths replaced, inside a
minimal main configuration whose pid file, logs and temporary files are in `directory`, with a
self-signed certificate for 127.0.0.1 made here. It yields where nginx listens.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any
from unittest import mock

import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from typer.testing import CliRunner

from manyi import cli, cli_support
from manyi.config import get_settings
from manyi.web.app import configure_process
from tests.live_server import wait_until_healthy

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "deploy" / "nginx" / "manyi.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
# The certificate does not depend on any clock: the tests' clocks are moved, OpenSSL's is not.
VALID = (dt.datetime(2000, 1, 1, tzinfo=dt.UTC), dt.datetime(2100, 1, 1, tzinfo=dt.UTC))


@dataclass(frozen=True)
class Proxy:
    https: str  # https://127.0.0.1:port
    http: str  # http://127.0.0.1:port (sends browsers to HTTPS)
    certificate: Path  # trust it to check the server
    upstream: str  # the manyi address the shipped site names (before it was replaced)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def manyi_serve_options(environment: dict[str, str]) -> dict[str, Any]:
    """What `manyi serve` hands uvicorn with these MANYI_* variables (nothing is started)."""
    calls: list[dict[str, Any]] = []
    # The command prepares its process for the server (variables for the worker processes, the
    # logging): this process is the tests', and gets its own back.
    saved_environment = dict(os.environ)
    root = logging.getLogger()
    saved_logging = (root.level, root.handlers[:])
    get_settings.cache_clear()  # the command reads the variables, not a cached test's settings
    try:
        with mock.patch.object(uvicorn, "run", lambda *_, **options: calls.append(options)):
            result = CliRunner().invoke(cli.app, ["serve"], env=environment)
    finally:
        get_settings.cache_clear()
        os.environ.clear()
        os.environ.update(saved_environment)
        root.setLevel(saved_logging[0])
        root.handlers[:] = saved_logging[1]
    assert result.exit_code == 0, result.output
    return calls[0]


def plug_defaults() -> None:
    """Plug the process's ports again with the default settings (the command's start-up hooks,
    the app's features), after a test plugged them with production settings of its own."""
    get_settings.cache_clear()
    try:
        configure_process(cli_support.settings())
    finally:
        get_settings.cache_clear()


@contextmanager
def serve_as_manyi_does(app: Any, options: dict[str, Any]) -> Iterator[int]:
    """The app served in a thread on a free port of 127.0.0.1, reading forwarded headers as
    `manyi serve` has uvicorn read them; yields the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    config = uvicorn.Config(
        app,
        proxy_headers=options["proxy_headers"],
        forwarded_allow_ips=options["forwarded_allow_ips"],
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="manyi-behind-nginx", daemon=True
    )
    thread.start()
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", thread)
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost that is its own issuer, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "manyi test proxy")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(VALID[0])
        .not_valid_after(VALID[1])
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(IPv4Address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "manyi.crt", directory / "manyi.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def site_for_test(text: str, replacements: dict[str, str]) -> str:
    """The shipped site with these strings replaced; each must be in it, or the shipped file
    has changed shape and the test would no longer run what ships."""
    for old, new in replacements.items():
        assert old in text, f"deploy/nginx/manyi.conf no longer has {old!r}: update the test"
        text = text.replace(old, new)
    return text


MAIN_CONF = """\
{user}worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 256; }}
http {{
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {dir}/manyi.conf;
}}
"""


def _listening(port: int, process: subprocess.Popen[bytes]) -> bool:
    """Whether nginx came up on `port`; False if it stopped (its error log says why)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nginx did not listen on {port} in 10 s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)  # fast shutdown: open streams are cut
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _start(directory: Path, shipped: str, replacements: dict[str, str]) -> subprocess.Popen[bytes]:
    (directory / "manyi.conf").write_text(site_for_test(shipped, replacements))
    # The tests' temporary directory is private to the user running them: as root, nginx's
    # workers run as root too so that they can use it (a server runs them as www-data).
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = directory / "nginx.conf"
    conf.write_text(MAIN_CONF.format(user=user, dir=directory))
    log = directory / "error.log"
    command = [NGINX, "-c", str(conf), "-p", str(directory), "-e", str(log), "-g", "daemon off;"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@contextmanager
def nginx_in_front(app_port: int, directory: Path) -> Iterator[Proxy]:
    cert, key = self_signed(directory)
    shipped = SITE.read_text()
    upstream = shipped.split("upstream manyi_app {", 1)[1].split("server ", 1)[1].split(";")[0]
    # A free port may be taken by another process before nginx binds it: then new ones.
    for _attempt in range(3):
        https_port, http_port = free_port(), free_port()
        process = _start(
            directory,
            shipped,
            {
                "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
                "listen 80;": f"listen 127.0.0.1:{http_port};",
                f"server {upstream};": f"server 127.0.0.1:{app_port};",
                "/etc/ssl/certs/manyi.crt": str(cert),
                "/etc/ssl/private/manyi.key": str(key),
                "/var/log/nginx/": f"{directory}/",
            },
        )
        if _listening(https_port, process):
            break
        errors = (directory / "error.log").read_text()
        if "Address already in use" not in errors:
            raise RuntimeError(f"nginx stopped ({process.returncode}): {errors}")
    else:
        raise RuntimeError("nginx found no free port in three attempts")
    try:
        yield Proxy(
            https=f"https://127.0.0.1:{https_port}",
            http=f"http://127.0.0.1:{http_port}",
            certificate=cert,
            upstream=upstream,
        )
    finally:
        _stop(process)
