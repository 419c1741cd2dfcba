"""The whole asset graph materialised in-process into a temporary folder: raw → GX → DuckDB → dbt marts."""

import csv
import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import MARTS, REPO_RAW, write_obs
from dagster import DagsterInstance
from test_raw_zone import assert_zone_is_raw

from orchestration.commands.refresh import run_refresh
from orchestration.store.warehouse import Warehouse


def query(data: Path, sql: str, *params):
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def snapshot(data: Path) -> dict[str, list[tuple]]:
    return {m: query(data, f"select * from marts.{m} order by all") for m in MARTS}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, restore_environ):
    """One refresh of a copy of raw/, then a second on the same files, then one with a malformed file."""
    root = tmp_path_factory.mktemp("refresh")
    raw, data = root / "raw", root / "data"
    shutil.copytree(REPO_RAW, raw)
    instance = DagsterInstance.ephemeral()
    first = run_refresh(data, raw, instance)
    after_first = snapshot(data)
    releases_after_first = sorted(p.name for p in (data / "serving" / "releases").iterdir())
    second = run_refresh(data, raw, instance)
    after_second = snapshot(data)
    releases_after_second = sorted(p.name for p in (data / "serving" / "releases").iterdir())
    write_obs(raw, "malformed.csv", "330800,URBANISATION,2022,158,%,level,normal,exact,158%,zjrb-2022-quzhou-decade,")
    third = run_refresh(data, raw, instance)
    return {
        "data": data,
        "instance": instance,
        "runs": [first, second, third],
        "snapshots": [after_first, after_second, snapshot(data)],
        "releases": [releases_after_first, releases_after_second],
    }


def test_first_refresh_loads_every_file_and_passes_every_check(warehouse):
    first = warehouse["runs"][0]
    assert first.success
    assert first.files == {
        "loaded": 14,  # 4 catalogues, 9 publications (one a bureau-shaped workbook), 1 target file
        "skipped": 0,
        "quarantined": 0,
        "still_quarantined": 0,
        "deferred": 0,
        "held": 0,
        "withdrawn": 0,
        "moved": 0,
    }
    assert first.figures == {"withdrawn": 0, "changed": 0}
    assert first.render().splitlines()[0].startswith("Refresh succeeded: all files accepted")
    assert first.checks_failed == []
    assert first.checks_passed >= 60
    assert {f"marts/{m}" for m in MARTS} <= set(first.models_built)


@pytest.mark.parametrize(
    ("indicator", "region", "period", "value"),
    [
        ("URBANISATION", "330800", "2012", 45.7),
        ("URBANISATION", "330800", "2021", 58.1),
        ("URBANISATION", "330800", "2022", 59.3),
        ("RD_INTENSITY", "330800", "2012", 1.03),
        ("RD_INTENSITY", "330800", "2021", 2.0),
        ("PM25", "330801", "2013", 68.0),
        ("GDP", "330800", "2022", 2003.4),
        ("POP_URBAN_CHANGE", "330800", "2012-2021", 35.3),
    ],
)
def test_observations_in_the_mart(warehouse, indicator, region, period, value):
    rows = query(
        warehouse["data"],
        "select value, unit from marts.fct_observation where indicator_code = ? and region_code = ? and period_label = ?",
        indicator,
        region,
        period,
    )
    assert len(rows) == 1 and rows[0][0] == value


def test_a_figure_published_twice_is_served_from_the_latest_publication(warehouse):
    rows = query(
        warehouse["data"],
        "select source_id, vintage_count, as_published from marts.fct_observation "
        "where indicator_code = 'RD_INTENSITY' and region_code = '330800' and period_label = '2021'",
    )
    # The press release (dated 2022-09-14) and the article (2022-09-14, inferred) agree: the exactly
    # dated publication is served, and both versions stay in the vintage mart.
    assert rows[0][:2] == ("ezhejiang-2022-09-14-press", 2)
    vintages = query(
        warehouse["data"],
        "select count(*) from marts.fct_observation_vintage where indicator_code = 'RD_INTENSITY' and period_label = '2021'",
    )
    assert vintages == [(2,)]


