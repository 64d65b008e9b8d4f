"""The server listens on this machine only, unless the user changes the config on purpose."""

from __future__ import annotations

import socket
import tomllib
from pathlib import Path

import pytest
from reliability_helpers import ROOT, free_port, get, streamlit_server

CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
LOOPBACK = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1 and ::1 in /proc/net


def test_the_config_keeps_the_server_local_and_its_protections_on():
    server = CONFIG["server"]
    assert server["address"] == "localhost"
    assert server.get("enableXsrfProtection", True) is True  # Streamlit's default: keep it
    assert server.get("enableCORS", True) is True
    assert server.get("runOnSave", False) is False
    assert CONFIG["browser"]["gatherUsageStats"] is False


def _listening(port: int) -> set[str]:
    """Local addresses (hex, as /proc/net shows them) with a listening socket on port."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if int(hex_port, 16) == port and fields[3] == "0A":  # 0A = LISTEN
                found.add(address)
    return found


def _outward_address() -> str | None:
    """An address of this machine that is not loopback (where a neighbour would connect)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET: no packet is sent for a UDP connect
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


@pytest.mark.slow
def test_the_real_server_binds_to_loopback_only(tmp_path):
    if not Path("/proc/net/tcp").exists():
        pytest.skip("needs Linux /proc/net to see listening sockets")
    home, port = tmp_path / "home", free_port()
    home.mkdir()
    with streamlit_server(home, port):  # the project's config, no --server.address
        listening = _listening(port)
        assert listening and listening <= LOOPBACK, listening
        assert get(f"http://127.0.0.1:{port}/_stcore/health")[0] == 200
        outward = _outward_address()
        if outward is not None:  # a neighbour's view: nothing answers there
            with pytest.raises(OSError), socket.create_connection((outward, port), timeout=3):
                pass
