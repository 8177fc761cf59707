"""The event stream (issue 21): committed lobby, complaint, counter and quality events published
to NATS JetStream from the outbox (`manyi.event_outbox`), in order, at least once, and read by
consumers that are idempotent by event id; and the live screens' fan-out over NATS for many
app hosts (`live`). docs/stream.md describes the envelope, the guarantees and the settings.

What other packages may use: the envelope (`domain`), the consumer and its ledger (the analytics
lander consumes through them), the stream's settings (`publisher.StreamSpec`) and the hub.
"""

PUBLIC = ("domain", "consumer", "ledger", "publisher", "live", "tables")
