"""Rule expressions in CEL: compiled and checked once at load time, evaluated by the engine.

CEL is a small, side-effect-free language; we never `eval` Python. Compilation errors are
shortened to one line with the column inside the expression, e.g.
"syntax error at column 26: mismatched input '>'".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import cel

from rapport.policy.vocabulary import FACTS, VARIABLES, sample_facts

_CEL_ERROR = re.compile(r"<input>:(\d+):(\d+): (?:Syntax error: )?(.*)")
_STRING_LITERAL = re.compile(r"'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"")
# Names bound by CEL macros, e.g. `customer.tags.exists(t, t == 'vip')` binds `t`.
_MACRO_BINDING = re.compile(r"\.\s*(?:all|exists|exists_one|map|filter)\s*\(\s*([A-Za-z_]\w*)\s*,")
_FACT_REFERENCE = re.compile(r"(?<![.\w])(customer|order|ticket)\s*\.\s*([A-Za-z_]\w*)")


@dataclass(frozen=True, slots=True)
class Expression:
    """A compiled CEL expression and the text the merchant wrote."""

    source: str
    program: cel.Program = field(compare=False, repr=False)

    def evaluate(self, context: dict[str, Any]) -> object:
        """The expression's value; raises (KeyError, TypeError, ...) when it cannot be computed."""
        result: object = self.program.execute(context)
        return result

    def fact_references(self) -> list[tuple[str, str]]:
        """The `customer.x`-like facts the expression reads, in order, without duplicates."""
        seen: list[tuple[str, str]] = []
        for match in _FACT_REFERENCE.finditer(_without_strings(self.source)):
            pair = (match.group(1), match.group(2))
            if pair not in seen:
                seen.append(pair)
        return seen

    def __str__(self) -> str:
        return self.source


def compile_expression(source: str, *, allow_segment: bool = True) -> Expression:
    """Compile and check `source`; ValueError with a one-line reason if it is not a valid rule."""
    try:
        program = cel.compile(source)
    except ValueError as exc:
        raise ValueError(_short_syntax_error(str(exc))) from None
    expression = Expression(source=source, program=program)
    _check_variables(expression, allow_segment=allow_segment)
    _check_facts(expression)
    _check_types(expression)
    return expression


def _without_strings(source: str) -> str:
    return _STRING_LITERAL.sub("''", source)


def _short_syntax_error(message: str) -> str:
    match = _CEL_ERROR.search(message)
    if match is None:
        return "invalid expression: " + message.splitlines()[0][:120]
    line, column, detail = int(match.group(1)), match.group(2), match.group(3)
    detail = detail.split(" expecting ")[0].strip()
    where = f"column {column}" if line == 1 else f"line {line} column {column}"
    return f"syntax error at {where}: {detail[:100]}"


def _check_variables(expression: Expression, *, allow_segment: bool) -> None:
    bound = set(_MACRO_BINDING.findall(_without_strings(expression.source)))
    allowed = VARIABLES if allow_segment else VARIABLES - {"segment"}
    for name in expression.program.variables():
        if name in allowed or name in bound:
            continue
        if name == "segment":
            raise ValueError("'segment' is not known yet while choosing the segment")
        names = ", ".join(sorted(allowed))
        raise ValueError(f"unknown variable '{name}' (rules can read {names})")


def _check_facts(expression: Expression) -> None:
    for variable, name in expression.fact_references():
        if name not in FACTS[variable]:
            known = ", ".join(FACTS[variable])
            raise ValueError(f"unknown fact '{variable}.{name}' (known: {known})")


def _check_types(expression: Expression) -> None:
    """Refuse type errors such as `order.total * 2` (double * int), found on sample facts.

    Only type errors count: a missing list element or a division by zero depends on the
    customer and is handled at run time (the rule does not match).
    """
    try:
        expression.evaluate(sample_facts())
    except TypeError as exc:
        first_sentence = str(exc).splitlines()[0].split(". ")[0]
        raise ValueError(f"type error: {first_sentence[:100]}") from None
    except Exception:  # value-dependent failures are judged per customer, at run time
        return
