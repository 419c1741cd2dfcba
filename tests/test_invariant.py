"""The invariant: what is served is a function of what raw/ holds now, never of the road that led there.

A Hypothesis state machine adds, edits, deletes, renames and copies publication and target files and
edits the indicator catalogue in a small raw folder, ingesting incrementally after every step; at the
end, a refresh from scratch of a new data folder over the same raw folder must serve exactly the same
rows. "Served" is what the dbt models read as current: every current raw row with its file and line
(no load ids). The dbt layer orders and resolves those rows by content alone (int_observation_vintages),
which the full-refresh scenario in test_reconcile.py checks mart by mart.

CI runs 200 examples (QZ_INVARIANT_EXAMPLES); the fast lane fewer.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from unittest.mock import patch

import pandas as pd
from conftest import OBS_HEADER, REPO_RAW
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from orchestration.ingest.families import ALL_FAMILIES
from orchestration.ingest.loop import ingest_family
from orchestration.ingest.validation import validate_files
from orchestration.store.warehouse import Warehouse

EXAMPLES = int(os.environ.get("QZ_INVARIANT_EXAMPLES", "200" if os.environ.get("CI") else "25"))
TARGET_HEADER = (
    "target_id,plan_code,plan_name,region_code,indicator_code,target_year,comparator,target_value,unit,"
    "binding,applies_to_subregions,verified,source_id,as_published,note\n"
)

# Sources of different publication dates and trust, so that revisions and same-date conflicts both occur.
SOURCES = ["zjrb-2022-quzhou-decade", "ezhejiang-2022-09-14-press", "chinadaily-2023-01-28-qz-gdp", "qz-14fyp-outline"]
KEYS = [("330800", "URBANISATION", "%"), ("330800", "RD_INTENSITY", "%"), ("330802", "URBANISATION", "%")]
NEW_INDICATOR = "TEST_EXTRA,测试指标,Test indicator,economy,%,level,higher_better,0,100,,linear,,\n"  # catalogue columns

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


def ingest_all(raw: Path, warehouse: Warehouse) -> None:
    warehouse.data_dir.mkdir(parents=True, exist_ok=True)
    with warehouse.held(), patch("orchestration.ingest.loop.validate_files", validate_each_file_once):
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
        self.warehouse = Warehouse(self.root / "data")
        self.counter = 0
        self.refresh()

    def _files(self, folder: str) -> list[Path]:
        return sorted((self.raw / folder).iterdir())

    @rule()
    def refresh(self):
        """A scheduled refresh: the folder may have changed in several ways since the last one."""
        ingest_all(self.raw, self.warehouse)

    def _new_name(self, folder: str, suffix: str = ".csv") -> Path:
        self.counter += 1
        return self.raw / folder / f"pub-{self.counter}{suffix}"

    @rule(rows=st.lists(figure, min_size=1, max_size=4, unique_by=lambda r: r[:2]))
    def add_publication(self, rows):
        self._new_name("observations").write_text(publication(rows), encoding="utf-8")

    @rule(rows=st.lists(target, min_size=1, max_size=2))
    def add_targets(self, rows):
        self._new_name("targets").write_text(targets_file(rows), encoding="utf-8")

    @precondition(lambda self: self._files("observations"))
    @rule(data=st.data(), rows=st.lists(figure, min_size=1, max_size=4, unique_by=lambda r: r[:2]))
    def edit_in_place(self, data, rows):
        data.draw(st.sampled_from(self._files("observations"))).write_text(publication(rows), encoding="utf-8")

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

    @rule(add=st.booleans(), text=st.sampled_from(["Urbanisation rate", "Urban share"]))
    def edit_indicator_catalogue(self, add, text):
        """Edits a refresh from scratch accepts too: add or drop an unused indicator, rename one."""
        path = self.raw / "catalogue" / "indicators.csv"
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        lines = [line for line in lines if not line.startswith("TEST_EXTRA,")] + ([NEW_INDICATOR] if add else [])
        lines = [line.replace("Urbanisation rate", text).replace("Urban share", text) for line in lines]
        path.write_text("".join(lines), encoding="utf-8")

    def teardown(self):
        try:
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