def test_decade_change(warehouse):
    rows = {
        (r[0], r[1], r[2]): r[3:]
        for r in query(
            warehouse["data"],
            "select indicator_code, region_code, span_kind, start_year, start_value, end_year, end_value, absolute_change, "
            "cagr_pct, improved, price_basis, end_obs_status from marts.mart_decade_change",
        )
    }
    # The article's own span, 这十年 = 2012 → 2021, beside each series' longest one.
    assert rows[("RD_INTENSITY", "330800", "article")][:4] == (2012, 1.03, 2021, 2.0)
    assert rows[("RD_INTENSITY", "330800", "article")][5] == pytest.approx(100 * ((2.0 / 1.03) ** (1 / 9) - 1), abs=1e-4)
    assert rows[("URBANISATION", "330800", "article")][:4] == (2012, 45.7, 2021, 58.1)
    assert rows[("URBANISATION", "330800", "longest_available")][:4] == (2012, 45.7, 2022, 59.3)
    assert rows[("URBANISATION", "330800", "longest_available")][4] == pytest.approx(13.6)
    pm25 = rows[("PM25", "330801", "article")]
    assert pm25[:4] == (2013, 68.0, 2021, 24.0) and pm25[6] is True  # the air figures' span starts in 2013; lower is better
    water = rows[("OUTBOUND_WATER_CLASS", "330800", "article")]
    assert water[:4] == (2012, 3.0, 2021, 2.0) and water[5] is None and water[6] is True  # a grade has no growth rate
    # Money says it is at current prices; the preliminary 2022 GDP says it is provisional.
    gdp = rows[("GDP", "330800", "longest_available")]
    assert gdp[:4] == (2012, 964.0, 2022, 2003.4) and gdp[7:] == ("nominal", "provisional")
    assert rows[("GDP", "330800", "article")][:4] == (2012, 964.0, 2021, 1876.0)
    # No span shorter than five years (Zhejiang's series run 2020-2023 at most) is called a decade.
    assert not [key for key in rows if key[1] == "330000"]
    assert min(v[2] - v[0] for v in rows.values()) >= 5


def progress(data: Path, target_id: str, region: str) -> dict:
    cols = [
        "status",
        "applies_as",
        "plan_base_year",
        "base_year",
        "base_value",
        "base_is_fallback",
        "latest_year",
        "latest_value",
        "trend_years",
        "headline_method",
        "compound_status",
        "linear_status",
        "method_sensitive",
        "progress_ratio",
        "projected_value",
        "unsd_projection_ratio",
        "not_assessable_reason",
    ]
    rows = query(
        data,
        f"select {', '.join(cols)} from marts.mart_indicator_progress where target_id = ? and region_code = ?",
        target_id,
        region,
    )
    assert len(rows) == 1
    return dict(zip(cols, rows[0], strict=True))


def test_progress_against_provincial_targets(warehouse):
    data = warehouse["data"]
    # Zhejiang's urbanisation, 71.0 % (2020, the plan's base) → 74.2 % (2023), against about 80 % in 2035:
    # linear headline (a share), and the compound method agrees.
    urban = progress(data, "ZJ-2035-URBANISATION", "330000")
    assert (urban["base_year"], urban["latest_year"], urban["trend_years"]) == (2020, 2023, 3)
    assert (urban["headline_method"], urban["status"], urban["method_sensitive"]) == ("linear", "substantial_progress", False)
    assert urban["progress_ratio"] == pytest.approx((3.2 / 3) / (9 / 15), abs=1e-4)
    assert urban["projected_value"] == pytest.approx(74.2 + 12 * 3.2 / 3, abs=1e-4)

    # Quzhou against the same target: no 2020 figure, 2021 stands in, and 2021 → 2022 is too short a trend.
    # The 2012 figure, nine years before the plan, is never the base.
    urban_qz = progress(data, "ZJ-2035-URBANISATION", "330800")
    assert (urban_qz["plan_base_year"], urban_qz["base_year"], urban_qz["base_is_fallback"]) == (2020, 2021, True)
    assert (urban_qz["status"], urban_qz["not_assessable_reason"]) == ("not_assessable", "too short a trend")
    assert urban_qz["applies_as"] == "provincial_average"

    # Achieved on the latest figure alone (1.826 < 1.9), even from a one-year trend.
    ratio = progress(data, "ZJ-CP-2025-INCOME-RATIO", "330800")
    assert (ratio["status"], ratio["latest_value"], ratio["trend_years"]) == ("target_achieved", 1.826, 1)
    # Zhejiang's GDP: 2022 and 2023 only, nothing for the plan's base year 2020.
    gdp = progress(data, "ZJ-14FYP-2025-GDP", "330000")
    assert (gdp["status"], gdp["not_assessable_reason"]) == ("not_assessable", "no figure for the plan's base year")
    income = progress(data, "ZJ-CP-2025-INCOME-ALL", "330800")
    assert income["not_assessable_reason"] == "no figure for the plan's base year" and income["base_year"] is None
    # The beds target's comparator was inferred, so it is not verified and gets no status by default.
    beds = progress(data, "ZJ-14FYP-2025-BEDS", "330800")
    assert beds["not_assessable_reason"] == "target not verified from its source"
    # Quzhou's own 2020 targets (base 2015): no comparable figure between 2015 and 2020.
    urban_2020 = progress(data, "QZ-13FYP-2020-URBANISATION", "330800")
    assert urban_2020["not_assessable_reason"] == "no comparable figure from the plan's base year to the target year"
    # Set for every prefecture-level city, versus a province-wide average applied as a benchmark.
    assert progress(data, "ZJ-15PPC-2027-AIR-GOOD-DAYS", "330801")["applies_as"] == "each_subregion"
    assert progress(data, "ZJ-AIR-2025-PM25", "330801")["applies_as"] == "provincial_average"
    # A provincial total does not bind a prefecture.
    assert query(
        data,
        "select count(*) from marts.mart_indicator_progress where target_id = 'ZJ-14FYP-2025-GDP' and region_code = '330800'",
    ) == [(0,)]


