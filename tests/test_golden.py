"""Golden files: each story's copy for a fixed real week and patch, as reviewed.

A wording change shows up here as a diff to review. After an intended change, regenerate with:
    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from bot import pipeline
from bot.context import RunContext
from bot.settings import Settings
from bot.stories import STORIES

GOLDEN = Path(__file__).parent / "golden"
WEEK = dt.date(2020, 11, 25)  # bundled data, default patch (North East and North Yorkshire)


@pytest.mark.parametrize("story", list(STORIES))
def test_story_matches_its_golden_file(story: str) -> None:
    drafts = pipeline.draft(RunContext.build(Settings.load(environ={})), WEEK, only=[story])
    (draft,) = drafts.drafts
    copy = f"{draft.headline}\n\n{draft.text}\n"
    golden = GOLDEN / f"{story}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(copy, encoding="utf-8")
    assert golden.read_text(encoding="utf-8") == copy, (
        f"{story} copy changed; if intended: UPDATE_GOLDEN=1 .venv/bin/python -m pytest "
        "tests/test_golden.py"
    )
