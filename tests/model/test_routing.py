"""The routing table."""

from __future__ import annotations

import pytest

from sim.model.routing import decide


@pytest.mark.parametrize(("tier", "resolve", "dept", "tiers", "linked", "lateral", "above",
                          "expected"), [
    ("township", "township", "police", ("township", "county"), True, True, "county",
     ("dispatch", "police")),  # lateral diversion (001 五.3)
    ("township", "township", "police", ("township", "county"), True, False, "county",
     ("escalate", None)),  # no lateral diversion: townships escalate
    ("township", "county", "civil_affairs", ("county", "city"), True, True, "county",
     ("escalate", None)),
    ("county", "county", "civil_affairs", ("county", "city"), True, True, "city",
     ("dispatch", "civil_affairs")),
    ("township", "township", "urban_management", ("county",), False, True, "county",
     ("escalate", None)),  # not a linked department: reached from the county
    ("county", "township", "urban_management", ("county",), False, True, "city",
     ("dispatch", "urban_management")),
    ("township", "township", None, (), False, True, "county", ("handle", None)),
    ("township", "county", None, (), False, True, "county", ("escalate", None)),
    ("city", "city", None, (), False, True, None, ("handle", None)),
])
def test_routing(tier, resolve, dept, tiers, linked, lateral, above, expected) -> None:
    d = decide(tier, resolve, dept, tiers, linked, lateral, above)
    assert (d.action, d.department) == expected
