"""Release times (sources.csv release_at): refused when they cannot be right, and the sensor that starts the refresh
which publishes what waited for them."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
from test_ingest import ingest_all

from orchestration.definitions import defs
from orchestration.defs.automation import release_time_sensor
from orchestration.defs.resources import RawFilesResource, WarehouseResource
from orchestration.domain import clock
from orchestration.store.warehouse import Warehouse

SERVED = "chinadaily-2023-02-24-qz-pop"  # a source the shipped figures come from


def set_sources(raw, **release_at: str) -> None:
    """sources.csv given its release_at column: `source_id=time` for the sources that have one, new rows for new ids."""
    path = raw / "catalogue" / "sources.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    known = {r["source_id"] for r in rows}
    for source_id in release_at.keys() - known:
        rows.append(
            {"source_id": source_id, "title": "统计公报 (test)", "publisher": "衢州市统计局", "published_on": "2026-12-01"}
            | {"date_precision": "day", "citation": "tests", "trust": "official"}
        )
    for row in rows:
        row["release_at"] = release_at.get(row["source_id"], "")
    out = io.StringIO()
    writer = csv.DictWriter(out, [*rows[0]], lineterminator="\n", restval="")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def refusals(outcome) -> list[tuple]:
    return [(i.column, i.rule, i.value) for i in outcome.issues]


def test_a_release_time_before_its_publication_or_without_a_zone_is_refused(raw_copy, tmp_path):
    set_sources(raw_copy, **{"test-early": "2026-11-30T23:00+08:00", "test-no-zone": "2026-12-02T09:30"})
    outcome = ingest_all(raw_copy, Warehouse(tmp_path / "data"))["catalogue/sources.csv"]
    assert outcome.status == "quarantined"
    by_rule = {issue.rule: issue for issue in outcome.issues}
    assert set(by_rule) == {"expect_column_values_to_be_in_set", "parse_timestamp"}
    early = by_rule["expect_column_values_to_be_in_set"]
    assert early.column == "release_at" and "before the day the source is dated" in early.message
    assert "no time zone" in by_rule["parse_timestamp"].message


def test_a_release_prepared_ahead_may_be_dated_in_the_future_and_one_without_a_release_time_may_not(raw_copy, tmp_path):
    ahead = (clock.now_utc() + timedelta(days=30)).date()
    set_sources(raw_copy, **{"test-ahead": f"{ahead}T09:30+08:00"})
    path = raw_copy / "catalogue" / "sources.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "test-ahead,统计公报 (test),衢州市统计局,2026-12-01", f"test-ahead,统计公报 (test),衢州市统计局,{ahead}"
        ),
        encoding="utf-8",
    )
    warehouse = Warehouse(tmp_path / "data")
    assert ingest_all(raw_copy, warehouse)["catalogue/sources.csv"].status == "loaded"
    path.write_text(path.read_text(encoding="utf-8").replace(f"{ahead}T09:30+08:00", ""), encoding="utf-8")
    refused = ingest_all(raw_copy, warehouse, "again")["catalogue/sources.csv"]
    assert refusals(refused) == [("published_on", "future_publication", str(ahead))]


def test_an_embargo_over_figures_already_served_is_refused(raw_copy, tmp_path):
    warehouse = Warehouse(tmp_path / "data")
    assert ingest_all(raw_copy, warehouse)["observations/chinadaily-2023-02-24-qz-pop.csv"].status == "loaded"
    tomorrow = (clock.now_utc() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M+00:00")
    set_sources(raw_copy, **{SERVED: tomorrow})
    refused = ingest_all(raw_copy, warehouse, "again")["catalogue/sources.csv"]
    assert [(c, r) for c, r, _ in refusals(refused)] == [("release_at", "embargo_after_release")]
    assert f"source {SERVED} is released already" in refused.issues[0].message
    assert "observations/chinadaily-2023-02-24-qz-pop.csv line 2" in refused.issues[0].message
    set_sources(raw_copy, **{SERVED: "2023-02-24T10:00+08:00"})  # a time already past: nothing is taken back
    assert ingest_all(raw_copy, warehouse, "third")["catalogue/sources.csv"].status == "loaded"


def published_release(data: Path, at: datetime) -> None:
    """A current release published at `at` (naive UTC), as far as the sensor reads one."""
    current = data / "serving" / "current"
    current.mkdir(parents=True)
    with duckdb.connect(str(current / "snapshot.duckdb")) as con:
        con.execute(
            "create schema meta; create table meta.release (release_id varchar, published_at timestamptz, run_id varchar)"
        )
        con.execute("insert into meta.release values ('000001', ?, 'run-1')", [at.replace(tzinfo=UTC)])


def test_the_sensor_requests_one_refresh_once_a_release_time_passes(raw_copy, tmp_path, monkeypatch):
    now = datetime(2027, 1, 20, 1, 0)  # naive UTC: 09:00 in Beijing
    set_sources(raw_copy, **{"test-bulletin": "2027-01-20T09:30+08:00", "test-older": "2027-01-19T09:30+08:00"})
    resources = {"raw_files": RawFilesResource(root=str(raw_copy)), "warehouse": WarehouseResource(data_dir=str(tmp_path))}

    def evaluate(at: datetime):
        monkeypatch.setattr(clock, "now_utc", lambda: at)
        return release_time_sensor(dg.build_sensor_context(resources=resources))

    assert "nothing published yet" in evaluate(now).skip_message  # opening the UI on a new folder starts nothing
    published_release(tmp_path, now - timedelta(hours=2))  # after the 19th's release time: that one is served
    assert isinstance(evaluate(now + timedelta(minutes=20)), dg.SkipReason)  # 09:20 in Beijing: not yet
    request = evaluate(now + timedelta(minutes=31))
    assert isinstance(request, dg.RunRequest) and request.run_key == "release-2027-01-20T01:30:00"
    # the daemon was down at 09:30: its first evaluation afterwards asks for the same run (one per run key)
    assert evaluate(now + timedelta(hours=5)).run_key == request.run_key


def test_the_daemon_runs_the_release_sensor_without_anyone_turning_it_on():
    sensor = defs.get_sensor_def("release_time_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING and sensor.job_name == "refresh_warehouse"
