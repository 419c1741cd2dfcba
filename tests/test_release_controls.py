"""What an office controls before it publishes, on real refreshes of the shipped data: breakdowns (parts against
totals, progress on a part, a split indicator's history), confidential figures (kept, never served; one that the
published ones give away holds the release), and release times (a publication under embargo is served only from the
first refresh after its time)."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import OBS_HEADER, REPO_RAW
from dagster import DagsterInstance

from orchestration.commands.refresh import run_refresh
from orchestration.domain import clock
from orchestration.publish.disclosure import confirm_all
from orchestration.store.warehouse import Warehouse

pytestmark = pytest.mark.slow  # the slow lane: several refreshes

CENSUS = "test-census-by-sex"
NEWER = "test-income-survey"
EMBARGOED = "test-embargoed-bulletin"
# Figures whose every digit is unique in the shipped data: a value found in a served file is the figure itself.
WOMEN_OF_330822 = 12.417  # confidential (C): the total and the men's are free, so it can be worked out
MEN_OF_330822 = 12.683


def add_sources(raw: Path, release_at: str) -> None:
    """Three test sources, the catalogue given its release_at column: one under embargo until `release_at`."""
    path = raw / "catalogue" / "sources.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    base = {"date_precision": "day", "citation": "tests", "trust": "official", "note": "", "release_at": ""}
    rows += [
        {
            **base,
            "source_id": CENSUS,
            "title": "七普分性别人口 (test)",
            "publisher": "衢州市统计局",
            "published_on": "2021-06-01",
        },
        {**base, "source_id": NEWER, "title": "居民收入调查 (test)", "publisher": "衢州市统计局", "published_on": "2024-01-15"},
        {**base, "source_id": EMBARGOED, "title": "统计公报 (test)", "publisher": "衢州市统计局", "published_on": "2026-02-28"}
        | {"release_at": release_at},
    ]
    out = io.StringIO()
    writer = csv.DictWriter(out, [*rows[0].keys(), "release_at"], lineterminator="\n", restval="")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def write_long(raw: Path, name: str, extra: str, *rows: str) -> None:
    header = OBS_HEADER.strip() + (f",{extra}" if extra else "")
    (raw / "observations" / name).write_text(header + "\n" + "".join(r + "\n" for r in rows), encoding="utf-8")


def census_rows(men_status: str) -> list[str]:
    row = "{region},POP_RESIDENT,2020,{value},万人,level,normal,exact,{value}万人," + CENSUS + ",,{sex},{conf}"
    return [
        row.format(region="330802", value="50.10", sex="", conf=""),  # 50.10 = 25.40 + 24.70: agrees
        row.format(region="330802", value="25.40", sex="M", conf=""),
        row.format(region="330802", value="24.70", sex="F", conf=""),
        row.format(region="330803", value="40.20", sex="", conf=""),  # 20.60 + 19.10 = 39.70: half a 万 short
        row.format(region="330803", value="20.60", sex="M", conf=""),
        row.format(region="330803", value="19.10", sex="F", conf=""),
        row.format(region="330822", value="25.100", sex="", conf=""),
        row.format(region="330822", value=MEN_OF_330822, sex="M", conf=men_status),
        row.format(region="330822", value=WOMEN_OF_330822, sex="F", conf="C"),
    ]


def served_text(data: Path) -> str:
    """Every served form as text: each snapshot table, each Parquet file and each SDMX file of the current release."""
    current = data / "serving" / "current"
    parts = []
    with duckdb.connect(str(current / "snapshot.duckdb"), read_only=True) as con:
        for (table,) in con.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall():
            parts.append(repr(con.execute(f"select * from marts.{table}").fetchall()))
        for parquet in current.glob("*.parquet"):
            parts.append(repr(con.execute("select * from read_parquet(?)", [str(parquet)]).fetchall()))
    parts += [p.read_text(encoding="utf-8") for p in (current / "sdmx").glob("*.csv")]
    return "\n".join(parts)


def query(data: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def refreshes(tmp_path_factory, restore_environ):
    """Three refreshes: the first held (a confidential figure given away), the second published once a steward
    confirmed, the third after the steward marked the men's figure too and the embargo's time passed."""
    root = tmp_path_factory.mktemp("controls")
    raw, data = root / "raw", root / "data"
    shutil.copytree(REPO_RAW, raw)
    release_at = (clock.now_utc() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M+00:00")
    add_sources(raw, release_at)
    write_long(raw, "census-by-sex.csv", "sex,conf_status", *census_rows(men_status=""))
    write_long(
        raw,
        "income-survey.csv",
        "urbanisation",
        f"330800,INCOME_ALL,2022,57470,元,level,normal,exact,57470元,{NEWER},revised,U",
    )
    write_long(raw, "embargoed.csv", "", f"330800,URBANISATION,2025,61.7,%,level,normal,exact,61.7%,{EMBARGOED},")
    targets = raw / "targets" / "urban-income-target.csv"
    targets.write_text(
        "target_id,plan_code,plan_name,region_code,indicator_code,target_year,base_year,comparator,target_value,unit,"
        "binding,applies_to_subregions,verified,source_id,as_published,urbanisation\n"
        f"TEST-URBAN-INCOME,TEST_PLAN,测试规划,330800,INCOME_ALL,2025,2014,ge,70000,元,anticipatory,false,true,{NEWER},"
        "城镇居民收入达到7万元,U\n",
        encoding="utf-8",
    )
    instance = DagsterInstance.ephemeral()
    held = run_refresh(data, raw, instance)
    warehouse = Warehouse(data)
    confirmed = confirm_all(warehouse, "steward", "tests: published around")
    published = run_refresh(data, raw, instance)
    states = {"held": held, "confirmed": confirmed, "published": published, "served_published": served_text(data)}
    states["report"] = published.report.read_text(encoding="utf-8")

    write_long(raw, "census-by-sex.csv", "sex,conf_status", *census_rows(men_status="D"))
    real_now = clock.now_utc
    try:
        clock.now_utc = lambda: real_now() + timedelta(days=2)  # the release time has passed
        states["released"] = run_refresh(data, raw, instance)
    finally:
        clock.now_utc = real_now
    states["served_released"] = served_text(data)
    return data, states


def test_a_confidential_figure_the_published_ones_give_away_holds_the_release(refreshes):
    _, states = refreshes
    held = states["held"]
    assert held.success and held.files["quarantined"] == 0
    assert held.held == ["330822 · POP_RESIDENT sex=F · 2020: part_of_total, the total (_T) less sex=M"]
    assert "Refresh HELD, NOT published" in held.verdict and "make confirm-disclosure" in held.verdict
    assert held.snapshot is None  # nothing was published: a first refresh held leaves no release at all
    assert "reports/quality_report:published_without_warnings" in held.checks_failed  # the run says so in Dagster too
    assert [d.describe() for d in states["confirmed"]] == held.held
    assert states["published"].held == [] and states["published"].snapshot is not None


def test_a_confidential_figure_is_kept_in_the_warehouse_and_served_nowhere(refreshes):
    data, states = refreshes
    kept = query(
        data,
        "select sex, conf_status, value from marts.fct_observation "
        "where region_code = '330822' and indicator_code = 'POP_RESIDENT' and period_label = '2020' order by sex",
    )
    assert kept == [("F", "C", WOMEN_OF_330822), ("M", "D", MEN_OF_330822), ("_T", "F", 25.1)]
    assert str(WOMEN_OF_330822) not in states["served_published"]
    assert str(MEN_OF_330822) in states["served_published"]  # free, until the steward marked it
    assert str(WOMEN_OF_330822) not in states["served_released"] and str(MEN_OF_330822) not in states["served_released"]
    assert query(data, "select count(*) from quality.qa_disclosure") == [(0,)]  # marked: nothing gives them away now
    assert "保密数据(不发布) confidential figures" in states["report"]


def test_parts_and_totals_are_compared_within_rounding(refreshes):
    data, _ = refreshes
    compared = query(
        data,
        "select region_code, dimension, total_value, parts_sum, difference, passed from quality.qa_breakdown_totals "
        "where indicator_code = 'POP_RESIDENT' order by region_code",
    )
    assert compared == [
        ("330802", "sex", 50.1, pytest.approx(50.1), pytest.approx(0.0), True),
        ("330803", "sex", 40.2, pytest.approx(39.7), pytest.approx(0.5), False),
        ("330822", "sex", 25.1, pytest.approx(25.1), pytest.approx(0.0), True),
    ]
    # per-capita income: the total lies between its urban and rural parts
    assert query(
        data, "select bool_and(passed), count(*) from quality.qa_breakdown_totals where indicator_code = 'INCOME_ALL'"
    ) == [(True, 2)]


def test_a_split_indicator_is_a_part_of_its_total_with_its_history(refreshes):
    data, _ = refreshes
    assert query(data, "select count(*) from marts.fct_observation where indicator_code = 'INCOME_URBAN'") == [(0,)]
    assert query(data, "select count(*) from marts.dim_indicator where indicator_code in ('INCOME_URBAN', 'INCOME_RURAL')") == [
        (0,)
    ]
    vintages = query(
        data,
        "select source_id, value, is_latest, is_revision, previous_value from marts.fct_observation_vintage "
        "where indicator_code = 'INCOME_ALL' and region_code = '330800' and period_label = '2022' "
        "and breakdown = 'urbanisation=U' and not is_withdrawn order by vintage_rank",
    )
    # the revision of a figure first published under INCOME_URBAN (the yearbook-shaped workbook) and now as a part
    assert vintages == [(NEWER, 57470.0, True, True, 57465.0), ("chinadaily-2023-03-17-qz-income", 57465.0, False, False, None)]


def test_progress_is_assessed_on_the_part_a_target_names(refreshes):
    data, _ = refreshes
    ((breakdown, latest, status),) = query(
        data,
        "select breakdown, latest_value, status from marts.mart_indicator_progress where target_id = 'TEST-URBAN-INCOME'",
    )
    assert (breakdown, latest) == ("urbanisation=U", 57470.0)  # the urban series, not the total's 45,276
    assert status != "not_assessable"


def test_an_embargoed_publication_is_served_from_the_first_refresh_after_its_time(refreshes):
    data, states = refreshes
    assert "61.7" not in states["served_published"]
    assert "embargoed until" in states["report"] and EMBARGOED in states["report"]
    released = states["released"]
    assert released.success and "incremental" in released.dbt_scope
    assert query(
        data, "select value, source_id from marts.fct_observation where indicator_code = 'URBANISATION' and period_label = '2025'"
    ) == [(61.7, EMBARGOED)]
    assert "61.7" in states["served_released"]
    assert query(data, "select count(*) from quality.qa_embargoed") == [(0,)]