def test_every_assessed_trend_starts_at_the_plan_base_year_and_is_long_enough(warehouse):
    rows = query(
        warehouse["data"],
        """
        select p.target_id, p.region_code, p.base_year, t.base_year, p.trend_years
        from marts.mart_indicator_progress as p join marts.fct_target as t using (target_id)
        where p.status not in ('not_assessable', 'target_achieved')""",
    )
    assert rows, "at least one target has a trend status"
    for target_id, region, base_year, plan_base_year, trend_years in rows:
        assert plan_base_year <= base_year <= plan_base_year + 1 and trend_years >= 3, (target_id, region)
    achieved = query(
        warehouse["data"],
        """
        select p.latest_year, t.base_year from marts.mart_indicator_progress as p join marts.fct_target as t using (target_id)
        where p.status = 'target_achieved'""",
    )
    assert achieved and all(latest >= base for latest, base in achieved)


def test_every_figure_of_the_article_is_served(warehouse):
    """Each row of the digitised article, Arabic digits or Chinese numerals, is in fct_observation."""
    with (REPO_RAW / "observations" / "zjrb-2022-quzhou-decade.csv").open(encoding="utf-8") as handle:
        article = list(csv.DictReader(handle))
    served = {
        (r[0], r[1], r[2]): r[3]
        for r in query(warehouse["data"], "select indicator_code, region_code, period_label, value from marts.fct_observation")
    }
    for row in article:
        key = (row["indicator_code"], row["region_code"], row["period"])
        assert key in served and served[key] == pytest.approx(float(row["value"])), row
    assert served[("CENTRAL_CITY_BRIDGEHEADS", "330800", "2022")] == 10  # 十个“桥头堡”


def test_second_refresh_on_the_same_files_changes_nothing(warehouse):
    second = warehouse["runs"][1]
    assert second.success
    assert {k: n for k, n in second.files.items() if n} == {"skipped": 14}
    assert warehouse["snapshots"][1] == warehouse["snapshots"][0]
    # Nothing new: no dbt build, no new release of the serving copy, no new report page.
    assert second.unchanged and second.models_built == []
    assert "dbt: nothing changed since the last build" in second.render()
    assert warehouse["releases"][1] == warehouse["releases"][0] and len(warehouse["releases"][0]) == 1
    assert second.snapshot.exists() and second.report == warehouse["runs"][0].report


