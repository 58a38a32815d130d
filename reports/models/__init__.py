"""Models of the reports app, split by subject."""

from .audit import AccessLog
from .complaint import (
    Attachment,
    CaseLink,
    CaseNumberSequence,
    Complaint,
    ComplaintGround,
    ComplaintGroupObjectPermission,
    ComplaintHandling,
    ComplaintHistory,
    ComplaintStatusCount,
    ComplaintUserObjectPermission,
    Message,
    Note,
    UnreadCase,
)
from .desk import Desk, DeskMunicipality
from .incident import CaseJob, Incident, IncidentGround
from .outbox import OutboundEmail
from .reference import Municipality, MunicipalityList, MunicipalityMerger, Office
from .reply_templates import ReplyTemplate
from .reports import (
    OFFICE_SCOPE,
    AnnualReport,
    MunicipalityGroupObjectPermission,
    MunicipalityUserObjectPermission,
)
from .statistics import AnnualSnapshot, StatisticsRun
from .team import Team
from .throttle import Throttle

__all__ = [
    "CaseJob",
    "Incident",
    "IncidentGround",
    "OFFICE_SCOPE",
    "AnnualReport",
    "MunicipalityGroupObjectPermission",
    "MunicipalityUserObjectPermission",
    "OutboundEmail",
    "AccessLog",
    "Attachment",
    "Message",
    "Team",
    "Throttle",
    "AnnualSnapshot",
    "CaseLink",
    "CaseNumberSequence",
    "Complaint",
    "Desk",
    "DeskMunicipality",
    "ComplaintGround",
    "ComplaintGroupObjectPermission",
    "ComplaintHandling",
    "ComplaintHistory",
    "ComplaintStatusCount",
    "ComplaintUserObjectPermission",
    "Municipality",
    "MunicipalityList",
    "MunicipalityMerger",
    "Note",
    "Office",
    "ReplyTemplate",
    "UnreadCase",
    "StatisticsRun",
]
