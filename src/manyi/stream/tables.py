"""The event stream's own table: the ledger of events each consumer has applied."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from manyi.db import Base, UTCDateTime


class StreamProcessed(Base):
    """An event id a consumer applied, written in the transaction that applied it (`ledger`)."""

    __tablename__ = "stream_processed"

    consumer: Mapped[str] = mapped_column(String(60), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    processed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