def test_malformed_file_is_quarantined_and_the_marts_stay_as_they_were(warehouse):
    third = warehouse["runs"][2]
    assert third.success  # the refresh goes on
    assert {k: n for k, n in third.files.items() if n} == {"skipped": 14, "quarantined": 1}
    assert third.verdict.startswith("Refresh published WITH WARNINGS: 1 quarantined")
    assert third.checks_failed == ["raw/observations:all_files_accepted", "reports/quality_report:published_without_warnings"]
    reasons = third.quarantine_reasons["raw/observations"]
    assert reasons == [
        "- observations/malformed.csv, line 2, column value: [expect_column_pair_values_a_to_be_greater_than_b] "
        "outside the indicator's plausible range: must be at most 100.0 (value '158.0')"
    ]
    assert warehouse["snapshots"][2] == warehouse["snapshots"][0]
    issues = query(warehouse["data"], "select row_number, column_name, rule, value from audit.load_issues")
    assert issues == [(2, "value", "expect_column_pair_values_a_to_be_greater_than_b", "158.0")]
    assert "1 quarantined" in third.render() and "malformed.csv" in third.render()


def test_the_refresh_keeps_the_raw_zone_in_step_for_other_engines(warehouse):
    """Every family's loads are in <data>/raw_zone as Parquet, as raw.* holds them (what Spark builds from)."""
    assert_zone_is_raw(Warehouse(warehouse["data"]))
    partitions = list((warehouse["data"] / "raw_zone" / "observations").glob("load_id=*"))
    assert len(partitions) == len(list((REPO_RAW / "observations").iterdir()))


def test_every_mart_column_is_documented_in_the_dbt_yaml(warehouse):
    import yaml

    from orchestration.dbt_tools.contract_doc import MARTS_DIR

    documented = {}
    for path in MARTS_DIR.glob("*.yml"):
        for model in yaml.safe_load(path.read_text(encoding="utf-8"))["models"]:
            documented[model["name"]] = [c["name"] for c in model["columns"] if c.get("description")]
    built = {}
    for table, column in query(
        warehouse["data"],
        "select table_name, column_name from information_schema.columns where table_schema = 'marts' order by table_name, ordinal_position",
    ):
        built.setdefault(table, []).append(column)
    assert built == documented


def test_the_serving_copy_holds_the_same_marts(warehouse):
    from orchestration.publish.serving import current_snapshot

    with duckdb.connect(str(current_snapshot(warehouse["data"])), read_only=True) as con:
        served = {m: con.execute(f"select * from marts.{m} order by all").fetchall() for m in MARTS}
    assert served == warehouse["snapshots"][2]


