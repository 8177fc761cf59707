"""The PIN pad: the port, the simulated pad, and the PIN block it returns.

PIN handling (一次输密). The customer types the PIN once on the pad; the pad returns a
`PinBlock`, an ISO 9564 format-0 block (PIN field XOR PAN field) encrypted under a
session key. manyi holds it in memory only while the bundle runs, passes it to the core
banking adapter for each item that needs it, and wipes it afterwards. It cannot be
printed, logged, pickled, copied or turned into JSON.

Simulated key exchange: `SessionKey.generate()` is called once at start-up and the same
object is handed to `SimulatedPinPad` and to the simulated core, which is how they
"share" an AES-256 key. The cipher is AES-GCM with a random nonce, so the same PIN never
gives the same block twice and a tampered block fails to open.

What a real, HSM-backed adapter does instead:

* the pad is an EPP (encrypting PIN pad) loaded with a terminal PIN key by remote key
  loading (e.g. TR-34) or DUKPT; the clear PIN never leaves the pad;
* the host receives only the encrypted block and forwards it: the core's HSM translates it
  from the terminal key to the zone key and verifies it there (PVV / IBM 3624 offset);
* with AES keys a real pad uses ISO 9564 format 4 (a 16-byte block); the simulation keeps
  the 8-byte format 0 because it is the one tellers and engineers recognise.

Python cannot promise that no copy of a buffer survives in memory, so the simulation keeps
the clear values in bytearrays it overwrites as soon as it can; the guarantee that matters
(never stored, never logged, never serialised) is enforced by `PinBlock` itself.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections import deque
from types import TracebackType
from typing import NoReturn, Protocol, final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from manyi.counter.adapters.devices import DeviceError
from manyi.errors import InvalidInput

__all__ = [
    "PinBlock",
    "PinBlockWiped",
    "PinEntryCancelled",
    "PinPad",
    "SessionKey",
    "SimulatedHsm",
    "SimulatedPinPad",
    "pin_from_format0",
]

_AAD = b"manyi-pin-block-v1"  # binds the ciphertext to its purpose
_NONCE_LEN = 12
_DIGITS = re.compile(r"[0-9]+")
_MASKED = "PinBlock(****)"


class PinEntryCancelled(DeviceError):
    error_code = "pin_cancelled"


class PinBlockWiped(DeviceError):
    error_code = "pin_block_wiped"


# --- session key and PIN block ---------------------------------------------------------


@final
class SessionKey:
    """The AES key the simulated pad and the simulated core share for one run."""

    __slots__ = ("_key", "key_id")

    def __init__(self, key: bytes, key_id: str) -> None:
        if len(key) != 32:
            raise ValueError("a session key is 32 bytes (AES-256)")
        self._key = bytearray(key)
        self.key_id = key_id

    @classmethod
    def generate(cls) -> SessionKey:
        return cls(secrets.token_bytes(32), secrets.token_hex(4))

    def seal(self, clear: bytearray) -> PinBlock:
        nonce = os.urandom(_NONCE_LEN)
        sealed = AESGCM(bytes(self._key)).encrypt(nonce, clear, _AAD)
        return PinBlock(nonce + sealed, self.key_id)

    def open(self, block: PinBlock) -> bytearray:
        """The clear format-0 block; only the party holding the key (core, HSM) calls this."""
        if block.key_id != self.key_id:
            raise InvalidTag("PIN block was sealed under another key")
        data = block.ciphertext_view()
        try:
            clear = AESGCM(bytes(self._key)).decrypt(
                data[:_NONCE_LEN].tobytes(), data[_NONCE_LEN:].tobytes(), _AAD
            )
        finally:
            data.release()
        return bytearray(clear)

    def __repr__(self) -> str:
        return f"SessionKey(id={self.key_id})"

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError("a session key cannot be pickled or copied")


@final
class PinBlock:
    """An encrypted PIN block that cannot leak.

    It prints as ``PinBlock(****)`` (str, repr, format, logging), refuses pickling and
    copying, is not JSON-serialisable, and keeps its bytes in a bytearray that `wipe()`
    overwrites with zeros. Use it as a context manager to wipe it when the bundle is done.
    """

    __slots__ = ("_data", "key_id")

    def __init__(self, ciphertext: bytes | bytearray, key_id: str) -> None:
        self._data = bytearray(ciphertext)
        self.key_id = key_id

    @property
    def wiped(self) -> bool:
        return not any(self._data)

    def wipe(self) -> None:
        for i in range(len(self._data)):
            self._data[i] = 0

    def ciphertext_view(self) -> memoryview:
        """A read-only view for an adapter that forwards the block; release it after use."""
        if self.wiped:
            raise PinBlockWiped("the PIN block was already wiped: ask for the PIN again")
        return memoryview(self._data).toreadonly()

    def __enter__(self) -> PinBlock:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.wipe()

    def __del__(self) -> None:
        if hasattr(self, "_data"):
            self.wipe()

    def __repr__(self) -> str:
        return _MASKED

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return _MASKED

    def __getstate__(self) -> NoReturn:
        raise TypeError("a PIN block cannot be pickled or copied")

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError("a PIN block cannot be pickled or copied")

    def __copy__(self) -> NoReturn:
        raise TypeError("a PIN block cannot be pickled or copied")

    def __deepcopy__(self, memo: object) -> NoReturn:
        raise TypeError("a PIN block cannot be pickled or copied")


# --- ISO 9564 format 0 ------------------------------------------------------------------


def _pin_field(pin: bytearray) -> bytearray:
    """Control 0, the PIN length, the digits, then F fill: 16 nibbles in 8 bytes."""
    nibbles = bytearray(b"\x0f" * 16)
    nibbles[0], nibbles[1] = 0, len(pin)
    for i, char in enumerate(pin):
        nibbles[2 + i] = char - 0x30
    try:
        return bytearray(nibbles[i] << 4 | nibbles[i + 1] for i in range(0, 16, 2))
    finally:
        nibbles[:] = bytes(16)


def _pan_field(pan: str) -> bytes:
    """Four zero nibbles and the 12 rightmost PAN digits without the check digit.

    An empty PAN gives all zeros: a block entered to *set* the PIN of a card not issued
    yet (open account + card in one bundle) is bound to no PAN.
    """
    if not pan:
        return bytes(8)
    if not _DIGITS.fullmatch(pan) or not 13 <= len(pan) <= 19:
        raise InvalidInput("PIN pad needs a card or account number of 13 to 19 digits", "card")
    return bytes.fromhex("0000" + pan[-13:-1])


def _xor(a: bytes | bytearray, b: bytes | bytearray) -> bytearray:
    return bytearray(x ^ y for x, y in zip(a, b, strict=True))


def pin_from_format0(clear: bytearray, pan: str) -> bytearray | None:
    """The PIN digits (ASCII) of a clear format-0 block, or None if it is not a valid block
    for this PAN (wrong card, corrupted data). The caller wipes the result."""
    field = _xor(clear, _pan_field(pan))
    try:
        nibbles = [n for byte in field for n in (byte >> 4, byte & 0xF)]
        length = nibbles[1]
        digits, fill = nibbles[2 : 2 + length], nibbles[2 + length :]
        if nibbles[0] != 0 or not 4 <= length <= 12 or any(d > 9 for d in digits):
            return None
        if any(f != 0xF for f in fill):
            return None
        return bytearray(0x30 + d for d in digits)
    finally:
        field[:] = bytes(8)


class SimulatedHsm:
    """The simulated core's security module: the only place a PIN block is opened.

    The core keeps per card a salt and a PIN verification value (here a keyed hash of salt
    and PIN) and asks the HSM to compare, so the PIN itself never reaches the core's code.
    """

    def __init__(self, key: SessionKey, secret: bytes) -> None:
        self._key, self._secret = key, bytes(secret)

    def pvv(self, block: PinBlock, pan: str, salt: bytes) -> bytes | None:
        """The verification value of the PIN in `block` bound to `pan`; None if invalid."""
        try:
            clear = self._key.open(block)
        except (InvalidTag, PinBlockWiped):
            return None
        digits = pin_from_format0(clear, pan)
        clear[:] = bytes(len(clear))
        if digits is None:
            return None
        try:
            return self._mac(salt, digits)
        finally:
            digits[:] = bytes(len(digits))

    def verify(self, block: PinBlock, pan: str, salt: bytes, expected: bytes) -> bool:
        actual = self.pvv(block, pan, salt)
        return actual is not None and bool(expected) and hmac.compare_digest(actual, expected)

    def pvv_for_demo(self, pin: str, salt: bytes) -> bytes:
        """Seeding demo cards with known PINs; never used for a customer's PIN."""
        return self._mac(salt, bytearray(pin.encode("ascii")))

    def _mac(self, salt: bytes, digits: bytearray) -> bytes:
        mac = hmac.new(self._secret, salt, hashlib.sha256)
        mac.update(digits)
        return mac.digest()


