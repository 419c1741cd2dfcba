"""SDMX: structures generated from the catalogue, SDMX-CSV 2.0 files read back exactly (both directions), the
official XSDs, every coded value in its codelist, versions, and the served history (--as-of, --updated-after).

The marts here are made by hand with the dbt contracts' columns (support/sdmx_marts.py); test_vintages.py does the
same on real refreshes of the shipped data.
"""

from __future__ import annotations

import csv
import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import publishing_in_2099
from pysdmx.io import get_datasets
from support import sdmx_marts

from orchestration.commands import sdmx as sdmx_command
from orchestration.publish.serving import SNAPSHOT_FILE, publish, serving_root
from orchestration.sdmx import check, export, ledger
from orchestration.sdmx.flows import OBSERVATIONS
from orchestration.sdmx.ledger import SdmxDataError
from orchestration.sdmx.versions import Recorded, next_version
from orchestration.sdmx.vocabularies import unit_measure
from orchestration.store.warehouse import Warehouse

STATUS_BACK = {"A": "normal", "P": "provisional", "E": "estimated", "F": "forecast", "B": "break"}


def sdmx_period_label(freq: str, accumulation: str, period: str) -> str:
    """Our period label from SDMX's FREQ, ACCUMULATION and TIME_PERIOD: the inverse, written apart from the SQL."""
    if freq == "A":
        return period
    if freq == "S":
        return period.replace("-S", "H")
    if freq == "Q":
        return period.replace("-Q", "Q")
    if freq == "_O":
        assert accumulation == "_Z"
        start, duration = period.split("/")
        first = int(start[:4])
        return f"{first}-{first + int(duration[1:-1]) - 1}"
    assert freq == "M"
    year, month = period.split("-")
    return f"{year}M01-{month}" if accumulation == "YTD" else f"{year}M{month}"


def rows_read_back(folder: Path) -> set[tuple]:
    """The observations file as pysdmx reads it with the structure message, in the marts' terms."""
    (dataset,) = get_datasets(folder / "DF_OBSERVATIONS.csv", folder / "structure.xml")
    rows = set()
    for record in dataset.data.to_dict("records"):
        r = {k: None if v in ("", None) else v for k, v in record.items()}  # an empty cell, however the reader gives it
        value = float(r["OBS_VALUE"]) if r["OBS_VALUE"] is not None else None
        assert (r["OBS_STATUS"] == "M") == (value is None)  # a missing figure: its status, no value, never 0
        rows.add(
            (
                r["INDICATOR"],
                r["REF_AREA"],
                sdmx_period_label(r["FREQ"], r["ACCUMULATION"], r["TIME_PERIOD"]),
                value,
                int(r["DECIMALS"]) if r["DECIMALS"] else None,
                STATUS_BACK.get(r["OBS_STATUS"]),
                r["QUALIFIER"],
                r["SOURCE"],
                r["AS_PUBLISHED"],
                r["OBS_NOTE"] or None,
                r["SOURCE_CELL"] or None,
            )
        )
    return rows


def mart_rows(con: duckdb.DuckDBPyConnection) -> set[tuple]:
    """The figures and the figures published as not available, as rows_read_back gives them."""
    return set(
        con.execute(
            "select indicator_code, region_code, period_label, value, value_decimals, obs_status, qualifier, source_id, "
            "as_published, note, source_cell from marts.fct_observation union all "
            "select indicator_code, region_code, period_label, null, null, null, null, source_id, as_published, note, "
            "source_cell from marts.fct_missing_figure"
        ).fetchall()
    )


def make_store(tmp_path: Path, observations: int) -> Warehouse:
    store = Warehouse(tmp_path / "data")
    store.data_dir.mkdir(parents=True)
    sdmx_marts.build(store.path, observations)
    return store


def published_at(release):
    with duckdb.connect(str(release.path / SNAPSHOT_FILE), read_only=True) as con:
        return con.execute("select published_at from meta.release").fetchone()[0]


def test_units_are_sdmx_codes_with_their_multiplier():
    assert unit_measure("亿元") == ("CNY", 8)
    assert unit_measure("万人") == ("PS", 4)
    assert unit_measure("%") == ("PC", 0)
    assert unit_measure("‰") == ("PC", -1)
    assert unit_measure("mg/m³") == ("UG_M3", 3)
    assert unit_measure("万亿元") == ("CNY", 12)
    assert unit_measure("公里") == ("X_E585ACE9878C", 0)  # unmapped: a code of its own, never an error


