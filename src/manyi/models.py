"""Imports every feature's tables so that `Base.metadata` knows them all."""

from manyi.approvals.tables import PendingChange
from manyi.audit.tables import AuditEvent, AuditHead
from manyi.cockpit.tables import (
    CockpitDaily,
    CockpitHourly,
    CockpitImportedDaily,
    CockpitOutletMonthly,
    CockpitOutletRecent,
    CockpitOutletWindow,
    CockpitRollupDirty,
    CockpitRollupState,
    CockpitUnitDaily,
)
from manyi.complaints.praise_tables import ComplaintPraise
from manyi.complaints.tables import (
    Complaint,
    ComplaintAttachment,
    ComplaintCategory,
    ComplaintConsultation,
    ComplaintEvent,
    ComplaintExpert,
    ComplaintExtension,
    ComplaintNamedStaff,
    ComplaintPolicy,
    ComplaintSupervision,
)
from manyi.counter.tables import (
    CounterAuthorisation,
    CounterBundle,
    CounterBundleItem,
    CounterBundleMeasure,
    CounterCorrection,
    CounterPrefill,
    CounterSignature,
    CounterTransactionType,
    CounterVoucher,
)
from manyi.db import Base
from manyi.event_outbox import StreamOutboxRow
from manyi.forecast.tables import AdviceRow, AdviceState, PredictorChoice
from manyi.guidance.outreach_tables import OutreachEvent, OutreachPhoto, OutreachStaff
from manyi.guidance.selfcheck_tables import SelfCheckAnswer, SelfCheckRound
from manyi.guidance.tables import GuidanceEncounter, GuidanceMachine
from manyi.guidance.training_tables import (
    GuidanceAssignment,
    GuidanceAttempt,
    GuidanceCase,
    GuidanceModule,
    GuidanceModuleCase,
)
from manyi.insight.classifier_tables import AutoApplySetting, ClassifierModel, ClassifierSuggestion
from manyi.insight.tables import IssueAlert, IssueCategoryRow, OpinionRow
from manyi.lobby.tables import (
    LobbyAlert,
    LobbyCounter,
    LobbyEventRow,
    LobbyService,
    LobbySettings,
    LobbyTicket,
    Rating,
    RatingPrompt,
    TellerSkill,
    TicketSequence,
)
from manyi.notify.tables import NotifyMessage
from manyi.org.tables import DeviceToken, Staff, StaffRole, Unit
from manyi.quality.survey_tables import (
    SurveyDefinitionRow,
    SurveyInvitation,
    SurveyRule,
    SurveyScanPosition,
)
from manyi.quality.tables import QualityResponse
from manyi.ratelimit import RateLimitHit
from manyi.reach.appointment_tables import (
    Appointment,
    AppointmentCode,
    AppointmentRules,
    AppointmentSlotCount,
)
from manyi.reach.tables import (
    ReachConsent,
    ReachContact,
    ReachMessage,
    ReachTemplate,
    ReachTicketWatch,
)
from manyi.special.tables import SpecialVisit, SpecialVisitPhoto
from manyi.stream.tables import StreamProcessed
from manyi.supervision.inspection_tables import (
    InspectionResult,
    InspectionVisit,
    ServiceStandard,
)
from manyi.supervision.misconduct_tables import (
    MisconductBulletin,
    MisconductCase,
    MisconductDeadlineNotice,
    MisconductParty,
    MisconductSanction,
)
from manyi.supervision.plan_tables import (
    InspectionPlan,
    MysteryAssignment,
    MysteryScenario,
    RemoteCheck,
)
from manyi.supervision.rectification_tables import (
    RectificationEscalation,
    RectificationEvidence,
    RectificationSubmission,
    RectificationTask,
)
from manyi.supervision.stars_tables import StarNomination, StarProgramme
from manyi.workdays.tables import WorkdayCalendarVersion, WorkdayDay, WorkdayYear
from manyi.worker_leases import WorkerLease
from manyi.workload.tables import PulseAnswer, PulseAnswered, ServiceWeight

__all__ = [
    "AdviceRow",
    "AdviceState",
    "Appointment",
    "AppointmentCode",
    "AppointmentRules",
    "AppointmentSlotCount",
    "AuditEvent",
    "AuditHead",
    "AutoApplySetting",
    "Base",
    "ClassifierModel",
    "ClassifierSuggestion",
    "CockpitDaily",
    "CockpitHourly",
    "CockpitImportedDaily",
    "CockpitOutletMonthly",
    "CockpitOutletRecent",
    "CockpitOutletWindow",
    "CockpitRollupDirty",
    "CockpitRollupState",
    "CockpitUnitDaily",
    "Complaint",
    "ComplaintAttachment",
    "ComplaintCategory",
    "ComplaintConsultation",
    "ComplaintEvent",
    "ComplaintExpert",
    "ComplaintExtension",
    "ComplaintNamedStaff",
    "ComplaintPolicy",
    "ComplaintPraise",
    "ComplaintSupervision",
    "CounterAuthorisation",
    "CounterBundle",
    "CounterBundleItem",
    "CounterBundleMeasure",
    "CounterCorrection",
    "CounterPrefill",
    "CounterSignature",
    "CounterTransactionType",
    "CounterVoucher",
    "DeviceToken",
    "GuidanceAssignment",
    "GuidanceAttempt",
    "GuidanceCase",
    "GuidanceEncounter",
    "GuidanceMachine",
    "GuidanceModule",
    "GuidanceModuleCase",
    "InspectionPlan",
    "InspectionResult",
    "InspectionVisit",
    "IssueAlert",
    "IssueCategoryRow",
    "LobbyAlert",
    "LobbyCounter",
    "LobbyEventRow",
    "LobbyService",
    "LobbySettings",
    "LobbyTicket",
    "MisconductBulletin",
    "MisconductCase",
    "MisconductDeadlineNotice",
    "MisconductParty",
    "MisconductSanction",
    "MysteryAssignment",
    "MysteryScenario",
    "NotifyMessage",
    "OpinionRow",
    "OutreachEvent",
    "OutreachPhoto",
    "OutreachStaff",
    "PendingChange",
    "PredictorChoice",
    "PulseAnswer",
    "PulseAnswered",
    "QualityResponse",
    "RateLimitHit",
    "Rating",
    "RatingPrompt",
    "ReachConsent",
    "ReachContact",
    "ReachMessage",
    "ReachTemplate",
    "ReachTicketWatch",
    "RectificationEscalation",
    "RectificationEvidence",
    "RectificationSubmission",
    "RectificationTask",
    "RemoteCheck",
    "SelfCheckAnswer",
    "SelfCheckRound",
    "ServiceStandard",
    "ServiceWeight",
    "SpecialVisit",
    "SpecialVisitPhoto",
    "Staff",
    "StaffRole",
    "StarNomination",
    "StarProgramme",
    "StreamOutboxRow",
    "StreamProcessed",
    "SurveyDefinitionRow",
    "SurveyInvitation",
    "SurveyRule",
    "SurveyScanPosition",
    "TellerSkill",
    "TicketSequence",
    "Unit",
    "WorkdayCalendarVersion",
    "WorkdayDay",
    "WorkdayYear",
    "WorkerLease",
]
