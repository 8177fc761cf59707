"""What WeChat pushes to the official account's server URL: the template messages' receipts.

`take_push` reads one pushed XML body. A TEMPLATESENDJOBFINISH event (`success`,
`failed:user block`, `failed: system failed`) is recorded on the outbox message WeChat accepted
under its MsgID, by the path every gateway's receipts take (`delivery.apply_receipts`).
Anything else WeChat pushes (a follow, a customer's text, a menu click), bad XML and XML with a
DTD are ignored: WeChat is answered `success` all the same, or it would push them again.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.orm import Session

from manyi.reach import delivery
from manyi.reach.adapters.wechat import GATEWAY_NAME, parse_template_event

log = logging.getLogger("manyi.reach.wechat")


def take_push(session: Session, body: str, now: dt.datetime) -> int:
    """Record the receipt a push carries, if any; returns the messages changed (0 or 1)."""
    receipt = parse_template_event(body)
    if receipt is None:
        log.info("WeChat push ignored: no template receipt (%d characters)", len(body))
        return 0
    changed = delivery.apply_receipts(session, GATEWAY_NAME, [receipt], now)
    if changed:
        log.info("WeChat receipt %s for %s", receipt.status, receipt.gateway_id)
    else:
        log.info("WeChat receipt for %s names no message sent by WeChat", receipt.gateway_id)
    return changed