def test_a_changed_structure_gets_a_new_version_never_the_same_one():
    first = Recorded("1.0.0", {"A": "a", "B": "b"}, "name")
    assert next_version(None, {"A": "a"}, "name") == "1.0.0"
    assert next_version(first, {"A": "a", "B": "b"}, "name") == "1.0.0"  # unchanged
    assert next_version(first, {"A": "a", "B": "b", "C": "c"}, "name") == "1.1.0"  # a code added
    assert next_version(first, {"A": "a", "B": "b2"}, "name") == "1.1.0"  # a code's names changed
    assert next_version(first, {"A": "a", "B": "b"}, "new name") == "1.0.1"  # only the artefact's own names
    assert next_version(first, {"A": "a"}, "name") == "2.0.0"  # a code removed breaks readers
    structure = Recorded("1.0.0", {"REF_AREA": '["dimension", true, "CL_AREA(1.0.0)", "1.0.0"]'}, "name")
    with_sex = {**structure.items, "SEX": '["dimension", true, "CL_SEX(1.0.0)", "1.0.0"]'}
    assert next_version(structure, with_sex, "name") == "2.0.0"  # a dimension added changes every series key
    with_note = {**structure.items, "OBS_NOTE": '["attribute", false, null, "1.0.0"]'}
    assert next_version(structure, with_note, "name") == "1.1.0"  # an attribute added does not


def test_a_hundred_thousand_observations_read_back_exactly_both_ways(tmp_path):
    store = make_store(tmp_path, 100_000)
    release = publish(store)
    folder = release.path / export.SDMX_FOLDER
    assert release.sdmx_rows == {"DF_OBSERVATIONS": 100_000, "DF_TARGETS": 1, "DF_PROGRESS": 2}
    assert check.xsd_problems(folder / "structure.xml") == []
    assert check.folder_problems(folder, "structure.xml", {f.id: export.data_file(f) for f in export.FLOWS}) == []
    with duckdb.connect(str(store.path), read_only=True) as con:
        expected = mart_rows(con)
    read = rows_read_back(folder)
    assert len(read) == 100_000
    assert read - expected == set()  # every SDMX row is a mart row ...
    assert expected - read == set()  # ... and every mart row is in the file
    missing = [r for r in read if r[3] is None]
    assert len(missing) == 15  # published as missing: status M, no value


def test_every_period_kind_has_its_sdmx_time_period(tmp_path):
    store = make_store(tmp_path, 10_000)  # all 50 regions, so every kind of period
    folder = publish(store).path / export.SDMX_FOLDER
    with (folder / "DF_OBSERVATIONS.csv").open(encoding="utf-8", newline="") as f:
        seen = {(r["FREQ"], r["ACCUMULATION"]): r["TIME_PERIOD"] for r in csv.DictReader(f) if r["INDICATOR"] == "IND_001"}
    assert set(seen) == {("A", "_Z"), ("Q", "_Z"), ("M", "_Z"), ("M", "YTD"), ("S", "_Z"), ("_O", "_Z")}
    assert seen[("_O", "_Z")].endswith("/P10Y")


def test_the_structure_names_everything_in_english_and_chinese_and_is_valid(tmp_path):
    store = make_store(tmp_path, 100)
    structure = publish(store).path / export.SDMX_FOLDER / "structure.xml"
    text = structure.read_text(encoding="utf-8")
    assert check.xsd_problems(structure) == []
    assert '<com:Name xml:lang="en">Indicator 7</com:Name>' in text
    assert '<com:Name xml:lang="zh">指标7</com:Name>' in text
    assert '<com:Name xml:lang="zh">衢州市统计局</com:Name>' in text
    assert "<com:AnnotationType>UNIT</com:AnnotationType>" in text
    codes = check.codelists_of(structure)
    assert {"A", "S", "Q", "M", "_O"} == codes["CL_FREQ"]
    assert {"CNY", "PC", "PS", "UG_M3"} == codes["CL_UNIT_MEASURE"]
    assert {"0", "4", "8"} == codes["CL_UNIT_MULT"]


