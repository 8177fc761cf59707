"""Notifications to staff: a transactional outbox, delivery channels and a worker pass.

See docs/notify.md. Business code calls `enqueue` (or a use case such as
`page_staff`) inside its own unit of work; a worker calls `deliver_due`
(or `cli.run_once`) to send what is due; staff read their messages at
`/notifications` (`views`).
"""

from manyi.notify.channels import (
    ChannelAdapter,
    InAppChannel,
    SimulatedSmsGateway,
    default_channels,
)
from manyi.notify.delivery import DeliveryReport, deliver_due
from manyi.notify.facts import Backlog, outbox_backlog
from manyi.notify.model import (
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    ChannelName,
    DeliveryError,
    MessageState,
    OutboxMessage,
    after_failure,
    retry_delay,
)
from manyi.notify.service import (
    InboxItem,
    enqueue,
    inbox,
    mark_read,
    page_staff,
    unread_count,
)

PUBLIC: tuple[str, ...] = ()  # everything other features use is exported here

__all__ = [
    "MAX_ATTEMPTS",
    "RETRY_DELAYS",
    "Backlog",
    "ChannelAdapter",
    "ChannelName",
    "DeliveryError",
    "DeliveryReport",
    "InAppChannel",
    "InboxItem",
    "MessageState",
    "OutboxMessage",
    "SimulatedSmsGateway",
    "after_failure",
    "default_channels",
    "deliver_due",
    "enqueue",
    "inbox",
    "mark_read",
    "outbox_backlog",
    "page_staff",
    "retry_delay",
    "unread_count",
]
