"""The CEL subset a segment rule is counted in SQL with: what it parses into, and what it refuses."""

from __future__ import annotations

import pytest

from rapport.policy.cel_subset import (
    Binary,
    Fact,
    InList,
    InTags,
    Literal,
    Unary,
    Untranslatable,
    facts_read,
    parse_rule,
)

NO_ORDER = {
    "order": {"exists": False, "total": 0.0, "age_days": 0},
    "ticket": {"intent": "other", "signals": []},
}


def parse(source: str) -> object:
    return parse_rule(source, NO_ORDER)


def test_a_comparison_reads_a_customer_fact_against_a_literal() -> None:
    assert parse("customer.orders_count >= 10") == Binary(
        ">=", Fact("orders_count", "int"), Literal(10, "int"), "bool"
    )


def test_or_binds_looser_than_and() -> None:
    tree = parse("customer.is_known || customer.has_active_subscription && false")
    assert isinstance(tree, Binary)
    assert tree.op == "||"
    assert isinstance(tree.right, Binary)
    assert tree.right.op == "&&"


def test_parentheses_group_first() -> None:
    tree = parse("(customer.is_known || true) && false")
    assert isinstance(tree, Binary)
    assert tree.op == "&&"


def test_not_negates_a_bool() -> None:
    assert parse("!customer.has_active_subscription") == Unary(
        "!", Fact("has_active_subscription", "bool"), "bool"
    )


def test_a_tag_membership_becomes_a_tag_test() -> None:
    assert parse("'loyalty' in customer.tags") == InTags(Literal("loyalty", "string"))


def test_membership_in_a_list_literal_keeps_its_items() -> None:
    assert parse("customer.loyalty_tier in [\"gold\", 'silver']") == InList(
        Fact("loyalty_tier", "string"), (Literal("gold", "string"), Literal("silver", "string"))
    )


def test_arithmetic_keeps_cel_precedence_and_types() -> None:
    tree = parse("customer.total_spent - customer.refunds_last_90d * 2.0 > 100.0")
    assert isinstance(tree, Binary)
    assert isinstance(tree.left, Binary)
    assert tree.left.op == "-"
    assert tree.left.type == "double"
    assert isinstance(tree.left.right, Binary)
    assert tree.left.right.op == "*"


def test_a_negative_literal_is_folded_into_the_literal() -> None:
    assert parse("customer.orders_count > -1") == Binary(
        ">", Fact("orders_count", "int"), Literal(-1, "int"), "bool"
    )


def test_int_and_double_may_be_compared_as_in_cel() -> None:
    assert parse("customer.orders_count >= 2.5").type == "bool"


def test_string_escapes_are_decoded() -> None:
    tree = parse(r"customer.email == 'a\'b\n'")
    assert isinstance(tree, Binary)
    assert tree.right == Literal("a'b\n", "string")


def test_order_and_ticket_facts_become_the_values_of_a_count() -> None:
    assert parse("order.exists && ticket.intent == 'other'") == Binary(
        "&&",
        Literal(False, "bool"),
        Binary("==", Literal("other", "string"), Literal("other", "string"), "bool"),
        "bool",
    )


def test_membership_in_an_empty_signal_list_has_no_items() -> None:
    assert parse("'anger' in ticket.signals") == InList(Literal("anger", "string"), ())


def test_the_facts_read_are_listed_with_tags() -> None:
    tree = parse("'vip' in customer.tags || customer.orders_count > customer.open_orders")
    assert facts_read(tree) == {"tags", "orders_count", "open_orders"}


@pytest.mark.parametrize(
    ("source", "construct"),
    [
        ("size(customer.tags) > 1", "the function size()"),
        ("customer.tags.exists(t, t == 'vip')", "the method .exists()"),
        ("customer.email.startsWith('a')", "the method .startsWith()"),
        ("customer.tags[0] == 'vip'", "indexing with []"),
        ("customer.orders_count > 1 ? true : false", "the conditional operator ?:"),
        ("customer.orders_count + 1.0 > 2.0", "'+' mixing int and double"),
        ("customer.orders_count / customer.open_orders > 1", "'/' by anything but a non-zero literal"),
        ("customer.total_spent / 0.0 > 1.0", "'/' by anything but a non-zero literal"),
        ("customer.total_spent % 2.0 > 1.0", "'%' on doubles"),
        ("customer.email < 'm'", "'<' on string values"),
        ("customer.email == null", "null"),
        ("customer.orders_count == 1u", "unsigned int literals"),
        ("customer.tags == ['vip']", "comparing lists (customer.tags, list literals)"),
        ("customer.orders_count == 'ten'", "'==' between int and string"),
        ("{'a': 1}['a'] == 1", "map literals"),
        ("customer.loyalty_tier in [1, 2]", "'in' on a list with int items for a string"),
        ("ticket.language == 'fr'", "'ticket.language' (no value in a count)"),
        ("customer.orders_count", "a rule of type int"),
        ("customer.orders_count == 0x10", "hexadecimal literals"),
        ("r'a' == customer.email", "raw, byte or triple-quoted strings"),
    ],
)
def test_a_construct_outside_the_subset_is_refused_by_name(source: str, construct: str) -> None:
    with pytest.raises(Untranslatable) as refused:
        parse(source)
    assert refused.value.construct == construct
