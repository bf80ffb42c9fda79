"""Provenance of every rule and number: an article of a seed regulation, or a marked assumption."""

from __future__ import annotations

import re
from typing import Self

from pydantic import BaseModel, ConfigDict, model_validator

# e.g. "002 第十九条", "001 三.1", "001 附件2", "001 办法16", "000 第六条; 002 第八条"
CITATION = re.compile(r"^\d{3} \S+")


class Strict(BaseModel):
    """Base for every scenario model: unknown keys are errors, values are not coerced loosely."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class Cited(Strict):
    """A rule with its provenance.

    ``cite`` names the seed article(s) (``"002 第十九条"``); ``assumed`` says where a number the
    regulation does not give came from (a published figure, or ``"assumed: …"``). At least one is
    required, so nothing in a rules file can pretend a regulation said it.
    """

    cite: str | None = None
    assumed: str | None = None

    @model_validator(mode="after")
    def _has_provenance(self) -> Self:
        if not self.cite and not self.assumed:
            raise ValueError("needs 'cite' (e.g. \"002 第十九条\") or 'assumed' (its source)")
        if self.cite:
            for part in self.cite.split(";"):
                if not CITATION.match(part.strip()):
                    raise ValueError(
                        f"cite {part.strip()!r} must start with the seed number and an article, "
                        "e.g. \"002 第十九条\""
                    )
        return self

    @property
    def is_assumption(self) -> bool:
        """True when no article backs this rule at all."""
        return not self.cite
