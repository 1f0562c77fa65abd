"""`rapport draft check` over JSONL records, and the pieces of `rapport draft` that need no store."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from rapport.cli.draft_cmd import register
from rapport.schemas import CustomerOut, DecisionOut, OrderOut

from .builders import a_decision, a_vip

app = typer.Typer()
register(app)
runner = CliRunner()

GOOD = (
    "Hi Maria,\n\nSorry about your order #1042. We're adding $20.00 in store credit to your account.\n\nSam"
)


def record(body: str = GOOD, *, decision=None) -> str:
    profile = a_vip()
    return json.dumps(
        {
            "draft": {"subject": "About your order #1042", "body": body},
            "decision": DecisionOut.from_domain(decision or a_decision()).model_dump(mode="json"),
            "customer": CustomerOut.from_domain(profile).model_dump(mode="json"),
            "ticket": {
                "email": profile.email,
                "message": "It broke",
                "order": OrderOut.from_domain(profile.last_order).model_dump(mode="json"),
            },
        }
    )


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "drafts.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_check_passes_a_file_of_good_drafts(tmp_path):
    result = runner.invoke(app, ["draft", "check", str(write(tmp_path, record(), record()))])
    assert result.exit_code == 0
    assert "2 drafts checked, 2 passed, 0 failed" in result.output


def test_check_reports_each_violation_with_its_line_number(tmp_path):
    bad = record(GOOD.replace("account.", "account, and we'll refund you $1,000."))
    path = write(tmp_path, record(), bad)
    result = runner.invoke(app, ["draft", "check", str(path)])
    assert result.exit_code == 1
    assert f"{path}:2: unauthorized_promise: promises a refund" in result.output
    assert f"{path}:2: unexpected_amount: mentions '$1,000'" in result.output
    assert f"{path}:1:" not in result.output


def test_check_reports_a_line_that_is_not_json_and_checks_the_rest(tmp_path):
    path = write(tmp_path, "{not json", record())
    result = runner.invoke(app, ["draft", "check", str(path)])
    assert result.exit_code == 1
    assert f"{path}:1: invalid record: not JSON" in result.output
    assert "2 drafts checked, 1 passed, 1 failed" in result.output


def test_check_names_the_missing_field_of_a_record(tmp_path):
    broken = json.loads(record())
    del broken["decision"]["resolution"]["offer"]
    result = runner.invoke(app, ["draft", "check", str(write(tmp_path, json.dumps(broken)))])
    assert "invalid record: decision.resolution.offer: is required" in result.output


def test_check_names_a_value_outside_the_vocabulary(tmp_path):
    broken = json.loads(record())
    broken["decision"]["resolution"]["offer"] = "free_pony"
    result = runner.invoke(app, ["draft", "check", str(write(tmp_path, json.dumps(broken)))])
    assert (
        "invalid record: decision.resolution.offer: 'free_pony' is not one of 'replacement'" in result.output
    )


def test_check_accepts_an_order_given_by_name_only(tmp_path):
    minimal = json.loads(record())
    minimal["ticket"] = {"order": "#1042"}
    result = runner.invoke(app, ["draft", "check", str(write(tmp_path, json.dumps(minimal)))])
    assert result.exit_code == 0


def test_check_of_a_missing_file_is_one_line_and_exit_2(tmp_path):
    result = runner.invoke(app, ["draft", "check", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2
    assert "cannot read" in result.output
    assert "Traceback" not in result.output


def test_draft_without_email_or_message_explains_itself():
    result = runner.invoke(app, ["draft", "--email", "maria.lopez@example.com"])
    assert result.exit_code == 2
    assert "needs --email and --message" in result.output
