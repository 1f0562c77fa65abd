"""The part of CEL a segment rule can be counted with in SQL, parsed into a small typed tree.

The CEL library exposes no syntax tree, so this is a recursive-descent parser of a deliberately small
subset: `||`, `&&`, `!`, comparisons, `in` on a list literal or on `customer.tags`, `+ - * / %`, unary
minus, string/int/double/bool literals and `customer.x` facts. Anything else (macros, functions, methods,
indexing, the ternary, `null`, string ordering, mixed int/double arithmetic, a division by anything but a
non-zero literal) raises `Untranslatable` naming the construct, and the caller counts that rule in Python.

Why a division only by a literal: in CEL a division by zero is an error, which makes the rule not match;
SQL gives NULL (SQLite) or aborts the query (PostgreSQL). With literal divisors no value is ever NULL, so
SQL's three-valued logic never has to stand in for CEL's errors.

`order.*` and `ticket.*` are not about any customer: the caller passes their values (those of a message
about no particular order) and they become literals.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from rapport.policy.vocabulary import FACTS

NUMERIC = frozenset({"int", "double"})
_MAX_INT = 2**63 - 1


class Untranslatable(ValueError):
    """The rule uses a construct outside the subset; `construct` names it."""

    def __init__(self, construct: str) -> None:
        super().__init__(construct)
        self.construct = construct


@dataclass(frozen=True, slots=True)
class Literal:
    value: bool | int | float | str
    type: str


@dataclass(frozen=True, slots=True)
class Fact:
    """`customer.<name>`."""

    name: str
    type: str


@dataclass(frozen=True, slots=True)
class ListLiteral:
    items: tuple[Literal, ...]
    type: str = "list"


@dataclass(frozen=True, slots=True)
class Unary:
    op: str  # "!" or "-"
    operand: Node
    type: str


@dataclass(frozen=True, slots=True)
class Binary:
    op: str  # || && == != < <= > >= + - * / %
    left: Node
    right: Node
    type: str


@dataclass(frozen=True, slots=True)
class InList:
    needle: Node
    items: tuple[Literal, ...]
    type: str = "bool"


@dataclass(frozen=True, slots=True)
class InTags:
    """`'x' in customer.tags`: the tag is a literal or any string expression."""

    needle: Node
    type: str = "bool"


Node = Literal | Fact | ListLiteral | Unary | Binary | InList | InTags

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<number>\d+\.\d*(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\.\d+(?:[eE][+-]?\d+)?|0[xX][0-9a-fA-F]+|\d+)(?P<suffix>[uU]?)
    | (?P<string>[rRbB]?(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"))
    | (?P<name>[A-Za-z_]\w*)
    | (?P<op>\|\||&&|==|!=|<=|>=|[<>!+\-*/%().,\[\]{}?:])
    )""",
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"'}
_RELATIONS = ("==", "!=", "<", "<=", ">", ">=")


