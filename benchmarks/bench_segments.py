"""`rapport segments count` at scale: one SQL statement against the engine run on every profile.

Builds a store of N customers (default 100,000) with `rapport synth`'s generator and bulk loader
(rapport.services.synthetic_store, rapport.store.bulk_load: skewed spend, repeat buyers with line items,
~8 % active subscriptions, loyalty tags and tiers, past contacts with grants), then measures, in the same run:
  - sql:     `services.segments.count_segments` with every rule translated (one statement), median of 3;
  - python:  the Python path (profile + engine per customer) on the first `--sample` customers, and that
             time scaled linearly to the whole store (the path is one profile per customer, so it is linear);
  - reference: `SELECT count(*) FROM customers` and one full aggregate over the orders table, the floor
             any per-customer count has to pay.
for the default policy (reads spend, order count, subscription, tags) and a "wide" policy whose rules read
every group of facts (orders with tenure and averages, contacts and ledger grants, tiers, points).
`--smoke` (2,000 customers) also runs the Python path over the whole store and checks that both paths
give the same sizes; it runs in CI.

Measured 2026-12-04 on this 2-core machine, shared with other sessions (load averages as printed; CPU is
the statement's: this process's on SQLite, the server backend's on PostgreSQL), after the covering index
on orders (migration 0006) and the count's rewrite, on stores this script built (1M customers, 4.49M
orders; `--store /tmp/seg1m.db`, and `--database postgresql+psycopg://postgres@127.0.0.1:5432/test
--schema seg1m`), median of 3:
  sqlite (load 3.0 -> 3.2): default policy 2.18 s (CPU 2.05 s), wide 6.39 s (CPU 4.91 s); orders
    GROUP BY customer alone 0.83 s (CPU 0.52 s). The statement before the rewrite, same store, sqlite3
    shell: CPU 7.9 s without the index, 5.6 s with it (default); wide took 10.6 s of CPU before the
    `IN` lists were written inline.
  postgresql 15 (load 3.3 -> 4.8): default 4.82 s (CPU 2.40 s), wide 6.02 s (backend CPU 1.87 s, plus
    parallel workers); GROUP BY alone 1.91 s (CPU 0.95 s). A run at load 5.3 -> 4.6: default 3.06 s,
    wide 3.81 s. The statement before: 9-16 s at load 10-20 (hashed aggregates and join).
The Python path is 1-3 ms per customer here (~1,000-3,000 s for 1M).
Measured 2026-12-03 (before): sqlite 1M / 3.62M orders default 6.05 s, wide 9.01 s; postgresql 4.04 s,
5.42 s; the orders GROUP BY alone 1.65-2.34 s.

Run: .venv/bin/python benchmarks/bench_segments.py [--customers 100000] [--orders-per-customer 4.5]
     [--sample 1000] [--database PG_URL [--schema NAME (kept, reused if built)]]
     [--store FILE.db (kept, reused if present)] [--smoke] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench_concurrency import postgres_schema
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

from rapport.policy import Policy, Segment, default_policy
from rapport.services.segments import count_segments, translated_rules
from rapport.services.synthetic_store import WITH_IDS, SyntheticStore, batches
from rapport.store.bulk_load import empty_merchant, load, next_ids
from rapport.store.database import make_engine, session_factory, upgrade
from rapport.store.models import Customer, Merchant, Order
from rapport.store.unit_of_work import UnitsOfWork, factory_for

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
WIDE_RULES = (
    ("vip", "customer.total_spent >= 2000.0 || (customer.orders_count >= 10 && customer.tenure_days > 365)"),
    ("at_risk", "customer.granted_last_90d > 50.0 || customer.contacts_last_90d >= 3"),
    ("gold", "customer.loyalty_tier in ['gold', 'platinum'] && customer.average_order_value > 60.0"),
    ("subscriber", "customer.has_active_subscription && !('wholesale' in customer.tags)"),
    (
        "regular",
        "customer.orders_count * 10 + customer.loyalty_points / 100 >= 30 || customer.open_orders > 1",
    ),
    ("first_time", "customer.orders_count <= 1"),
    ("standard", "true"),
)


def wide_policy() -> Policy:
    segments = [Segment(name=name, when=rule) for name, rule in WIDE_RULES]
    return default_policy().model_copy(update={"segments": segments})


# -- the store ---------------------------------------------------------------------------------------
def build_store(engine: Engine, *, customers: int, orders_per_customer: float, seed: int) -> int:
    """Writes the merchant "bench" and its synthetic store (`rapport synth`'s); returns the merchant id."""
    merchant_id = empty_merchant(engine, slug="bench", currency="USD")
    store = SyntheticStore(customers=customers, now=NOW, orders_per_customer=orders_per_customer, seed=seed)
    first_ids = next_ids(engine, WITH_IDS)
    load(engine, batches(store, merchant_id=merchant_id, first_ids=first_ids), in_child=True)
    if engine.dialect.name == "postgresql":
        # What autovacuum does after a bulk load (its statistics, and the visibility map that lets
        # the count read orders from the covering index alone); a server may run with it off.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM (ANALYZE)"))
    return merchant_id


# -- the measurements --------------------------------------------------------------------------------
def _median_seconds(runs: int, work: Any, cpu: Any = None) -> tuple[float, float | None, Any]:
    """Median wall seconds of `runs` runs of `work`, median CPU seconds by `cpu` (or None), last result."""
    times, cpu_times, result = [], [], None
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), cpu() if cpu else 0.0
        result = work()
        times.append(time.perf_counter() - started)
        cpu_times.append(cpu() - cpu_started if cpu else 0.0)
    return statistics.median(times), statistics.median(cpu_times) if cpu else None, result


