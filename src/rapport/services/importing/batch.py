"""Writing prepared lines in batches: customers first, then what refers to them; one commit per batch."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rapport.domain.errors import RecordRefused
from rapport.domain.records import ContactRecord, OrderRecord, SubscriptionRecord, UpsertOutcome
from rapport.policy import Policy
from rapport.services.importing.prepared import Prepared, Wire, customer_of, record_of
from rapport.services.importing.report import ImportReport
from rapport.services.ingestion.writer import IngestionWriter
from rapport.services.ports import UnitOfWork, UnitOfWorkFactory

DEPENDENT_KINDS = ("order", "subscription", "contact")


@dataclass
class BatchResult:
    """What one batch did, applied to the report only once its transaction committed."""

    customer_ids: dict[str, int] = field(default_factory=dict)
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)  # (kind, "inserted" | "updated")
    errors: list[tuple[int, str]] = field(default_factory=list)
    deferred: list[Prepared] = field(default_factory=list)


class BatchWriter:
    """Writes prepared lines a batch at a time; lines whose customer is not known yet wait.

    A line can refer to a customer defined later in the file: it is deferred, and retried once the
    whole file has been read (`finish`). Lines arrive checked against what the store can hold
    (`prepared.prepare`). A batch the store still refuses (`RecordRefused`: a constraint) is retried
    line by line, so one bad record cannot keep good ones out; other errors abort. Customers go through
    the ingestion writer (its identity rule: an e-mail another customer has means that customer). The
    format states loyalty and subscriptions itself: no signals.
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        *,
        merchant_id: int,
        currency: str,
        report: ImportReport,
        now: datetime,
        wire: Wire,
        policy: Policy | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.policy = policy
        self.now = now
        self.merchant_id = merchant_id
        self.currency = currency
        self.report = report
        self.wire = wire
        self.customer_ids: dict[str, int] = {}  # external id -> row id, of committed customers
        self.deferred: list[Prepared] = []

    def write(self, lines: Sequence[Prepared], *, final: bool = False) -> None:
        """Write these lines in one transaction (or one by one, if the database refuses the batch)."""
        if not lines:
            return
        try:
            result = self._commit(lines, final=final)
        except RecordRefused as exc:  # a record the store refuses; other errors abort
            if len(lines) == 1:
                number, kind, _, _ = lines[0]
                self.report.errors.append((number, f"{kind}: could not be stored: {exc.message}"))
                return
            for one in sorted(lines, key=lambda line: line[1] != "customer"):
                self.write([one], final=final)
            return
        self.customer_ids.update(result.customer_ids)
        for (kind, change), count in result.counts.items():
            self.report.count(kind, change, count)
        self.report.errors.extend(result.errors)
        self.deferred.extend(result.deferred)

    def finish(self, batch_size: int) -> None:
        """Write the lines that waited for a customer defined later; those still unresolved are errors."""
        waiting, self.deferred = self.deferred, []
        for start in range(0, len(waiting), batch_size):
            self.write(waiting[start : start + batch_size], final=True)

    def _commit(self, lines: Sequence[Prepared], *, final: bool) -> BatchResult:
        result = BatchResult()
        with self.uow_factory(write=True) as uow:
            writer = IngestionWriter(
                uow, merchant_id=self.merchant_id, currency=self.currency, now=self.now, policy=self.policy
            )
            customers = [line for line in lines if line[1] == "customer"]
            if customers:
                self._write_customers(writer, customers, result)
            others = [line for line in lines if line[1] != "customer"]
            if others:
                self._write_dependents(uow, writer, others, result, final=final)
            uow.commit()
        return result

    def _write_customers(self, writer: IngestionWriter, lines: list[Prepared], result: BatchResult) -> None:
        records = [customer_of(fields, self.wire) for _, _, _, fields in lines]
        written = writer.customers(records, only_newer=False, checked=True)
        for index, why in written.refused:
            result.errors.append((lines[index][0], f"customer: {why}"))
        for index, row_id in written.row_ids.items():
            result.customer_ids[lines[index][2]] = row_id
        for _, change in written.changes:
            result.counts["customer", change] += 1

    def _write_dependents(
        self,
        uow: UnitOfWork,
        writer: IngestionWriter,
        lines: list[Prepared],
        result: BatchResult,
        *,
        final: bool,
    ) -> None:
        # This batch's customers, then those of committed batches, then the store's (one query).
        known = {**self.customer_ids, **result.customer_ids}
        missing = {ref for _, _, ref, _ in lines if ref not in known}
        if missing:
            found = uow.customers.ids_by_external_id(merchant_id=self.merchant_id, external_ids=missing)
            result.customer_ids.update(found)
            known.update(found)
        ready: dict[str, list[Any]] = {kind: [] for kind in DEPENDENT_KINDS}
        wire = self.wire
        for line in lines:
            number, kind, ref, fields = line
            row_id = known.get(ref)
            if row_id is not None:
                ready[kind].append(record_of(kind, fields, row_id, wire))
            elif final:
                result.errors.append(
                    (number, f"{kind}: customer_id: no customer {ref!r} in this store or file")
                )
            else:
                result.deferred.append(line)
        if ready["order"]:
            orders: list[OrderRecord] = ready["order"]
            _count("order", orders, writer.orders(orders, only_newer=False, checked=True), result)
        if ready["subscription"]:
            subscriptions: list[SubscriptionRecord] = ready["subscription"]
            outcome = uow.subscriptions.upsert_many(merchant_id=self.merchant_id, records=subscriptions)
            _count("subscription", subscriptions, outcome, result)
        if ready["contact"]:
            contacts: list[ContactRecord] = ready["contact"]
            outcome = uow.contacts.upsert_many(merchant_id=self.merchant_id, records=contacts)
            _count("contact", contacts, outcome, result)


def _count(
    kind: str,
    records: Sequence[OrderRecord | SubscriptionRecord | ContactRecord],
    outcome: UpsertOutcome,
    result: BatchResult,
) -> None:
    # A record seen before (in the store, or earlier in this batch) is an update, in file order.
    seen = set(outcome.existing)
    updated = 0
    for record in records:
        ext = record.external_id
        if ext in seen:
            updated += 1
        else:
            seen.add(ext)
    result.counts[kind, "updated"] += updated
    result.counts[kind, "inserted"] += len(records) - updated
