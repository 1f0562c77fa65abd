"""A claimed follow-up worded like a reply: the segment's tone and the merchant's brand from its
policy, the customer's first name, and for a satisfaction survey the five signed one-click links."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import SecretStr

from rapport.domain.follow_ups import ClaimedFollowUp
from rapport.drafting.follow_ups import FollowUpFacts, draft_follow_up
from rapport.services.csat import survey_links
from rapport.services.tenancy import Tenant

SURVEY = "satisfaction_survey"


@dataclass(frozen=True, slots=True)
class CsatLinks:
    """Where survey answers go (`rapport serve`'s /csat) and the key that signs them; no secret: no links."""

    base_url: str
    secret: SecretStr
    valid_for: timedelta = timedelta(days=30)


class FollowUpWording:
    """The job's `FollowUpWriter`: `(subject, body)` of a claimed follow-up, or the drafter's refusal."""

    def __init__(
        self, tenant_of: Callable[[int], Tenant], clock: Callable[[], datetime], csat: CsatLinks | None = None
    ) -> None:
        self._tenant_of = tenant_of
        self._clock = clock
        self._csat = csat

    def __call__(self, follow_up: ClaimedFollowUp) -> tuple[str, str]:
        tenant = self._tenant_of(follow_up.merchant_id)
        _, tone = tenant.policy.tone_for(follow_up.segment)
        now = self._clock()
        facts = FollowUpFacts(
            segment=follow_up.segment,
            style=tone.style,
            first_name=follow_up.first_name or _first_word(follow_up.customer_name),
            ticket_id=follow_up.ticket_id,
            ticket_subject=follow_up.ticket_subject,
            intent=follow_up.intent,
            sender=follow_up.sender,
            brand=tenant.brand,
            survey_links=self._links(follow_up, now),
            now=now,
        )
        return draft_follow_up(follow_up.kind, facts)

    def _links(self, follow_up: ClaimedFollowUp, now: datetime) -> tuple[str, ...]:
        csat = self._csat
        if follow_up.kind != SURVEY or csat is None or not csat.secret.get_secret_value():
            return ()
        return survey_links(
            csat.base_url, follow_up.merchant_id, follow_up.ticket_id, csat.secret, now + csat.valid_for
        )


def _first_word(name: str | None) -> str | None:
    return name.split()[0] if name and name.strip() else None
