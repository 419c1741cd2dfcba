"""Ingest without Dagster: validation, quarantine, idempotence, file versions, the writer lock."""

from pathlib import Path

import pytest
from conftest import write_obs

from orchestration.domain.families import ALL_FAMILIES
from orchestration.reconcile.family import ingest_family
from orchestration.store.warehouse import Warehouse, WarehouseLockedError

SRC = "zjrb-2022-quzhou-decade"


def ingest_all(raw: Path, warehouse: Warehouse, run_id: str = "test", data_docs: bool = False) -> dict[str, object]:
    """Every family ingested as a refresh does, without Great Expectations Data Docs unless asked (rendering and
    registering them is half the time of a small ingest; the refresh tests and the page tests render them)."""
    warehouse.ensure_schema()
    return {o.file_path: o for family in ALL_FAMILIES for o in ingest_family(family, raw, warehouse, run_id, data_docs)}


def raw_tables(warehouse: Warehouse) -> dict[str, list[tuple]]:
    with warehouse.connect(read_only=True) as con:
        return {f.name: con.execute(f'select * from raw."{f.name}" order by all').fetchall() for f in ALL_FAMILIES}


def test_first_load_commits_every_file(raw_copy, tmp_path):
    warehouse = Warehouse(tmp_path / "data")
    outcomes = ingest_all(raw_copy, warehouse)
    assert {o.status for o in outcomes.values()} == {"loaded"}
    with warehouse.connect(read_only=True) as con:
        value, decimals, label, kind = con.execute(
            "select value, value_decimals, period_label, period_kind from raw.observations "
            "where indicator_code = 'HOSPITAL_BEDS_PER_1000' and period = '2021'"
        ).fetchone()
        loads = con.execute("select count(*), count(distinct file_sha256) from audit.loads where status = 'loaded'").fetchone()
        results = con.execute("select count(*), bool_and(success) from dq.expectation_results").fetchone()
    assert (value, decimals, label, kind) == (7.1, 2, "2021", "year")  # 7.10 keeps its published precision
    assert loads == (len(outcomes), len(outcomes))
    assert results[0] > 100 and results[1] is True


def test_malformed_file_is_quarantined_with_every_reason_and_nothing_else_changes(raw_copy, tmp_path):
    warehouse = Warehouse(tmp_path / "data")
    ingest_all(raw_copy, warehouse)
    before = raw_tables(warehouse)

    write_obs(
        raw_copy,
        "bad-figures.csv",
        f"330800,NO_SUCH_INDICATOR,2021,1,%,level,normal,exact,x,{SRC},",  # line 2
        f"330800,URBANISATION,2021,158.1,%,level,normal,exact,x,{SRC},",  # line 3: out of range
        f"330800,RD_INTENSITY,2021,2,万人,level,normal,exact,x,{SRC},",  # line 4: wrong unit
        f"330800,RD_INTENSITY,20x1,abc,%,level,normal,exact,x,{SRC},",  # line 5: bad period, bad number
        "999999,RD_INTENSITY,2019,2,%,change,guessed,exact,x,nowhere,",  # line 6: unknown codes, wrong type
        f"330800,URBANISATION,2021,58.1,%,level,normal,exact,x,{SRC},",  # line 7: duplicate key of line 3
    )
    write_obs(raw_copy, "new-good-figures.csv", f"330802,URBANISATION,2021,70,%,level,normal,exact,70%,{SRC},")
    outcomes = ingest_all(raw_copy, warehouse, "second")

    bad = outcomes["observations/bad-figures.csv"]
    assert bad.status == "quarantined"
    found = {(i.row, i.column, i.rule) for i in bad.issues}
    assert found == {
        (2, "indicator_code", "expect_column_values_to_be_in_set"),
        (3, "value", "expect_column_pair_values_a_to_be_greater_than_b"),
        (3, "region_code,indicator_code,period_label,breakdown", "duplicate_key"),
        (4, "unit", "unit_conversion"),
        (5, "period", "parse_period"),
        (5, "value", "parse_quantity"),
        (6, "region_code", "expect_column_values_to_be_in_set"),
        (6, "obs_status", "expect_column_values_to_be_in_set"),
        (6, "source_id", "expect_column_values_to_be_in_set"),
        (6, "value_type", "expect_column_pair_values_to_be_equal"),
        (7, "region_code,indicator_code,period_label,breakdown", "duplicate_key"),
    }
    messages = {(i.row, i.column): str(i) for i in bad.issues}
    assert messages[(3, "value")] == (
        "observations/bad-figures.csv, line 3, column value: [expect_column_pair_values_a_to_be_greater_than_b] "
        "outside the indicator's plausible range: must be at most 100.0 (value '158.1')"
    )
    assert "'万人' cannot be converted to the indicator's unit '%'" in messages[(4, "unit")]

    # The other new file in the same refresh still loads; nothing that was loaded changed.
    assert outcomes["observations/new-good-figures.csv"].status == "loaded"
    after = raw_tables(warehouse)
    new_rows = [r for r in after["observations"] if r not in before["observations"]]
    assert len(new_rows) == 1 and "observations/new-good-figures.csv" in new_rows[0]
    assert {k: v for k, v in after.items() if k != "observations"} == {k: v for k, v in before.items() if k != "observations"}

    with warehouse.connect(read_only=True) as con:
        stored = con.execute(
            "select count(*) from audit.load_issues i join audit.loads l using (load_id) "
            "where l.file_path = 'observations/bad-figures.csv' and l.status = 'quarantined'"
        ).fetchone()[0]
        failed_rules = con.execute(
            "select count(*) from dq.expectation_results where file_path = 'observations/bad-figures.csv' and not success"
        ).fetchone()[0]
    assert stored == len(bad.issues) == 11
    # Failed GX expectations: indicator, region, obs_status and source in-set rules; value type
    # match; range; duplicate key. Parse and unit errors are the parser's, not GX's.
    assert failed_rules == 7


