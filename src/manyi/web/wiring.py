"""The application's wiring: which routers it serves, which features answer each other's ports
and hooks, and which routes take uploads. A composition root (with `manyi.cli`, `manyi.models`
and `manyi.demo`): it may import any feature; the features import none of each other for this.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from starlette.types import ASGIApp

from manyi.complaints import ports as complaint_ports
from manyi.config import Settings
from manyi.db import Session
from manyi.observe import metrics
from manyi.observe.middleware import access_line
from manyi.web.body_limit import BodyCap
from manyi.web.proxies import Network

API_DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>manyi API</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/js/api_docs.js"></script></body></html>
"""


class _FollowUps:
    """Complaints' `FollowUpPort` answered by quality's surveys (the two are independent)."""

    def follow_up(
        self, session: Session, complaint_id: int, now: dt.datetime
    ) -> complaint_ports.FollowUp | None:
        from manyi.quality import followups

        found = followups.complaint_follow_up(session, complaint_id, now)
        if found is None:
            return None
        return complaint_ports.FollowUp(
            found.state,
            found.invited_at,
            found.expires_at,
            found.answered_at,
            found.csat,
            found.resolved,
            found.comment,
        )


def _plug_appointments(public_base_url: str) -> None:
    """Appointments (reach): the staffing plan's capacity per slot from forecasting, the
    kiosk's check-in behind the lobby's port, the messages through reach's outbox, and the
    appointments card on the dashboard."""
    from manyi.forecast.appointment_capacity import PlannedCapacity
    from manyi.lobby import ports as lobby_ports
    from manyi.lobby.web import cards
    from manyi.reach import appointment_ports
    from manyi.reach.appointment_checkin import KioskCheckIn
    from manyi.reach.appointment_messages import OutboxNotices
    from manyi.reach.web.appointments_staff import dashboard_card

    appointment_ports.register_capacity(PlannedCapacity())
    appointment_ports.register_notices(OutboxNotices(public_base_url))
    lobby_ports.register_appointment_check_in(KioskCheckIn())
    cards.register(
        cards.DashboardCard(
            name="appointments",
            template="appointments/dashboard_card.html",
            build=dashboard_card,
            stylesheet="/static/css/appointments.css",
        )
    )


def _plug_workload(settings: Settings | None) -> None:
    """Teller workload: break advice checked by forecasting's simulator, and the overload card
    on the lobby dashboard (workload sits above the lobby, the counter and forecasting)."""
    from manyi.forecast.break_check import SimulatedBreaks
    from manyi.lobby.web import cards
    from manyi.workload import ports as workload_ports
    from manyi.workload.web.card import dashboard_card

    workload_ports.register_break_check(SimulatedBreaks())
    cards.register(
        cards.DashboardCard(
            name="workload",
            template="workload/dashboard_card.html",
            build=dashboard_card(settings),
            stylesheet="/static/css/workload.css",
        )
    )