# --- PIN pad ---------------------------------------------------------------------------


class PinPad(Protocol):
    def enter_pin(self, card_or_account: str, prompt: str) -> PinBlock:
        """Show `prompt`, let the customer type the PIN and return it encrypted.

        `card_or_account` is the PAN the block is bound to ("" for a card not yet issued).
        Raises `PinEntryCancelled` if the customer cancels.
        """
        ...


class SimulatedPinPad:
    """A pad whose keystrokes a test or the demo queues with `customer_types`.

    Typed digits are kept in bytearrays that are overwritten as soon as the block is
    built, so nothing of the PIN remains in the pad after `enter_pin` returns.
    """

    def __init__(self, key: SessionKey) -> None:
        self._key = key
        self._typed: deque[bytearray | None] = deque()  # None: the customer cancels
        self.entries = 0
        self.last_prompt = ""

    def customer_types(self, pin: str) -> None:
        if not _DIGITS.fullmatch(pin) or not 4 <= len(pin) <= 12:
            raise InvalidInput("a PIN is 4 to 12 digits", "pin")
        self._typed.append(bytearray(pin.encode("ascii")))

    def customer_cancels(self) -> None:
        self._typed.append(None)

    def clear(self) -> None:
        """Forget keystrokes no entry consumed (a run refused before it asked for the PIN)."""
        while self._typed:
            digits = self._typed.popleft()
            if digits is not None:
                digits[:] = bytes(len(digits))

    def enter_pin(self, card_or_account: str, prompt: str) -> PinBlock:
        pan = _pan_field(card_or_account)  # refuse a bad PAN before taking keystrokes
        self.last_prompt = prompt
        self.entries += 1
        if not self._typed:
            raise DeviceError("no PIN was typed on the simulated pad")
        digits = self._typed.popleft()
        if digits is None:
            raise PinEntryCancelled("the customer cancelled the PIN entry")
        field = _pin_field(digits)
        clear = _xor(field, pan)
        try:
            return self._key.seal(clear)
        finally:
            for buffer in (digits, field, clear):
                buffer[:] = bytes(len(buffer))
