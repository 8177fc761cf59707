"""SMS to the bank's SMS centre over SMPP 3.4 (the `smpplib` client).

One transceiver bind (system_id, password, system_type) carries the submits and the delivery
receipts. The bind is made on the first send (or `receipts()` call) and again after a drop:
before each submit the socket's pending PDUs are read, so a connection the SMSC closed while
idle is noticed then, and the message goes out over a new bind.

`send` submits the text (see `sms_text` for the encoding and the parts) to a national mobile
number (TON 2, NPI 1; "+86..." goes as international, TON 1), with registered_delivery 1 on
the first part: the receipt names the first part's message_id, which is the `Accepted`
gateway_id. The parts of one text travel together; a failure of a later part after the first
was delivered is not reported, and a text refused at its second part is sent whole again when
the outbox retries it (the first part may then arrive twice). Idempotency: the outbox ids this
process had accepted are remembered (the last 10,000), and a second send of one returns the
first answer.

Command status → outcome (`STATUS_OUTCOMES`): the SMSC's throttling, a full queue and system
errors are temporary (the outbox retries them); an invalid destination, message or source
address, and a refused bind (wrong system_id or password: no retry can help until an operator
fixes the settings) are permanent. A status not in the table is temporary. A socket timeout
(`timeout_s`) or a dropped connection is temporary and closes the bind.

Customers' replies (mobile-originated messages) come on the same bind, as deliver_sm without
the receipt bit: each is answered with deliver_sm_resp, decoded (`sms_text.decode_text`: UCS-2
or the GSM default alphabet) and kept for `replies()`. The SMSC must be set to forward MO
messages for the service number to this account's bind. What `receipts()` and `replies()` have
not yet collected is kept in memory, the newest 10,000 of each (a bind only sending, such as
staff SMS, never collects).

Logs name the number masked (`mask_phone`); smpplib's own hex dumps of whole PDUs (they hold
the number) are filtered out of its logger; a reply's text is never logged.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import select
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from smpplib import consts, exceptions, smpp
from smpplib.client import Client

from manyi.reach.adapters.gateway import (
    Accepted,
    GatewayError,
    OutgoingMessage,
    Receipt,
    Reply,
    mask_phone,
)
from manyi.reach.adapters.sms_text import (
    ESM_CLASS_RECEIPT,
    ESM_MESSAGE_TYPE,
    EncodedText,
    decode_text,
    encode_text,
    parse_receipt,
)

__all__ = ["STATUS_OUTCOMES", "SmppGateway"]

log = logging.getLogger("manyi.reach.smpp")
WIRE_LOGGER = "manyi.reach.smpp.wire"

REMEMBERED_IDS = 10_000
KEPT = 10_000  # receipts and replies not yet collected, each
T = TypeVar("T")

# The errors of the SMPP layer below us that leave the bind unusable.
_LINK_ERRORS = (
    exceptions.ConnectionError,
    exceptions.PDUError,
    exceptions.UnknownCommandError,  # a PDU smpplib cannot build (while binding)
    OSError,
)

# command_status → (permanent?, what it means); SMPP 3.4 section 5.1.3.
STATUS_OUTCOMES: dict[int, tuple[bool, str]] = {
    0x01: (True, "invalid message length"),
    0x04: (False, "not bound"),
    0x05: (False, "already bound"),
    0x08: (False, "SMSC system error"),
    0x0A: (True, "invalid source address (is MANYI_REACH_SMPP_SOURCE_ADDR allowed?)"),
    0x0B: (True, "invalid destination number"),
    0x0D: (False, "bind failed"),
    0x0E: (True, "the SMSC refused the password (check MANYI_REACH_SMPP_PASSWORD)"),
    0x0F: (True, "the SMSC refused the system_id (check MANYI_REACH_SMPP_SYSTEM_ID)"),
    0x14: (False, "the SMSC's message queue is full"),
    0x43: (True, "invalid esm_class"),
    0x45: (False, "submit failed"),
    0x50: (True, "invalid destination number type (TON)"),
    0x51: (True, "invalid destination numbering plan (NPI)"),
    0x58: (False, "throttled: more messages than the SMSC allows"),
    0x64: (False, "temporary application error"),
    0x65: (True, "permanent application error"),
    0x66: (True, "message rejected"),
}


def outcome(status: int) -> GatewayError:
    permanent, meaning = STATUS_OUTCOMES.get(status, (False, "unknown status"))
    return GatewayError(f"SMSC status 0x{status:08X}: {meaning}", permanent=permanent)


class _WireFilter(logging.Filter):
    """smpplib logs every PDU as hex at DEBUG ('>>3133...'), phone numbers included."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith((">>", "<<"))


