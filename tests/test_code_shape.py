"""The code stays in small pieces: no module over 500 lines, no function over 80.

Long modules and functions were where facts got written twice; this keeps them from growing
back. An exception needs a reason here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted([*ROOT.glob("hedong_geo/**/*.py"), ROOT / "app.py", *ROOT.glob("geodata/*.py")])
MODULE_MAX = 500
FUNCTION_MAX = 80
# function → why it may be longer
FUNCTION_EXCEPTIONS = {
    "hedong_geo/_plan_parser.py:_Parser._step": "the parser's grammar step: a branch a line kind",
}


def _functions(tree: ast.AST, prefix: str = ""):
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield f"{prefix}{node.name}", node
            yield from _functions(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, f"{prefix}{node.name}.")


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_module_and_functions_are_small(path: Path):
    text = path.read_text(encoding="utf-8")
    rel = path.relative_to(ROOT).as_posix()
    lines = text.count("\n")
    assert lines <= MODULE_MAX, f"{rel} has {lines} lines (at most {MODULE_MAX}): split it by job"
    long = []
    for name, node in _functions(ast.parse(text)):
        length = node.end_lineno - node.lineno + 1
        if length > FUNCTION_MAX and f"{rel}:{name}" not in FUNCTION_EXCEPTIONS:
            long.append(f"{name} ({length} lines)")
    assert not long, f"{rel}: functions over {FUNCTION_MAX} lines: {', '.join(long)}"
