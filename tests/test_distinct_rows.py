"""The reduction GX validates: each group of columns a rule reads, as its distinct combinations, and every row
behind a refused combination found again (orchestration/validate/distinct_rows.py). Milliseconds: no GX."""

from __future__ import annotations

import numpy as np
import pandas as pd

from orchestration.validate.distinct_rows import DISTINCT_ROW, columns_read, reduce_batch


def test_rules_that_share_a_column_are_one_group_and_each_group_keeps_its_distinct_combinations():
    frame = pd.DataFrame(
        {
            "code": ["A", "B", "A", "A", None, "B"],
            "unit": ["%", "%", "%", "元", "%", "%"],
            "status": ["x", "x", "x", "x", "x", "y"],
            "value": [1.0, 2.0, 1.0, 3.0, np.nan, np.nan],
        }
    )
    batch = reduce_batch(frame, [("code",), ("code", "unit"), ("status",), ("value",)])
    reduced = batch.frame
    assert [sorted(g.columns) for g in batch.groups] == [["code", "unit"], ["status"], ["value"]]
    # (A,%) (B,%) (A,元) (None,%): four combinations, in order of first appearance; a missing value is a value
    codes = reduced["code"].fillna("<missing>")
    assert list(zip(codes, reduced["unit"], strict=True)) == [("A", "%"), ("B", "%"), ("A", "元"), ("<missing>", "%")]
    assert reduced["status"].tolist() == ["x", "y", "x", "x"]  # two values, the first repeated to the frame's length
    assert reduced["value"].tolist()[:3] == [1.0, 2.0, 3.0] and np.isnan(reduced["value"].tolist()[3])
    assert reduced[DISTINCT_ROW].tolist() == [0, 1, 2, 3]
    assert batch.source is frame


def test_a_refused_combination_maps_back_to_every_row_holding_it():
    frame = pd.DataFrame({"code": ["A", "B", "A", "C", "B", "A"], "status": ["x", "y", "x", "x", "x", "x"]})
    batch = reduce_batch(frame, [("code",), ("status",)])
    assert batch.rows_failing(("code",), [1]).tolist() == [False, True, False, False, True, False]  # B, twice
    # the status group has two values; rows 2 and 3 of the reduced frame repeat its first ("x")
    assert batch.rows_failing(("status",), [3]).tolist() == [True, False, True, True, True, True]
    assert not batch.rows_failing(("code",), []).any()


def test_the_columns_a_rule_reads_include_those_of_its_row_condition():
    kwargs = {"column": "_period_start_year", "row_condition": 'obs_status != "forecast"', "condition_parser": "pandas"}
    assert columns_read(kwargs, ["_period_start_year", "obs_status", "value"]) == ("_period_start_year", "obs_status")
    assert columns_read({"column_A": "value", "column_B": "_cat_range_min"}, []) == ("_cat_range_min", "value")


def test_an_empty_batch_reduces_to_an_empty_frame():
    batch = reduce_batch(pd.DataFrame({"code": pd.Series([], dtype="str")}), [("code",)])
    assert len(batch.frame) == 0 and list(batch.frame.columns) == ["code", DISTINCT_ROW]


def test_a_batch_whose_combinations_are_nearly_all_distinct_is_kept_as_it_stands():
    frame = pd.DataFrame({"text": ["a", "b", "c", "d", "a", "e"], "status": ["x"] * 6})  # 5 of 6 rows distinct
    batch = reduce_batch(frame, [("text",), ("status",)])
    assert batch.frame["text"].tolist() == frame["text"].tolist() and batch.frame[DISTINCT_ROW].tolist() == list(range(6))
    assert batch.rows_failing(("text",), [0, 3]).tolist() == [True, False, False, True, False, False]  # those rows only