def plug_features(settings: Settings | None = None) -> None:
    """Wire features into each other's ports and hooks: the lobby knows neither forecasting
    (its wait predictor and advice, `lobby.ports`), nor quality (its surveys), nor supervision
    (the teller's badge), nor the counter (its dashboard card); complaints do not know
    supervision (a complaint's rectification tasks, `complaints.ports`) nor quality (the 回访
    survey's answer on the case page)."""
    from manyi import visit_adapters
    from manyi.complaints import clock as complaints_clock
    from manyi.counter import ports as counter_ports
    from manyi.counter.web.measures import dashboard_card
    from manyi.forecast import lobby_adapters
    from manyi.guidance import training as guidance_training
    from manyi.guidance.web.card import dashboard_card as guidance_card
    from manyi.insight import complaints_adapters as insight_complaints
    from manyi.lobby import ports as lobby_ports
    from manyi.lobby.web import cards
    from manyi.quality import lobby_adapters as quality_adapters
    from manyi.quality import ports as quality_ports
    from manyi.quality.counter_adapters import BundleSurveys
    from manyi.reach.complaint_notices import ComplaintNotices
    from manyi.reach.queue_alerts import QueueAlerts
    from manyi.reach.survey_messages import SurveyMessages
    from manyi.supervision import complaints_adapters as supervision_complaints
    from manyi.supervision import findings as supervision_findings
    from manyi.supervision import lobby_adapters as supervision_adapters
    from manyi.workdays import calendars as workdays_calendars

    lobby_adapters.register()
    _plug_workload(settings)
    _plug_appointments(settings.public_base_url if settings else "")
    supervision_adapters.register()  # the teller's badge and star progress
    supervision_complaints.register()  # a complaint's rectification tasks, on its case page
    # A newly entered year moves open working-day deadlines: the deadline scan recomputes them.
    workdays_calendars.on_change(complaints_clock.recheck_working_days)
    complaint_ports.register_follow_up(_FollowUps())  # a closed complaint's 回访 (quality)
    # Suggested classification of new complaints (the classifier); a production process loads
    # its libraries in the background at start, not in its first complainant's request.
    insight_complaints.register(warm=settings is not None and settings.is_production)
    expiry = settings.survey_expiry_days if settings else 7
    quality_adapters.register(expiry)
    # Complainants who agreed get "received" and "decided" by text message (customer reach).
    complaint_ports.register_customer_notices(
        ComplaintNotices(settings.public_base_url if settings else "")
    )
    # Waiting customers may ask for text-message alerts on their status page (customer reach).
    lobby_ports.register_ticket_alerts(QueueAlerts())
    # Survey invitations also go as a text message to customers who agreed (customer reach).
    quality_ports.register_messages(
        SurveyMessages(
            settings.zone if settings else ZoneInfo("Asia/Shanghai"),
            settings.public_base_url if settings else "",
        )
    )
    # Visits tell the family the date (reach) and invite the customer to a survey (quality).
    visit_adapters.register(settings.zone if settings else ZoneInfo("Asia/Shanghai"), expiry)
    counter_ports.register_survey_links(
        BundleSurveys(expiry, settings.public_base_url if settings else "")
    )
    cards.register(
        cards.DashboardCard(
            name="counter",
            template="counter/dashboard_card.html",
            build=dashboard_card,
            stylesheet="/static/css/counter.css",
        )
    )
    # An inspection's failed items assign the training modules that train them (guidance).
    supervision_findings.on_submitted(guidance_training.assign_after_finding)
    # Lobby guidance: today's customers met at the door, diverted and taught (issue 23).
    cards.register(
        cards.DashboardCard(
            name="guidance",
            template="guidance/dashboard_card.html",
            build=guidance_card,
            stylesheet="/static/css/guidance.css",
        )
    )


def body_caps() -> list[BodyCap]:
    """The routes that take uploads, each with the largest request it reads; every other
    request has the default cap (web/body_limit.py)."""
    from manyi.complaints.web.public import FORM_CAP
    from manyi.complaints.web.side_actions import ATTACH_CAP
    from manyi.guidance.web.outreach_pages import PHOTO_CAP as OUTREACH_PHOTO_CAP
    from manyi.guidance.web.selfcheck_pages import SUBMIT_CAP as SELFCHECK_CAP
    from manyi.org.web.units import IMPORT_CAP
    from manyi.reach.web.wechat import CALLBACK_CAP
    from manyi.special.web.onsite import PHOTO_CAP as VISIT_PHOTO_CAP
    from manyi.supervision.web.rectification_task import SUBMIT_CAP
    from manyi.supervision.web.scorecard_page import PHOTO_CAP

    return [
        FORM_CAP,
        ATTACH_CAP,
        IMPORT_CAP,
        SUBMIT_CAP,
        PHOTO_CAP,
        VISIT_PHOTO_CAP,
        CALLBACK_CAP,
        SELFCHECK_CAP,
        OUTREACH_PHOTO_CAP,
    ]


def add_device_lane(app: FastAPI, settings: Settings, proxies: tuple[Network, ...]) -> None:
    """The lobby's device lane: a kiosk's ticket and a calling pad's call-next and complete,
    answered before the app's other layers when ordinary (lobby/web/device_lane.py). In front
    of the whole app, doing the request's id, metrics and access line itself; when requests are
    traced, inside the trace and those, outside the rest. `proxies`: the trusted proxies
    (`settings.trusted_proxies`, parsed)."""
    from manyi.lobby.web.device_lane import DeviceLane, Front

    if settings.tracing != "off":
        app.add_middleware(DeviceLane, handlers=app.exception_handlers)
        return
    access = access_line if settings.log_format == "json" else None
    front = Front(metrics.observe_request, access, proxies)
    build = app.build_middleware_stack

    def build_behind_the_lane() -> ASGIApp:
        return DeviceLane(build(), handlers=app.exception_handlers, front=front)

    app.build_middleware_stack = build_behind_the_lane  # type: ignore[method-assign]


