"""What an SMS looks like on the SMPP wire: its encoding, its parts and its delivery receipt.

Pure functions (no socket, no clock), used by `smpp.SmppGateway` and tested on their own.

**Encoding.** A text whose every character is one the GSM 03.38 default alphabet and ASCII
encode with the same byte (letters, digits, space, common punctuation) goes with data_coding 0,
one byte a character: an SMSC reading data_coding 0 as GSM-7 or as ASCII (both are seen in
practice) shows it alike. Anything else, Chinese first of all, goes as UCS-2 (data_coding 8,
UTF-16 big-endian). '@', '$' and '_' differ between the two alphabets, so they force UCS-2.

**Parts.** One SMS carries 140 octets: 160 default-alphabet characters (given to the SMSC one a
byte, it packs them in 7 bits) or 70 UCS-2 units. A
longer text is split into parts that each start with a 6-octet user data header (IEI 0x00,
8-bit concatenation reference, total, sequence number) and esm_class has the UDHI bit (0x40):
153 characters or 67 UCS-2 units a part. A UCS-2 split never separates a surrogate pair (an
emoji stays whole). Worked example: a 100-character Chinese text is 200 octets, so two parts
of 67 and 33 units, both carrying reference r, "2 parts", and numbers 1 and 2.

**Receipts.** SMSCs report delivery in a deliver_sm whose esm_class has the receipt bit (0x04),
with the de-facto standard text
``id:0123 sub:001 dlvrd:001 submit date:2612050930 done date:2612050931 stat:DELIVRD err:000``
and, in SMPP 3.4, often the receipted_message_id and message_state TLVs, which win when present.
Dates are the SMSC's local time, YYMMDDhhmm[ss].

**Replies.** A deliver_sm without the receipt bit is a customer's own message (mobile-
originated). `decode_text` reads its octets by data_coding: 8 is UCS-2 (UTF-16 big-endian),
0 the GSM 03.38 default alphabet one septet a byte (how SMSCs hand it over; an octet past 0x7F
is read as Latin-1, as some SMSCs send ASCII-range text), 1 ASCII, 3 Latin-1; a user data
header (esm_class 0x40) is skipped. Octets that do not decode become U+FFFD, never an error.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from dataclasses import dataclass

from manyi.reach.adapters.gateway import ReceiptState

DATA_CODING_DEFAULT = 0x00
DATA_CODING_UCS2 = 0x08
ESM_CLASS_UDHI = 0x40
ESM_CLASS_RECEIPT = 0x04  # the SMSC delivery receipt message type (bits 5-2 = 0001)
ESM_MESSAGE_TYPE = 0x3C  # bits 5-2: 0 an ordinary message (from a handset: a reply)
MAX_PARTS = 255

SINGLE_OCTETS = 140
SINGLE_SEPTETS = 160  # default-alphabet characters go one a byte; the SMSC packs them in 7 bits
PART_SEPTETS = 153  # 160 less the 6-octet header (7 septets with its fill bit)
UDH_OCTETS = 6

# Characters GSM 03.38 and ASCII both encode as the same single byte.
SHARED_ALPHABET = frozenset(string.ascii_letters + string.digits + " \n\r!\"#%&'()*+,-./:;<=>?")

# SMPP 3.4 message_state values (section 5.2.28).
_FINAL_STATES = {
    2: ("DELIVRD", ReceiptState.DELIVERED),
    3: ("EXPIRED", ReceiptState.FAILED),
    4: ("DELETED", ReceiptState.FAILED),
    5: ("UNDELIV", ReceiptState.FAILED),
    7: ("UNKNOWN", ReceiptState.FAILED),
    8: ("REJECTD", ReceiptState.FAILED),
}
# The receipt text's stat words; ENROUTE and ACCEPTD are not final and are not reported.
_FINAL_STATS = {word: state for word, state in _FINAL_STATES.values()}

_RECEIPT_FIELDS = re.compile(
    r"id:(?P<id>\S+).*?stat:(?P<stat>[A-Za-z]+)", re.DOTALL | re.IGNORECASE
)
_DONE_DATE = re.compile(r"done date:(?P<date>\d{10}(?:\d{2})?)", re.IGNORECASE)


@dataclass(frozen=True)
class EncodedText:
    data_coding: int
    esm_class: int
    parts: list[bytes]  # each part's short_message octets, the UDH included


def encode_text(text: str, reference: int) -> EncodedText:
    """The text as submit_sm payloads; `reference` (0-255) is shared by all parts."""
    if all(char in SHARED_ALPHABET for char in text):
        data_coding, octets, unit = DATA_CODING_DEFAULT, text.encode("ascii"), 1
    else:
        data_coding, octets, unit = DATA_CODING_UCS2, text.encode("utf-16-be"), 2
    if len(octets) <= (SINGLE_OCTETS if unit == 2 else SINGLE_SEPTETS):
        return EncodedText(data_coding, 0, [octets])
    per_part = SINGLE_OCTETS - UDH_OCTETS if unit == 2 else PART_SEPTETS
    chunks = _chunks(octets, per_part, unit)
    if len(chunks) > MAX_PARTS:
        raise ValueError(f"the text needs {len(chunks)} SMS parts, more than {MAX_PARTS}")
    header = bytes((0x05, 0x00, 0x03, reference & 0xFF, len(chunks)))
    parts = [header + bytes((number,)) + chunk for number, chunk in enumerate(chunks, start=1)]
    return EncodedText(data_coding, ESM_CLASS_UDHI, parts)


def _chunks(octets: bytes, size: int, unit: int) -> list[bytes]:
    if unit == 1:
        return [octets[i : i + size] for i in range(0, len(octets), size)]
    chunks: list[bytes] = []
    start = 0
    while start < len(octets):
        end = min(start + size, len(octets))
        # A high surrogate (D800-DBFF) as the chunk's last unit would split an emoji in two.
        if end < len(octets) and 0xD8 <= octets[end - 2] <= 0xDB:
            end -= 2
        chunks.append(octets[start:end])
        start = end
    return chunks


@dataclass(frozen=True)
class ParsedReceipt:
    message_id: str
    state: ReceiptState
    status: str
    done_at: dt.datetime | None


def parse_receipt(
    short_message: bytes,
    *,
    receipted_message_id: str | None,
    message_state: int | None,
    zone: dt.tzinfo,
) -> ParsedReceipt | None:
    """A final delivery receipt, or None for an intermediate or unreadable one."""
    text = short_message.decode("latin-1") if short_message else ""
    match = _RECEIPT_FIELDS.search(text)
    done = _DONE_DATE.search(text)
    done_at = _smsc_time(done.group("date"), zone) if done else None
    if receipted_message_id and message_state is not None:
        final = _FINAL_STATES.get(message_state)
        if final is None:
            return None
        return ParsedReceipt(receipted_message_id, final[1], final[0], done_at)
    if match is None:
        return None
    stat = match.group("stat").upper()
    state = _FINAL_STATS.get(stat)
    if state is None:
        return None
    return ParsedReceipt(receipted_message_id or match.group("id"), state, stat, done_at)


def _smsc_time(value: str, zone: dt.tzinfo) -> dt.datetime | None:
    try:
        moment = dt.datetime.strptime(value, "%y%m%d%H%M%S" if len(value) == 12 else "%y%m%d%H%M")
    except ValueError:
        return None
    return moment.replace(tzinfo=zone)


DATA_CODING_ASCII = 0x01
DATA_CODING_LATIN1 = 0x03
GSM_ESCAPE = 0x1B
# GSM 03.38 default alphabet, septet value -> character (0x1B escapes to the extension table).
GSM_DEFAULT = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}


def decode_text(short_message: bytes, data_coding: int, esm_class: int = 0) -> str:
    """A mobile-originated message's text (see the module docstring); never raises."""
    octets = short_message
    if esm_class & ESM_CLASS_UDHI and octets:
        octets = octets[octets[0] + 1 :]
    if data_coding & 0xF0 == 0xF0:  # message class coding: bit 2 says 8-bit data or GSM
        data_coding = DATA_CODING_LATIN1 if data_coding & 0x04 else DATA_CODING_DEFAULT
    if data_coding == DATA_CODING_UCS2:
        return octets.decode("utf-16-be", errors="replace")
    if data_coding == DATA_CODING_ASCII:
        return octets.decode("ascii", errors="replace")
    if data_coding == DATA_CODING_LATIN1:
        return octets.decode("latin-1")
    return _gsm_septets(octets)


def _gsm_septets(octets: bytes) -> str:
    chars: list[str] = []
    escaped = False
    for octet in octets:
        if escaped:
            chars.append(GSM_EXTENSION.get(octet, " "))  # 03.38: unknown -> space
            escaped = False
        elif octet == GSM_ESCAPE:
            escaped = True
        elif octet < 0x80:
            chars.append(GSM_DEFAULT[octet])
        else:
            chars.append(bytes((octet,)).decode("latin-1"))
    return "".join(chars)