def test_a_broken_file_is_named_by_line_column_and_rule(tmp_path):
    store = make_store(tmp_path, 100)
    folder = publish(store).path / export.SDMX_FOLDER
    broken = tmp_path / "broken"
    shutil.copytree(folder, broken)
    data = broken / "DF_OBSERVATIONS.csv"
    lines = data.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace(",330800,", ",999999,", 1)  # the second record: the first one's note spans two lines
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = check.folder_problems(broken, "structure.xml", {"OBSERVATIONS": "DF_OBSERVATIONS.csv"}, (OBSERVATIONS,))
    assert problems == [
        "DF_OBSERVATIONS.csv row 2: REF_AREA = '999999' is not a code of CL_AREA (rule: coded values in their codelist)"
    ]
    structure = broken / "structure.xml"
    structure.write_text(structure.read_text(encoding="utf-8").replace("<mes:Test>false</mes:Test>", ""), encoding="utf-8")
    assert "SDMX-ML 3.0 XSD" in check.xsd_problems(structure)[0]


def test_revisions_and_withdrawals_are_in_the_history_and_never_lost(tmp_path):
    store = make_store(tmp_path, 2_000)
    first = publish(store)
    t1 = published_at(first)
    with duckdb.connect(str(store.path)) as con:
        con.execute("update marts.fct_observation set value = 1.5 where indicator_code = 'IND_001' and region_code = '330800'")
        con.execute("delete from marts.fct_observation where indicator_code = 'IND_002' and region_code = '330800'")
        con.execute(
            "insert into marts.fct_observation by name select * replace ('2024' as period_label, date '2024-01-01' as "
            "period_start, date '2024-12-31' as period_end, 2024 as start_year, 2024 as end_year) from marts.fct_observation "
            "where indicator_code = 'IND_004' and region_code = '330800' and period_label = '2000'"
        )
    second = publish(store)
    t2 = published_at(second)
    out = tmp_path / "out"

    assert (
        sdmx_command.main(["--data-dir", str(store.data_dir), "--out", str(out / "changes"), "--updated-after", t1.isoformat()])
        == 0
    )
    with (out / "changes" / "DF_OBSERVATIONS.changes.csv").open(encoding="utf-8", newline="") as f:
        changes = {(r["ACTION"], r["INDICATOR"], r["REF_AREA"], r["TIME_PERIOD"]): r for r in csv.DictReader(f)}
    assert {key[0] for key in changes} == {"R", "D", "A"}
    assert changes[("R", "IND_001", "330800", "2000")]["OBS_VALUE"] == "1.5"
    deleted = changes[("D", "IND_002", "330800", "2000")]
    assert deleted["OBS_VALUE"] == "" and deleted["OBS_STATUS"] == ""  # a withdrawal: its key only
    assert ("A", "IND_004", "330800", "2024") in changes
    assert len(changes) == 1 + 1 + 1  # one year of each (the region block 330800 holds yearly figures)

    # As of the first release, exactly its file: no revision, the withdrawn figure back, the new one absent.
    assert sdmx_command.main(["--data-dir", str(store.data_dir), "--out", str(out / "then"), "--as-of", t1.isoformat()]) == 0
    assert (out / "then" / "DF_OBSERVATIONS.csv").read_bytes() == (first.path / "sdmx" / "DF_OBSERVATIONS.csv").read_bytes()
    assert sdmx_command.main(["--data-dir", str(store.data_dir), "--out", str(out / "now")]) == 0
    assert (out / "now" / "DF_OBSERVATIONS.csv").read_bytes() == (second.path / "sdmx" / "DF_OBSERVATIONS.csv").read_bytes()
    before_any = t1 - timedelta(seconds=1)
    assert (
        sdmx_command.main(["--data-dir", str(store.data_dir), "--out", str(out / "before"), "--as-of", before_any.isoformat()])
        == 0
    )
    assert (out / "before" / "DF_OBSERVATIONS.csv").read_text(encoding="utf-8").count("\n") == 1  # the header only
    # Nothing served is lost: every row of the first release is still in the history, closed at t2.
    with duckdb.connect(str(store.path), read_only=True) as con:
        closed = con.execute(f"select count(*) from {ledger.history_table(OBSERVATIONS)} where valid_to = ?", [t2]).fetchone()[0]
        total = con.execute(f"select count(*) from {ledger.history_table(OBSERVATIONS)}").fetchone()[0]
    assert closed == 2 and total == 2_000 + 2


