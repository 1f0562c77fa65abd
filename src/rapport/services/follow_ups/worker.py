"""A follow-up worker's parts, assembled once (by `rapport.bootstrap`): what one run of the job needs,
for the in-process runner, the procrastinate tasks and the commands alike."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from rapport.services.follow_ups.jobs import FollowUpWriter, JobSettings, RunReport, send_all_due
from rapport.services.follow_ups.ports import FollowUpSender
from rapport.services.follow_ups.store_port import FollowUpUnitOfWorkFactory


@dataclass(frozen=True)
class FollowUpWorker:
    units: FollowUpUnitOfWorkFactory
    senders: Mapping[str, FollowUpSender]  # by the policy rule's channel
    write: FollowUpWriter
    settings: JobSettings
    clock: Callable[[], datetime]

    def run_once(self) -> RunReport:
        """Send what is due now, batch after batch, until a batch comes back short."""
        return send_all_due(
            self.units, senders=self.senders, write=self.write, clock=self.clock, settings=self.settings
        )

    def count_due(self) -> int:
        with self.units() as uow:
            return uow.follow_ups.count_due(now=self.clock())