def _statement_cpu(engine: Engine) -> Any:
    """A clock of the CPU the store spends on statements: this process's on SQLite (it runs in it), the
    server process's on a PostgreSQL on this machine (read from /proc; the pool hands the same single
    connection back to every run; parallel workers are not counted), else None."""
    if engine.dialect.name == "sqlite":
        return time.process_time
    with engine.connect() as connection:
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():
        return None
    ticks = os.sysconf("SC_CLK_TCK")

    def seconds() -> float:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime

    return seconds


def _python_sample(units: UnitsOfWork, merchant_id: int, policy: Policy, sample: int) -> float:
    """Seconds the Python path takes for the first `sample` customers (profile + engine each)."""
    from rapport.engine.facts import customer_facts
    from rapport.engine.segmenting import choose_segment
    from rapport.services.segments import no_order_facts

    started = time.perf_counter()
    with units() as uow:
        emails = uow.customers.emails_page(merchant_id=merchant_id, after=None, limit=sample)
        for email in emails:
            profile = uow.profiles.get_profile(merchant_id=merchant_id, email=email, now=NOW)
            choose_segment(policy, {"customer": customer_facts(profile), **no_order_facts(NOW)})
    return time.perf_counter() - started


def _references(engine: Engine, cpu: Any) -> dict[str, Any]:
    def count_customers() -> None:
        with engine.connect() as connection:
            connection.execute(select(func.count()).select_from(Customer)).scalar_one()

    def group_orders() -> None:
        per_customer = select(Order.customer_id, func.sum(Order.total).label("spent")).group_by(
            Order.customer_id
        )
        spent = per_customer.subquery()
        with engine.connect() as connection:
            connection.execute(select(func.count(), func.sum(spent.c.spent))).one()

    customers, _, _ = _median_seconds(1, count_customers)
    grouped, grouped_cpu, _ = _median_seconds(3, group_orders, cpu)
    return {
        "count_customers_s": round(customers, 3),
        "orders_group_by_customer_s": round(grouped, 3),
        "orders_group_by_customer_cpu_s": None if grouped_cpu is None else round(grouped_cpu, 3),
    }


def measure(engine: Engine, merchant_id: int, customers: int, *, sample: int, smoke: bool) -> dict[str, Any]:
    units = factory_for(session_factory(engine))
    cpu = _statement_cpu(engine)
    figures: dict[str, Any] = {
        "backend": engine.dialect.name,
        "customers": customers,
        "references": _references(engine, cpu),
    }
    for label, policy in (("default", default_policy()), ("wide", wide_policy())):
        assert not translated_rules(policy, NOW)[1], "every benchmark rule must translate"
        seconds, cpu_seconds, counted = _median_seconds(
            3, lambda p=policy: count_segments(units, merchant_id=merchant_id, policy=p, now=NOW), cpu
        )
        assert counted.method == "sql"
        python_sample = _python_sample(units, merchant_id, policy, min(sample, customers))
        per_customer = python_sample / min(sample, customers)
        entry: dict[str, Any] = {
            "sql_median_s": round(seconds, 3),
            "sql_cpu_median_s": None if cpu_seconds is None else round(cpu_seconds, 3),
            "sql_vs_group_by": round(seconds / figures["references"]["orders_group_by_customer_s"], 2),
            "python_sample_customers": min(sample, customers),
            "python_sample_s": round(python_sample, 3),
            "python_extrapolated_s": round(per_customer * customers, 1),
            "speedup": round(per_customer * customers / seconds, 1),
            "sizes": {s.name: s.customers for s in counted.segments},
        }
        if smoke:
            # The whole Python path (a rule it cannot translate forces it) must find the same sizes.
            forced = policy.model_copy(
                update={
                    "segments": [
                        *policy.segments[:-1],
                        Segment(name=policy.segments[-1].name, when="size([]) == 0"),
                    ]
                }
            )
            python = count_segments(units, merchant_id=merchant_id, policy=forced, now=NOW)
            assert python.method == "python"
            assert [s.customers for s in python.segments] == [s.customers for s in counted.segments], label
            entry["python_agrees"] = True
        figures[label] = entry
    return figures


