"""docs/trust.md: every row names tests that exist, so the table cannot promise what CI does
not check."""

from __future__ import annotations

import re

from tests.helpers import ROOT


def test_every_test_named_in_the_trust_table_exists() -> None:
    table = (ROOT / "docs" / "trust.md").read_text()
    named = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", table)
    assert len(named) >= 40
    missing = [
        f"{path}::{name}"
        for path, name in named
        if not re.search(rf"^def {name}\(", (ROOT / path).read_text(), re.MULTILINE)
    ]
    assert missing == []


def test_every_row_names_a_test() -> None:
    rows = [
        line
        for line in (ROOT / "docs" / "trust.md").read_text().splitlines()
        if line.startswith("| ") and not line.startswith(("| scenario", "|---"))
    ]
    assert rows
    assert [row for row in rows if "`tests/" not in row] == []