def test_a_new_indicator_makes_new_versions_and_the_old_files_keep_theirs(tmp_path):
    store = make_store(tmp_path, 100)
    first = publish(store)
    with duckdb.connect(str(store.path)) as con:
        con.execute(
            "insert into marts.dim_indicator (indicator_code, name_zh, name_en, unit, value_type, direction) "
            "values ('IND_NEW', '新指标', 'New indicator', '%', 'level', 'higher_better')"
        )
    second = publish(store)
    header_line = (second.path / "sdmx" / "DF_OBSERVATIONS.csv").read_text(encoding="utf-8").splitlines()[1]
    assert "CN_QZSTATS:DF_OBSERVATIONS(1.1.0)" in header_line
    text = (second.path / "sdmx" / "structure.xml").read_text(encoding="utf-8")
    assert 'id="CL_INDICATOR" version="1.1.0"' in text and 'id="CL_AREA" version="1.0.0"' in text
    assert 'id="DF_TARGETS" version="1.1.0"' in text  # its structure refers to the new codelist version
    out = tmp_path / "then"
    assert (
        sdmx_command.main(["--data-dir", str(store.data_dir), "--out", str(out), "--as-of", published_at(first).isoformat()]) == 0
    )
    assert "DF_OBSERVATIONS(1.0.0)" in (out / "DF_OBSERVATIONS.csv").read_text(encoding="utf-8").splitlines()[1]


def test_two_rows_with_one_key_stop_the_publication_and_change_nothing(tmp_path):
    store = make_store(tmp_path, 100)
    first = publish(store)
    with duckdb.connect(str(store.path)) as con:
        con.execute("insert into marts.fct_observation select * from marts.fct_observation limit 1")
    with pytest.raises(SdmxDataError, match="two rows share one SDMX key"):
        publish(store)
    assert (serving_root(store.data_dir) / "current").resolve() == first.path
    with duckdb.connect(str(store.path), read_only=True) as con:
        assert con.execute(f"select count(*) from {ledger.history_table(OBSERVATIONS)}").fetchone()[0] == 100


def test_labels_in_chinese_beside_the_codes(tmp_path):
    store = make_store(tmp_path, 100)
    publish(store)
    out = tmp_path / "labelled"
    assert sdmx_command.main(["--data-dir", str(store.data_dir), "--out", str(out), "--labels", "zh", "--read-back"]) == 0
    with (out / "DF_OBSERVATIONS.csv").open(encoding="utf-8", newline="") as f:
        first = next(csv.DictReader(f))
    assert first["INDICATOR: 指标"] == "IND_000: 指标0"
    assert first["REF_AREA: 地区"] == "330800: 地区0"
    assert first["OBS_VALUE: 观测值"] == "0.0"


def test_a_rebuilt_warehouse_takes_the_history_back_from_the_release(tmp_path):
    store = make_store(tmp_path, 100)
    release = publish(store)
    with duckdb.connect(str(tmp_path / "rebuilt.duckdb")) as con:
        rows = export.restore_history(con, release.path / "sdmx" / "history")
    assert rows[ledger.history_table(OBSERVATIONS)] == 100
    assert rows[ledger.STRUCTURES_TABLE] >= 20  # every codelist, the concepts, 3 structures and 3 dataflows


def test_nothing_new_reuses_the_files_it_can_trust_and_rewrites_a_damaged_one(tmp_path):
    store = make_store(tmp_path, 100)
    first = publish(store)
    second = publish(store)
    name = Path("sdmx") / "DF_OBSERVATIONS.csv"
    assert (first.path / name).stat().st_ino == (second.path / name).stat().st_ino  # linked: the same bytes
    original = (second.path / name).read_bytes()
    (second.path / name).write_bytes(original.replace(b"IND_000", b"IND_999"))  # damaged where it is served
    third = publish(store)
    assert (third.path / name).stat().st_ino != (second.path / name).stat().st_ino
    assert (third.path / name).read_bytes() == original


def test_a_clock_set_back_never_closes_a_row_before_it_was_opened(tmp_path, monkeypatch):
    store = make_store(tmp_path, 100)
    publishing_in_2099(monkeypatch)
    publish(store)
    monkeypatch.undo()
    with duckdb.connect(str(store.path)) as con:
        con.execute("update marts.fct_observation set value = 1.5 where indicator_code = 'IND_001'")
    publish(store)
    with duckdb.connect(str(store.path), read_only=True) as con:
        table = ledger.history_table(OBSERVATIONS)
        assert con.execute(f"select count(*) from {table} where valid_to <= valid_from").fetchone()[0] == 0
        assert con.execute(f"select count(*) from {table} where valid_to is not null").fetchone()[0] == 1
