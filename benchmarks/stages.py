"""One in-process timing of the pipeline's stages, and of the floor, printed as JSON.

    python benchmarks/stages.py [FILE]      (default: the bundled data)

The floor is the least any drafting could cost: the fastest read of the same bytes (pyarrow's
typed CSV reader, no checks) plus rendering the same stories from contexts computed
beforehand, so that only Jinja's own work is timed.
"""

from __future__ import annotations

import time

started = time.perf_counter()

import datetime as dt  # noqa: E402
import gzip  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402

import pyarrow as pa  # noqa: E402
import pyarrow.csv as pa_csv  # noqa: E402

from bot.geography import load_geography  # noqa: E402
from bot.rendering import Renderer  # noqa: E402
from bot.rules import patches_week  # noqa: E402
from bot.sources import SourceOptions, open_source  # noqa: E402
from bot.sources.phe import load_cases  # noqa: E402
from bot.stories.drafting import draft_patches, story_meta, template_context  # noqa: E402
from bot.stories.settings import load_story_settings  # noqa: E402

TYPES = {
    "newCasesBySpecimenDateRollingSum": pa.int64(),
    "newCasesBySpecimenDateRollingRate": pa.float64(),
    "newCasesBySpecimenDateChange": pa.int64(),
    "newCasesBySpecimenDateChangePercentage": pa.float64(),
    "date": pa.date32(),
}


def main() -> None:
    clock = time.perf_counter
    imported = clock()
    geography = load_geography()
    renderer = Renderer()
    settings = load_story_settings(renderer.templates_dir)
    source = open_source(sys.argv[1] if len(sys.argv) > 1 else None, SourceOptions())
    raw = source.fetch(geography.england(), geography)
    loaded = clock()
    cases = load_cases(raw, geography, dt.date.today())
    validated = clock()
    patches = geography.each_council()
    week = cases.weeks[-1]
    table = patches_week(cases, geography, patches, week)
    sets = draft_patches(table, patches, week, cases, renderer, settings)
    drafted = clock()

    contexts = []
    for drafts in sets:
        meta = story_meta(drafts.patch, week, cases.release)
        for draft in drafts.drafts:
            contexts.append(
                (draft.story, template_context(draft.story, meta, draft.facts), drafts.patch.name)
            )
    floor_start = clock()  # the same file's bytes: decompressing is part of reading them
    content = gzip.decompress(raw.content) if raw.content[:2] == b"\x1f\x8b" else raw.content
    pa_csv.read_csv(io.BytesIO(content), convert_options=pa_csv.ConvertOptions(column_types=TYPES))
    floor_read = clock()
    for story, context, patch in contexts:
        story_settings = settings[story]
        renderer.render(
            story, context, story_settings.headlines, story_settings.intros, f"{story}|{patch}"
        )
    floor_rendered = clock()
    print(
        json.dumps(
            {
                "imports": imported - started,
                "read_validate": validated - loaded,
                "detect_render": drafted - validated,
                "pipeline": drafted - loaded,
                "floor_read": floor_read - floor_start,
                "floor_render": floor_rendered - floor_read,
                "drafts": sum(len(s.drafts) for s in sets),
                "rows": cases.rows,
            }
        )
    )


if __name__ == "__main__":
    main()
