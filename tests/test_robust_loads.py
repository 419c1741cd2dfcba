"""Real-world files: encodings, XLSX, numbers and periods as printed, and a corpus of malformed files."""

import csv
import shutil
from pathlib import Path

import pytest
from conftest import write_obs
from test_ingest import SRC, ingest_all, raw_tables

from orchestration.store.warehouse import Warehouse

HERE = Path(__file__).parent
MALFORMED = HERE / "malformed"
FORMATS = HERE / "formats"


def expected_corpus() -> list[dict[str, str]]:
    with (MALFORMED / "EXPECTED.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_files_as_bureaus_publish_them_are_read(raw_copy, tmp_path):
    for path in FORMATS.iterdir():
        shutil.copy(path, raw_copy / "observations" / path.name)
    warehouse = Warehouse(tmp_path / "data")
    outcomes = ingest_all(raw_copy, warehouse)
    for name in ("as-published.csv", "gbk.csv", "utf8-bom.csv", "sheet.xlsx"):
        assert outcomes[f"observations/{name}"].status == "loaded", outcomes[f"observations/{name}"].issues
    with warehouse.connect(read_only=True) as con:
        got = {
            (r[0], r[1]): r[2:]
            for r in con.execute(
                "select indicator_code, period_label, value, value_decimals, unit, unit_published, qualifier "
                "from raw.observations where region_code = '330803'"
            ).fetchall()
        }
        encodings = dict(con.execute("select file_path, encoding from audit.loads").fetchall())
        others = dict(
            con.execute(
                "select region_code || '/' || indicator_code, value from raw.observations where region_code in ('330802', '330825', '330881')"
            ).fetchall()
        )
    assert got[("POP_RESIDENT_CHANGE", "2012-2021")] == (15.5, 1, "万人", "人", "exact")  # 15.5万 persons
    assert got[("URBANISATION", "2021")] == (45.7, 1, "%", "%", "exact")  # ４５．７％
    assert got[("RAIL_TIME_HANGZHOU", "2022")] == (40.0, 0, "分钟", "分钟", "approximate")  # 约40
    assert got[("POP_RESIDENT", "2022")] == (229.0, 0, "万人", "人", "lower_bound")  # 超过229万 persons
    assert got[("POP_RESIDENT", "2020")] == (227.6184, 4, "万人", "人", "exact")  # 2,276,184 persons
    assert got[("GDP", "2021")][0] is None  # — : missing, kept in raw, not a figure
    assert got[("OUTBOUND_WATER_CLASS", "2021")][0] == 3.0  # Ⅲ类
    assert got[("MAIN_ECON_TOP5", "2022H1")][0] == 11.0  # 2022年1-6月
    assert got[("MAIN_ECON_TOP3", "2022H1")][0] == 6.0  # 2022年上半年
    assert got[("PARK_ANIMAL_SPECIES", "2022")][4] == "lower_bound"  # 2400余
    assert encodings["observations/gbk.csv"] == "gb18030"
    assert encodings["observations/utf8-bom.csv"] == "utf-8-sig"
    assert encodings["observations/sheet.xlsx"] == "xlsx"
    assert others == {"330881/URBANISATION": 55.2, "330825/URBANISATION": 53.9, "330802/URBANISATION": 61.5, "330802/GDP": 287.3}


def test_every_malformed_file_is_quarantined_with_its_reason_and_nothing_is_lost(raw_copy, tmp_path):
    baseline = Warehouse(tmp_path / "baseline")
    ingest_all(raw_copy, baseline)

    corpus = expected_corpus()
    for path in MALFORMED.iterdir():
        if path.name != "EXPECTED.csv":
            shutil.copy(path, raw_copy / "observations" / path.name)
    # One more, too big to keep in the repository: a single 2 MB line.
    (raw_copy / "observations" / "huge_line.csv").write_text("region_code," + "x" * 2_000_000 + "\n", encoding="utf-8")
    corpus.append({"file": "huge_line.csv", "line": "", "column": "", "rule": "line_too_long"})
    # ... and a good file in the same refresh, which must still load.
    write_obs(raw_copy, "good-new-publication.csv", f"330802,URBANISATION,2021,61.5,%,level,normal,exact,61.5%,{SRC},")
    assert len(corpus) >= 25

    warehouse = Warehouse(tmp_path / "data")
    outcomes = ingest_all(raw_copy, warehouse)
    for case in corpus:
        outcome = outcomes[f"observations/{case['file']}"]
        assert outcome.status == "quarantined", case
        wanted = (int(case["line"]) if case["line"] else None, case["column"] or None, case["rule"])
        assert wanted in {(i.row, i.column, i.rule) for i in outcome.issues}, (case, [str(i) for i in outcome.issues])
        assert all(str(i).startswith(f"observations/{case['file']}") for i in outcome.issues)
    assert outcomes["observations/good-new-publication.csv"].status == "loaded"

    # Loaded data is exactly the baseline plus the one good file.
    after, before = raw_tables(warehouse), raw_tables(baseline)

    def strip(rows):  # load ids differ between the two warehouses
        return sorted(r[:-6] for r in rows)

    added = [r for r in strip(after["observations"]) if r not in strip(before["observations"])]
    assert len(added) == 1 and added[0][0:2] == ("330802", "URBANISATION")
    assert all(strip(after[t]) == strip(before[t]) for t in ("regions", "indicators", "sources", "targets"))
    with warehouse.connect(read_only=True) as con:
        quarantined = con.execute("select count(distinct file_path) from audit.loads where status = 'quarantined'").fetchone()[0]
    assert quarantined == len(corpus)


def test_text_from_a_file_never_reaches_sql_as_code(raw_copy, tmp_path):
    nasty = "x'); drop table raw.observations; --"
    write_obs(
        raw_copy,
        "nasty.csv",
        f'330802,URBANISATION,2021,61.5,%,level,normal,exact,"{nasty}",{SRC},"""; delete from audit.loads; --"',
    )
    warehouse = Warehouse(tmp_path / "data")
    assert ingest_all(raw_copy, warehouse)["observations/nasty.csv"].status == "loaded"
    with warehouse.connect(read_only=True) as con:
        assert (
            con.execute("select as_published from raw.observations where _file_path = 'observations/nasty.csv'").fetchone()[0]
            == nasty
        )
        assert con.execute("select count(*) from audit.loads").fetchone()[0] > 1


def test_a_catalogue_without_a_direction_is_refused_and_the_old_one_kept(raw_copy, tmp_path):
    warehouse = Warehouse(tmp_path / "data")
    ingest_all(raw_copy, warehouse)
    before = raw_tables(warehouse)["indicators"]
    path = raw_copy / "catalogue" / "indicators.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",level,lower_better,0,500,", ",level,,0,500,"), encoding="utf-8")
    outcome = ingest_all(raw_copy, warehouse, "again")["catalogue/indicators.csv"]
    assert outcome.status == "quarantined"
    assert [(i.column, i.rule) for i in outcome.issues] == [("direction", "expect_column_values_to_not_be_null")]
    assert raw_tables(warehouse)["indicators"] == before


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
def test_chinese_text_survives_each_encoding(raw_copy, tmp_path, encoding):
    text = "衢州城镇化率从45.7%提高到58.1%"
    header = "region_code,indicator_code,period,value,unit,value_type,obs_status,qualifier,as_published,source_id,note\n"
    row = f"330802,URBANISATION,2021,58.1,%,level,normal,exact,{text},{SRC},\n"
    (raw_copy / "observations" / "enc.csv").write_bytes((header + row).encode(encoding))
    warehouse = Warehouse(tmp_path / "data")
    assert ingest_all(raw_copy, warehouse)["observations/enc.csv"].status == "loaded"
    with warehouse.connect(read_only=True) as con:
        assert (
            con.execute("select as_published from raw.observations where _file_path = 'observations/enc.csv'").fetchone()[0]
            == text
        )
