"""How two rule sets differ, rule by rule, with the articles behind each side.

Computed by walking the two :class:`~sim.config.Rules` models field by field: a fifth
jurisdiction needs no code here. Every value sits inside some :class:`~sim.config.cited.Cited`
block, whose ``cite`` (or ``assumed`` source) is the provenance reported for it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from sim.config import Rules
from sim.config.cited import Cited

# Identity, labels and descriptions, not rules the model acts on: jurisdictions always differ
# in name, Chinese labels and function lists are prose, and the grid code layout is fixed.
_SKIP = {"jurisdiction", "grids.code", "centres.functions", "matters.off_list_approver"}
_LABELS = {"name_zh"}
_PROVENANCE = {"cite", "assumed"}
# Maps whose values are themselves articles (category -> article listing it): what matters is
# whether a key is listed, and the value is that entry's provenance.
_ARTICLE_MAPS = {"matters.categories", "matters.barred"}
LISTED = "listed"
MISSING = "—"


@dataclass(frozen=True)
class RuleDiff:
    """One rule whose value differs between rule sets ``a`` and ``b``."""

    path: str
    a: str
    b: str
    article_a: str
    article_b: str


def provenance(block: Cited) -> str:
    """The article(s) of a rule block, or its stated assumption."""
    if block.cite and block.assumed:
        return f"{block.cite} (assumed: {block.assumed})"
    return block.cite or f"assumed: {block.assumed}"


@dataclass(frozen=True)
class _Leaf:
    value: Any
    article: str
    block: str  # path of the enclosing cited block


def _leaves(value: Any, path: str, article: str, block: str) -> Iterator[tuple[str, _Leaf]]:
    """(path, leaf) for every rule value under ``value``, with its provenance."""
    if path in _SKIP:
        return
    if isinstance(value, BaseModel):
        if isinstance(value, Cited):
            article, block = provenance(value), path
        for name in type(value).model_fields:
            if name not in _PROVENANCE and name not in _LABELS:
                yield from _leaves(getattr(value, name), f"{path}.{name}" if path else name,
                                   article, block)
    elif isinstance(value, dict) and path in _ARTICLE_MAPS:
        for key in sorted(value):
            yield f"{path}.{key}", _Leaf(LISTED, value[key], f"{path}.{key}")
    elif isinstance(value, dict):
        for key in sorted(value):
            yield from _leaves(value[key], f"{path}.{key}", article, block)
    else:
        yield path, _Leaf(value, article, block)


def _rule_leaves(rules: Rules) -> dict[str, _Leaf]:
    return dict(_leaves(rules, "", MISSING, ""))


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def diff_rules(a: Rules, b: Rules) -> list[RuleDiff]:
    """Every rule value that differs between ``a`` and ``b`` (present in one only counts),
    in the rules file's order."""
    left, right = _rule_leaves(a), _rule_leaves(b)
    absent = _Leaf(None, MISSING, "")
    out = []
    for p in [*left, *(p for p in right if p not in left)]:
        la, lb = left.get(p, absent), right.get(p, absent)
        if p in left and p in right and la.value == lb.value:
            continue
        out.append(RuleDiff(p, _show(la.value) if p in left else MISSING,
                            _show(lb.value) if p in right else MISSING, la.article, lb.article))
    return out


def citations(rules: Rules) -> list[str]:
    """``block: article`` for every cited block of ``rules`` (what a report relies on)."""
    seen: dict[str, str] = {}
    for _path, leaf in _leaves(rules, "", MISSING, ""):
        if leaf.block:
            seen.setdefault(leaf.block, leaf.article)
    return [f"{block}: {article}" for block, article in seen.items()]


def matches(path: str, prefixes: Sequence[str]) -> bool:
    """Whether rule ``path`` lies under any of ``prefixes`` (whole dotted segments)."""
    return any(path == p or path.startswith(p + ".") for p in prefixes)
