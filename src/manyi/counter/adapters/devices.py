"""What the counter's devices have in common: `DeviceError`, the refusal every device raises.

The devices themselves: the ID-card reader (`id_reader`) and the PIN pad (`pin_pad`).
"""

from __future__ import annotations

from manyi.errors import ManyiError

__all__ = ["DeviceError"]


class DeviceError(ManyiError):
    status_code = 409
    error_code = "device_error"
