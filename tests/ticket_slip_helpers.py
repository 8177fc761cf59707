"""The queue ticket slip the printing tests print."""

from __future__ import annotations

import datetime as dt

from manyi.lobby.adapters.printing import TicketSlip

SLIP = TicketSlip(
    outlet_name="中关村支行营业部",
    number="A012",
    service_name="个人业务",
    klass_label="绿色通道",
    people_ahead=3,
    predicted_wait_s=125,
    issued_at_local=dt.datetime(2026, 3, 10, 9, 5, 42),
    status_url="https://bank.example/q/t/abc123",
    footer="请留意叫号，过号请重新取号",
    lang="zh",
)
