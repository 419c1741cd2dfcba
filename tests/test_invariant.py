"""The invariant: what is served is a function of what raw/ holds now, never of the road that led there.

A Hypothesis state machine adds, edits, deletes, renames, copies and truncates publication and target files (bureau
tables read through a layout among them, and the layout edited or deleted),
copies files in that are still being written while a refresh reads the folder, and edits the indicator catalogue in
a small raw folder, ingesting incrementally after every step; at the end (copies finished, versions held by the
shrink guard confirmed, as a steward would), a refresh from scratch of a new data folder over the same raw folder
must serve exactly the same rows. "Served" is what the dbt models read as current: every current raw row with its file and line
(no load ids). The dbt layer orders and resolves those rows by content alone (int_observation_vintages),
which the full-refresh scenario in test_reconcile.py checks mart by mart.

CI runs 200 examples (QZ_INVARIANT_EXAMPLES); the fast lane fewer.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from unittest.mock import patch

import pandas as pd
from conftest import OBS_HEADER, REPO_RAW
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule
from support.bureau_tables import INDICATORS_BY_YEARS, add_test_source

from orchestration.domain.families import ALL_FAMILIES, FACT_FAMILIES
from orchestration.reconcile.family import ingest_family
from orchestration.store.ingest_state import emptying_key, family_folder
from orchestration.store.warehouse import Warehouse
from orchestration.validate.validation import validate_files

EXAMPLES = int(os.environ.get("QZ_INVARIANT_EXAMPLES", "200" if os.environ.get("CI") else "25"))
TARGET_HEADER = (
    "target_id,plan_code,plan_name,region_code,indicator_code,target_year,comparator,target_value,unit,"
    "binding,applies_to_subregions,verified,source_id,as_published,note\n"
)

# Sources of different publication dates and trust, so that revisions and same-date conflicts both occur.
SOURCES = ["zjrb-2022-quzhou-decade", "ezhejiang-2022-09-14-press", "chinadaily-2023-01-28-qz-gdp", "qz-14fyp-outline"]
KEYS = [("330800", "URBANISATION", "%"), ("330800", "RD_INTENSITY", "%"), ("330802", "URBANISATION", "%")]
# A bureau table and its layout (tests/support/bureau_tables.py), matching every pub-*.xlsx here.
TABLE = INDICATORS_BY_YEARS
TABLE_LAYOUT = INDICATORS_BY_YEARS.layout.replace("observations/yearbook-indicators-quzhou.xlsx", "observations/pub-*.xlsx")
NEW_INDICATOR = "TEST_EXTRA,测试指标,Test indicator,economy,%,level,higher_better,0,100,,linear,,,,,,,\n"  # catalogue columns

figure = st.tuples(
    st.sampled_from(range(len(KEYS))),
    st.sampled_from(["2019", "2020", "2021", "2021", "2021", "1921"]),  # 1921: a typo the period rule refuses
    st.sampled_from(["45.7", "58.1", "58.2", "2.0", "58.1", "abc"]),  # abc: a cell the parser refuses
    st.sampled_from(SOURCES),
    st.sampled_from(["normal", "provisional"]),
)
target = st.tuples(st.sampled_from(["T-A", "T-B", "T-C"]), st.sampled_from(["60", "65", "70"]))


def publication(rows: list[tuple]) -> str:
    lines = []
    for key, period, value, source, status in rows:
        region, indicator, unit = KEYS[key]
        lines.append(f"{region},{indicator},{period},{value},{unit},level,{status},exact,{value}%,{source},")
    return OBS_HEADER + "".join(line + "\n" for line in lines)


def targets_file(rows: list[tuple]) -> str:
    return TARGET_HEADER + "".join(
        f"{tid},ZJ_14FYP,浙江省十四五规划,330800,URBANISATION,2025,ge,{value},%,unknown,false,true,qz-14fyp-outline,{value}%,\n"
        for tid, value in rows
    )


def served_state(warehouse: Warehouse) -> dict[str, list[tuple]]:
    with warehouse.connect(read_only=True) as con:
        return {
            f.name: con.execute(
                f'select * exclude (_load_id, _superseded_by_load) from raw."{f.name}" '
                "where _superseded_by_load is null order by all"
            ).fetchall()
            for f in ALL_FAMILIES
        }


_verdicts: dict[tuple, object] = {}


def validate_each_file_once(family, catalogue, frames, docs_dir=None):
    """Great Expectations' verdict on each file, remembered by (family, catalogue, file content).

    The same file contents recur across examples and GX costs ~0.5 s a run whatever the size; its
    verdict on a file depends only on these, and every file is still validated by GX once.
    """
    cat = (
        *tuple(pd.util.hash_pandas_object(f, index=False).sum() for f in (catalogue.indicators, catalogue.sources)),
        catalogue.region_codes,
    )
    out = {}
    for name, frame in frames.items():
        key = (family.name, name, cat, int(pd.util.hash_pandas_object(frame.astype(str), index=False).sum()))
        if key not in _verdicts:
            _verdicts[key] = validate_files(family, catalogue, {name: frame}, docs_dir)[name]
        out[name] = _verdicts[key]
    return out


SETTLE = 60.0  # files the machine writes are aged past it at once, except a copy still under way


def aged(path: Path) -> Path:
    past = time.time() - 3600
    os.utime(path, (past, past))
    return path


def ingest_all(raw: Path, warehouse: Warehouse) -> None:
    warehouse.data_dir.mkdir(parents=True, exist_ok=True)
    with (
        warehouse.held(),
        patch("orchestration.reconcile.family.validate_files", validate_each_file_once),
        patch("orchestration.reconcile.listing.settle_seconds", lambda: SETTLE),
    ):
        warehouse.ensure_schema()
        for family in ALL_FAMILIES:
            ingest_family(family, raw, warehouse, "invariant", data_docs=False)


class RawFolderChanges(RuleBasedStateMachine):
    @initialize()
    def start(self):
        self.root = Path(tempfile.mkdtemp(prefix="invariant-"))
        self.raw = self.root / "raw"
        (self.raw / "observations").mkdir(parents=True)
        (self.raw / "targets").mkdir()
        shutil.copytree(REPO_RAW / "catalogue", self.raw / "catalogue")
        shutil.rmtree(self.raw / "catalogue" / "layouts")  # the shipped layout reads a file not here
        add_test_source(self.raw)
        for path in (self.raw / "catalogue").iterdir():
            aged(path)
        self.warehouse = Warehouse(self.root / "data")
        self.counter = 0
        self.copying: dict[Path, str] = {}  # files still being written -> their whole content
        self.refresh()

    def _files(self, folder: str) -> list[Path]:
        return sorted(p for p in (self.raw / folder).iterdir() if p not in self.copying)

    def _write(self, path: Path, text: str) -> None:
        path.write_text(text, encoding="utf-8")
        aged(path)

    @rule()
    def refresh(self):
        """A scheduled refresh: the folder may have changed in several ways since the last one."""
        ingest_all(self.raw, self.warehouse)

    def _new_name(self, folder: str, suffix: str = ".csv") -> Path:
        self.counter += 1
        return self.raw / folder / f"pub-{self.counter}{suffix}"

    @rule(rows=st.lists(figure, min_size=1, max_size=4, unique_by=lambda r: r[:2]))
    def add_publication(self, rows):
        self._write(self._new_name("observations"), publication(rows))

    @rule(rows=st.lists(target, min_size=1, max_size=2))
    def add_targets(self, rows):
        self._write(self._new_name("targets"), targets_file(rows))

    @precondition(lambda self: self._files("observations"))
    @rule(data=st.data(), rows=st.lists(figure, min_size=1, max_size=4, unique_by=lambda r: r[:2]))
    def edit_in_place(self, data, rows):
        self._write(data.draw(st.sampled_from(self._files("observations"))), publication(rows))

    @precondition(lambda self: self._files("observations") or self._files("targets"))
    @rule(data=st.data())
    def delete(self, data):
        data.draw(st.sampled_from(self._files("observations") + self._files("targets"))).unlink()

    @precondition(lambda self: self._files("observations") or self._files("targets"))
    @rule(data=st.data(), copy=st.booleans())
    def rename_or_copy(self, data, copy):
        path = data.draw(st.sampled_from(self._files("observations") + self._files("targets")))
        new = self._new_name(path.parent.name)
        shutil.copyfile(path, new) if copy else path.rename(new)
        aged(new)

    @precondition(lambda self: self._files("observations") or self._files("targets"))
    @rule(data=st.data())
    def truncate(self, data):
        """A copy cut short (a full disk, an interrupted transfer): half its bytes, whatever that cuts."""
        path = data.draw(st.sampled_from(self._files("observations") + self._files("targets")))
        content = path.read_bytes()
        path.write_bytes(content[: len(content) // 2])
        aged(path)

    @rule(rows=st.lists(figure, min_size=2, max_size=4, unique_by=lambda r: r[:2]))
    def start_slow_copy(self, rows):
        """A publication still being copied in while refreshes run: its first half, written just now."""
        path, text = self._new_name("observations"), publication(rows)
        path.write_text(text[: len(text) // 2], encoding="utf-8")
        self.copying[path] = text

    @precondition(lambda self: self.copying)
    @rule()
    def finish_copies(self):
        for path, text in self.copying.items():
            self._write(path, text)
        self.copying.clear()

    @rule(variant=st.sampled_from(["as published", "revised", "header changed"]))
    def add_bureau_table(self, variant):
        """A yearbook sheet read through a layout: as published, with a figure revised, or shifted (refused)."""
        fixture = TABLE
        if variant == "revised":
            fixture = replace(TABLE, sheet=replace(TABLE.sheet, cells={**TABLE.sheet.cells, "D4": (228.9, "0.0")}))
        elif variant == "header changed":
            fixture = replace(TABLE, sheet=replace(TABLE.sheet, cells={**TABLE.sheet.cells, "C2": "2019", "C3": 1}))
        aged(fixture.sheet.save(self._new_name("observations", ".xlsx")))

    @rule(variant=st.sampled_from(["every year", "without 2022", "deleted", "twice", "once"]))
    def edit_layout(self, variant):
        """Layout edits: a column more or less, the layout gone, a second layout reading the same files (ambiguous)
        and back to one. A table its layout stops reading keeps its last accepted reading until a steward confirms."""
        path = self.raw / "catalogue" / "layouts" / "tables.yaml"
        twin = path.with_name("tables-again.yaml")
        if variant == "deleted":
            path.unlink(missing_ok=True)
            return
        if variant in ("twice", "once"):
            if variant == "twice" and path.exists():
                self._write(twin, path.read_text(encoding="utf-8"))
            else:
                twin.unlink(missing_ok=True)
            return
        text = TABLE_LAYOUT
        if variant == "without 2022":
            text = text.replace('  E: {header: "2022", period: "2022"}\n', "").replace("fixed:", "ignore_columns: [E]\nfixed:")
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")

    @rule(known=st.booleans())
    def edit_catalogue_names(self, known):
        """A name tables are read with dropped from the catalogue, or given back: 地区生产总值 as GDP's alias."""
        path = self.raw / "catalogue" / "indicators.csv"
        text = path.read_text(encoding="utf-8").replace("地区生产总值|全市生产总值", "全市生产总值")
        self._write(path, text.replace("全市生产总值", "地区生产总值|全市生产总值", 1) if known else text)

    @rule(add=st.booleans(), text=st.sampled_from(["Urbanisation rate", "Urban share"]))
    def edit_indicator_catalogue(self, add, text):
        """Edits a refresh from scratch accepts too: add or drop an unused indicator, rename one."""
        path = self.raw / "catalogue" / "indicators.csv"
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        lines = [line for line in lines if not line.startswith("TEST_EXTRA,")] + ([NEW_INDICATOR] if add else [])
        lines = [line.replace("Urbanisation rate", text).replace("Urban share", text) for line in lines]
        self._write(path, "".join(lines))

    def teardown(self):
        try:
            self.finish_copies()
            self.refresh()
            # A steward confirms what the warehouse asks about: every version the shrink guard held, every refused
            # table still serving its last accepted reading, a family whose every file is gone. What is served then
            # follows raw/ alone.
            with self.warehouse.session() as con:
                asked = [(p, sha) for f in FACT_FAMILIES for p, (sha, *_) in self.warehouse.held_versions(con, f).items()]
                asked += [(p, sha) for f in FACT_FAMILIES for p, (sha, *_) in self.warehouse.kept_refusals(con, f).items()]
                for family in FACT_FAMILIES:
                    served = self.warehouse.served_files(con, family)
                    gone = {rel: sha for rel, sha in served.items() if not (self.raw / rel).is_file()}
                    if served and set(gone) == set(served):
                        asked.append((family_folder(family), emptying_key(gone)))
            for path, sha in asked:
                self.warehouse.confirm(path, sha, "invariant", None)
            self.refresh()
            incremental = served_state(self.warehouse)
            scratch = Warehouse(self.root / "scratch")
            ingest_all(self.raw, scratch)
            assert served_state(scratch) == incremental
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


RawFolderChanges.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestServedStateIsAFunctionOfTheRawFolder = RawFolderChanges.TestCase