def test_second_run_on_the_same_files_changes_nothing(raw_copy, tmp_path):
    warehouse = Warehouse(tmp_path / "data")
    write_obs(raw_copy, "bad.csv", f"330800,NOPE,2021,1,%,level,normal,exact,x,{SRC},")
    ingest_all(raw_copy, warehouse)
    with warehouse.connect(read_only=True) as con:
        loads_before = con.execute("select count(*) from audit.loads").fetchone()[0]
    before = raw_tables(warehouse)
    outcomes = ingest_all(raw_copy, warehouse, "again")
    # The refused file is not "unchanged, skipped": it is still quarantined, with its reasons, and nothing is written.
    still = outcomes.pop("observations/bad.csv")
    assert (still.status, [i.rule for i in still.issues]) == ("still_quarantined", ["expect_column_values_to_be_in_set"])
    assert {o.status for o in outcomes.values()} == {"skipped"}
    assert raw_tables(warehouse) == before
    with warehouse.connect(read_only=True) as con:
        assert con.execute("select count(*) from audit.loads").fetchone()[0] == loads_before


def test_a_corrected_file_replaces_its_previous_version_which_is_kept(raw_copy, tmp_path):
    warehouse = Warehouse(tmp_path / "data")
    ingest_all(raw_copy, warehouse)
    path = raw_copy / "observations" / "qz-14fyp-outline.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",1639,", ",1640,"), encoding="utf-8")
    outcomes = ingest_all(raw_copy, warehouse, "correction")
    assert outcomes["observations/qz-14fyp-outline.csv"].status == "loaded"
    with warehouse.connect(read_only=True) as con:
        versions = con.execute(
            "select value, _superseded_by_load is null from raw.observations "
            "where _file_path = 'observations/qz-14fyp-outline.csv' order by _load_id"
        ).fetchall()
        loads = con.execute("select count(*) from audit.loads where file_path = 'observations/qz-14fyp-outline.csv'").fetchone()[
            0
        ]
    assert versions == [(1639.0, False), (1640.0, True)]
    assert loads == 2


def test_a_second_writer_is_refused_with_the_holder_named(tmp_path):
    warehouse = Warehouse(tmp_path / "data")
    with warehouse.lock():
        other = Warehouse(tmp_path / "data")
        with pytest.raises(WarehouseLockedError, match=r"warehouse.duckdb is being written by pid \d+"), other.lock(wait=False):
            pass


