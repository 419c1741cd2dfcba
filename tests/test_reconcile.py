"""How the raw folder changes over time: deletes, moves, refused versions, catalogue edits, keys across files.

Ingest-level tests (no dbt) for each rule, and one full-refresh scenario comparing every served mart
of an incremental refresh with a refresh from scratch of the same folder.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import write_obs
from dagster import DagsterInstance
from test_ingest import SRC, ingest_all

from orchestration.commands.refresh import run_refresh
from orchestration.reconcile.listing import RawFolderError, check_raw_folder, ignored_files
from orchestration.settings import SHRINK_GUARD_ENV
from orchestration.store.warehouse import Warehouse

pytestmark = pytest.mark.slow  # the slow lane: subprocesses, faults, repeated refreshes


SERVED_MARTS = (
    "dim_indicator",
    "dim_region",
    "dim_source",
    "fct_observation",
    "fct_target",
    "mart_indicator_progress",
    "mart_decade_change",
)


def current(warehouse: Warehouse, sql: str) -> list[tuple]:
    with warehouse.connect(read_only=True) as con:
        return con.execute(sql).fetchall()


def served_values(warehouse: Warehouse, indicator: str, region: str = "330800") -> list[tuple]:
    return current(
        warehouse,
        f"select period_label, value, _file_path from raw.observations where _superseded_by_load is null "
        f"and indicator_code = '{indicator}' and region_code = '{region}' order by all",
    )


def edit_catalogue(raw: Path, name: str, old: str, new: str) -> None:
    path = raw / "catalogue" / name
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_deleted_file_is_withdrawn_and_a_renamed_one_moves_without_a_new_vintage(raw_copy, tmp_path):
    warehouse = Warehouse(tmp_path / "data")
    write_obs(raw_copy, "bulletin.csv", f"330802,URBANISATION,2021,70.1,%,level,normal,exact,70.1%,{SRC},")
    write_obs(raw_copy, "to-rename.csv", f"330803,URBANISATION,2021,60.2,%,level,normal,exact,60.2%,{SRC},")
    ingest_all(raw_copy, warehouse)

    (raw_copy / "observations" / "bulletin.csv").unlink()
    (raw_copy / "observations" / "to-rename.csv").rename(raw_copy / "observations" / "renamed.csv")
    outcomes = ingest_all(raw_copy, warehouse, "second")

    assert outcomes["observations/bulletin.csv"].status == "withdrawn"
    assert "no longer in the raw folder" in outcomes["observations/bulletin.csv"].note
    assert outcomes["observations/renamed.csv"].status == "moved"
    assert served_values(warehouse, "URBANISATION", "330802") == []
    assert served_values(warehouse, "URBANISATION", "330803") == [("2021", 60.2, "observations/renamed.csv")]
    # the withdrawn rows are kept (history), the moved ones were not loaded a second time
    assert current(warehouse, "select count(*) from raw.observations where region_code = '330802'") == [(1,)]
    assert current(warehouse, "select count(*) from raw.observations where region_code = '330803'") == [(1,)]
    statuses = dict(current(warehouse, "select file_path, status from audit.loads where run_id = 'second'"))
    assert statuses == {
        "observations/bulletin.csv": "withdrawn",
        "observations/to-rename.csv": "moved",
        "observations/renamed.csv": "loaded",
    }
    assert all(o.status == "skipped" for o in ingest_all(raw_copy, warehouse, "third").values())


def test_a_fact_file_whose_new_version_is_refused_stops_serving_its_old_version(raw_copy, tmp_path):
    warehouse = Warehouse(tmp_path / "data")
    path = write_obs(raw_copy, "edited.csv", f"330802,URBANISATION,2021,70.1,%,level,normal,exact,70.1%,{SRC},")
    ingest_all(raw_copy, warehouse)
    write_obs(raw_copy, "edited.csv", f"330802,URBANISATION,2021,abc,%,level,normal,exact,70.1%,{SRC},")
    assert ingest_all(raw_copy, warehouse)["observations/edited.csv"].status == "quarantined"
    assert served_values(warehouse, "URBANISATION", "330802") == []  # a refresh from scratch would serve nothing of it
    path.write_text(path.read_text(encoding="utf-8").replace("abc", "70.1"), encoding="utf-8")
    assert ingest_all(raw_copy, warehouse)["observations/edited.csv"].status == "loaded"
    assert served_values(warehouse, "URBANISATION", "330802") == [("2021", 70.1, "observations/edited.csv")]


@pytest.mark.parametrize(
    ("catalogue", "old", "new", "column", "words"),
    [
        ("indicators.csv", "\nURBANISATION,", "\nURBANISATION_RENAMED,", "indicator_code", "URBANISATION is removed"),
        (
            "indicators.csv",
            "POP_RESIDENT,常住人口,Resident population,population,万人",
            "POP_RESIDENT,常住人口,Resident population,population,人",
            "unit",
            "never mixed units",
        ),
        (
            "indicators.csv",
            "URBANISATION,常住人口城镇化率,Urbanisation rate of the resident population,population,%,level,higher_better,0,100",
            "URBANISATION,常住人口城镇化率,Urbanisation rate of the resident population,population,%,level,higher_better,0,50",
            "range_min",
            "new range excludes",
        ),
        ("regions.csv", "330824,开化县", "330899,开化县", "region_code", "region 330824 is removed"),
        ("sources.csv", f"{SRC},", "zjrb-renamed,", "source_id", f"source {SRC} is removed"),
    ],
)
def test_a_catalogue_edit_that_contradicts_served_facts_is_refused_and_the_previous_catalogue_stays(
    raw_copy, tmp_path, catalogue, old, new, column, words
):
    warehouse = Warehouse(tmp_path / "data")
    ingest_all(raw_copy, warehouse)
    family = catalogue.removesuffix(".csv")
    before = current(warehouse, f"select * exclude (_load_id) from raw.{family} where _superseded_by_load is null order by all")
    edit_catalogue(raw_copy, catalogue, old, new)
    outcome = ingest_all(raw_copy, warehouse, "edit")[f"catalogue/{catalogue}"]
    assert outcome.status == "quarantined"
    issue = next(i for i in outcome.issues if i.rule == "catalogue_in_use")
    assert issue.column == column and words in issue.message
    assert "observations/" in issue.message and " line " in issue.message  # names the rows that use it
    assert (
        current(warehouse, f"select * exclude (_load_id) from raw.{family} where _superseded_by_load is null order by all")
        == before
    )
    # once the facts no longer need the old entry, the same edit is accepted
    if catalogue == "indicators.csv" and column == "unit":
        for path in (raw_copy / "observations").iterdir():
            if path.suffix == ".xlsx":  # the bureau-shaped workbook holds Zhejiang's population too
                path.unlink()
                continue
            text = path.read_text(encoding="utf-8")
            if ",POP_RESIDENT," in text:
                path.write_text(
                    "\n".join(line for line in text.splitlines() if ",POP_RESIDENT," not in line) + "\n", encoding="utf-8"
                )
        assert ingest_all(raw_copy, warehouse, "after")[f"catalogue/{catalogue}"].status == "loaded"


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("330802,柯城区,Kecheng District,county,330800", "330802,柯城区,Kecheng District,county,330802", "its own parent"),
        ("330800,衢州市,Quzhou,prefecture,330000", "330800,衢州市,Quzhou,prefecture,330802", "not above"),
        ("330000,浙江省,Zhejiang Province,province,100000", "330000,浙江省,Zhejiang Province,province,330100", "loops back"),
    ],
)
def test_a_region_hierarchy_with_a_self_parent_an_inversion_or_a_cycle_is_refused(raw_copy, tmp_path, old, new, words):
    warehouse = Warehouse(tmp_path / "data")
    ingest_all(raw_copy, warehouse)
    edit_catalogue(raw_copy, "regions.csv", old, new)
    outcome = ingest_all(raw_copy, warehouse, "edit")["catalogue/regions.csv"]
    assert outcome.status == "quarantined"
    assert any(i.rule == "region_hierarchy" and words in i.message and i.row for i in outcome.issues), outcome.issues


def test_a_source_published_in_the_future_is_refused(raw_copy, tmp_path):
    warehouse = Warehouse(tmp_path / "data")
    with (raw_copy / "catalogue" / "sources.csv").open("a", encoding="utf-8") as handle:
        handle.write("from-the-future,Future bulletin,衢州市统计局,2999-01-01,day,citation,official,\n")
    outcome = ingest_all(raw_copy, warehouse)["catalogue/sources.csv"]
    assert outcome.status == "quarantined"
    assert [(i.column, i.rule, i.value) for i in outcome.issues] == [("published_on", "future_publication", "2999-01-01")]


def test_a_target_id_defined_in_two_files_is_refused_in_both_whichever_came_first(raw_copy, tmp_path):
    warehouse = Warehouse(tmp_path / "data")
    ingest_all(raw_copy, warehouse)
    source = raw_copy / "targets" / "zhejiang-and-quzhou-plan-targets.csv"
    header, first = source.read_text(encoding="utf-8").splitlines()[:2]
    (raw_copy / "targets" / "copy-of-one.csv").write_text(header + "\n" + first + "\n", encoding="utf-8")
    outcomes = ingest_all(raw_copy, warehouse, "dup")
    assert outcomes["targets/copy-of-one.csv"].status == "quarantined"
    assert outcomes["targets/zhejiang-and-quzhou-plan-targets.csv"].status == "quarantined"
    issue = outcomes["targets/copy-of-one.csv"].issues[0]
    assert issue.rule == "duplicate_across_files" and "zhejiang-and-quzhou-plan-targets.csv line 2" in issue.message
    assert current(warehouse, "select count(*) from raw.targets where _superseded_by_load is null") == [(0,)]
    (raw_copy / "targets" / "copy-of-one.csv").unlink()
    assert ingest_all(raw_copy, warehouse, "fixed")["targets/zhejiang-and-quzhou-plan-targets.csv"].status == "loaded"
    assert current(warehouse, "select count(*) > 20 from raw.targets where _superseded_by_load is null") == [(True,)]


@pytest.mark.parametrize(
    ("row", "words"),
    [
        (f"330800,URBANISATION,1921,58.1,%,level,normal,exact,58.1%,{SRC},", "before the earliest year"),
        (f"330800,URBANISATION,2023,58.1,%,level,normal,exact,58.1%,{SRC},", "after its source was published"),
    ],
)
def test_implausible_periods_are_refused(raw_copy, tmp_path, row, words):
    warehouse = Warehouse(tmp_path / "data")
    write_obs(raw_copy, "typo.csv", row)
    outcome = ingest_all(raw_copy, warehouse)["observations/typo.csv"]
    assert outcome.status == "quarantined"
    assert [(i.row, i.column) for i in outcome.issues if words in i.message] == [(2, "period")]


def test_a_forecast_may_describe_a_period_after_its_publication(raw_copy, tmp_path):
    warehouse = Warehouse(tmp_path / "data")
    write_obs(raw_copy, "forecast.csv", f"330800,URBANISATION,2023,60,%,level,forecast,exact,60%,{SRC},")
    assert ingest_all(raw_copy, warehouse)["observations/forecast.csv"].status == "loaded"


def test_folders_without_catalogues_fail_loudly_and_stray_files_are_listed(tmp_path, raw_copy):
    with pytest.raises(RawFolderError, match="does not exist"):
        check_raw_folder(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(RawFolderError, match="no catalogue"):
        check_raw_folder(tmp_path / "empty")
    (raw_copy / "observations" / "drafts").mkdir()
    (raw_copy / "observations" / "drafts" / "draft.csv").write_text("x\n", encoding="utf-8")
    (raw_copy / "observations" / ".hidden.csv").write_text("x\n", encoding="utf-8")
    (raw_copy / "readme.txt").write_text("x\n", encoding="utf-8")
    assert ignored_files(raw_copy) == ["observations/.hidden.csv", "observations/drafts/draft.csv", "readme.txt"]


def test_a_symlink_is_refused_before_anything_is_read(raw_copy, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    (raw_copy / "observations" / "link.csv").symlink_to(secret)
    warehouse = Warehouse(tmp_path / "data")
    outcome = ingest_all(raw_copy, warehouse)["observations/link.csv"]
    assert outcome.status == "quarantined" and outcome.issues[0].rule == "path"
    stored = current(warehouse, "select string_agg(coalesce(value, '') || message, ' ') from audit.load_issues")[0][0]
    assert "root:x" not in stored


# Every table a build makes from the figures, incremental ones included. Load ids and withdrawal times say when a
# row arrived, not what it is, and withdrawn and replaced rows are history a refresh from scratch never saw: left out.
BUILT_TABLES = (
    *(f"marts.{m}" for m in SERVED_MARTS),
    "marts.fct_observation_vintage",
    "intermediate.int_observation_vintages",
    "quality.qa_conflicts",
    "quality.qa_yoy_jumps",
    "quality.qa_completeness",
    "quality.qa_consistency",
)


def marts(data: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        tables = {}
        for table in BUILT_TABLES:
            schema, name = table.split(".")
            columns = [
                c
                for (c,) in con.execute(
                    "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
                    "and column_name not in ('load_id', 'withdrawn_at') order by ordinal_position",
                    [schema, name],
                ).fetchall()
            ]
            # history a refresh from scratch never saw: withdrawn rows, and old values of figures changed in place
            history = " where not is_withdrawn" if "is_withdrawn" in columns else ""
            history += " and not is_replaced" if "is_replaced" in columns else ""
            tables[table] = con.execute(f"select {', '.join(columns)} from {table}{history} order by all").fetchall()
        return tables


def assert_same_as_from_scratch(tmp_path: Path, raw: Path, instance, label: str) -> None:
    scratch = tmp_path / f"scratch-{label}"
    assert run_refresh(scratch, raw, instance).success
    incremental, from_scratch = marts(tmp_path / "inc"), marts(scratch)
    for table in BUILT_TABLES:
        assert incremental[table] == from_scratch[table], f"{table} after {label}"


def dbt_scopes(data: Path) -> list[str]:
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        return [scope for (scope,) in con.execute("select scope from audit.dbt_builds order by built_at").fetchall()]


def test_incremental_refreshes_serve_what_a_refresh_from_scratch_serves(tmp_path, restore_environ, monkeypatch):
    """Adds, a same-date conflict, an edit, a delete, a rename and a refused catalogue edit, then from scratch."""
    # Below, a one-figure file gets another figure: a new version the shrink guard would hold (as a refresh from
    # scratch never does) until a steward confirms it. Off here; its own tests are in test_served_figures.py.
    monkeypatch.setenv(SHRINK_GUARD_ENV, "1")
    raw, instance = tmp_path / "raw", DagsterInstance.ephemeral()
    shutil.copytree(Path(__file__).parent.parent / "raw", raw)
    assert run_refresh(tmp_path / "inc", raw, instance).success

    # Same date, different values: a conflict, resolved the same way whatever the order of loading.
    write_obs(raw, "b-conflict.csv", f"330800,URBANISATION,2021,58.3,%,level,normal,exact,58.3%,{SRC},")
    write_obs(raw, "a-bulletin.csv", f"330802,URBANISATION,2021,70.1,%,level,normal,exact,70.1%,{SRC},")
    write_obs(raw, "c-rename-me.csv", f"330803,URBANISATION,2021,60.2,%,level,normal,exact,60.2%,{SRC},")
    summary = run_refresh(tmp_path / "inc", raw, instance)
    assert summary.success and summary.conflicts == 1
    assert summary.verdict.startswith("Refresh published WITH WARNINGS: 1 conflicts")
    assert "conflicts" in summary.render().splitlines()[0]

    (raw / "observations" / "a-bulletin.csv").unlink()
    (raw / "observations" / "c-rename-me.csv").rename(raw / "observations" / "c-renamed.csv")
    edit_catalogue(raw, "indicators.csv", "\nURBANISATION,", "\nURBANISATION_X,")  # refused: in use
    summary = run_refresh(tmp_path / "inc", raw, instance)
    assert summary.success, summary.render()
    assert summary.files["withdrawn"] == 1 and summary.files["moved"] == 1 and summary.files["quarantined"] == 1
    assert run_refresh(tmp_path / "inc", raw, instance).success  # no input file makes later refreshes fail

    edit_catalogue(raw, "indicators.csv", "\nURBANISATION_X,", "\nURBANISATION,")
    assert run_refresh(tmp_path / "inc", raw, instance).success
    assert dbt_scopes(tmp_path / "inc")[1] == "incremental: figures of 3 changed observation file(s) and 0 changed source(s)"
    assert dbt_scopes(tmp_path / "inc")[-1] == "every figure rebuilt: the indicators catalogue changed"
    assert_same_as_from_scratch(tmp_path, raw, instance, "a delete, a rename and a restored catalogue")
    with duckdb.connect(str(tmp_path / "inc" / "warehouse.duckdb"), read_only=True) as con:
        served = con.execute(
            "select value, source_id from marts.fct_observation where indicator_code = 'URBANISATION' "
            "and region_code = '330800' and period_label = '2021'"
        ).fetchall()
        withdrawn = con.execute("select value, withdrawn_reason from marts.fct_observation_vintage where is_withdrawn").fetchall()
        conflict = con.execute("select chosen_value, candidates from quality.qa_conflicts").fetchall()
    assert withdrawn == [(70.1, "file no longer in the raw folder")]
    # same date and source: the more published decimals win, then the file path — 58.1 and 58.3 tie, a-… < b-…
    assert len(conflict) == 1 and conflict[0][0] == served[0][0]

    # Incremental builds (only the figures touched are recomputed): a correction, a figure a corrected file no
    # longer has, a source whose publication date moves (re-ranks its figures), a new source with its publication,
    # then a refused new version of a served file.
    outline = raw / "observations" / "qz-14fyp-outline.csv"
    outline.write_text(outline.read_text(encoding="utf-8").replace(",1639,", ",1640,"), encoding="utf-8")
    write_obs(raw, "c-renamed.csv", f"330803,URBANISATION,2022,61.0,%,level,normal,exact,61.0%,{SRC},")
    press = "ezhejiang-2022-09-14-press,衢州市“中国这十年·浙江”主题新闻发布会,浙江省人民政府新闻办公室 (ezhejiang.gov.cn)"
    edit_catalogue(raw, "sources.csv", f"{press},2022-09-14,day", f"{press},2022-09-13,day")
    with (raw / "catalogue" / "sources.csv").open("a", encoding="utf-8") as sources:
        sources.write("test-bulletin-2024,测试公报,衢州市统计局,2024-03-01,day,test,official,\n")
    write_obs(raw, "d-official.csv", "330800,URBANISATION,2021,58.4,%,level,normal,exact,58.4%,test-bulletin-2024,")
    summary = run_refresh(tmp_path / "inc", raw, instance)
    assert summary.success and summary.files["loaded"] == 4, summary.render()  # 3 publications and the sources
    assert "(incremental: figures of 3 changed observation file(s) and 2 changed source(s))" in summary.render()
    with duckdb.connect(str(tmp_path / "inc" / "warehouse.duckdb"), read_only=True) as con:
        recomputed = con.execute("select count(*) from intermediate.int_changed_figures").fetchone()[0]
        figures = con.execute("select count(*) from marts.fct_observation").fetchone()[0]
        scope_left = con.execute("select count(*) from audit.dbt_build_scope").fetchone()[0]
    assert 3 < recomputed < figures / 2 and scope_left == 0  # dbt did scope the build, and the scope was consumed

    write_obs(raw, "d-official.csv", "330800,URBANISATION,2021,158.4,%,level,normal,exact,158.4%,test-bulletin-2024,")
    assert run_refresh(tmp_path / "inc", raw, instance).success
    assert dbt_scopes(tmp_path / "inc")[-1].startswith("incremental: figures of 1 changed")
    assert_same_as_from_scratch(tmp_path, raw, instance, "incremental builds")


def test_a_family_is_never_emptied_without_a_stewards_confirmation(raw_copy, tmp_path, monkeypatch):
    """Every observation file gone at once (a folder emptied by mistake): nothing is withdrawn until a steward confirms
    exactly that set; then the next refresh withdraws them all (issue 33)."""
    from orchestration import settings
    from orchestration.commands.confirm import confirm

    warehouse = Warehouse(tmp_path / "data")
    ingest_all(raw_copy, warehouse, "first")
    with warehouse.connect(read_only=True) as con:
        served = con.execute("select count(*) from raw.observations where _superseded_by_load is null").fetchone()[0]
    files = sorted((raw_copy / "observations").iterdir())
    for path in files:
        path.unlink()
    outcomes = ingest_all(raw_copy, warehouse, "emptied")
    observations = [o for p, o in outcomes.items() if p.startswith("observations/")]
    assert len(observations) == len(files) and {o.status for o in observations} == {"held"}
    assert "make confirm FILE=observations/" in observations[0].note
    with warehouse.connect(read_only=True) as con:
        assert con.execute("select count(*) from raw.observations where _superseded_by_load is null").fetchone()[0] == served
    monkeypatch.setenv(settings.DATA_DIR_ENV, str(tmp_path / "data"))
    monkeypatch.setenv(settings.RAW_DIR_ENV, str(raw_copy))
    assert "withdraws all" in confirm("observations/", "the bureau took the series down")
    after = ingest_all(raw_copy, warehouse, "confirmed")
    assert {o.status for p, o in after.items() if p.startswith("observations/")} == {"withdrawn"}
    with warehouse.connect(read_only=True) as con:
        assert con.execute("select count(*) from raw.observations where _superseded_by_load is null").fetchone()[0] == 0
