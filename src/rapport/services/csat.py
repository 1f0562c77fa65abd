"""CSAT: a signed one-click link per score in the satisfaction survey, and the answer it records.

A link is `{base_url}/csat/{token}`; the token names the merchant, the ticket, the score and when the
link expires, and ends with an HMAC-SHA256 of those, keyed with `RAPPORT_CSAT_SECRET`. Nothing else
authenticates a click: whoever holds the link may answer for that ticket with that score, until it
expires. The answer lands on the ticket as a `ticket_events` row, kind `csat_answered`, detail
`{"score": n}`. A ticket has one answer, the latest: a click on another score of the same survey
records a new `csat_answered` row with the new score (the report reads the latest per ticket); a click
on the score already recorded writes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import SecretStr

from rapport.domain.desk import Actor, Role
from rapport.domain.errors import RapportError
from rapport.services.ports import UnitOfWorkFactory

EVENT = "csat_answered"
SCORES = range(1, 6)
_VERSION = "c1"
_TOKEN = re.compile(r"^c1\.(\d{1,12})\.(\d{1,12})\.([1-5])\.(\d{1,12})\.([A-Za-z0-9_-]{43})$")
CUSTOMER = "customer (CSAT link)"  # the event log's actor: a click is no person or key of the desk


class CsatLinkInvalid(RapportError):
    """The link is malformed, forged, or names a ticket its merchant does not have."""

    code = "csat_link_invalid"


class CsatLinkExpired(RapportError):
    """The link was genuine but is past its expiry."""

    code = "csat_link_expired"


class CsatDisabled(RapportError):
    """No `RAPPORT_CSAT_SECRET` is set: no link can be made or checked."""

    code = "csat_disabled"


@dataclass(frozen=True, slots=True)
class CsatClaim:
    """What a verified token says."""

    merchant_id: int
    ticket_id: int
    score: int
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class CsatAnswer:
    """The recorded answer: `changed` is False when the ticket already had this score."""

    merchant_id: int
    ticket_id: int
    score: int
    changed: bool


def survey_link(
    base_url: str,
    merchant_id: int,
    ticket_id: int,
    score: int,
    secret: SecretStr | str,
    expires_at: datetime,
) -> str:
    """The one-click link that answers `score` (1-5) for the ticket, valid until `expires_at`."""
    if score not in SCORES:
        raise ValueError(f"a CSAT score is 1 to 5, not {score}")
    expires = int(expires_at.timestamp())
    payload = f"{_VERSION}.{merchant_id}.{ticket_id}.{score}.{expires}"
    return f"{base_url.rstrip('/')}/csat/{payload}.{_signature(payload, _key(secret))}"


def survey_links(
    base_url: str, merchant_id: int, ticket_id: int, secret: SecretStr | str, expires_at: datetime
) -> tuple[str, ...]:
    """The five links of one survey, scores 1 to 5 in order (`FollowUpFacts.survey_links`)."""
    return tuple(survey_link(base_url, merchant_id, ticket_id, s, secret, expires_at) for s in SCORES)


def verify(token: str, *, secret: SecretStr | str, now: datetime) -> CsatClaim:
    """The claim of a genuine, unexpired token; else `CsatLinkInvalid` or `CsatLinkExpired`."""
    key = _key(secret)
    match = _TOKEN.match(token)
    if match is None:
        raise CsatLinkInvalid("this survey link is not one of ours")
    payload, sent = token.rsplit(".", 1)
    if not hmac.compare_digest(_signature(payload, key).encode(), sent.encode()):
        raise CsatLinkInvalid("this survey link is not one of ours")
    merchant_id, ticket_id, score, expires = (int(match.group(i)) for i in range(1, 5))
    expires_at = datetime.fromtimestamp(expires, UTC)
    if now >= expires_at:
        raise CsatLinkExpired(f"this survey link expired on {expires_at.date().isoformat()}")
    return CsatClaim(merchant_id=merchant_id, ticket_id=ticket_id, score=score, expires_at=expires_at)


def record_answer(
    uow_factory: UnitOfWorkFactory, *, token: str, secret: SecretStr | str, now: datetime
) -> CsatAnswer:
    """Verify the token and record its score on the ticket (the latest click wins)."""
    claim = verify(token, secret=secret, now=now)
    with uow_factory(write=True) as uow:
        # The lock orders two clicks on the same ticket and proves the ticket is the merchant's.
        if uow.desk.lock(merchant_id=claim.merchant_id, ticket_id=claim.ticket_id) is None:
            raise CsatLinkInvalid("this survey link is not one of ours")
        answers = uow.desk.events(merchant_id=claim.merchant_id, ticket_id=claim.ticket_id, kind=EVENT)
        current = (answers[-1].detail or {}).get("score") if answers else None
        changed = current != claim.score
        if changed:
            uow.desk.add_event(
                merchant_id=claim.merchant_id,
                ticket_id=claim.ticket_id,
                kind=EVENT,
                at=now,
                actor=Actor(merchant_id=claim.merchant_id, role=Role.AGENT, label=CUSTOMER),
                from_status=None,
                to_status=None,
                detail={"score": claim.score},
            )
            uow.commit()
    return CsatAnswer(
        merchant_id=claim.merchant_id, ticket_id=claim.ticket_id, score=claim.score, changed=changed
    )


def _key(secret: SecretStr | str) -> bytes:
    value = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    if not value:
        raise CsatDisabled("survey links are disabled: RAPPORT_CSAT_SECRET is not set")
    return value.encode()


def _signature(payload: str, key: bytes) -> str:
    digest = hmac.new(key, f"rapport-csat:{payload}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