def _tokens(source: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position, end = 0, len(source.rstrip())
    while position < end:
        match = _TOKEN.match(source, position)
        if match is None or match.end() == position:
            raise Untranslatable(f"the text at column {position + 1}")
        position = match.end()
        kind = match.lastgroup if match.lastgroup != "suffix" else "number"
        if match.group("number") is not None:
            if match.group("suffix"):
                raise Untranslatable("unsigned int literals")
            tokens.append(("number", match.group("number")))
        elif kind is not None:
            tokens.append((kind, match.group(kind)))
    return tokens


def _string_value(text: str) -> str:
    if text[0] in "rRbB" or text.startswith(("'''", '"""')):
        raise Untranslatable("raw, byte or triple-quoted strings")
    body, out, index = text[1:-1], [], 0
    while index < len(body):
        char = body[index]
        if char == "\\":
            escaped = body[index + 1]
            if escaped not in _ESCAPES:
                raise Untranslatable(f"the string escape \\{escaped}")
            out.append(_ESCAPES[escaped])
            index += 2
        else:
            out.append(char)
            index += 1
    return "".join(out)


def _number(text: str) -> Literal:
    if text.lower().startswith("0x"):
        raise Untranslatable("hexadecimal literals")
    if any(c in text for c in ".eE"):
        return Literal(float(text), "double")
    value = int(text)
    if value > _MAX_INT:
        raise Untranslatable("an int literal beyond 64 bits")
    return Literal(value, "int")


class _Parser:
    def __init__(self, source: str, constants: Mapping[str, Mapping[str, object]]) -> None:
        self.tokens = _tokens(source)
        self.position = 0
        self.constants = constants

    def peek(self) -> str | None:
        return self.tokens[self.position][1] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        if self.position >= len(self.tokens):
            raise Untranslatable("an incomplete expression")
        token = self.tokens[self.position]
        self.position += 1
        return token

    def expect(self, text: str) -> None:
        if self.take()[1] != text:
            raise Untranslatable(f"a missing '{text}'")

    def parse(self) -> Node:
        node = self.disjunction()
        if self.peek() == "?":
            raise Untranslatable("the conditional operator ?:")
        if self.position != len(self.tokens):
            raise Untranslatable(f"'{self.peek()}' here")
        return node

    def disjunction(self) -> Node:
        node = self.conjunction()
        while self.peek() == "||":
            self.take()
            node = _logical("||", node, self.conjunction())
        return node

    def conjunction(self) -> Node:
        node = self.relation()
        while self.peek() == "&&":
            self.take()
            node = _logical("&&", node, self.relation())
        return node

    def relation(self) -> Node:
        node = self.sum()
        while self.peek() in (*_RELATIONS, "in"):
            op = self.take()[1]
            node = _membership(node, self.sum()) if op == "in" else _comparison(op, node, self.sum())
        return node

    def sum(self) -> Node:
        node = self.product()
        while self.peek() in ("+", "-"):
            op = self.take()[1]
            node = _arithmetic(op, node, self.product())
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.peek() in ("*", "/", "%"):
            op = self.take()[1]
            node = _arithmetic(op, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.peek() == "!":
            self.take()
            operand = self.unary()
            _require(operand, {"bool"}, "'!' on a non-bool")
            return Unary("!", operand, "bool")
        if self.peek() == "-":
            self.take()
            operand = self.unary()
            _require(operand, NUMERIC, "'-' on a non-number")
            if isinstance(operand, Literal) and not isinstance(operand.value, (bool, str)):
                return Literal(-operand.value, operand.type)
            return Unary("-", operand, operand.type)
        return self.member()

    def member(self) -> Node:
        kind, text = self.take()
        if kind == "name" and self.peek() == ".":
            self.take()
            field_kind, field = self.take()
            if field_kind != "name":
                raise Untranslatable(f"'{text}.{field}'")
            node = self.fact(text, field)
        else:
            node = self.primary(kind, text)
        if self.peek() in (".", "[", "("):
            raise Untranslatable(_postfix(self.peek(), self.tokens, self.position))
        return node

    def fact(self, variable: str, name: str) -> Node:
        if variable not in FACTS or name not in FACTS[variable]:
            raise Untranslatable(f"'{variable}.{name}'")
        kind = FACTS[variable][name]
        if variable == "customer":
            return Fact(name, kind)
        if name not in self.constants.get(variable, {}):
            raise Untranslatable(f"'{variable}.{name}' (no value in a count)")
        value = self.constants[variable][name]
        if isinstance(value, list):
            return ListLiteral(tuple(Literal(v, "string") for v in value))
        return Literal(value, kind)  # type: ignore[arg-type]  # a zero value of the declared type

    def primary(self, kind: str, text: str) -> Node:
        if kind == "number":
            return _number(text)
        if kind == "string":
            return Literal(_string_value(text), "string")
        if kind == "name":
            if text in ("true", "false"):
                return Literal(text == "true", "bool")
            if self.peek() == "(":
                raise Untranslatable(f"the function {text}()")
            raise Untranslatable(f"'{text}'" if text != "null" else "null")
        if text == "(":
            node = self.disjunction()
            self.expect(")")
            return node
        if text == "[":
            return self.list_literal()
        raise Untranslatable(f"'{text}'" if text != "{" else "map literals")

    def list_literal(self) -> ListLiteral:
        items: list[Literal] = []
        while self.peek() != "]":
            item = self.unary()
            if not isinstance(item, Literal):
                raise Untranslatable("a list item that is not a literal")
            items.append(item)
            if self.peek() == ",":
                self.take()
            elif self.peek() != "]":
                raise Untranslatable("a missing ']'")
        self.take()
        return ListLiteral(tuple(items))


def _postfix(token: str | None, tokens: list[tuple[str, str]], position: int) -> str:
    if token == "[":
        return "indexing with []"
    following = tokens[position + 1][1] if position + 1 < len(tokens) else ""
    if token == "." and position + 2 < len(tokens) and tokens[position + 2][1] == "(":
        return f"the method .{following}()"
    return "a field of a fact" if token == "." else "a call"


def _require(node: Node, kinds: set[str] | frozenset[str], construct: str) -> None:
    if node.type not in kinds:
        raise Untranslatable(construct)


def _logical(op: str, left: Node, right: Node) -> Node:
    _require(left, {"bool"}, f"'{op}' on a non-bool")
    _require(right, {"bool"}, f"'{op}' on a non-bool")
    return Binary(op, left, right, "bool")


def _comparison(op: str, left: Node, right: Node) -> Node:
    for side in (left, right):
        if side.type.startswith("list"):
            raise Untranslatable("comparing lists (customer.tags, list literals)")
    numeric = left.type in NUMERIC and right.type in NUMERIC
    if op in ("==", "!="):
        if not numeric and left.type != right.type:
            raise Untranslatable(f"'{op}' between {left.type} and {right.type}")
    elif not numeric:
        raise Untranslatable(f"'{op}' on {left.type} values")
    return Binary(op, left, right, "bool")


def _membership(needle: Node, haystack: Node) -> Node:
    if isinstance(haystack, Fact) and haystack.name == "tags":
        _require(needle, {"string"}, "'in customer.tags' with a non-string")
        return InTags(needle)
    if not isinstance(haystack, ListLiteral):
        raise Untranslatable("'in' on something other than a list literal or customer.tags")
    _require(needle, NUMERIC | {"string", "bool"}, f"'in' with a {needle.type}")
    for item in haystack.items:
        same = item.type == needle.type or (item.type in NUMERIC and needle.type in NUMERIC)
        if not same:
            raise Untranslatable(f"'in' on a list with {item.type} items for a {needle.type}")
    return InList(needle, haystack.items)


def _arithmetic(op: str, left: Node, right: Node) -> Node:
    if left.type not in NUMERIC or right.type not in NUMERIC:
        raise Untranslatable(f"'{op}' on {left.type} and {right.type}")
    if left.type != right.type:
        raise Untranslatable(f"'{op}' mixing int and double")
    if op == "%" and left.type != "int":
        raise Untranslatable("'%' on doubles")
    if op in ("/", "%") and not (isinstance(right, Literal) and right.value != 0):
        raise Untranslatable(f"'{op}' by anything but a non-zero literal")
    return Binary(op, left, right, left.type)


def parse_rule(source: str, constants: Mapping[str, Mapping[str, object]]) -> Node:
    """The tree of a bool rule, or `Untranslatable` naming the first construct outside the subset."""
    node = _Parser(source, constants).parse()
    if node.type != "bool":
        raise Untranslatable(f"a rule of type {node.type}")
    return node


def facts_read(node: Node) -> frozenset[str]:
    """The `customer.x` facts a tree reads (`tags` for a membership test)."""
    if isinstance(node, Fact):
        return frozenset({node.name})
    if isinstance(node, InTags):
        return facts_read(node.needle) | {"tags"}
    if isinstance(node, Unary):
        return facts_read(node.operand)
    if isinstance(node, Binary):
        return facts_read(node.left) | facts_read(node.right)
    if isinstance(node, InList):
        return facts_read(node.needle)
    return frozenset()