@contextlib.contextmanager
def _database(args: argparse.Namespace) -> Iterator[tuple[Engine, bool]]:
    """The engine to measure on, and whether its store still has to be built."""
    if args.database and args.schema:
        engine = make_engine(_kept_schema(args.database, args.schema))
        upgrade(engine)
        yield engine, not _has_bench_merchant(engine)
        engine.dispose()
        return
    if args.database:
        with postgres_schema(args.database) as url:  # a fresh schema, dropped afterwards
            engine = make_engine(url)
            upgrade(engine)
            yield engine, True
            engine.dispose()
        return
    if args.store:
        fresh = not Path(args.store).exists()
        engine = make_engine(f"sqlite:///{args.store}")
        upgrade(engine)
        yield engine, fresh
        engine.dispose()
        return
    with tempfile.TemporaryDirectory() as directory:
        engine = make_engine(f"sqlite:///{directory}/bench.db")
        upgrade(engine)
        yield engine, True
        engine.dispose()


def _kept_schema(url: str, schema: str) -> str:
    """A URL on the server at `url` that uses `schema`, created when missing and kept afterwards."""
    if not schema.isidentifier():
        raise SystemExit(f"--schema {schema!r}: a schema name is letters, digits and underscores")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    admin.dispose()
    options = {"options": f"-csearch_path={schema}"}
    return make_url(url).update_query_dict(options).render_as_string(hide_password=False)


def _has_bench_merchant(engine: Engine) -> bool:
    with engine.connect() as connection:
        found = connection.execute(select(Merchant.id).where(Merchant.slug == "bench")).first()
    return found is not None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders-per-customer", type=float, default=4.5)
    parser.add_argument("--sample", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--database", help="a PostgreSQL server URL: the store is built in a fresh schema")
    parser.add_argument("--store", help="an SQLite file kept between runs (built when missing)")
    parser.add_argument(
        "--schema", help="with --database: a schema kept between runs (built when it has no store yet)"
    )
    parser.add_argument("--smoke", action="store_true", help="2,000 customers; also checks both paths agree")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    customers = 2_000 if args.smoke else args.customers
    load_before = os.getloadavg()
    with _database(args) as (engine, fresh):
        build_s = 0.0
        if fresh:
            started = time.perf_counter()
            merchant_id = build_store(
                engine, customers=customers, orders_per_customer=args.orders_per_customer, seed=args.seed
            )
            build_s = time.perf_counter() - started
        else:
            with engine.connect() as connection:
                merchant_id = connection.execute(
                    select(Merchant.id).where(Merchant.slug == "bench")
                ).scalar_one()
                customers = connection.execute(select(func.count()).select_from(Customer)).scalar_one()
        figures = measure(engine, merchant_id, customers, sample=args.sample, smoke=args.smoke)
    figures["build_s"] = round(build_s, 1)
    figures["loadavg_before"] = [round(x, 2) for x in load_before]
    figures["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    if args.json:
        print(json.dumps(figures))  # one line: tests/test_benchmarks_smoke.py reads JSON lines
        return
    print(
        f"{figures['backend']}: {customers:,} customers (store built in {build_s:.1f} s); load average "
        f"{figures['loadavg_before']} -> {figures['loadavg_after']}"
    )
    references = figures["references"]
    print(
        f"  reference: count(*) customers {references['count_customers_s']} s, orders GROUP BY customer "
        f"{references['orders_group_by_customer_s']} s "
        f"(median of 3{_cpu(references, 'orders_group_by_customer')})"
    )
    for label in ("default", "wide"):
        entry = figures[label]
        print(
            f"  {label:8} sql {entry['sql_median_s']:.3f} s (median of 3{_cpu(entry, 'sql')}; "
            f"{entry['sql_vs_group_by']}x the GROUP BY) | "
            f"python {entry['python_sample_s']:.2f} s for "
            f"{entry['python_sample_customers']:,} -> {entry['python_extrapolated_s']:,.0f} s for all "
            f"({entry['speedup']:,.0f}x)" + (" | both paths agree" if entry.get("python_agrees") else "")
        )


def _cpu(entry: dict[str, Any], key: str) -> str:
    seconds = entry.get(f"{key}_cpu_s", entry.get(f"{key}_cpu_median_s"))
    return "" if seconds is None else f", CPU {seconds:.2f} s"


if __name__ == "__main__":
    main()
