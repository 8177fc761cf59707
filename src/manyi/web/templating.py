"""Jinja2 environment shared by every feature's pages.

Feature templates live in `<feature>/templates/`; the base layout lives in
`web/templates/`. Every page gets the translator `_`, the language, the
signed-in principal, the navigation for their roles and the CSRF token.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, FileSystemLoader
from starlette.requests import Request
from starlette.responses import Response

from manyi.db import utcnow
from manyi.org.model import Permission
from manyi.web.i18n import request_language, translator
from manyi.web.security import Principal, csrf_token

PACKAGE_DIR = Path(__file__).resolve().parents[1]
ELDERLY_COOKIE = "manyi_elderly"  # "on": larger type, plain words (static/js/elderly.js sets it)
TEMPLATE_DIRS = [
    PACKAGE_DIR / "web" / "templates",
    PACKAGE_DIR / "org" / "templates",
    PACKAGE_DIR / "audit" / "templates",
    PACKAGE_DIR / "lobby" / "templates",
    PACKAGE_DIR / "notify" / "templates",
    PACKAGE_DIR / "complaints" / "templates",
    PACKAGE_DIR / "counter" / "templates",
    PACKAGE_DIR / "quality" / "templates",
    PACKAGE_DIR / "cockpit" / "templates",
    PACKAGE_DIR / "supervision" / "templates",
    PACKAGE_DIR / "workdays" / "templates",
    PACKAGE_DIR / "insight" / "templates",
    PACKAGE_DIR / "reach" / "templates",
    PACKAGE_DIR / "special" / "templates",
    PACKAGE_DIR / "guidance" / "templates",
    PACKAGE_DIR / "workload" / "templates",
]


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str  # English message id; translated when rendered
    url: str
    permission: Permission | None
    icon: str


NAVIGATION: tuple[NavItem, ...] = (
    NavItem("home", "Home", "/", None, "⌂"),
    NavItem("console", "Teller console", "/lobby/console", Permission.LOBBY_OPERATE, "☎"),
    NavItem("lobby", "Lobby dashboard", "/lobby/dashboard", Permission.LOBBY_VIEW, "▤"),
    NavItem("lobby_settings", "Lobby settings", "/lobby/settings", Permission.LOBBY_CONFIGURE, "⚙"),
    NavItem("triage", "Triage at the door", "/guidance/triage", Permission.LOBBY_MANAGE, "☺"),
    NavItem(
        "machines",
        "Self-service machines",
        "/guidance/machines",
        Permission.LOBBY_CONFIGURE,
        "⌨",
    ),
    NavItem("cases", "Typical cases", "/guidance/cases", None, "❏"),
    NavItem("training", "My training", "/guidance/training", None, "✎"),
    NavItem(
        "training_modules",
        "Training modules",
        "/guidance/training/modules",
        Permission.GUIDANCE_PUBLISH,
        "☰",
    ),
    NavItem(
        "training_report",
        "Training results",
        "/guidance/training/report",
        Permission.GUIDANCE_VIEW,
        "▥",
    ),
    NavItem(
        "selfcheck", "Daily self-check", "/guidance/selfcheck", Permission.LOBBY_CONFIGURE, "✓"
    ),
    NavItem(
        "selfcheck_board",
        "Self-check board",
        "/guidance/selfcheck/board",
        Permission.SUPERVISION_VIEW,
        "◫",
    ),
    NavItem(
        "outreach",
        "Financial-literacy outreach",
        "/guidance/outreach",
        Permission.GUIDANCE_VIEW,
        "☼",
    ),
    NavItem("complaints", "Complaints workbench", "/complaints", Permission.COMPLAINTS_VIEW, "✆"),
    NavItem(
        "supervision",
        "Supervision board",
        "/complaints/supervision",
        Permission.COMPLAINTS_MANAGE,
        "⚑",
    ),
    NavItem(
        "complaint_analysis",
        "Complaint analysis",
        "/insight/complaints",
        Permission.INSIGHT_VIEW,
        "◩",
    ),
    NavItem(
        "consultations",
        "Expert consultations",
        "/complaints/consultations",
        Permission.COMPLAINTS_CONSULT,
        "☷",
    ),
    NavItem(
        "complaint_settings",
        "Complaint settings",
        "/complaints/settings",
        Permission.COMPLAINTS_EXPERTS,
        "⚒",
    ),
    NavItem(
        "holidays",
        "Holidays and make-up workdays",
        "/admin/holidays",
        Permission.WORKDAYS_CONFIGURE,
        "☼",
    ),
    NavItem("praise", "Praise", "/complaints/praise", Permission.COMPLAINTS_VIEW, "❀"),
    NavItem(
        "opinions",
        "Opinions and suggestions",
        "/insight/opinions",
        Permission.COMPLAINTS_VIEW,
        "✎",
    ),
    NavItem(
        "classifier",
        "Complaint classifier",
        "/insight/classifier",
        Permission.COMPLAINTS_CONFIGURE,
        "✦",
    ),
    NavItem(
        "prominent_issues", "Prominent issues", "/insight/issues", Permission.COMPLAINTS_VIEW, "◭"
    ),
    NavItem(
        "emerging_issues", "Emerging issues", "/insight/alerts", Permission.COMPLAINTS_VIEW, "⚠"
    ),
    NavItem("counter", "Counter bundles", "/counter", Permission.COUNTER_OPERATE, "✍"),
    NavItem("visits", "Home and hospital visits", "/visits", Permission.VISITS_VIEW, "⌂"),
    NavItem(
        "authorisations",
        "Authorisations",
        "/counter/authorisations",
        Permission.COUNTER_AUTHORISE,
        "✔",
    ),
    NavItem(
        "counter_measures", "Counter measures", "/counter/measures", Permission.COUNTER_VIEW, "◔"
    ),
    NavItem(
        "catalogue",
        "Transaction catalogue",
        "/counter/catalogue",
        Permission.COUNTER_CONFIGURE,
        "☰",
    ),
    NavItem(
        "customer_messages",
        "Customer messages",
        "/reach/messages",
        Permission.REACH_VIEW,
        "✉",
    ),
    NavItem("cockpit", "Cockpit", "/cockpit", Permission.COCKPIT_VIEW, "◎"),
    NavItem("quality", "Satisfaction", "/quality", Permission.QUALITY_VIEW, "★"),
    NavItem("workload", "Teller workload", "/workload", Permission.WORKLOAD_VIEW, "⚖"),
    NavItem("my_workload", "My workload", "/workload/me", Permission.LOBBY_OPERATE, "◷"),
    NavItem("pulse", "Staff pulse survey", "/workload/pulse", None, "♡"),
    NavItem("surveys", "Surveys", "/quality/surveys", Permission.QUALITY_CONFIGURE, "✓"),
    NavItem("flags", "Suspicious answers", "/quality/flags", Permission.QUALITY_INSPECT, "⚑"),
    NavItem(
        "rectification",
        "Rectification",
        "/supervision/rectification",
        Permission.SUPERVISION_VIEW,
        "⚒",
    ),
    NavItem(
        "inspections", "Inspections", "/supervision/inspections", Permission.SUPERVISION_VIEW, "☑"
    ),
    NavItem("plans", "Inspection plans", "/supervision/plans", Permission.SUPERVISION_INSPECT, "⚲"),
    NavItem(
        "standards",
        "Service standards",
        "/supervision/standards",
        Permission.SUPERVISION_STANDARDS,
        "§",
    ),
    NavItem("stars", "Service stars", "/supervision/stars", Permission.SUPERVISION_VIEW, "✪"),
    NavItem(
        "misconduct", "Misconduct", "/supervision/misconduct", Permission.MISCONDUCT_MANAGE, "⚖"
    ),
    NavItem("units", "Organisation", "/admin/units", Permission.UNITS_VIEW, "▦"),
    NavItem("staff", "Staff", "/admin/staff", Permission.STAFF_VIEW, "☺"),
    NavItem("devices", "Devices", "/admin/devices", Permission.DEVICES_MANAGE, "▣"),
    NavItem("audit", "Audit log", "/admin/audit", Permission.AUDIT_VIEW, "✎"),
    NavItem("notifications", "My notifications", "/notifications", None, "✉"),
    NavItem("account", "My account", "/account/password", None, "⚙"),
)


# What each destination is for, one line on the home page (English message ids).
PURPOSES: dict[str, str] = {
    "console": "Sign on to your counter, call the next customer, recall, transfer, complete",
    "lobby": "The lobby now: waits, counters, alerts, advice; open counters, page staff",
    "lobby_settings": "An outlet's opening hours, wait target, queue rules and the board's voices",
    "complaints": "Register complaints, work your cases to their deadlines, export",
    "supervision": "Cases at risk or overdue in your units, and supervise them (督办)",
    "complaint_analysis": "Complaints by period, unit and category; year on year; regulator report",
    "consultations": "Cases on which a handler asked for your expert opinion",
    "praise": "Customers' praise of staff: register it; it counts toward service stars",
    "opinions": "Opinions and suggestions from forums, online media and letters, outside the clock",
    "prominent_issues": "Prominent-issue categories against their targets, and their tasks",
    "emerging_issues": "Weeks when a category's complaints stand out at a branch",
    "complaint_settings": "Deadline policies, working-day calendar, routing and experts",
    "holidays": "Holidays and make-up workdays every working-day count uses, by year",
    "classifier": "Suggested classification: model versions, their evaluation, auto-apply",
    "counter": "Open a customer's pre-fill by code, confirm, authorise, PIN, sign, e-voucher",
    "authorisations": "Bundles waiting for your authorisation",
    "counter_measures": "Fields saved, time at the counter and bundles per outlet",
    "catalogue": "Transaction types, their fields and rules, versioned",
    "quality": "CSAT, NPS and CES with their intervals, by unit, teller and period",
    "workload": "Each teller's busy time, weighted load, stretches, breaks and overtime; fairness",
    "my_workload": "Your own busy time, load, stretches and breaks, day by day",
    "pulse": "The monthly anonymous staff survey: workload, support, pressure; results by unit",
    "rectification": "Rectification tasks in your units: open, overdue, closed on time; evidence",
    "misconduct": "Misconduct cases in your scope (confidential): investigate, sanction, bulletins",
    "inspections": "Inspection scorecards, results by outlet and period, league table, trend",
    "standards": "The window-service checklist inspections score against, versioned",
    "plans": "Scheduled inspections, random spot checks, mystery shopping, remote checks",
    "stars": "Service stars: candidates explained, nominations, branch and head-office approval",
    "units": "Head office, branches and outlets; import from CSV",
    "staff": "Accounts, roles and units",
    "devices": "Kiosks, display boards and rating pads: pair, renew, revoke",
    "audit": "Who did what and when, in a chain that shows any change",
    "notifications": "Messages for you: warnings, escalations, requests",
    "account": "Change your password",
}


def navigation_for(principal: Principal | None) -> list[NavItem]:
    if principal is None:
        return []
    return [i for i in NAVIGATION if i.permission is None or principal.can(i.permission)]


def active_nav(path: str) -> str:
    """The key of the navigation entry for `path`: the longest URL it falls under."""
    best = ""
    best_len = -1
    for item in NAVIGATION:
        inside = path == item.url or (item.url != "/" and path.startswith(item.url + "/"))
        if inside and len(item.url) > best_len:
            best, best_len = item.key, len(item.url)
    return best


def _context(request: Request) -> dict[str, Any]:
    lang = request_language(request)
    principal = getattr(request.state, "principal", None)
    zone = request.app.state.settings.zone

    def local_time(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return value.astimezone(zone).strftime(fmt) if value else ""

    return {
        "_": translator(lang),
        "lang": lang,
        "principal": principal,
        "nav": navigation_for(principal),
        "csrf_token": csrf_token(request),
        "local_time": local_time,
        "path": request.url.path,
        "active_nav": active_nav(request.url.path),
        "now": utcnow(),
        # The elderly-friendly mode (docs/elderly-mode.md): the class on <html> and the plain
        # words are rendered from the device's cookie, so the first paint is already right.
        "elderly": request.cookies.get(ELDERLY_COOKIE) == "on",
    }


templates = Jinja2Templates(directory=str(TEMPLATE_DIRS[0]), context_processors=[_context])
templates.env.loader = ChoiceLoader([FileSystemLoader(str(d)) for d in TEMPLATE_DIRS])


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    return templates.TemplateResponse(request, name, context or {}, status_code=status_code)
