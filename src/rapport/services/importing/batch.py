"""Writing validated lines in batches: customers first, then what refers to them; one commit per batch."""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from rapport.domain.errors import RecordRefused
from rapport.domain.limits_of_store import ID_LENGTH, text_problem
from rapport.domain.records import (
    ContactRecord,
    CustomerRecord,
    LineItemRecord,
    OrderRecord,
    SubscriptionRecord,
    UpsertOutcome,
)
from rapport.policy import Policy
from rapport.services.importing.lines import AnyLine, ContactLine, CustomerLine, OrderLine, SubscriptionLine
from rapport.services.importing.report import ImportReport
from rapport.services.ingestion.writer import IngestionWriter
from rapport.services.ports import UnitOfWork, UnitOfWorkFactory

Numbered = tuple[int, AnyLine]  # (line number, record)
Dependent = OrderLine | SubscriptionLine | ContactLine
Record = OrderRecord | SubscriptionRecord | ContactRecord


@dataclass
class BatchResult:
    """What one batch did, applied to the report only once its transaction committed."""

    customer_ids: dict[str, int] = field(default_factory=dict)
    counts: list[tuple[str, str]] = field(default_factory=list)  # (kind, "inserted" | "updated")
    errors: list[tuple[int, str]] = field(default_factory=list)
    deferred: list[Numbered] = field(default_factory=list)