def test_a_target_must_say_its_base_year_provenance_and_reach_or_is_refused(raw_copy, tmp_path):
    """Base year before the target year; an inferred comparator never verified; subregion reach stated."""
    header = (raw_copy / "targets" / "zhejiang-and-quzhou-plan-targets.csv").read_text(encoding="utf-8").splitlines()[0]
    plan = "ZJ_14FYP,浙江省十四五规划,330000"
    rows = [
        f"T-LATE-BASE,{plan},HOSPITAL_BEDS_PER_1000,2025,2025,plan base,ge,read,7.5,张,unknown,false,,true,chinadaily-2021-01-28-zj-14fyp,7.5,",
        f"T-INFERRED,{plan},HOSPITAL_BEDS_PER_1000,2025,2020,plan base,ge,inferred,7.5,张,unknown,false,,true,chinadaily-2021-01-28-zj-14fyp,7.5,",
        f"T-NO-REACH,{plan},HOSPITAL_BEDS_PER_1000,2025,2020,plan base,ge,read,7.5,张,unknown,true,,true,chinadaily-2021-01-28-zj-14fyp,7.5,",
        f"T-GOOD,{plan},HOSPITAL_BEDS_PER_1000,2025,2020,plan base,ge,inferred,7.5,张,unknown,true,provincial_average,false,chinadaily-2021-01-28-zj-14fyp,7.5,",
    ]
    (raw_copy / "targets" / "more.csv").write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    outcome = ingest_all(raw_copy, Warehouse(tmp_path / "data"))["targets/more.csv"]
    assert outcome.status == "quarantined"
    found = {(i.row, i.column): i.message for i in outcome.issues}
    assert set(found) == {(2, "base_year"), (3, "verified"), (4, "subregion_basis")}
    assert "before its target year" in found[(2, "base_year")]
    assert "comparator was inferred" in found[(3, "verified")]
    assert "provincial_average or each_subregion" in found[(4, "subregion_basis")]


def test_files_are_validated_and_committed_slice_by_slice_with_the_same_outcome(raw_copy, tmp_path, monkeypatch):
    """Slicing bounds memory; it must not change a verdict, a reason, a stored row or a stored rule result."""
    from orchestration.reconcile import family as loop

    write_obs(raw_copy, "bad.csv", f"330800,NOPE,2021,1,%,level,normal,exact,x,{SRC},")
    write_obs(raw_copy, "good.csv", f"330802,URBANISATION,2021,70,%,level,normal,exact,70%,{SRC},")
    whole_warehouse, sliced_warehouse = Warehouse(tmp_path / "whole"), Warehouse(tmp_path / "sliced")
    whole = ingest_all(raw_copy, whole_warehouse)

    validated: list[list[str]] = []
    validate = loop.validate_files
    monkeypatch.setattr(loop, "SLICE_ROWS", 1)
    monkeypatch.setattr(
        loop, "validate_files", lambda family, *a, **k: validated.append((family.name, list(a[1]))) or validate(family, *a, **k)
    )
    sliced = ingest_all(raw_copy, sliced_warehouse)

    observation_runs = [files for family, files in validated if family == "observations"]
    observation_files = [p for p, o in sliced.items() if p.startswith("observations/") and o.rows]
    assert sorted(f for files in observation_runs for f in files) == sorted(observation_files)
    assert len(observation_runs) == len(observation_files) > 3  # one GX run per file, each let go before the next
    assert {p: (o.status, o.rows, [str(i) for i in o.issues]) for p, o in sliced.items()} == {
        p: (o.status, o.rows, [str(i) for i in o.issues]) for p, o in whole.items()
    }
    assert sliced["observations/bad.csv"].status == "quarantined" and sliced["observations/good.csv"].status == "loaded"

    def stored(warehouse: Warehouse) -> tuple:
        with warehouse.connect(read_only=True) as con:
            rows = con.execute("select * exclude (_load_id, _superseded_by_load) from raw.observations order by all").fetchall()
            results = con.execute(
                "select file_path, expectation_type, column_name, kwargs, success, element_count, unexpected_count "
                "from dq.expectation_results order by all"
            ).fetchall()
        return rows, results

    assert stored(sliced_warehouse) == stored(whole_warehouse)
