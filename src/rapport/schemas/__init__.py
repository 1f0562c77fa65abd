"""Every wire format of Rapport, in one place: what the CLI prints, the API answers and the store keeps.

Each model is built from domain values with `from_domain(...)` and written with
`.model_dump(mode="json")` (or by FastAPI, which also publishes it in the OpenAPI schema).
This package imports only `rapport.domain`, `rapport.policy` and pydantic.
"""

from rapport.schemas.customers import CustomerOut, CustomerRef, LineItemOut, OrderOut
from rapport.schemas.decisions import (
    STORED_DECISION_VERSION,
    DecisionOut,
    FollowUpOut,
    ResolutionOut,
    StoredDecision,
    ToneOut,
)
from rapport.schemas.desk import TicketCreatedOut, TicketCreateIn, TicketOut
from rapport.schemas.draft_check import DraftCheck, DraftCheckLine, read_draft_check_line
from rapport.schemas.drafts import DraftOut, DraftResponse, GuardrailsOut, ViolationOut
from rapport.schemas.errors import ErrorBody, ErrorDetail
from rapport.schemas.health import HealthOut
from rapport.schemas.tickets import EntityOut, SignalOut, TicketIn, TriageOut
from rapport.schemas.values import Instant, InstantIn, Money, Percent, money, parse_instant

__all__ = [
    "STORED_DECISION_VERSION",
    "CustomerOut",
    "CustomerRef",
    "DecisionOut",
    "DraftCheck",
    "DraftCheckLine",
    "DraftOut",
    "DraftResponse",
    "EntityOut",
    "ErrorBody",
    "ErrorDetail",
    "FollowUpOut",
    "GuardrailsOut",
    "HealthOut",
    "Instant",
    "InstantIn",
    "LineItemOut",
    "Money",
    "OrderOut",
    "Percent",
    "ResolutionOut",
    "SignalOut",
    "StoredDecision",
    "TicketCreateIn",
    "TicketCreatedOut",
    "TicketIn",
    "TicketOut",
    "ToneOut",
    "TriageOut",
    "ViolationOut",
    "money",
    "parse_instant",
    "read_draft_check_line",
]
