"""A segment rule (the CEL subset of `policy.cel_subset`, already parsed) as one SQL expression over the
row of per-customer facts that `segment_counts` builds: the same value the engine computes, on SQLite and
PostgreSQL (the property test of tests/store/test_segment_counts.py checks it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Float,
    String,
    and_,
    exists,
    false,
    literal,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.sql.selectable import Subquery
from sqlalchemy.types import TypeEngine

from rapport.policy.cel_subset import Binary, Fact, InList, InTags, ListLiteral, Literal, Node, Unary
from rapport.store.models import CustomerTag

_GROUPED = 100  # above every SQL operator: both operands of a custom operator are parenthesized


IdRange = tuple[int | None, int | None]  # customer ids from, to (inclusive; None: unbounded)
EVERY_ID: IdRange = (None, None)


def within(column: ColumnElement[Any], ids: IdRange) -> list[ColumnElement[bool]]:
    """The conditions that keep `column` in `ids` (none when it is unbounded)."""
    low, high = ids
    bounds: list[ColumnElement[bool]] = []
    if low is not None:
        bounds.append(column >= low)
    if high is not None:
        bounds.append(column <= high)
    return bounds


def rule_sql(node: Node, facts: Subquery, *, in_sets: bool, ids: IdRange = EVERY_ID) -> ColumnElement[Any]:
    """The SQL of a translated rule over the `facts` row (`in_sets`: a tag test with a constant tag
    reads one set of the tag's customers rather than a lookup per customer; `ids`: the customers the
    `facts` row can be, so that set is only theirs)."""
    if isinstance(node, Literal):
        return _literal(node)
    if isinstance(node, Fact):
        return facts.c[node.name]
    if isinstance(node, Unary):
        operand = rule_sql(node.operand, facts, in_sets=in_sets, ids=ids)
        if node.op == "!":
            return not_(operand)
        # `0 - x`, not `-x`: a negated negation would render as `--x`, which SQL reads as a comment.
        zero = Literal(0, "int") if node.type == "int" else Literal(0.0, "double")
        return grouped_op(_literal(zero), "-", operand, operand.type)
    if isinstance(node, InList):
        if not node.items:
            return false()
        return rule_sql(node.needle, facts, in_sets=in_sets, ids=ids).in_([item.value for item in node.items])
    if isinstance(node, InTags):
        tag = rule_sql(node.needle, facts, in_sets=in_sets, ids=ids)
        if in_sets and isinstance(node.needle, Literal):
            tagged = select(CustomerTag.customer_id).where(
                CustomerTag.tag == tag, *within(CustomerTag.customer_id.expression, ids)
            )
            return facts.c.id.in_(tagged)
        return exists().where(CustomerTag.customer_id == facts.c.id, CustomerTag.tag == tag)
    if isinstance(node, Binary):
        return _binary(
            node,
            rule_sql(node.left, facts, in_sets=in_sets, ids=ids),
            rule_sql(node.right, facts, in_sets=in_sets, ids=ids),
        )
    if isinstance(node, ListLiteral):  # only ever inside `in`, which the parser folds into InList
        raise ValueError("a list literal is not a value in SQL")
    raise ValueError(f"unknown node {node!r}")


def _literal(node: Literal) -> ColumnElement[Any]:
    if isinstance(node.value, bool):
        return true() if node.value else false()
    kinds: dict[str, TypeEngine[Any]] = {"int": BigInteger(), "double": Float(), "string": String()}
    kind = kinds[node.type]
    value: ColumnElement[Any] = literal(node.value, kind)
    return value


def _binary(node: Binary, left: ColumnElement[Any], right: ColumnElement[Any]) -> ColumnElement[Any]:
    op = node.op
    if op == "||":
        return or_(left, right)
    if op == "&&":
        return and_(left, right)
    comparisons = {
        "==": left.__eq__,
        "!=": left.__ne__,
        "<": left.__lt__,
        "<=": left.__le__,
        ">": left.__gt__,
        ">=": left.__ge__,
    }
    if op in comparisons:
        result: ColumnElement[Any] = comparisons[op](right)
        return result
    # Arithmetic keeps CEL's types: int operations stay integers (`/` and `%` truncate toward zero on
    # both backends, as in CEL), double ones stay doubles.
    kind = BigInteger() if node.type == "int" else Float()
    return grouped_op(left, op, right, kind)


def grouped_op(
    left: ColumnElement[Any], op: str, right: ColumnElement[Any], kind: TypeEngine[Any]
) -> ColumnElement[Any]:
    """`left op right` with both sides in parentheses: a custom operator has no precedence of its own, so
    SQLAlchemy would otherwise render `(a - b) / c` as `a - b / c`."""
    result: ColumnElement[Any] = left.op(op, precedence=_GROUPED, return_type=kind)(right)
    return result