logging.getLogger(WIRE_LOGGER).addFilter(_WireFilter())


class SmppGateway:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        system_id: str,
        password: str,
        system_type: str = "",
        source_addr: str,
        timeout_s: float = 10.0,
        smsc_zone: dt.tzinfo = dt.UTC,
    ) -> None:
        self._host, self._port = host, port
        self._system_id, self._password, self._system_type = system_id, password, system_type
        self._source_addr = source_addr
        self._timeout_s = timeout_s
        self._zone = smsc_zone  # receipt dates are the SMSC's local time
        self._client: Client | None = None
        self._accepted: OrderedDict[int, Accepted] = OrderedDict()
        self._receipts: deque[Receipt] = deque(maxlen=KEPT)
        self._replies: deque[Reply] = deque(maxlen=KEPT)
        self._lock = threading.RLock()

    @property
    def name(self) -> str:
        return "smpp"

    def send(self, message: OutgoingMessage) -> Accepted:
        with self._lock:
            known = self._accepted.get(message.id)
            if known is not None:
                return known
            ton, number = _destination(message.address)
            try:
                encoded = encode_text(message.text, reference=message.id % 256)
            except ValueError as exc:
                raise GatewayError(str(exc), permanent=True) from None
            client = self._bound()
            first_id = ""
            for index, part in enumerate(encoded.parts):
                pdu = self._guarded(
                    partial(self._submit, client, part, ton, number, encoded, first=index == 0)
                )
                if pdu.is_error() or pdu.command != "submit_sm_resp":
                    error = outcome(int(pdu.status or 0x45))
                    log.warning(
                        "SMS %s to %s refused: %s", message.id, mask_phone(number), error.reason
                    )
                    raise error
                first_id = first_id or _text(pdu.message_id)
            if not first_id:  # accepted, but no receipt will be able to name it
                log.warning("SMS %s accepted without a message_id", message.id)
                first_id = f"smpp-{message.id}"
            accepted = Accepted(first_id)
            self._remember(message.id, accepted)
            log.info(
                "SMS %s to %s accepted as %s (%d part(s))",
                message.id,
                mask_phone(number),
                first_id,
                len(encoded.parts),
            )
            return accepted

    def receipts(self) -> list[Receipt]:
        with self._lock:
            self._read_pending("receipts")
            found = list(self._receipts)
            self._receipts.clear()
            return found

    def replies(self) -> list[Reply]:
        with self._lock:
            self._read_pending("replies")
            found = list(self._replies)
            self._replies.clear()
            return found

    def _read_pending(self, what: str) -> None:
        try:
            self._guarded(lambda: self._drain(self._bound()))
        except GatewayError as exc:
            log.warning("SMPP %s not read: %s", what, exc.reason)

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
            if client is None:
                return
            with contextlib.suppress(*_LINK_ERRORS):
                client.unbind()
            client.disconnect()

    # The connection.

    def _bound(self) -> Client:
        if self._client is not None:
            try:
                self._drain(self._client)  # a connection the SMSC closed shows up here
                return self._client
            except _LINK_ERRORS:
                log.info("SMPP connection to %s:%s dropped; binding again", self._host, self._port)
                self._drop()
        client = Client(
            self._host,
            self._port,
            timeout=self._timeout_s,
            logger_name=WIRE_LOGGER,
            allow_unknown_opt_params=True,
        )
        try:
            client.connect()
            client.bind_transceiver(
                system_id=self._system_id,
                password=self._password,
                system_type=self._system_type,
            )
        except exceptions.PDUError as exc:
            client.disconnect()
            status = int(exc.args[1]) if len(exc.args) > 1 else 0x0D
            raise outcome(status) from None
        except (exceptions.ConnectionError, OSError) as exc:
            client.disconnect()
            raise GatewayError(
                f"cannot bind to the SMSC at {self._host}:{self._port}: {exc or 'no answer'}"
            ) from None
        log.info("SMPP bound to %s:%s as %s", self._host, self._port, self._system_id)
        self._client = client
        return client

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.disconnect()

    def _guarded(self, action: Callable[[], T]) -> T:
        """Run a socket action; a timeout or drop closes the bind and is a temporary error."""
        try:
            return action()
        except TimeoutError:
            self._drop()
            raise GatewayError(f"the SMSC did not answer within {self._timeout_s:g} s") from None
        except _LINK_ERRORS as exc:
            self._drop()
            raise GatewayError(f"SMPP connection lost: {exc or 'closed by the SMSC'}") from None

    def _submit(
        self,
        client: Client,
        short_message: bytes,
        ton: int,
        number: str,
        encoded: EncodedText,
        *,
        first: bool,
    ) -> Any:
        source_ton, source_npi = _source_numbering(self._source_addr)
        pdu = client.send_message(
            source_addr_ton=source_ton,
            source_addr_npi=source_npi,
            source_addr=self._source_addr,
            dest_addr_ton=ton,
            dest_addr_npi=consts.SMPP_NPI_ISDN,
            destination_addr=number,
            esm_class=encoded.esm_class,
            data_coding=encoded.data_coding,
            registered_delivery=1 if first else 0,
            short_message=short_message,
        )
        return self._answer_to(client, pdu.sequence)

    def _answer_to(self, client: Client, sequence: int) -> Any:
        """Read PDUs until the response to `sequence`, handling what the SMSC sends between."""
        while True:
            pdu = _read(client)
            if pdu is None:
                continue
            if pdu.command in ("submit_sm_resp", "generic_nack") and pdu.sequence == sequence:
                return pdu
            self._handle(client, pdu)

    def _drain(self, client: Client) -> None:
        sock = client._socket  # smpplib offers no public readiness check
        if sock is None:
            raise exceptions.ConnectionError("not connected")
        while select.select([sock], [], [], 0)[0]:
            pdu = _read(client)
            if pdu is not None:
                self._handle(client, pdu)

    def _handle(self, client: Client, pdu: Any) -> None:
        if pdu.command == "deliver_sm":
            self._collect(pdu)
            answer = smpp.make_pdu("deliver_sm_resp", client=client, sequence=pdu.sequence)
            client.send_pdu(answer)
        elif pdu.command == "enquire_link":
            answer = smpp.make_pdu("enquire_link_resp", client=client, sequence=pdu.sequence)
            client.send_pdu(answer)
        elif pdu.command == "unbind":
            answer = smpp.make_pdu("unbind_resp", client=client, sequence=pdu.sequence)
            client.send_pdu(answer)
            raise exceptions.ConnectionError("the SMSC unbound")
        else:
            log.debug("SMPP %s ignored", pdu.command)

    def _collect(self, pdu: Any) -> None:
        kind = int(pdu.esm_class or 0) & ESM_MESSAGE_TYPE
        if kind == 0:  # an ordinary message: a customer's reply
            octets = pdu.short_message or getattr(pdu, "message_payload", None) or b""
            if isinstance(octets, str):
                octets = octets.encode("latin-1", errors="replace")
            text = decode_text(octets, int(pdu.data_coding or 0), int(pdu.esm_class or 0))
            self._replies.append(Reply(_text(pdu.source_addr), text))
            log.info("SMS reply from %s (%d characters)", _masked(pdu.source_addr), len(text))
            return
        if not kind & ESM_CLASS_RECEIPT:  # an SME acknowledgement, an intermediate notice
            log.info("SMPP deliver_sm of message type 0x%02X ignored", kind)
            return
        parsed = parse_receipt(
            pdu.short_message or b"",
            receipted_message_id=_text(pdu.receipted_message_id) or None,
            message_state=pdu.message_state,
            zone=self._zone,
        )
        if parsed is None:
            return
        self._receipts.append(
            Receipt(parsed.message_id, parsed.state, parsed.status, at=parsed.done_at)
        )
        log.info("SMS receipt %s for %s", parsed.status, parsed.message_id)

    def _remember(self, outbox_id: int, accepted: Accepted) -> None:
        self._accepted[outbox_id] = accepted
        while len(self._accepted) > REMEMBERED_IDS:
            self._accepted.popitem(last=False)


def _read(client: Client) -> Any | None:
    """The next PDU; None for one smpplib cannot read (a vendor's command), already consumed
    whole, so the stream stays in step."""
    try:
        return client.read_pdu()
    except exceptions.UnknownCommandError as exc:
        log.warning("SMPP PDU ignored: %s", exc)
        return None


def _destination(address: str) -> tuple[int, str]:
    """(TON, digits) of a mobile number; anything else is refused before it is sent."""
    number = address.strip().replace(" ", "").replace("-", "")
    ton = consts.SMPP_TON_NATNL
    if number.startswith("+"):
        ton, number = consts.SMPP_TON_INTL, number[1:]
    if not number.isdigit() or not 5 <= len(number) <= 20:
        raise GatewayError(f"{mask_phone(number)} is not a mobile number", permanent=True)
    return ton, number


def _source_numbering(source: str) -> tuple[int, int]:
    if source.isdigit():
        return consts.SMPP_TON_UNK, consts.SMPP_NPI_ISDN  # a service number (e.g. 10690...)
    return consts.SMPP_TON_ALNUM, consts.SMPP_NPI_UNK


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1").rstrip("\x00")
    return str(value or "")


def _masked(value: object) -> str:
    return mask_phone(_text(value))