def install_routes(app: FastAPI) -> None:
    from manyi.audit.views import router as audit_router
    from manyi.cockpit.web.pages import router as cockpit_views
    from manyi.complaints.web.public import router as complaints_public
    from manyi.complaints.web.public_status import router as complaints_status
    from manyi.complaints.web.workbench import router as complaints_views
    from manyi.counter.web.prefill_phone import router as counter_public
    from manyi.counter.web.routes import router as counter_views
    from manyi.guidance.web.cases_pages import router as guidance_cases
    from manyi.guidance.web.machines_page import router as guidance_machines
    from manyi.guidance.web.outreach_pages import router as guidance_outreach
    from manyi.guidance.web.selfcheck_pages import router as guidance_selfcheck
    from manyi.guidance.web.training_pages import router as guidance_training
    from manyi.guidance.web.triage_pages import router as guidance_triage
    from manyi.insight.web.analysis_page import router as insight_analysis
    from manyi.insight.web.classifier import router as insight_classifier
    from manyi.insight.web.opinions import router as insight_opinions
    from manyi.insight.web.routes import router as insight_views
    from manyi.lobby.web.api import device_router as lobby_device_api
    from manyi.lobby.web.api import router as lobby_api
    from manyi.lobby.web.appointment_checkin import router as lobby_appointment_checkin
    from manyi.lobby.web.config_api import router as lobby_config_api
    from manyi.lobby.web.pages import router as lobby_views
    from manyi.lobby.web.public_api import router as lobby_public_api
    from manyi.lobby.web.screens_api import router as lobby_screens_api
    from manyi.lobby.web.settings import router as lobby_settings
    from manyi.notify.views import router as notify_views
    from manyi.observe.web.routes import router as observe_routes
    from manyi.org.api import router as org_api
    from manyi.org.web import router as org_views
    from manyi.quality.web.flags_page import router as quality_flags
    from manyi.quality.web.pages import router as quality_views
    from manyi.quality.web.survey_admin import router as quality_survey_admin
    from manyi.quality.web.survey_page import router as quality_survey
    from manyi.reach.web.appointments import router as appointment_pages
    from manyi.reach.web.appointments_api import router as appointment_api
    from manyi.reach.web.appointments_rules import router as appointment_rules_page
    from manyi.reach.web.appointments_staff import api_router as appointment_rules_api
    from manyi.reach.web.appointments_staff import router as appointment_staff
    from manyi.reach.web.messages import router as reach_messages
    from manyi.reach.web.wechat import router as reach_wechat
    from manyi.special.web.pages import router as special_views
    from manyi.supervision.web.routes import router as supervision_views
    from manyi.web.oidc_signin import router as oidc_signin_router
    from manyi.web.shell import router as shell_router
    from manyi.workdays.web.pages import router as workdays_views
    from manyi.workload.web.pages import router as workload_views
    from manyi.workload.web.pulse_page import router as workload_pulse

    app.include_router(lobby_device_api)  # first: the busiest routes match soonest
    app.include_router(shell_router)
    app.include_router(oidc_signin_router)
    app.include_router(observe_routes)  # /metrics
    app.include_router(org_views)
    app.include_router(audit_router)
    app.include_router(org_api)
    app.include_router(lobby_api)
    app.include_router(lobby_public_api)
    app.include_router(lobby_config_api)
    app.include_router(lobby_screens_api)
    app.include_router(lobby_views)
    app.include_router(lobby_settings)
    app.include_router(notify_views)
    app.include_router(complaints_public)
    app.include_router(complaints_status)
    app.include_router(complaints_views)
    app.include_router(counter_public)
    app.include_router(counter_views)
    app.include_router(quality_views)
    app.include_router(cockpit_views)
    app.include_router(insight_analysis)
    app.include_router(quality_survey)
    app.include_router(quality_survey_admin)
    app.include_router(quality_flags)
    app.include_router(supervision_views)
    app.include_router(workdays_views)
    app.include_router(insight_opinions)
    app.include_router(insight_classifier)
    app.include_router(insight_views)
    app.include_router(lobby_appointment_checkin)
    app.include_router(appointment_rules_api)  # before /api/v1/appointments/{token}
    app.include_router(appointment_api)
    app.include_router(appointment_pages)
    app.include_router(appointment_staff)
    app.include_router(appointment_rules_page)
    app.include_router(reach_messages)
    app.include_router(reach_wechat)
    app.include_router(special_views)
    app.include_router(workload_views)
    app.include_router(workload_pulse)
    app.include_router(guidance_triage)
    app.include_router(guidance_machines)
    app.include_router(guidance_cases)
    app.include_router(guidance_training)
    app.include_router(guidance_selfcheck)
    app.include_router(guidance_outreach)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        # Swagger UI from local files, started by a script file (no inline script: headers.py).
        return HTMLResponse(API_DOCS_PAGE)
