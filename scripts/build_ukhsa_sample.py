"""Build Patchbot's bundled UKHSA sample from the real UKHSA files in ``../shared/data``.

The files (``ukhsa-dashboard/source_data/``) are the UKHSA data dashboard's own ingestion files:
one time series each. The COVID-19 deaths by council (``COVID-19_deaths_ONSByWeek_LTLA_*``, 259
councils, weeks beginning 2022-10-31 to 2023-10-30) become, as the API serves them, the rows
``ukhsa-sample`` drafts from, in the document the live ``ukhsa`` source builds from the API
(``bot/sources/ukhsa_rows.py``), written gzip-compressed to
``bot/data/ukhsa/ukhsa_<metric>_<release>.json.gz``. The release is the files' embargo: the day
UKHSA made the figures public.

Each file maps to API rows as the API's ingestion does: ``parent_theme`` -> ``theme``,
``child_theme`` -> ``sub_theme``, each ``time_series`` entry -> one row with ``date``,
``epiweek`` and ``metric_value``, ``year`` and ``month`` from the date, and
``in_reporting_delay_period`` false (these weeks are long past the delay). The fake API in
``tests/fakes/ukhsa_api.py`` serves the real files through the same ``api_rows``.

Run from the repository root:  python scripts/build_ukhsa_sample.py [--shared ../shared/data]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "bot" / "data" / "ukhsa"
METRIC = "COVID-19_deaths_ONSByWeek"
PASSED_ON = ("topic", "geography_type", "geography", "geography_code", "metric", "metric_group",
             "stratum", "sex", "age")  # fmt: skip


def api_rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    """One ingestion file's time series as the API's rows, oldest first."""
    rows = []
    for entry in document["time_series"]:
        day = dt.date.fromisoformat(entry["date"])
        rows.append({
            "theme": document["parent_theme"], "sub_theme": document["child_theme"],
            **{key: document[key] for key in PASSED_ON},
            "year": day.year, "month": day.month, "epiweek": int(entry["epiweek"]),
            "date": entry["date"], "metric_value": float(entry["metric_value"]),
            "in_reporting_delay_period": False,
        })  # fmt: skip
    return sorted(rows, key=lambda row: str(row["date"]))


def build(files: list[Path]) -> tuple[dict[str, Any], dt.date]:
    """The sample document and its release (the latest embargo of the files)."""
    documents = sorted(
        (json.loads(path.read_text(encoding="utf-8")) for path in files),
        key=lambda document: str(document["geography_code"]),
    )
    first = documents[0]
    route = {"theme": first["parent_theme"], "sub_theme": first["child_theme"],
             "topic": first["topic"], "geography_type": first["geography_type"]}  # fmt: skip
    series = [{"geography": d["geography"], "results": api_rows(d)} for d in documents]
    embargoes = {entry["embargo"] for d in documents for entry in d["time_series"]}
    release = max(dt.datetime.fromisoformat(embargo).date() for embargo in embargoes)
    return {"route": route, "metric": first["metric"], "series": series}, release


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args()
    folder = args.shared / "ukhsa-dashboard" / "source_data"
    files = sorted(folder.glob(f"{METRIC}_LTLA_*.json"))
    document, release = build(files)
    text = json.dumps(document, sort_keys=True, separators=(",", ":"))
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*.json.gz"):
        old.unlink()
    path = args.out / f"ukhsa_{METRIC}_{release.isoformat()}.json.gz"
    # mtime=0 keeps the output byte-identical between runs, so git sees no change.
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        out.write(text.encode("utf-8"))
    rows = sum(len(item["results"]) for item in document["series"])
    print(f"{len(files)} councils, {rows} rows written to {path}")


if __name__ == "__main__":
    main()
