"""The `rapport` command end to end, on a real SQLite file in a temporary folder."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rapport.cli.main import app

DATA = Path(__file__).parent / "data"
NOW = "2026-11-20T12:00:00+00:00"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh folder with its own database, as a merchant trying Rapport would have."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RAPPORT_DATABASE_URL", f"sqlite:///{tmp_path / 'rapport.db'}")
    monkeypatch.delenv("RAPPORT_POLICY_PATH", raising=False)
    monkeypatch.delenv("RAPPORT_MERCHANT", raising=False)
    return tmp_path


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def store(workdir: Path, runner: CliRunner) -> Path:
    """An initialised store with a VIP (Dana), a first-time buyer (Lena) and a subscriber (Sam)."""
    assert runner.invoke(app, ["init"]).exit_code == 0
    shutil.copy(DATA / "store.jsonl", workdir / "store.jsonl")
    result = runner.invoke(app, ["import", "store.jsonl"])
    assert result.exit_code == 0, result.output
    return workdir


def triage_json(runner: CliRunner, *args: str) -> dict:
    result = runner.invoke(app, ["triage", "--now", NOW, "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_init_writes_the_default_policy_and_keeps_an_existing_one(workdir: Path, runner: CliRunner) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    policy = workdir / "rapport.yaml"
    assert "segments:" in policy.read_text()
    policy.write_text("# mine\n" + policy.read_text())
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert policy.read_text().startswith("# mine")


def test_the_written_default_policy_passes_policy_check(workdir: Path, runner: CliRunner) -> None:
    runner.invoke(app, ["init"])
    result = runner.invoke(app, ["policy", "check", "rapport.yaml"])
    assert result.exit_code == 0, result.output
    assert "ok" in result.stdout


def test_policy_check_names_file_and_line_and_exits_2(workdir: Path, runner: CliRunner) -> None:
    bad = workdir / "bad.yaml"
    bad.write_text('currency: USD\nsegments:\n  - {name: x, when: "customer.orders_count >= "}\n')
    result = runner.invoke(app, ["policy", "check", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:3:" in result.output
    assert "Traceback" not in result.output


def test_triage_json_has_every_field_of_the_decision(store: Path, runner: CliRunner) -> None:
    out = triage_json(
        runner,
        "--email",
        "dana.lee@example.com",
        "--message",
        "my bowls arrived chipped",
        "--intent",
        "damaged_item",
        "--order",
        "#9001",
    )
    for field in (
        "customer",
        "segment",
        "queue",
        "priority",
        "first_response_due",
        "escalation_level",
        "intent",
        "resolution",
        "tone",
        "follow_ups",
        "explanation",
    ):
        assert field in out, field
    assert out["customer"] == {"id": "c-1", "email": "dana.lee@example.com", "known": True}
    assert set(out["resolution"]) >= {"offer", "amount", "currency", "requires_return", "capped_by"}


def test_a_big_spender_is_a_vip_routed_to_the_priority_queue(store: Path, runner: CliRunner) -> None:
    out = triage_json(
        runner, "--email", "dana.lee@example.com", "--message", "arrived broken", "--intent", "damaged_item"
    )
    assert (out["segment"], out["queue"], out["escalation_level"]) == ("vip", "priority", "senior")
    assert out["first_response_due"] == "2026-11-20T13:00:00+00:00"
    assert out["resolution"]["offer"] == "replacement"


def test_a_first_time_buyer_gets_a_refund_for_a_recent_damaged_order(store: Path, runner: CliRunner) -> None:
    out = triage_json(
        runner,
        "--email",
        "lena.fischer@example.com",
        "--message",
        "the dripper is cracked",
        "--intent",
        "damaged_item",
    )
    assert out["segment"] == "first_time"
    assert out["order"]["name"] == "#9100"
    assert (out["resolution"]["offer"], out["resolution"]["amount"]) == ("refund", "42.00")
    assert out["tone"]["style"] == "patient_detailed"


def test_a_subscriber_gets_a_check_in_two_days_later(store: Path, runner: CliRunner) -> None:
    out = triage_json(
        runner,
        "--email",
        "sam.okafor@example.com",
        "--message",
        "where is my box",
        "--intent",
        "late_delivery",
    )
    assert out["segment"] == "subscriber"
    assert [(f["kind"], f["due_at"]) for f in out["follow_ups"]] == [
        ("check_in", "2026-11-22T12:00:00+00:00")
    ]


def test_an_unknown_email_is_triaged_as_a_guest(store: Path, runner: CliRunner) -> None:
    out = triage_json(
        runner,
        "--email",
        "nobody@example.net",
        "--message",
        "where is my order",
        "--intent",
        "where_is_my_order",
    )
    assert out["customer"]["known"] is False
    assert out["customer"]["id"] is None


def test_triage_without_intent_reads_it_from_the_message(store: Path, runner: CliRunner) -> None:
    out = triage_json(
        runner,
        "--email",
        "lena.fischer@example.com",
        "--message",
        "Hi, the package arrived and the dripper is cracked and broken.",
    )
    assert out["intent"] == "damaged_item"


def test_an_unknown_intent_is_a_one_line_error(store: Path, runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["triage", "--email", "dana.lee@example.com", "--message", "x", "--intent", "teleport_my_parcel"]
    )
    assert result.exit_code == 2
    assert "unknown intent 'teleport_my_parcel'" in result.output
    assert "Traceback" not in result.output


def test_an_order_of_another_customer_is_refused(store: Path, runner: CliRunner) -> None:
    result = runner.invoke(
        app,
        [
            "triage",
            "--email",
            "lena.fischer@example.com",
            "--message",
            "x",
            "--intent",
            "damaged_item",
            "--order",
            "#9001",
        ],
    )
    assert result.exit_code == 2
    assert "does not belong" in result.output


def test_importing_twice_updates_and_never_duplicates(store: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["import", "store.jsonl"])
    assert result.exit_code == 0, result.output
    assert "0 inserted" in result.stdout
    out = json.loads(runner.invoke(app, ["profile", "dana.lee@example.com", "--now", NOW, "--json"]).stdout)
    assert out["orders_count"] == 2


def test_a_bad_jsonl_line_is_reported_and_the_rest_imported(store: Path, runner: CliRunner) -> None:
    lines = [
        '{"kind": "customer", "id": "c-9", "email": "ivy@example.com",'
        ' "created_at": "2026-01-01T00:00:00+00:00"}',
        '{"kind": "order", "id": 1, "customer_id": "c-9", "name": "#1", "total": "oops"}',
        "not json at all",
    ]
    (store / "mixed.jsonl").write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["import", "mixed.jsonl"])
    assert result.exit_code == 1
    assert "mixed.jsonl:2:" in result.output
    assert "mixed.jsonl:3:" in result.output
    profile = json.loads(runner.invoke(app, ["profile", "ivy@example.com", "--now", NOW, "--json"]).stdout)
    assert profile["known"] is True


def test_profile_shows_the_customer_card(store: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["profile", "dana.lee@example.com", "--now", NOW])
    assert result.exit_code == 0, result.output
    assert "Dana Lee" in result.stdout
    assert "#9001" in result.stdout


def test_triage_decides_with_the_policy_saved_in_the_workspace_not_a_stale_file(
    store: Path, runner: CliRunner
) -> None:
    from rapport.bootstrap import build
    from rapport.config import Settings

    newer = (store / "rapport.yaml").read_text().replace("first_response: 1h", "first_response: 15m", 1)
    app_ = build(Settings())
    with app_.uow_factory(write=True) as uow:
        uow.policies.add(
            merchant_id=app_.merchant.id,
            source=newer,
            author_id=None,
            author_label="admin",
            note=None,
            now=datetime.fromisoformat(NOW),
        )
        uow.commit()
    out = triage_json(runner, "--email", "dana.lee@example.com", "--message", "my bowls arrived chipped")
    assert out["queue"] == "priority"
    assert datetime.fromisoformat(out["first_response_due"]) - datetime.fromisoformat(NOW) == timedelta(
        minutes=15
    )
