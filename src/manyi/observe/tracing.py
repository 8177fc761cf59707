"""OpenTelemetry traces, off by default (`MANYI_TRACING`).

`console` prints each request's span on standard output (to try it); `otlp` sends them to a
collector over OTLP/HTTP, configured by OpenTelemetry's own variables
(`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_SERVICE_NAME`, …). Both need the optional extra
`pip install 'manyi[tracing]'`; without it, start-up stops and says so. The span of a request
carries `manyi.request_id`, the id in the logs and on the audit event; its URL attributes are
cut to the path (a query string may hold a phone number typed into a search).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from manyi import request_ids


class TracingUnavailable(RuntimeError):
    pass


def install(app: FastAPI, mode: str) -> None:
    """Trace every request of `app` when `mode` is not "off"."""
    if mode == "off":
        return
    try:
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import (
            BatchSpanProcessor,
            ConsoleSpanExporter,
            SimpleSpanProcessor,
        )
    except ImportError as exc:
        raise TracingUnavailable(
            f"MANYI_TRACING={mode} needs the tracing extra: pip install 'manyi[tracing]' ({exc})"
        ) from None
    provider = TracerProvider(resource=Resource.create({"service.name": "manyi"}))
    if mode == "console":
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    else:
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        except ImportError as exc:
            raise TracingUnavailable(
                "MANYI_TRACING=otlp needs opentelemetry-exporter-otlp-proto-http"
                f" (pip install 'manyi[tracing]'): {exc}"
            ) from None
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))

    def with_request_id(span: Any, scope: dict[str, Any]) -> None:
        if span is not None and span.is_recording():
            span.set_attribute("manyi.request_id", request_ids.current())
            # The query string may hold a phone number typed into a search: not in a trace.
            path = str(scope.get("path", ""))
            span.set_attribute("http.target", path)
            span.set_attribute("http.url", path)
            span.set_attribute("url.query", "")

    app.add_middleware(
        OpenTelemetryMiddleware,
        tracer_provider=provider,
        server_request_hook=with_request_id,
        exclude_spans=["receive", "send"],
    )
