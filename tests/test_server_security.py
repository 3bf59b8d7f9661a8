"""The server as a hostile web page or network would meet it: a real `streamlit run app.py`, raw HTTP upgrades
with foreign Host and Origin headers (DNS rebinding), and the error-detail setting that keeps server paths out of
the page."""

import base64
import os
import socket
import tomllib
from pathlib import Path

import pytest
from streamlit.config import ShowErrorDetailsConfigOptions

from browser_support import streamlit_server

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())


def upgrade(port: int, host: str, origin: str | None) -> str:
    """The status line the server answers a WebSocket upgrade of /_stcore/stream with."""
    key = base64.b64encode(os.urandom(16)).decode()
    request = (f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: streamlit\r\n"
               + (f"Origin: {origin}\r\n" if origin else "") + "\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request.encode())
        return sock.recv(4096).decode(errors="replace").split("\r\n")[0]


@pytest.fixture(scope="module")
def port(tmp_path_factory) -> int:
    folder = tmp_path_factory.mktemp("security")
    env = {"SIMCLR_RUNS": str(folder / "runs"), "SIMCLR_DATA": str(folder / "data")}
    for path in env.values():
        Path(path).mkdir()
    with streamlit_server(env) as url:
        yield int(url.rsplit(":", 1)[1])


def test_the_app_itself_connects_by_its_local_names(port):
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}"):
        assert upgrade(port, host, f"http://{host}").startswith("HTTP/1.1 101"), host


@pytest.mark.parametrize("host, origin", [
    ("evil.example:{port}", "http://evil.example:{port}"),  # DNS rebinding: Host and Origin agree, both foreign
    ("evil.example:{port}", None),
    ("localhost:{port}", "http://evil.example"),  # another site's page talking to localhost
    ("localhost:{port}", "null"),
])
def test_foreign_hosts_and_origins_are_refused(port, host, origin):
    status = upgrade(port, host.format(port=port), origin and origin.format(port=port))
    assert status.startswith("HTTP/1.1 403"), status


def test_the_protections_are_written_in_the_config():
    server = CONFIG["server"]
    assert set(server["allowedHosts"]) == {"localhost", "127.0.0.1", "::1"}
    assert server["enableCORS"] is True and server["enableXsrfProtection"] is True
    assert 0 < server["disconnectedSessionTTL"] <= 120


def test_error_details_stay_in_the_log():
    value = CONFIG["client"]["showErrorDetails"]
    assert value == ShowErrorDetailsConfigOptions.NONE.value  # a value this Streamlit knows: not a silent typo


def test_readme_says_what_the_lan_mode_opens():
    section = (ROOT / "README.md").read_text().split("## Classroom over the LAN", 1)[1].split("\n## ", 1)[0]
    assert "--server.allowedHosts" in section and "--server.address 0.0.0.0" in section
