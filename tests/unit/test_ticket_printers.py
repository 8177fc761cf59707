"""The queue ticket's printer adapters: a network printer on raw port 9100, a device, the null
printer, and printers named by URL."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from manyi.lobby.adapters.printing import (
    EscPosDevicePrinter,
    EscPosNetworkPrinter,
    NullPrinter,
    PrinterError,
    printer_from_url,
    render_escpos,
)
from tests.ticket_slip_helpers import SLIP

# -- printers ---------------------------------------------------------------


@pytest.fixture
def raw_9100_server() -> Iterator[tuple[int, list[bytes]]]:
    """A local stand-in for a raw-protocol printer: records each connection's bytes."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(5)
    jobs: list[bytes] = []

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(5)
            chunks = []
            while chunk := conn.recv(4096):
                chunks.append(chunk)
            jobs.append(b"".join(chunks))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], jobs
    thread.join(timeout=5)
    listener.close()


def test_network_printer_sends_exactly_the_rendered_bytes(
    raw_9100_server: tuple[int, list[bytes]],
) -> None:
    port, jobs = raw_9100_server
    EscPosNetworkPrinter("127.0.0.1", port, paper_mm=58, timeout_s=5).print_slip(SLIP)
    for _ in range(50):
        if jobs:
            break
        threading.Event().wait(0.05)
    assert jobs == [render_escpos(SLIP, 58)]


def test_unreachable_network_printer_raises_a_readable_error() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nobody listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    printer = EscPosNetworkPrinter("127.0.0.1", port, timeout_s=2)
    with pytest.raises(PrinterError, match=f"127.0.0.1:{port}") as caught:
        printer.print_slip(SLIP)
    assert "refused" in str(caught.value).lower()


def test_device_printer_writes_the_bytes(tmp_path: Path) -> None:
    device = tmp_path / "lp0"
    EscPosDevicePrinter(str(device), paper_mm=80).print_slip(SLIP)
    assert device.read_bytes() == render_escpos(SLIP, 80)


def test_missing_device_raises_a_readable_error(tmp_path: Path) -> None:
    path = tmp_path / "usb" / "lp9"
    with pytest.raises(PrinterError, match=f"cannot write to printer {path}: No such file"):
        EscPosDevicePrinter(str(path)).print_slip(SLIP)


def test_null_printer_keeps_the_slips() -> None:
    printer = NullPrinter()
    printer.print_slip(SLIP)
    assert printer.slips == [SLIP]


def test_printer_from_url_understands_the_three_kinds() -> None:
    net = printer_from_url("tcp://10.1.2.3:9101", 58)
    assert isinstance(net, EscPosNetworkPrinter)
    assert (net.host, net.port, net.paper_mm) == ("10.1.2.3", 9101, 58)
    default_port = printer_from_url(" tcp://printer.branch.local ", 80)
    assert isinstance(default_port, EscPosNetworkPrinter) and default_port.port == 9100

    for url in ("file:///dev/usb/lp0", "file://localhost/dev/usb/lp0", "/dev/usb/lp0"):
        device = printer_from_url(url, 80)
        assert isinstance(device, EscPosDevicePrinter) and device.path == "/dev/usb/lp0"

    assert isinstance(printer_from_url("none", 80), NullPrinter)
    assert isinstance(printer_from_url("NONE", 58), NullPrinter)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "unknown printer"),
        ("lp0", "unknown printer"),
        ("http://printer:9100", "unknown printer"),
        ("usb://lp0", "unknown printer"),
        ("tcp://:9100", "must be tcp://host:port"),
        ("tcp://printer:9100/queue", "must be tcp://host:port"),
        ("tcp://printer:99999", "invalid port"),
        ("tcp://printer:nine", "invalid port"),
        ("file://otherhost/dev/lp0", "file:///absolute/path"),
    ],
)
def test_printer_from_url_refuses_what_it_does_not_know(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        printer_from_url(url, 80)


def test_printer_from_url_checks_the_paper() -> None:
    with pytest.raises(ValueError, match="80 or 58 mm"):
        printer_from_url("none", 76)
