"""Who may change what: the answer every persona, anonymous and each of outlet A's devices gets
to every POST, PUT, PATCH and DELETE (`MATRIX`); a new route without a row fails.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from manyi.db import Database
from manyi.web.app import api_routes
from tests.access_helpers import ANONYMOUS, by_engine, client_for, counter_bank_world, fixture_ids
from tests.conftest import PERSONAS, Bank
from tests.web_helpers import csrf_of, device_client, make_client
from tests.world_files import WorldFiles

# --- Who may change what: every mutating route × every persona ------------------------------
#
# The answer each persona gets to every POST, PUT, PATCH and DELETE, sent with a valid CSRF
# token and an otherwise empty body (to the JSON API `{}`, or the valid body of BODIES), on
# outlet A's objects (a complaint, a ticket, a device token, a teller's open bundle:
# `counter_world`), one after another in the app's route order (the outlet's configuration and
# /signout last). The table is sorted by path; its codes:
#
#   ok    let in: the role may use the route. The answer is whatever an empty form earns
#         (2xx, 3xx, 400, 409, 422) - never 401, 403 or 404. An HTML form's 422 can come
#         before the scope check: which objects are reached is the feature tests' concern.
#   403   refused for the role, or by a rule of the object (only its own teller works a
#         bundle; only a case's handler asks an expert).
#   404   not found: outlet A's object is outside the persona's scope and looks absent (ids
#         reveal nothing); on rows where every persona let in gets 404, the empty form names
#         nothing there is (no outlet, no message, no authorisation request).
#   in    not signed in (anonymous, or a device on a staff route): sent to sign in (303 to
#         /signin; 401 from the JSON API).
#   pair  a device's route without a device token: 401 from the device API, or 303 to
#         /device/pair on a screen.
#
# A machine's route (`security.machine`: WeChat's pushes, the identity platform's back-channel
# logout) takes no persona at all: unsigned, everyone gets 403
# (tests/integration/test_reach_wechat_callback.py signs its requests; test_oidc_backchannel.py
# posts the platform's logout tokens).
#
# The devices are outlet A's, by bearer token: a kiosk, and a calling pad and a rating pad at
# counter 1; a device of another kind is refused (403) on the others' routes.
#
# A route missing from the table fails the test, so a new route needs someone to decide who
# may use it. Which objects an allowed persona reaches is test_every_route_for_persona's
# concern (no out-of-scope data in any answer) and the feature tests'. Bank-wide settings
# (complaint categories, deadline policies, the catalogue) are head office's: `admin` sits
# there; a branch administrator's refusal is test_bank_wide_settings_by_persona's.
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The staff personas, anonymous, and outlet A's devices (by bearer token; pads at counter 1).
DEVICES = ("kiosk", "counter_pad", "rating_pad")
MATRIX_PERSONAS = (
    *("admin", "teller_a", "head_a", "teller_b", "manager_br_a", "head_b", ANONYMOUS),
    *DEVICES,
)
MATRIX = """
route                                                               admin  tell_a head_a tell_b mgr_a  head_b anon   kiosk  c_pad  r_pad
POST /a/{token}/cancel                                              404    404    404    404    404    404    404    404    404    404
POST /a/{token}/change                                              ok     ok     ok     ok     ok     ok     ok     ok     ok     ok
POST /a/{token}/check-in                                            404    404    404    404    404    404    404    404    404    404
POST /api/v1/appointments                                           ok     ok     ok     ok     ok     ok     ok     ok     ok     ok
POST /api/v1/appointments/codes                                     ok     ok     ok     ok     ok     ok     ok     ok     ok     ok
POST /api/v1/appointments/{token}/cancel                            404    404    404    404    404    404    404    404    404    404
POST /api/v1/appointments/{token}/change                            404    404    404    404    404    404    404    404    404    404
POST /api/v1/appointments/{token}/check-in                          404    404    404    404    404    404    404    404    404    404
PUT /api/v1/appointments/rules/{outlet}                              ok     403    ok     403    403    404    in     in     in     in
POST /appointments/{outlet}/{service}/book                          ok     ok     ok     ok     ok     ok     ok     ok     ok     ok
POST /appointments/{outlet}/{service}/code                          ok     ok     ok     ok     ok     ok     ok     ok     ok     ok
POST /device/api/v1/lobby/appointments/check-in                     pair   pair   pair   pair   pair   pair   pair   404    403    403
POST /guidance/cases/new                                            ok     403    ok     403    ok     ok     in     in     in     in
POST /guidance/cases/{case_id}/approve                              404    403    403    403    403    403    in     in     in     in
POST /guidance/cases/{case_id}/edit                                 404    403    404    403    404    404    in     in     in     in
POST /guidance/cases/{case_id}/return                               404    403    403    403    403    403    in     in     in     in
POST /guidance/cases/{case_id}/submit                               404    403    404    403    404    404    in     in     in     in
POST /guidance/machines                                             ok     403    ok     403    403    ok     in     in     in     in
POST /guidance/machines/{machine_id}/service                        ok     403    404    403    403    404    in     in     in     in
POST /guidance/training/modules                                     ok     403    403    403    403    403    in     in     in     in
POST /guidance/training/modules/{module_id}/assign                   404    403    403    403    403    403    in     in     in     in
POST /guidance/training/modules/{module_id}/publish                  404    403    403    403    403    403    in     in     in     in
POST /guidance/training/{module_id}                                 404    404    404    404    404    404    in     in     in     in
POST /guidance/selfcheck                                            ok     403    ok     403    403    ok     in     in     in     in
POST /guidance/selfcheck/r/{round_id}/items/{item_code}/task        404    403    404    403    404    404    in     in     in     in
POST /guidance/triage                                               ok     403    ok     403    403    ok     in     in     in     in
POST /guidance/triage/e/{encounter_id}/result                       404    403    404    403    403    404    in     in     in     in
POST /guidance/triage/e/{encounter_id}/ticket                       404    403    404    403    403    404    in     in     in     in
POST /lobby/appointments/rules                                      404    403    ok     403    403    ok     in     in     in     in
POST /account/password                                              ok     ok     ok     ok     ok     ok     in     in     in     in
POST /admin/audit/verify                                            ok     403    403    403    403    403    in     in     in     in
POST /admin/devices                                                 404    403    404    403    403    404    in     in     in     in
POST /admin/devices/{token_id}/revoke                               ok     403    ok     403    403    404    in     in     in     in
POST /admin/holidays                                                ok     403    403    403    403    403    in     in     in     in
POST /admin/holidays/{year}/remove                                  404    403    403    403    403    403    in     in     in     in
POST /admin/staff                                                   ok     403    403    403    403    403    in     in     in     in
POST /admin/staff/{staff_id}                                        ok     403    403    403    403    403    in     in     in     in
POST /admin/staff/{staff_id}/password                               ok     403    403    403    403    403    in     in     in     in
POST /admin/staff/{staff_id}/unlock                                 ok     403    403    403    403    403    in     in     in     in
POST /admin/units                                                   ok     403    403    403    403    403    in     in     in     in
POST /admin/units/import                                            ok     403    403    403    403    403    in     in     in     in
POST /admin/units/{unit_id}                                         ok     403    403    403    403    403    in     in     in     in
POST /api/v1/lobby/outlets/{outlet}/alerts/{alert_id}/acknowledge   404    403    404    403    403    404    in     in     in     in
PUT /api/v1/lobby/outlets/{outlet}/config                           ok     403    ok     403    403    404    in     in     in     in
POST /api/v1/lobby/outlets/{outlet}/counters/{number}/call-next     ok     ok     ok     404    403    404    in     in     in     in
POST /api/v1/lobby/outlets/{outlet}/counters/{number}/close         ok     ok     ok     404    403    404    in     in     in     in
POST /api/v1/lobby/outlets/{outlet}/counters/{number}/complete      ok     ok     ok     404    403    404    in     in     in     in
POST /api/v1/lobby/outlets/{outlet}/counters/{number}/no-show       ok     ok     ok     404    403    404    in     in     in     in
POST /api/v1/lobby/outlets/{outlet}/counters/{number}/open          ok     ok     403    404    403    404    in     in     in     in
POST /api/v1/lobby/outlets/{outlet}/counters/{number}/pause         ok     ok     ok     404    403    404    in     in     in     in
POST /api/v1/lobby/outlets/{outlet}/counters/{number}/rating-prompt 404    404    403    404    403    403    in     in     in     in
POST /api/v1/lobby/outlets/{outlet}/counters/{number}/recall        ok     ok     ok     404    403    404    in     in     in     in
POST /api/v1/lobby/outlets/{outlet}/counters/{number}/resume        ok     ok     ok     404    403    404    in     in     in     in
PUT /api/v1/lobby/outlets/{outlet}/counters/{number}/services       ok     403    ok     403    403    404    in     in     in     in
POST /api/v1/lobby/outlets/{outlet}/counters/{number}/start         ok     ok     ok     404    403    404    in     in     in     in
POST /api/v1/lobby/outlets/{outlet}/counters/{number}/transfer      ok     ok     ok     404    403    404    in     in     in     in
POST /api/v1/lobby/outlets/{outlet}/pages                           ok     403    ok     403    403    404    in     in     in     in
POST /api/v1/lobby/outlets/{outlet}/tickets                         ok     403    ok     403    403    404    in     in     in     in
PUT /api/v1/lobby/tellers/{username}/skills                         ok     403    ok     403    403    404    in     in     in     in
POST /api/v1/lobby/tickets/{ticket_id}/cancel                       ok     ok     ok     404    403    404    in     in     in     in
POST /api/v1/lobby/tickets/{ticket_id}/requeue                      ok     ok     ok     404    403    404    in     in     in     in
POST /lobby/settings                                                ok     403    ok     403    403    ok     in     in     in     in
POST /api/v1/public/outlets/{outlet}/tickets                        ok     ok     ok     ok     ok     ok     ok     ok     ok     ok
POST /api/v1/public/tickets/{token}/cancel                          ok     ok     ok     ok     ok     ok     ok     ok     ok     ok
POST /api/v1/units                                                  ok     403    403    403    403    403    in     in     in     in
PATCH /api/v1/units/{unit_id}                                       ok     403    403    403    403    403    in     in     in     in
POST /complaint                                                     ok     ok     ok     ok     ok     ok     ok     ok     ok     ok
POST /complaint/status                                              404    404    404    404    404    404    404    404    404    404
POST /complaint/status-exit                                         ok     ok     ok     ok     ok     ok     ok     ok     ok     ok
POST /complaint/status/{reference}/accept                           ok     ok     ok     ok     ok     ok     ok     ok     ok     ok
POST /complaint/status/{reference}/dispute                          ok     ok     ok     ok     ok     ok     ok     ok     ok     ok
POST /complaints/bulk-reassign                                      ok     403    ok     403    ok     ok     in     in     in     in
POST /complaints/consultations/{consultation_id}/opinion            404    403    403    403    403    403    in     in     in     in
POST /complaints/new                                                ok     403    ok     403    ok     ok     in     in     in     in
POST /complaints/praise                                             ok     403    ok     403    ok     ok     in     in     in     in
POST /complaints/settings/categories                                ok     403    403    403    403    403    in     in     in     in
POST /complaints/settings/changes/{change_id}                      ok     403    403    403    403    403    in     in     in     in
POST /complaints/settings/experts                                   ok     403    403    403    403    403    in     in     in     in
POST /complaints/settings/policy                                    ok     403    403    403    403    403    in     in     in     in
POST /complaints/settings/policy/close-after                        ok     403    403    403    403    403    in     in     in     in
POST /complaints/settings/policy/new                                ok     403    403    403    403    403    in     in     in     in
POST /complaints/{complaint_id}/approve_extension                   ok     403    ok     403    ok     404    in     in     in     in
POST /complaints/{complaint_id}/attach                              ok     403    ok     403    ok     404    in     in     in     in
POST /complaints/{complaint_id}/classify                            ok     403    ok     403    ok     404    in     in     in     in
POST /complaints/{complaint_id}/suggestions/accept                  ok     403    ok     403    ok     404    in     in     in     in
POST /complaints/{complaint_id}/close                               ok     403    ok     403    ok     404    in     in     in     in
POST /complaints/{complaint_id}/consult                             403    403    403    403    403    404    in     in     in     in
POST /complaints/{complaint_id}/decide                              ok     403    ok     403    ok     404    in     in     in     in
POST /complaints/{complaint_id}/declare_conflict                    ok     403    ok     403    ok     404    in     in     in     in
POST /complaints/{complaint_id}/extend                              ok     403    ok     403    ok     404    in     in     in     in
POST /complaints/{complaint_id}/note                                ok     403    ok     403    ok     404    in     in     in     in
POST /complaints/{complaint_id}/reassign                            ok     403    ok     403    ok     404    in     in     in     in
POST /complaints/{complaint_id}/reject_extension                    ok     403    ok     403    ok     404    in     in     in     in
POST /complaints/{complaint_id}/reopen                              ok     403    ok     403    ok     404    in     in     in     in
POST /complaints/{complaint_id}/start                               ok     403    ok     403    ok     404    in     in     in     in
POST /complaints/{complaint_id}/transfer                            ok     403    ok     403    ok     404    in     in     in     in
POST /complaints/{complaint_id}/withdraw                            ok     403    ok     403    ok     404    in     in     in     in
POST /insight/opinions                                              ok     403    ok     403    ok     ok     in     in     in     in
POST /insight/opinions/{opinion_id}/classify                        404    403    404    403    404    404    in     in     in     in
POST /insight/opinions/{opinion_id}/step                            404    403    404    403    404    404    in     in     in     in
POST /counter/authorisations/claim                                  ok     403    403    403    403    403    in     in     in     in
POST /counter/authorisations/{request_id}/approve                   404    403    403    403    403    403    in     in     in     in
POST /counter/authorisations/{request_id}/reject                    404    403    403    403    403    403    in     in     in     in
POST /counter/authorisations/{request_id}/release                   404    403    403    403    403    403    in     in     in     in
POST /counter/bundles/{reference}/authorisation                     403    ok     403    404    403    403    in     in     in     in
POST /counter/bundles/{reference}/cancel                            403    ok     403    404    403    403    in     in     in     in
POST /counter/bundles/{reference}/confirm                           403    ok     403    404    403    403    in     in     in     in
POST /counter/bundles/{reference}/correct                           403    ok     403    404    403    403    in     in     in     in
POST /counter/bundles/{reference}/identity                          403    ok     403    404    403    403    in     in     in     in
POST /counter/bundles/{reference}/run                               403    ok     403    404    403    403    in     in     in     in
POST /counter/bundles/{reference}/sign                              403    ok     403    404    403    403    in     in     in     in
POST /counter/bundles/{reference}/voucher                           403    ok     403    404    403    403    in     in     in     in
POST /counter/catalogue/changes/{change_id}                         ok     403    403    403    403    403    in     in     in     in
POST /counter/catalogue/{tx_code}                                   ok     403    403    403    403    403    in     in     in     in
POST /counter/fill                                                  ok     ok     403    ok     403    403    in     in     in     in
POST /counter/open                                                  403    404    403    404    403    403    in     in     in     in
POST /device/api/v1/lobby/counters/{number}/call-next               pair   pair   pair   pair   pair   pair   pair   403    ok     403
POST /device/api/v1/lobby/counters/{number}/complete                pair   pair   pair   pair   pair   pair   pair   403    ok     403
POST /device/api/v1/lobby/counters/{number}/no-show                 pair   pair   pair   pair   pair   pair   pair   403    ok     403
POST /device/api/v1/lobby/counters/{number}/pause                   pair   pair   pair   pair   pair   pair   pair   403    ok     403
POST /device/api/v1/lobby/counters/{number}/recall                  pair   pair   pair   pair   pair   pair   pair   403    ok     403
POST /device/api/v1/lobby/counters/{number}/resume                  pair   pair   pair   pair   pair   pair   pair   403    ok     403
POST /device/api/v1/lobby/counters/{number}/start                   pair   pair   pair   pair   pair   pair   pair   403    ok     403
POST /device/api/v1/lobby/counters/{number}/transfer                pair   pair   pair   pair   pair   pair   pair   403    ok     403
POST /device/api/v1/lobby/ratings                                   pair   pair   pair   pair   pair   pair   pair   403    403    404
POST /device/api/v1/lobby/tickets                                   pair   pair   pair   pair   pair   pair   pair   ok     403    403
POST /device/pair                                                   ok     ok     ok     ok     ok     ok     ok     ok     ok     ok
POST /device/prefill/check                                          pair   pair   pair   pair   pair   pair   pair   ok     403    403
POST /device/prefill/form                                           pair   pair   pair   pair   pair   pair   pair   ok     403    403
POST /guidance/outreach/new                                         ok     403    ok     403    403    ok     in     in     in     in
POST /guidance/outreach/{reference}/cancel                          404    403    404    403    403    404    in     in     in     in
POST /guidance/outreach/{reference}/held                            404    403    404    403    403    404    in     in     in     in
POST /guidance/outreach/{reference}/photos                          404    403    404    403    403    404    in     in     in     in
POST /insight/issues/categories/new                                 ok     403    403    403    403    403    in     in     in     in
POST /insight/issues/categories/{code}/edit                         ok     403    403    403    403    403    in     in     in     in
POST /m/{token}                                                     404    404    404    404    404    404    404    404    404    404
POST /insight/classifier/auto-apply                                 ok     403    403    403    403    403    in     in     in     in
POST /notifications/{message_id}/read                               404    404    404    404    404    404    in     in     in     in
POST /prefill/{outlet_code}/check                                   ok     ok     ok     ok     ok     ok     ok     ok     ok     ok
POST /prefill/{outlet_code}/form                                    ok     ok     ok     ok     ok     ok     ok     ok     ok     ok
POST /quality/survey-rules                                          ok     403    403    403    403    403    in     in     in     in
POST /quality/surveys/{trigger}                                     ok     403    403    403    403    403    in     in     in     in
POST /reach/consents                                                ok     403    ok     403    403    ok     in     in     in     in
POST /reach/messages                                                ok     403    ok     403    403    ok     in     in     in     in
POST /reach/templates                                               ok     403    403    403    403    403    in     in     in     in
POST /reach/wechat/callback                                         403    403    403    403    403    403    403    403    403    403
POST /s/{token}                                                     403    403    403    403    403    403    404    403    403    403
POST /t/{token}/alerts                                              ok     ok     ok     ok     ok     ok     ok     ok     ok     ok
POST /signin                                                        ok     ok     ok     ok     ok     ok     ok     ok     ok     ok
POST /signin/oidc/backchannel-logout                                403    403    403    403    403    403    403    403    403    403
POST /supervision/stars/nominations/{nomination_id}/approve         404    403    403    403    403    403    in     in     in     in
POST /supervision/stars/nominations/{nomination_id}/reject          ok     403    403    403    403    403    in     in     in     in
POST /supervision/stars/programmes                                  ok     403    403    403    403    403    in     in     in     in
POST /supervision/stars/programmes/{programme_id}/nominations       ok     403    ok     403    403    ok     in     in     in     in
POST /signout                                                       ok     ok     ok     ok     ok     ok     in     in     in     in
POST /supervision/inspections                                       404    403    403    403    403    403    in     in     in     in
POST /supervision/inspections/rechecks/{task_id}                    404    403    403    403    403    403    in     in     in     in
POST /supervision/inspections/{visit_id}/items/{item_code}/task     ok     403    ok     403    ok     404    in     in     in     in
POST /supervision/inspections/{visit_id}/photos                     ok     403    403    403    403    403    in     in     in     in
POST /supervision/inspections/{visit_id}/results                    ok     403    403    403    403    403    in     in     in     in
POST /supervision/inspections/{visit_id}/submit                     ok     403    403    403    403    403    in     in     in     in
POST /supervision/rectification/new                                 ok     403    ok     403    ok     ok     in     in     in     in
POST /supervision/rectification/{task_id}/close                     ok     403    ok     403    ok     404    in     in     in     in
POST /supervision/rectification/{task_id}/recheck                   ok     403    ok     403    ok     404    in     in     in     in
POST /supervision/rectification/{task_id}/send-back                 ok     403    ok     403    ok     404    in     in     in     in
POST /supervision/rectification/{task_id}/start                     403    403    ok     403    403    404    in     in     in     in
POST /supervision/rectification/{task_id}/submit                    ok     403    ok     403    403    404    in     in     in     in
POST /supervision/rectification/{task_id}/verify                    ok     403    ok     403    ok     404    in     in     in     in
POST /supervision/misconduct                                        ok     403    ok     403    403    ok     in     in     in     in
POST /supervision/misconduct/{case_id}/bulletin                     404    404    404    404    404    404    in     in     in     in
POST /supervision/misconduct/{case_id}/dismiss                      404    404    404    404    404    404    in     in     in     in
POST /supervision/misconduct/{case_id}/finalise                     404    404    404    404    404    404    in     in     in     in
POST /supervision/misconduct/{case_id}/findings                     404    404    404    404    404    404    in     in     in     in
POST /supervision/misconduct/{case_id}/investigate                  404    404    404    404    404    404    in     in     in     in
POST /supervision/misconduct/{case_id}/rectification                404    404    404    404    404    404    in     in     in     in
POST /supervision/misconduct/{case_id}/sanctions                    404    404    404    404    404    404    in     in     in     in
POST /supervision/plans                                             ok     403    403    403    403    403    in     in     in     in
POST /supervision/plans/mystery/assignments                         ok     403    403    403    403    403    in     in     in     in
POST /supervision/plans/mystery/scenarios                           ok     403    403    403    403    403    in     in     in     in
POST /supervision/plans/remote                                      ok     403    403    403    403    403    in     in     in     in
POST /supervision/plans/spot                                        ok     403    403    403    403    403    in     in     in     in
POST /supervision/standards                                         ok     403    403    403    403    403    in     in     in     in
POST /visits/new                                                    ok     ok     ok     ok     403    ok     in     in     in     in
POST /visits/{reference}/approve                                    404    403    404    403    403    404    in     in     in     in
POST /visits/{reference}/assign                                     404    403    404    403    403    404    in     in     in     in
POST /visits/{reference}/refuse                                     404    403    404    403    403    404    in     in     in     in
POST /visits/{reference}/schedule                                   404    403    404    403    403    404    in     in     in     in
POST /visits/{reference}/arrive                                     404    404    404    404    403    404    in     in     in     in
POST /visits/{reference}/bundle                                     404    404    404    404    403    404    in     in     in     in
POST /visits/{reference}/cancel                                     404    404    404    404    403    404    in     in     in     in
POST /visits/{reference}/close                                      404    404    404    404    403    404    in     in     in     in
POST /visits/{reference}/photos                                     404    404    404    404    403    404    in     in     in     in
POST /workload/pulse                                                ok     ok     ok     ok     ok     ok     in     in     in     in
"""  # noqa: E501


# JSON bodies that pass validation, so that the answer shows the scope check behind it rather
# than a 422 for the empty body; other routes get `{}`.
BODIES: dict[str, dict[str, Any]] = {
    "POST /api/v1/lobby/outlets/{outlet}/tickets": {"service": "A"},
    "POST /api/v1/public/outlets/{outlet}/tickets": {"service": "A"},
    "POST /api/v1/appointments/{token}/change": {"start": "2026-12-01T10:00:00+08:00"},
    "POST /device/api/v1/lobby/appointments/check-in": {"code": "123456"},
    "PUT /api/v1/lobby/outlets/{outlet}/config": {"settings": {}, "services": [], "counters": []},
    "PUT /api/v1/lobby/tellers/{username}/skills": {"skills": []},
    "PUT /api/v1/lobby/outlets/{outlet}/counters/{number}/services": {"services": ["A"]},
    "POST /api/v1/lobby/outlets/{outlet}/pages": {"staff": [], "message": "请到柜台"},
    "POST /device/api/v1/lobby/tickets": {"service": "A"},
    "POST /device/api/v1/lobby/ratings": {"prompt_id": 1, "score": "satisfied"},
}


def expected_matrix() -> dict[str, dict[str, str]]:
    """MATRIX as {"METHOD /path": {persona: code}}."""
    rows: dict[str, dict[str, str]] = {}
    for line in MATRIX.strip().splitlines()[1:]:
        method, path, *codes = line.split()
        assert len(codes) == len(MATRIX_PERSONAS), line
        rows[f"{method} {path}"] = dict(zip(MATRIX_PERSONAS, codes, strict=True))
    return rows


def mutating_routes(db: Database, ids: dict[str, dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(method, route path, path with outlet A's ids) for every mutating route."""
    found = []
    for route in api_routes(make_client(db).app.routes):  # type: ignore[attr-defined]
        path = route.path
        for name in re.findall(r"{(\w+)}", route.path):
            path = path.replace("{" + name + "}", str(ids[name]["A"]))
        found += [(method, route.path, path) for method in sorted(route.methods & MUTATING)]
    # The outlet's configuration (replaced by an empty one) and signing out come last.
    return sorted(found, key=lambda row: (row[1] == "/signout", row[1].endswith("/config")))


