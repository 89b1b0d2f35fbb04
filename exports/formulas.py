"""custom_fields formulas: arithmetic over metric names, parsed with ast and never eval'd."""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Iterable, Mapping

from .errors import InvalidFormula

MAX_LENGTH = 200
_BINARY: dict[type, Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}

Formula = Callable[[Mapping[str, float | None]], float | None]


def compile_formula(text: str, names: Iterable[str]) -> Formula:
    """Return a function of a row computing `text`; refuse anything but + - * / ( ) numbers and names."""
    allowed = set(names)
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_LENGTH:
        raise InvalidFormula(f"A formula is text of 1 to {MAX_LENGTH} characters.")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise InvalidFormula(f"The formula {text!r} is not valid arithmetic.") from exc
    return _build(tree.body, allowed, text)


def _build(node: ast.AST, allowed: set[str], text: str) -> Formula:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        value = float(node.value)
        return lambda row: value
    if isinstance(node, ast.Name):
        if node.id not in allowed:
            raise InvalidFormula(
                f"Unknown name {node.id!r} in {text!r}; use metric fields: {', '.join(sorted(allowed))}."
            )
        name = node.id
        return lambda row: row.get(name)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _binary(
            _BINARY[type(node.op)],
            _build(node.left, allowed, text),
            _build(node.right, allowed, text),
        )
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner, sign = (
            _build(node.operand, allowed, text),
            -1.0 if isinstance(node.op, ast.USub) else 1.0,
        )
        return lambda row: None if (v := inner(row)) is None else sign * v
    what = type(getattr(node, "op", node)).__name__
    raise InvalidFormula(
        f"{what} is not allowed in {text!r}: only numbers, metric names, "
        "+ - * /, parentheses and unary minus."
    )


def _binary(op, left: Formula, right: Formula) -> Formula:
    def apply(row):
        a, b = left(row), right(row)
        if a is None or b is None:
            return None
        try:
            return op(float(a), float(b))
        except ZeroDivisionError:
            return None

    return apply
