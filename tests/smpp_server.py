"""A small SMPP 3.4 SMSC for tests: real TCP on 127.0.0.1, real PDUs, encoded and decoded here
with `struct` (not with smpplib, so the client's bytes are checked by a second reading).

It answers bind_transceiver (a wrong password gets ESME_RINVPASWD), submit_sm (recording each
PDU and answering a message id), enquire_link and unbind; it sends a deliver_sm receipt for each
accepted part that asked for one (registered_delivery), at once or after `receipt_delay`, with
the receipt text and the receipted_message_id / message_state TLVs. Tests steer it:
`status_for[number] = 0x0B` refuses a number, `fail_next(0x58, 2)` answers the next two submits
with a status, `drop_next_submit()` closes the connection instead of answering,
`drop_connections()` closes every connection now, `failed_numbers` get an UNDELIV receipt,
`send_reply(number, text)` sends a customer's reply (a mobile-originated deliver_sm, esm_class
0) to every bound client, and `deliver_sm_answers` counts the client's deliver_sm_resp.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

BIND_TRANSCEIVER = 0x00000009
SUBMIT_SM = 0x00000004
DELIVER_SM = 0x00000005
UNBIND = 0x00000006
ENQUIRE_LINK = 0x00000015
RESPONSE = 0x80000000
GENERIC_NACK = 0x80000000

ESME_ROK = 0x00
ESME_RINVPASWD = 0x0E
ESME_RINVCMDID = 0x03

TLV_RECEIPTED_MESSAGE_ID = 0x001E
TLV_MESSAGE_STATE = 0x0427
PASSWORD = "s3cret"  # the fake SMSC's
# A fixed receipt time (YYMMDDhhmm): the fake SMSC reads no clock.
RECEIPT_TIME = "2612050931"


@dataclass
class Submit:
    source_addr: str
    dest_ton: int
    dest_npi: int
    destination: str
    esm_class: int
    registered_delivery: int
    data_coding: int
    short_message: bytes
    message_id: str | None  # None when refused

    @property
    def udh(self) -> bytes:
        return self.short_message[: self.short_message[0] + 1] if self.esm_class & 0x40 else b""

    @property
    def text(self) -> str:
        body = self.short_message[len(self.udh) :]
        return body.decode("utf-16-be" if self.data_coding == 8 else "ascii")


class _Reader:
    """Reads a PDU body field by field."""

    def __init__(self, body: bytes) -> None:
        self.body, self.at = body, 0

    def c_string(self) -> str:
        end = self.body.index(b"\x00", self.at)
        value, self.at = self.body[self.at : end].decode("latin-1"), end + 1
        return value

    def byte(self) -> int:
        self.at += 1
        return self.body[self.at - 1]

    def octets(self, count: int) -> bytes:
        self.at += count
        return self.body[self.at - count : self.at]


@dataclass
class _Connection:
    sock: socket.socket
    lock: threading.Lock = field(default_factory=threading.Lock)
    sequence: int = 0x7000

    def write(self, command: int, sequence: int, body: bytes = b"", status: int = 0) -> None:
        with self.lock:
            self.sock.sendall(
                struct.pack(">LLLL", 16 + len(body), command, status, sequence) + body
            )

    def next_sequence(self) -> int:
        self.sequence += 1
        return self.sequence


class SmppServer:
    def __init__(
        self, *, system_id: str = "manyi", password: str = PASSWORD, receipt_delay: float = 0.0
    ) -> None:
        self.system_id, self.password = system_id, password
        self.receipt_delay = receipt_delay
        self.binds: list[tuple[str, str, str]] = []
        self.submits: list[Submit] = []
        self.status_for: dict[str, int] = {}
        self.failed_numbers: set[str] = set()
        self.enquire_link_answers = 0
        self.deliver_sm_answers = 0
        self.unbinds = 0
        self._fail_next: list[int] = []
        self._drop_next = False
        self._connections: list[_Connection] = []
        self._next_id = 0x5A000
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    # Steering.

    def fail_next(self, status: int, count: int = 1) -> None:
        self._fail_next.extend([status] * count)

    def drop_next_submit(self) -> None:
        self._drop_next = True

    def drop_connections(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            with suppress(OSError):
                connection.sock.shutdown(socket.SHUT_RDWR)
            connection.sock.close()

    def send_enquire_link(self) -> None:
        self.send_to_clients(ENQUIRE_LINK)

    def send_to_clients(self, command: int, body: bytes = b"") -> None:
        for connection in list(self._connections):
            connection.write(command, connection.next_sequence(), body)

    def send_reply(
        self,
        number: str,
        text: str,
        *,
        data_coding: int | None = None,
        octets: bytes | None = None,
        esm_class: int = 0,
    ) -> None:
        """A customer's SMS to the bank's service number: UCS-2 when the text needs it, else
        one byte a character (data_coding 0), or the `octets` given as they are; another
        `esm_class` makes it another kind of deliver_sm (0x20: an intermediate notice)."""
        if data_coding is None:
            data_coding = 0 if text.isascii() else 8
        if octets is None:
            octets = text.encode("utf-16-be" if data_coding == 8 else "ascii")
        body = (
            b"\x00"  # service_type
            + bytes((1, 1))  # source TON international, NPI ISDN: how SMSCs give the sender
            + number.encode()
            + b"\x00"
            + bytes((0, 1))
            + b"1069012345\x00"
            + bytes((esm_class, 0, 0))  # esm_class 0: an ordinary message, not a receipt
            + b"\x00\x00"  # schedule_delivery_time, validity_period
            + bytes((0, 0, data_coding, 0, len(octets)))
            + octets
        )
        self.send_to_clients(DELIVER_SM, body)

    def texts(self) -> list[str]:
        """The accepted messages' texts, long ones reassembled from their parts."""
        texts: list[str] = []
        pending: dict[int, list[str]] = {}
        for submit in self.submits:
            if submit.message_id is None:
                continue
            if not submit.udh:
                texts.append(submit.text)
                continue
            reference, total, number = submit.udh[3], submit.udh[4], submit.udh[5]
            parts = pending.setdefault(reference, [""] * total)
            parts[number - 1] = submit.text
            if all(parts):
                texts.append("".join(pending.pop(reference)))
        return texts

    def stop(self) -> None:
        self._stopped = True
        self._listener.close()
        self.drop_connections()

    # Serving.

    def _accept(self) -> None:
        while not self._stopped:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            connection = _Connection(sock)
            with self._lock:
                self._connections.append(connection)
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: _Connection) -> None:
        try:
            while True:
                header = _read_exactly(connection.sock, 16)
                if header is None:
                    return
                length, command, _status, sequence = struct.unpack(">LLLL", header)
                body = _read_exactly(connection.sock, length - 16) if length > 16 else b""
                if body is None or not self._answer(connection, command, sequence, body):
                    return
        except OSError:
            return
        finally:
            connection.sock.close()

    def _answer(self, connection: _Connection, command: int, sequence: int, body: bytes) -> bool:
        if command == BIND_TRANSCEIVER:
            fields = _Reader(body)
            system_id, password, system_type = (
                fields.c_string(),
                fields.c_string(),
                fields.c_string(),
            )
            self.binds.append((system_id, password, system_type))
            ok = system_id == self.system_id and password == self.password
            status = ESME_ROK if ok else ESME_RINVPASWD
            connection.write(command | RESPONSE, sequence, b"fake-smsc\x00", status)
        elif command == SUBMIT_SM:
            if self._drop_next:
                self._drop_next = False
                return False
            self._submit(connection, sequence, body)
        elif command == ENQUIRE_LINK:
            connection.write(command | RESPONSE, sequence)
        elif command == ENQUIRE_LINK | RESPONSE:
            self.enquire_link_answers += 1
        elif command == UNBIND:
            self.unbinds += 1
            connection.write(command | RESPONSE, sequence)
            return False
        elif command == DELIVER_SM | RESPONSE:
            self.deliver_sm_answers += 1
        elif command & RESPONSE:
            pass
        else:
            connection.write(GENERIC_NACK, sequence, status=ESME_RINVCMDID)
        return True

    def _submit(self, connection: _Connection, sequence: int, body: bytes) -> None:
        fields = _Reader(body)
        fields.c_string()  # service_type
        fields.byte(), fields.byte()
        source = fields.c_string()
        dest_ton, dest_npi = fields.byte(), fields.byte()
        destination = fields.c_string()
        esm_class = fields.byte()
        fields.byte(), fields.byte()  # protocol_id, priority_flag
        fields.c_string(), fields.c_string()  # schedule_delivery_time, validity_period
        registered_delivery = fields.byte()
        fields.byte()  # replace_if_present_flag
        data_coding = fields.byte()
        fields.byte()  # sm_default_msg_id
        short_message = fields.octets(fields.byte())
        status = self._fail_next.pop(0) if self._fail_next else self.status_for.get(destination, 0)
        message_id = None
        if status == ESME_ROK:
            self._next_id += 1
            message_id = f"{self._next_id:x}"
        submit = Submit(
            source,
            dest_ton,
            dest_npi,
            destination,
            esm_class,
            registered_delivery,
            data_coding,
            short_message,
            message_id,
        )
        self.submits.append(submit)
        answer = (message_id or "").encode() + b"\x00"
        connection.write(SUBMIT_SM | RESPONSE, sequence, answer, status)
        if message_id and registered_delivery & 0x01:
            delivered = destination not in self.failed_numbers
            timer = threading.Timer(
                self.receipt_delay, self._send_receipt, (connection, submit, delivered)
            )
            timer.daemon = True
            timer.start()

    def _send_receipt(self, connection: _Connection, submit: Submit, delivered: bool) -> None:
        stat, state = ("DELIVRD", 2) if delivered else ("UNDELIV", 5)
        text = (
            f"id:{submit.message_id} sub:001 dlvrd:{'001' if delivered else '000'}"
            f" submit date:{RECEIPT_TIME} done date:{RECEIPT_TIME} stat:{stat}"
            f" err:{'000' if delivered else '001'} text:"
        ).encode()
        receipted = (submit.message_id or "").encode() + b"\x00"
        body = (
            b"\x00"  # service_type
            + bytes((2, 1))
            + submit.destination.encode()
            + b"\x00"
            + bytes((0, 0))
            + submit.source_addr.encode()
            + b"\x00"
            + bytes((0x04, 0, 0))  # esm_class: SMSC delivery receipt; protocol_id; priority
            + b"\x00\x00"  # schedule_delivery_time, validity_period
            + bytes((0, 0, 0, 0, len(text)))
            + text
            + struct.pack(">HH", TLV_RECEIPTED_MESSAGE_ID, len(receipted))
            + receipted
            + struct.pack(">HHB", TLV_MESSAGE_STATE, 1, state)
        )
        with suppress(OSError):
            connection.write(DELIVER_SM, connection.next_sequence(), body)


def _read_exactly(sock: socket.socket, count: int) -> bytes | None:
    chunks = b""
    while len(chunks) < count:
        chunk = sock.recv(count - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return chunks


@contextmanager
def smpp_server(**options: object) -> Iterator[SmppServer]:
    server = SmppServer(**options)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        server.stop()


def wait_for(predicate: object, seconds: float = 5.0) -> None:
    """Poll `predicate()` (a real TCP exchange takes a few milliseconds) until it holds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.01)
    raise AssertionError(f"not true within {seconds} s")