def answer_code(response: Any, persona: str, route: str) -> str:
    """The code of MATRIX that an answer shows."""
    status, location = response.status_code, response.headers.get("location", "")
    to_sign_in = status == 303 and location.startswith("/signin")
    if route == "/signout" and persona in PERSONAS and to_sign_in:
        return "ok"  # signed out, and shown the sign-in page
    if to_sign_in or (status == 401 and "sign_in_required" in response.text):
        return "in"
    if (status == 303 and location == "/device/pair") or (
        status == 401 and "device_denied" in response.text
    ):
        return "pair"
    if status in (401, 403, 404) or status >= 500:
        return str(status)
    return "ok"


def test_the_matrix_names_every_mutating_route(db: Database, bank: Bank) -> None:
    routes = {
        f"{method} {route}" for method, route, _ in mutating_routes(db, fixture_ids(db, bank))
    }
    table = set(expected_matrix())
    assert not routes - table, f"routes without a row in MATRIX: {sorted(routes - table)}"
    assert not table - routes, f"rows in MATRIX without a route: {sorted(table - routes)}"


@pytest.mark.parametrize(
    ("database_url", "persona"), by_engine(MATRIX_PERSONAS), indirect=["database_url"]
)
def test_who_may_change_what(
    db: Database, worlds: WorldFiles, persona: str, frozen_clock: dt.datetime
) -> None:
    expected = expected_matrix()
    bank, ids = worlds.world(db, "counter", counter_bank_world)
    if persona in DEVICES:
        counter = None if persona == "kiosk" else 1
        client = device_client(db, bank.unit("OUT-A"), persona, counter)
    else:
        client = client_for(db, persona)
    signed_in = persona not in (ANONYMOUS, *DEVICES)
    token = csrf_of(client, "/account/password" if signed_in else "/signin")
    wrong = []
    for method, route, path in mutating_routes(db, ids):
        headers = {"x-csrf-token": token}
        if path.startswith(("/api/", "/device/api/")):
            body = BODIES.get(f"{method} {route}", {})
            response = client.request(method, path, json=body, headers=headers)
        else:
            response = client.request(method, path, data={"csrf_token": token}, headers=headers)
        row = f"{method} {route}"
        got = answer_code(response, persona, route)
        if row in expected and got != expected[row][persona]:
            wrong.append(f"{row}: {persona} expected {expected[row][persona]}, got {got}")
    assert not wrong, "\n".join(wrong)
