"""A whole refresh over bureau tables: a quarterly year-to-date release and a data-query response publish with
their cells in the marts, and no year-to-date or quarterly figure enters a trend, a decade change or progress."""

from __future__ import annotations

import shutil

import duckdb
import pytest
from conftest import REPO_RAW
from dagster import DagsterInstance
from support.bureau_tables import EASYQUERY_YEARLY, QUARTERLY_YTD

from orchestration.commands.refresh import run_refresh

pytestmark = pytest.mark.slow


def test_bureau_tables_publish_with_their_cells_and_only_annual_figures_are_compared(tmp_path, restore_environ):
    raw, data = tmp_path / "raw", tmp_path / "data"
    shutil.copytree(REPO_RAW, raw)
    QUARTERLY_YTD.write(raw)
    EASYQUERY_YEARLY.write(raw)
    summary = run_refresh(data, raw, DagsterInstance.ephemeral())
    assert summary.success and not summary.flags, summary.render()
    with duckdb.connect(str(data / "serving" / "current" / "snapshot.duckdb"), read_only=True) as con:
        gdp = con.execute(
            """select period_label, period_kind, value, in_comparable_series, source_cell from marts.fct_observation
               where region_code = '330800' and indicator_code = 'GDP' and source_cell like 'GDP!%' order by source_cell"""
        ).fetchall()
        decade_years = con.execute(
            "select count(*) from marts.mart_decade_change where indicator_code = 'GDP' and region_code = '330800' and end_value = 1550.7"
        ).fetchone()[0]
        zhejiang = con.execute(
            "select period_label, value, source_cell from marts.fct_observation where source_cell like 'returndata%' order by 1"
        ).fetchall()
    assert gdp == [
        ("2023Q1", "quarter", 480.2, False, "GDP!B3"),
        ("2023H1", "half_year", 1000.3, False, "GDP!B4"),
        ("2023M01-09", "year_to_date", 1550.7, False, "GDP!B5"),
        ("2023", "year", 2125.2, True, "GDP!B6"),  # 全年: the annual figure, the only one compared over time
    ]
    assert decade_years == 0
    assert [(p, v) for p, v, _ in zhejiang] == [("2020", 64613.0), ("2021", 73516.0)]
    assert all(cell.startswith("returndata.datanodes[") for _, _, cell in zhejiang)