class BatchWriter:
    """Buffers lines and writes them a batch at a time; lines whose customer is not known yet wait.

    A line can refer to a customer defined later in the file: it is deferred, and retried once the
    whole file has been read (`finish`). Every record is checked against what the store can hold
    (`record.problem()`) before it is written, so a bad value rejects its own line. A batch the store
    still refuses (`RecordRefused`: a constraint) is retried line by line, so one bad record cannot keep
    good ones out; other errors abort. Customers go through the ingestion writer (its identity rule: an
    e-mail another customer has means that customer). The format states loyalty and subscriptions
    itself: no signals.
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        *,
        merchant_id: int,
        currency: str,
        report: ImportReport,
        now: datetime,
        policy: Policy | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.policy = policy
        self.now = now
        self.merchant_id = merchant_id
        self.currency = currency
        self.report = report
        self.customer_ids: dict[str, int] = {}  # external id -> row id, of committed customers
        self.deferred: list[Numbered] = []

    def write(self, lines: Sequence[Numbered], *, final: bool = False) -> None:
        """Write these lines in one transaction (or one by one, if the database refuses the batch)."""
        try:
            result = self._commit(lines, final=final)
        except RecordRefused as exc:  # a record the store refuses; other errors abort
            if len(lines) == 1:
                number, line = lines[0]
                self.report.errors.append((number, f"{line.kind}: could not be stored: {exc.message}"))
                return
            for one in sorted(lines, key=lambda n: n[1].kind != "customer"):
                self.write([one], final=final)
            return
        self.customer_ids.update(result.customer_ids)
        for kind, change in result.counts:
            self.report.count(kind, change)
        self.report.errors.extend(result.errors)
        self.deferred.extend(result.deferred)

    def finish(self, batch_size: int) -> None:
        """Write the lines that waited for a customer defined later; those still unresolved are errors."""
        waiting, self.deferred = self.deferred, []
        for start in range(0, len(waiting), batch_size):
            self.write(waiting[start : start + batch_size], final=True)

    def _commit(self, lines: Sequence[Numbered], *, final: bool) -> BatchResult:
        result = BatchResult()
        with self.uow_factory(write=True) as uow:
            writer = IngestionWriter(
                uow, merchant_id=self.merchant_id, currency=self.currency, now=self.now, policy=self.policy
            )
            customers = [(n, line) for n, line in lines if isinstance(line, CustomerLine)]
            self._write_customers(writer, customers, result)
            others = [(n, line) for n, line in lines if not isinstance(line, CustomerLine)]
            self._write_dependents(uow, writer, others, result, final=final)
            uow.commit()
        return result

    def _write_customers(
        self, writer: IngestionWriter, lines: list[tuple[int, CustomerLine]], result: BatchResult
    ) -> None:
        if not lines:
            return
        written = writer.customers([_customer(line) for _, line in lines], only_newer=False)
        for index, why in written.refused:
            result.errors.append((lines[index][0], f"customer: {why}"))
        for index, row_id in written.row_ids.items():
            result.customer_ids[lines[index][1].id] = row_id
        for _, change in written.changes:
            result.counts.append(("customer", change))

    def _write_dependents(
        self,
        uow: UnitOfWork,
        writer: IngestionWriter,
        lines: list[tuple[int, Dependent]],
        result: BatchResult,
        *,
        final: bool,
    ) -> None:
        # Looked up in this batch's customers first, then in those of committed batches (not copied).
        known = ChainMap(result.customer_ids, self.customer_ids)
        referring = []
        for number, line in lines:  # a reference the store cannot hold is not even looked up
            problem = text_problem(line.customer_id, "customer_id", ID_LENGTH)
            if problem is None:
                referring.append((number, line))
            else:
                result.errors.append((number, f"{line.kind}: {problem}"))
        lines = referring
        missing = {line.customer_id for _, line in lines if line.customer_id not in known}
        result.customer_ids.update(
            uow.customers.ids_by_external_id(merchant_id=self.merchant_id, external_ids=missing)
        )
        ready: dict[str, list[tuple[str, Record]]] = {"order": [], "subscription": [], "contact": []}
        for number, line in lines:
            ref = line.customer_id
            if ref in known:
                record = self._record(known[ref], line)
                problem = record.problem()  # what the store cannot hold rejects this line only
                if problem is None:
                    ready[line.kind].append((line.id, record))
                else:
                    result.errors.append((number, f"{line.kind}: {problem}"))
            elif final:
                result.errors.append(
                    (number, f"{line.kind}: customer_id: no customer {ref!r} in this store or file")
                )
            else:
                result.deferred.append((number, line))
        for kind, items in ready.items():
            if not items:
                continue
            records = [record for _, record in items]
            outcome: UpsertOutcome
            if kind == "order":
                outcome = writer.orders(records, only_newer=False, checked=True)  # type: ignore[arg-type]
            elif kind == "subscription":
                outcome = uow.subscriptions.upsert_many(merchant_id=self.merchant_id, records=records)  # type: ignore[arg-type]
            else:
                outcome = uow.contacts.upsert_many(merchant_id=self.merchant_id, records=records)  # type: ignore[arg-type]
            _count(kind, [ext for ext, _ in items], outcome, result)

    def _record(self, customer_id: int, line: Dependent) -> Record:
        if isinstance(line, OrderLine):
            return OrderRecord(
                external_id=line.id,
                customer_id=customer_id,
                name=line.name or f"#{line.id}",
                created_at=line.created_at,
                total=line.total,
                currency=line.currency or self.currency,
                financial_status=line.financial_status,
                fulfillment_status=line.fulfillment_status,
                cancelled_at=line.cancelled_at,
                updated_at=line.updated_at,
                line_items=tuple(
                    LineItemRecord(i.title, i.quantity, i.price, i.sku) for i in line.line_items
                ),
            )
        if isinstance(line, SubscriptionLine):
            return SubscriptionRecord(
                external_id=line.id,
                customer_id=customer_id,
                status=line.status,
                currency=line.currency or self.currency,
                product=line.product,
                price=line.price,
                next_billing_at=line.next_billing_at,
            )
        granted = line.granted
        return ContactRecord(
            external_id=line.id,
            customer_id=customer_id,
            created_at=line.created_at,
            intent=line.intent,
            outcome=line.outcome,
            granted_offer=granted.offer.value if granted else None,
            granted_amount=granted.amount if granted else None,
            granted_currency=(granted.currency or self.currency) if granted else None,
        )


def _customer(line: CustomerLine) -> CustomerRecord:
    return CustomerRecord(
        external_id=line.id,
        email=line.email,
        first_name=line.first_name,
        last_name=line.last_name,
        locale=line.locale,
        created_at=line.created_at,
        tags=tuple(line.tags),
        loyalty_tier=line.loyalty_tier,
        loyalty_points=line.loyalty_points,
        accepts_marketing=line.accepts_marketing,
        updated_at=line.updated_at,
    )


def _count(kind: str, external_ids: list[str], outcome: UpsertOutcome, result: BatchResult) -> None:
    # A record seen before (in the store, or earlier in this batch) is an update, in file order.
    seen = set(outcome.existing)
    for ext in external_ids:
        result.counts.append((kind, "updated" if ext in seen else "inserted"))
        seen.add(ext)
