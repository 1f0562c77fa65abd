"""Every mistake is reported as FILE:LINE: path.to.field: what is wrong, all at once."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from rapport.policy import PolicyError, load_policy, parse_policy
from rapport.policy.loading import MAX_POLICY_BYTES

VALID = """\
currency: USD
segments:
  - {name: vip, when: "customer.total_spent >= 2000.0"}
  - {name: everyone}
queues:
  - {name: fast, segments: [vip], first_response: 1h}
  - {name: normal, segments: [everyone], first_response: 8h}
limits:
  default: {max_refund: 100, max_credit: 20, max_discount_percent: 10, credit_budget_90d: 50}
"""


def errors_of(text: str) -> list[str]:
    """The error lines a policy text produces (fails the test if it is valid)."""
    with pytest.raises(PolicyError) as caught:
        parse_policy(textwrap.dedent(text), "shop.yaml")
    return str(caught.value).splitlines()


def with_resolutions(rules: str) -> str:
    return VALID + "resolutions:\n" + textwrap.indent(textwrap.dedent(rules), "  ")


def test_the_valid_base_policy_loads() -> None:
    assert parse_policy(VALID, "shop.yaml").currency == "USD"


def test_malformed_yaml_names_the_line_of_the_problem() -> None:
    assert errors_of("currency: USD\nsegments:\n  - {name: vip\nqueues: []\n") == [
        "shop.yaml:4: invalid YAML: expected ',' or '}', but got ':'"
    ]


def test_an_unknown_field_is_reported_on_its_own_line() -> None:
    text = VALID.replace("  - {name: everyone}", "  - {name: everyone, colour: red}")
    assert errors_of(text) == ["shop.yaml:4: segments[1].colour: unknown field"]


def test_a_cel_syntax_error_names_the_column_inside_the_expression() -> None:
    text = VALID.replace("customer.total_spent >= 2000.0", "customer.total_spent >== 2000.0")
    assert errors_of(text) == [
        "shop.yaml:3: segments[0].when: syntax error at column 24: token recognition error at: '= '"
    ]


def test_an_incomplete_expression_is_one_short_line() -> None:
    text = VALID.replace("customer.total_spent >= 2000.0", "customer.total_spent >= 2000.0 ||")
    assert errors_of(text) == [
        "shop.yaml:3: segments[0].when: syntax error at column 34: mismatched input '<EOF>'"
    ]


def test_an_unknown_variable_is_refused() -> None:
    text = VALID.replace("customer.total_spent", "custome.total_spent")
    assert errors_of(text) == [
        "shop.yaml:3: segments[0].when: unknown variable 'custome' (rules can read customer, order, ticket)"
    ]


def test_an_unknown_fact_is_refused_at_load_time() -> None:
    text = VALID.replace("customer.total_spent", "customer.total_spnt")
    assert errors_of(text)[0].startswith("shop.yaml:3: segments[0].when: unknown fact 'customer.total_spnt'")


def test_segment_rules_cannot_read_the_segment() -> None:
    text = VALID.replace("customer.total_spent >= 2000.0", "segment == 'vip'")
    assert errors_of(text) == [
        "shop.yaml:3: segments[0].when: 'segment' is not known yet while choosing the segment"
    ]


def test_names_bound_by_macros_are_allowed() -> None:
    text = VALID.replace("customer.total_spent >= 2000.0", "customer.tags.exists(t, t == 'vip')")
    assert parse_policy(text, "shop.yaml").segments[0].when.source == "customer.tags.exists(t, t == 'vip')"


def test_mixing_int_and_double_arithmetic_is_a_load_time_type_error() -> None:
    text = with_resolutions('damaged_item:\n  - {offer: refund, amount: "order.total * 2"}\n')
    assert errors_of(text) == [
        "shop.yaml:12: resolutions.damaged_item[0].amount: type error: Unsupported operation: float * int"
    ]


def test_a_bad_duration_is_reported_with_the_accepted_forms() -> None:
    text = VALID.replace("first_response: 8h", "first_response: 8 hours")
    assert errors_of(text) == [
        "shop.yaml:7: queues[1].first_response: expected a duration like 30m, 1h, 2d or 1w, got '8 hours'"
    ]


def test_every_mistake_is_reported_not_just_the_first() -> None:
    text = VALID.replace("currency: USD", "currency: dollars").replace(
        "first_response: 1h", "first_response: soon"
    )
    assert [line.split(":")[2].strip() for line in errors_of(text)] == [
        "currency",
        "queues[0].first_response",
    ]


def test_the_error_carries_structured_issues_and_a_stable_code() -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(VALID.replace("currency: USD", "currency: usd"), "shop.yaml")
    issue = caught.value.issues[0]
    assert (caught.value.code, issue.file, issue.line, issue.path) == (
        "policy_invalid",
        "shop.yaml",
        1,
        "currency",
    )


def test_a_queue_naming_an_unknown_segment_is_an_error() -> None:
    text = VALID.replace("segments: [vip]", "segments: [vip, gold]")
    assert errors_of(text) == ["shop.yaml:6: queues[0].segments[1]: unknown segment 'gold'"]


def test_a_segment_no_queue_routes_is_an_error() -> None:
    text = VALID.replace(
        "  - {name: everyone}", '  - {name: loyal, when: "customer.orders_count > 3"}\n  - {name: everyone}'
    )
    assert errors_of(text) == ["shop.yaml:4: segments[1].name: segment 'loyal' is not routed by any queue"]


def test_the_last_segment_must_match_everyone() -> None:
    text = VALID.replace("  - {name: everyone}", '  - {name: everyone, when: "customer.is_known"}')
    assert errors_of(text) == [
        'shop.yaml:4: segments[1].when: the last segment must match everyone (when: "true" or no when)'
    ]


def test_limits_for_an_unknown_segment_are_an_error() -> None:
    text = VALID + "  gold: {max_refund: 1, max_credit: 1, max_discount_percent: 1, credit_budget_90d: 1}\n"
    assert errors_of(text) == ["shop.yaml:10: limits.gold: unknown segment 'gold'"]


def test_default_limits_are_required() -> None:
    text = VALID.replace("  default: {", "  vip: {")
    assert errors_of(text) == ["shop.yaml:8: limits: missing the required 'default' limits"]


def test_a_negative_limit_is_refused() -> None:
    text = VALID.replace("max_refund: 100", "max_refund: -100")
    assert errors_of(text) == [
        "shop.yaml:9: limits.default.max_refund: Input should be greater than or equal to 0"
    ]


def test_an_unknown_intent_is_an_error() -> None:
    text = with_resolutions("broken_heart:\n  - {offer: escalate}\n")
    assert errors_of(text) == ["shop.yaml:11: resolutions.broken_heart: unknown intent 'broken_heart'"]


def test_an_unknown_offer_lists_the_vocabulary() -> None:
    text = with_resolutions("damaged_item:\n  - {offer: hug}\n")
    assert errors_of(text)[0].startswith(
        "shop.yaml:12: resolutions.damaged_item[0].offer: Input should be 'replacement'"
    )


def test_only_discount_codes_take_a_percent() -> None:
    text = with_resolutions("damaged_item:\n  - {offer: store_credit, amount: 10, percent: 5}\n")
    assert errors_of(text) == [
        "shop.yaml:12: resolutions.damaged_item[0].percent: only discount_code takes a percent"
    ]


def test_none_needs_a_reason_the_reply_can_state() -> None:
    text = with_resolutions("return_request:\n  - {offer: none}\n")
    assert errors_of(text)[0].startswith(
        "shop.yaml:12: resolutions.return_request[0].offer: 'none' needs a reason"
    )


def test_store_credit_needs_an_amount() -> None:
    text = with_resolutions("late_delivery:\n  - {offer: store_credit}\n")
    assert errors_of(text) == [
        "shop.yaml:12: resolutions.late_delivery[0].offer: 'store_credit' needs an amount"
    ]


def test_a_negative_literal_amount_is_refused() -> None:
    text = with_resolutions("late_delivery:\n  - {offer: store_credit, amount: -5}\n")
    assert errors_of(text) == ["shop.yaml:12: resolutions.late_delivery[0].amount: must not be negative"]


def test_an_amount_expression_is_compiled_at_load_time() -> None:
    text = with_resolutions('damaged_item:\n  - {offer: refund, amount: "order.total *"}\n')
    assert errors_of(text) == [
        "shop.yaml:12: resolutions.damaged_item[0].amount: "
        "syntax error at column 14: mismatched input '<EOF>'"
    ]


def test_shipping_is_only_for_offers_that_ship() -> None:
    text = with_resolutions("damaged_item:\n  - {offer: refund, shipping: express}\n")
    assert errors_of(text)[0].startswith("shop.yaml:12: resolutions.damaged_item[0].shipping: only")


def test_a_rule_after_a_catch_all_is_unreachable() -> None:
    text = with_resolutions("damaged_item:\n  - {offer: escalate}\n  - {offer: reship}\n")
    assert errors_of(text) == [
        "shop.yaml:13: resolutions.damaged_item[1]: unreachable: the rule before it always matches"
    ]


def test_an_unknown_signal_in_escalation_is_an_error() -> None:
    text = VALID + "escalation:\n  signals: {sarcasm: manager}\n"
    assert errors_of(text)[0].startswith("shop.yaml:11: escalation.signals.sarcasm: unknown signal 'sarcasm'")


def test_a_policy_that_is_not_a_mapping_is_refused() -> None:
    assert errors_of("- just\n- a list\n") == ["shop.yaml:1: the policy must be a YAML mapping of sections"]


def alias_bomb(levels: int = 9) -> str:
    """A "billion laughs" policy: each anchor lists ten aliases of the one before (10**levels strings)."""
    lines = ['lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        lines.append(f"lol{level}: &lol{level} [" + ", ".join([f"*lol{level - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n" + VALID


def test_a_yaml_alias_bomb_is_refused_within_a_second() -> None:
    started = time.perf_counter()
    assert errors_of(alias_bomb()) == ["shop.yaml:2: aliases are not allowed in a policy"]
    assert time.perf_counter() - started < 1.0


def test_a_merge_key_alias_is_refused_at_its_line() -> None:
    text = VALID.replace(
        "limits:\n",
        "brand: &brand {store_name: Shop}\nlimits:\n  vip: {<<: *brand}\n",
    )
    assert errors_of(text) == ["shop.yaml:10: aliases are not allowed in a policy"]


def test_an_anchor_without_an_alias_is_refused_too() -> None:
    text = VALID.replace("currency: USD", "currency: &money USD")
    assert errors_of(text) == [
        "shop.yaml:1: anchors are not allowed in a policy (&money): write the value out"
    ]


def test_a_policy_nested_too_deeply_is_refused_quickly() -> None:
    started = time.perf_counter()
    assert errors_of("brand: " + "{a: " * 100_000 + "1" + "}" * 100_000) == [
        "shop.yaml:1: nested more than 32 levels deep; a policy needs far fewer"
    ]
    assert time.perf_counter() - started < 1.0


def test_a_policy_text_above_the_size_bound_is_refused_before_parsing() -> None:
    assert errors_of(VALID + "#" * MAX_POLICY_BYTES) == [
        "shop.yaml:1: the policy is larger than 1,000,000 bytes; a policy is a page or two of YAML"
    ]


def test_a_policy_file_above_the_size_bound_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text(VALID + "#" * (10 * MAX_POLICY_BYTES), encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert str(caught.value) == (
        f"{path}:1: the policy is larger than 1,000,000 bytes; a policy is a page or two of YAML"
    )