def test_quality_report_renders_in_chromium_with_its_sections_and_numbers(warehouse, chromium, tmp_path):
    import subprocess

    from conftest import chromium_command

    third = warehouse["runs"][2]
    report = third.report
    assert report.exists() and report.parent.name == "reports"
    index = (report.parent / "index.html").read_text(encoding="utf-8")
    first, second, _ = warehouse["runs"]
    # One report per refresh that brought something: the unchanged second refresh rebuilt nothing and wrote none.
    assert second.report == first.report and third.report != first.report
    assert first.report.name in index and report.name in index and index.count('href="report-') == 2
    assert "(UTC+8)" in index

    dom = subprocess.run(
        chromium_command(chromium, tmp_path / "profile", "--dump-dom", report.as_uri()),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    for section in (
        "加载",
        "Loads in this refresh",
        "隔离原因",
        "Great Expectations results for every load",
        "修订",
        "异常",
        "Cross-indicator consistency",
        "完整性",
        "目标进展",
        "Progress against targets",
    ):
        assert section in dom, section
    # the quarantined file, with line, column, rule and value
    assert "observations/malformed.csv" in dom and "expect_column_pair_values_a_to_be_greater_than_b" in dom and "158.0" in dom
    # numbers from the marts: Zhejiang's urbanisation 2020: 71 → 2023: 74.2 against ≈80 (linear R 1.7778);
    # the income-ratio consistency check 57465/31468; a province-wide target read for Quzhou as a benchmark
    assert "2020: 71" in dom and "2023: 74.2" in dom and "1.7778" in dom and "1.8261" in dom
    assert "规划基年 plan base year 2020" in dom and "no figure that year: trend from 2021" in dom
    assert "全省目标作对照" in dom and "too short a trend" in dom
    assert "进展显著 substantial progress" in dom and "已达标 target achieved" in dom
    assert dom.count("<svg") == 2  # a chart per assessed target (2 of 30); none drawn for the not assessable
    assert 'href="gx_data_docs/index.html"' in dom and (report.parent / "gx_data_docs" / "index.html").exists()
    assert "http://" not in dom.replace("http://www.w3.org/2000/svg", "") and "https://" not in dom  # nothing to fetch
    # the verdict first, Beijing time with its zone, assessed N of M with the reasons, R and CR explained
    assert "Published WITH WARNINGS" in dom and "1 个文件被隔离 quarantined" in dom
    assert "北京时间 (UTC+8)" in dom and "of 30 targets assessed" in dom and "too short a trend: <b>" in dom
    assert "<b>R</b> = 进展比 progress ratio" in dom and "<b>CR</b> = UNSD" in dom
    assert 'class="cell missing"' in dom and 'class="cell not_expected"' in dom  # completeness tells the two apart
    # Great Expectations Data Docs load nothing from the internet either
    docs = report.parent / "gx_data_docs"
    remote = [
        p
        for p in docs.rglob("*.html")
        if re.search(r"""<(script|link|img)\b[^>]*(src|href)=["']https?://""", p.read_text(encoding="utf-8"))
    ]
    assert remote == [] and "raw_observations" in (docs / "index.html").read_text(encoding="utf-8")

    # Readable at 800 px: nothing wider than the window (a copy with a script that measures the page).
    probe = tmp_path / "probe.html"
    probe.write_text(
        report.read_text(encoding="utf-8").replace(
            "</body>", "<script>document.body.dataset.width = document.documentElement.scrollWidth;</script></body>"
        ),
        encoding="utf-8",
    )
    shutil.copytree(docs, tmp_path / "gx_data_docs")
    narrow = subprocess.run(
        chromium_command(chromium, tmp_path / "profile", "--window-size=800,1000", "--dump-dom", probe.as_uri()),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert int(re.search(r'data-width="(\d+)"', narrow).group(1)) <= 800

    shot = warehouse["data"] / "reports" / "report.png"
    subprocess.run(
        chromium_command(chromium, tmp_path / "profile", "--window-size=1280,2400", f"--screenshot={shot}", report.as_uri()),
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.stat().st_size > 50_000


def test_a_damaged_report_history_is_set_aside_and_never_fails_a_refresh(warehouse):
    from orchestration.reporting.report import write_report
    from orchestration.store.warehouse import Warehouse

    reports = warehouse["data"] / "reports"
    (reports / "history.json").write_text('[{"file": "report-x.html", "trunc', encoding="utf-8")
    result = write_report(
        Warehouse(warehouse["data"]), "after-damage", files_in_raw=[f"observations/f{i}.csv" for i in range(20)]
    )
    assert list(reports.glob("history.damaged-*.json"))
    assert result.path.name in (reports / "index.html").read_text(encoding="utf-8")
    assert json.loads((reports / "history.json").read_text(encoding="utf-8"))[0]["run_id"] == "after-damage"

    # Asked again with nothing new (no load since, same state), the report folds into the last page.
    again = write_report(Warehouse(warehouse["data"]), "nothing-new", files_in_raw=[f"observations/f{i}.csv" for i in range(20)])
    assert again.path == result.path and "Nothing new since the last report" in again.summary_markdown
    history = json.loads((reports / "history.json").read_text(encoding="utf-8"))
    assert history[0]["run_id"] == "after-damage" and history[0]["rechecked"] == 1
    assert "1 later refresh(es) found nothing new" in (reports / "index.html").read_text(encoding="utf-8")


def test_dbt_run_folders_do_not_pile_up(warehouse):
    """Each dbt invocation writes its own folder under dbt_project/target/; only the newest few are kept."""
    from orchestration.defs.dbt_assets import KEEP_RUN_FOLDERS, dbt_project, quzhou_dbt_models

    target = dbt_project.project_dir / dbt_project.target_path
    assert 1 <= len(list(target.glob(f"{quzhou_dbt_models.op.name}-*"))) <= KEEP_RUN_FOLDERS


def test_a_run_that_published_with_warnings_says_so_in_its_tags(warehouse):
    """Dagster shows every published refresh as a success; the tags say whether files were refused."""
    instance = warehouse["instance"]
    clean, _, flagged = (instance.get_run_by_id(r.run_id).tags for r in warehouse["runs"])
    assert clean["quzhou/verdict"] == "all_files_accepted" and "quzhou/quarantined" not in clean  # no zero counts
    assert flagged["quzhou/verdict"] == "with_warnings" and flagged["quzhou/quarantined"] == "1"


def test_the_run_page_says_why_a_run_published_with_warnings(warehouse):
    """What Dagster shows on the run without a click: the failed checks' texts name the file and the reason, each
    check follows the materialization it checks, and no tag is an internal one (a pid)."""
    import dagster as dg

    from orchestration.commands.refresh import RUN_MARKERS

    instance = warehouse["instance"]
    run_id = warehouse["runs"][2].run_id
    events = instance.all_logs(run_id)
    checks = {
        (e.dagster_event.event_specific_data.asset_key.to_user_string(), e.dagster_event.event_specific_data.check_name): (i, e)
        for i, e in enumerate(events)
        if e.dagster_event and e.dagster_event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
    }
    materialized = {
        e.dagster_event.asset_key.to_user_string(): (i, e)
        for i, e in enumerate(events)
        if e.dagster_event and e.dagster_event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
    }
    accepted = checks[("raw/observations", "all_files_accepted")][1].dagster_event.event_specific_data
    assert not accepted.passed and accepted.description.startswith("1 file(s) not accepted: observations/malformed.csv")
    assert "line 2, column value" in accepted.description and "outside the indicator's plausible range" in accepted.description
    verdict = checks[("reports/quality_report", "published_without_warnings")][1].dagster_event.event_specific_data
    assert not verdict.passed and verdict.description.startswith("Published WITH WARNINGS: 1 quarantined")
    for (asset, _), (position, event) in checks.items():
        if asset in materialized:
            assert position > materialized[asset][0] and event.timestamp >= materialized[asset][1].timestamp
    clean = next(
        e
        for e in instance.all_logs(warehouse["runs"][0].run_id)
        if e.dagster_event
        and e.dagster_event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
        and e.dagster_event.event_specific_data.check_name == "published_without_warnings"
    )
    assert clean.dagster_event.event_specific_data.passed
    for run in instance.get_runs():
        assert not [k for k in run.tags if "pid" in k], run.tags
    assert not list((Path(instance.root_directory) / RUN_MARKERS).iterdir())  # each refresh removed its marker


def test_the_refreshes_left_their_environment_alone(warehouse):
    """The data folder reaches dbt as qz-dbt's argument: no refresh exported it into this process's environment."""
    import os

    from orchestration import settings

    assert os.environ.get(settings.DATA_DIR_ENV) != str(Path(warehouse["data"]).resolve())


def test_make_docs_builds_dbt_documentation_as_one_offline_page(warehouse):
    from orchestration.commands.docs import build_dbt_docs

    page = build_dbt_docs(warehouse["data"])
    text = page.read_text(encoding="utf-8")
    assert page.name == "static_index.html" and "mart_indicator_progress" in text and "plan_base_year" in text
    assert not re.search(r"""<(script|link)\b[^>]*(src|href)=["']https?://""", text)


def test_make_arguments_are_text_never_code(tmp_path):
    """FILE, NOTE and FROM go to the commands as text: quotes, $(…), `…` and make's $(shell …) run nothing."""
    import os
    import subprocess

    from orchestration.settings import REPO_ROOT

    marks = [tmp_path / f"ran-{n}" for n in range(4)]
    payloads = {
        "FILE": f'a"; touch {marks[0]}; echo "',
        "NOTE": f"$(shell touch {marks[1]})",
        "FROM": f"`touch {marks[2]}`$(touch {marks[3]})",
    }
    env = {**os.environ, "QZ_DATA_DIR": str(tmp_path / "data")}
    for target in ("confirm", "restore"):
        subprocess.run(
            ["make", "-s", target, *(f"{k}={v}" for k, v in payloads.items())],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            timeout=120,
        )
    assert not [m.name for m in marks if m.exists()]


def test_a_failed_refresh_says_what_readers_see(tmp_path):
    """With the disk full after the release was swapped in (the report or the backup ran out), the verdict says the
    release is published; failed before it, that readers keep the release they had (issue 33)."""
    from orchestration.commands.refresh import RefreshSummary

    full = ["reports__quality_report: [Errno 28] No space left on device"]
    after = RefreshSummary("r", False, 1.0, failures=full, snapshot=tmp_path / "snapshot.duckdb", data_dir=tmp_path)
    before = RefreshSummary("r", False, 1.0, failures=["quzhou_dbt_models: dbt build failed"], data_dir=tmp_path)
    assert after.verdict.startswith("Refresh FAILED: no space left") and "readers see this refresh's release" in after.verdict
    assert before.verdict == "Refresh FAILED: readers keep the release they had"
