"""Warnings: a valid policy whose offers its limits can never allow, reported as FILE:LINE: field: warning."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rapport.cli.main import app
from rapport.policy import default_policy_text, parse_policy
from rapport.policy.loading import parse_policy_with_warnings

# Two segments: vip may give credit, refunds and discounts; everyone else (the default limits) may not.
BASE = """\
currency: USD
segments:
  - {name: vip, when: "customer.total_spent >= 2000.0"}
  - {name: everyone}
queues:
  - {name: fast, segments: [vip], first_response: 1h}
  - {name: normal, segments: [everyone], first_response: 8h}
limits:
  vip: {max_refund: 500, max_credit: 100, max_discount_percent: 25, credit_budget_90d: 300}
  default: {max_refund: 0, max_credit: 0, max_discount_percent: 0, credit_budget_90d: 50}
resolutions:
"""
NO_CREDIT_ANYWHERE = BASE.replace("max_credit: 100", "max_credit: 0")


def warnings_of(text: str, rules: str) -> list[str]:
    """The warning lines of a policy with these resolution rules (indented under `resolutions:`)."""
    policy_text = text + textwrap.indent(textwrap.dedent(rules), "  ")
    _, warnings = parse_policy_with_warnings(policy_text, "shop.yaml")
    return [f"{w.file}:{w.line}: {w.path}: {w.message}" for w in warnings]


def test_store_credit_under_a_zero_max_credit_in_every_segment_is_a_warning_at_its_amount() -> None:
    rules = """\
    late_delivery:
      - {offer: store_credit, amount: 5000}
    """
    assert warnings_of(NO_CREDIT_ANYWHERE, rules) == [
        "shop.yaml:13: resolutions.late_delivery[0].amount: store_credit can never be granted: every "
        "segment that can reach this rule has a limit of 0 (vip by limits.vip.max_credit, everyone by "
        "limits.default.max_credit); it always escalates"
    ]


def test_store_credit_that_one_reachable_segment_allows_is_no_warning() -> None:
    rules = """\
    late_delivery:
      - {offer: store_credit, amount: 50}
    """
    assert warnings_of(BASE, rules) == []


def test_a_rule_only_for_a_segment_without_credit_is_a_warning() -> None:
    rules = """\
    late_delivery:
      - {when: "segment == 'everyone' && order.exists", offer: store_credit, amount: 10}
    """
    assert warnings_of(BASE, rules)[0].startswith(
        "shop.yaml:13: resolutions.late_delivery[0].amount: store_credit can never be granted: every "
        "segment that can reach this rule has a limit of 0 (everyone by limits.default.max_credit)"
    )


def test_segments_caught_by_an_earlier_rule_do_not_reach_a_later_one() -> None:
    rules = """\
    late_delivery:
      - {when: "segment == 'vip'", offer: apology_with_tracking}
      - {offer: store_credit, amount: 10}
    """
    assert warnings_of(BASE, rules)[0].startswith(
        "shop.yaml:14: resolutions.late_delivery[1].amount: store_credit can never be granted: every "
        "segment that can reach this rule has a limit of 0 (everyone by limits.default.max_credit)"
    )


def test_an_earlier_rule_that_also_reads_other_facts_lets_its_segment_through() -> None:
    rules = """\
    late_delivery:
      - {when: "segment == 'vip' && order.exists", offer: apology_with_tracking}
      - {offer: store_credit, amount: 10}
    """
    assert warnings_of(BASE, rules) == []


def test_a_rule_with_an_or_may_hold_for_any_segment_so_it_is_no_warning() -> None:
    rules = """\
    late_delivery:
      - {when: "segment == 'everyone' || customer.orders_count > 3", offer: store_credit, amount: 10}
    """
    assert warnings_of(BASE, rules) == []


def test_a_refund_under_a_zero_max_refund_warns_at_the_offer_when_it_has_no_amount() -> None:
    rules = """\
    refund_request:
      - {when: "segment in ['everyone']", offer: refund}
    """
    assert warnings_of(BASE, rules) == [
        "shop.yaml:13: resolutions.refund_request[0].offer: refund can never be granted: every segment "
        "that can reach this rule has a limit of 0 (everyone by limits.default.max_refund); "
        "it always escalates"
    ]


def test_a_zero_refund_budget_is_a_limit_that_never_allows_a_refund() -> None:
    text = BASE.replace("max_refund: 0,", "max_refund: 80,").replace(
        "credit_budget_90d: 50}", "credit_budget_90d: 50, refund_budget_90d: 0}"
    )
    rules = """\
    refund_request:
      - {when: "segment != 'vip'", offer: refund, amount: order.total}
    """
    assert warnings_of(text, rules) == [
        "shop.yaml:13: resolutions.refund_request[0].amount: refund can never be granted: every segment "
        "that can reach this rule has a limit of 0 (everyone by limits.default.refund_budget_90d); "
        "it always escalates"
    ]


def test_a_discount_above_max_discount_percent_everywhere_is_never_granted_in_full() -> None:
    text = BASE.replace("max_discount_percent: 0", "max_discount_percent: 10")
    rules = """\
    discount_issue:
      - {offer: discount_code, percent: 40}
    """
    assert warnings_of(text, rules) == [
        "shop.yaml:13: resolutions.discount_issue[0].percent: discount_code 40% is never granted in full: "
        "it is above the limit of every segment that can reach this rule (vip: 25% by "
        "limits.vip.max_discount_percent, everyone: 10% by limits.default.max_discount_percent)"
    ]


def test_a_discount_under_a_zero_max_discount_percent_can_never_be_granted() -> None:
    rules = """\
    discount_issue:
      - {when: "segment == 'everyone'", offer: discount_code, percent: 5}
    """
    assert warnings_of(BASE, rules)[0].startswith(
        "shop.yaml:13: resolutions.discount_issue[0].percent: discount_code can never be granted: every "
        "segment that can reach this rule has a limit of 0 (everyone by limits.default.max_discount_percent)"
    )


def test_a_fixed_credit_above_every_reachable_cap_is_never_granted_in_full() -> None:
    text = BASE.replace("max_credit: 0", "max_credit: 20")
    rules = """\
    damaged_item:
      - {offer: store_credit, amount: 5000}
    """
    assert warnings_of(text, rules) == [
        "shop.yaml:13: resolutions.damaged_item[0].amount: store_credit 5000.00 USD is never granted in "
        "full: it is above the limit of every segment that can reach this rule (vip: 100.00 USD by "
        "limits.vip.max_credit, everyone: 20.00 USD by limits.default.max_credit)"
    ]


def test_a_segment_after_one_that_matches_everyone_never_reaches_a_rule() -> None:
    text = BASE.replace(
        "  - {name: everyone}\n", '  - {name: everyone}\n  - {name: never, when: "true"}\n'
    ).replace("segments: [everyone]", "segments: [everyone, never]")
    rules = """\
    late_delivery:
      - {when: "segment != 'vip'", offer: store_credit, amount: 10}
    """
    text = text.replace(
        "limits:\n",
        "limits:\n  never: {max_refund: 1, max_credit: 1, max_discount_percent: 1, credit_budget_90d: 1}\n",
    )
    assert "(everyone by limits.default.max_credit); it always escalates" in warnings_of(text, rules)[0]


def test_warnings_do_not_stop_the_policy_from_loading() -> None:
    rules = "late_delivery:\n  - {offer: store_credit, amount: 5000}\n"
    assert parse_policy(NO_CREDIT_ANYWHERE + textwrap.indent(rules, "  "), "shop.yaml").currency == "USD"


def test_the_shipped_policy_has_no_warnings() -> None:
    assert parse_policy_with_warnings(default_policy_text(), "rapport.yaml")[1] == []


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_policy_check_prints_warnings_on_stderr_and_exits_0(tmp_path: Path, runner: CliRunner) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text(NO_CREDIT_ANYWHERE + "  late_delivery:\n    - {offer: store_credit, amount: 5000}\n")
    result = runner.invoke(app, ["policy", "check", str(path)])
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        f"{path}:13: resolutions.late_delivery[0].amount: warning: store_credit can never be granted: "
        "every segment that can reach this rule has a limit of 0 (vip by limits.vip.max_credit, everyone "
        "by limits.default.max_credit); it always escalates"
    ]
    assert "ok" in result.stdout
