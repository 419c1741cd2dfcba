"""Figures, not just files: a new version's changes and withdrawals are seen figure by figure, a version that would
withdraw too much is held until a steward confirms it, and the verdict speaks of what is served now."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import REPO_RAW, write_obs
from dagster import DagsterInstance
from test_refresh import query

from orchestration import settings
from orchestration.commands import confirm
from orchestration.commands.refresh import run_refresh

pytestmark = pytest.mark.slow
DECADE = "observations/zjrb-2022-quzhou-decade.csv"
INCOME = "observations/zjol-qz-income-2014.csv"
PRESS = "observations/ezhejiang-2022-09-14-press.csv"  # six figures: dropping one stays under the shrink guard


def served_from(data: Path, path: str) -> int:
    """Figures the file serves now (whether or not another publication's version of them wins)."""
    return query(data, "select count(*) from raw.observations where _file_path = ? and _superseded_by_load is null", path)[0][0]


@pytest.fixture(scope="module")
def history(tmp_path_factory, restore_environ):
    root = tmp_path_factory.mktemp("figures")
    raw, data = root / "raw", root / "data"
    shutil.copytree(REPO_RAW, raw)
    instance = DagsterInstance.ephemeral()
    runs, served = {}, {}
    runs["first"] = run_refresh(data, raw, instance)
    served["first"] = served_from(data, DECADE)

    # A correction in place, a copy cut at half its bytes (inside a field: every row keeps its columns), one row dropped.
    income = raw / INCOME
    income.write_text(
        income.read_text(encoding="utf-8").replace(
            '22436,元,level,normal,exact,"22,436元"', '22536,元,level,normal,exact,"22,536元"'
        ),
        encoding="utf-8",
    )
    decade = raw / DECADE
    decade.write_bytes(decade.read_bytes()[: decade.stat().st_size // 2])
    press = raw / PRESS
    press.write_text("".join(press.read_text(encoding="utf-8").splitlines(keepends=True)[:-1]), encoding="utf-8")
    runs["edits"] = run_refresh(data, raw, instance)
    served["edits"] = served_from(data, DECADE)
    runs["still_held"] = run_refresh(data, raw, instance)

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(settings.DATA_DIR_ENV, str(data))
        patch.setenv(settings.RAW_DIR_ENV, str(raw))
        runs["confirm_message"] = confirm.confirm(DECADE, "the article's second half moved to its own file")
    runs["confirmed"] = run_refresh(data, raw, instance)
    served["confirmed"] = served_from(data, DECADE)

    write_obs(raw, "refused.csv", "330800,NOPE,2021,1,%,level,normal,exact,1%,zjrb-2022-quzhou-decade,")
    runs["refused"] = run_refresh(data, raw, instance)
    runs["still_refused"] = run_refresh(data, raw, instance)
    return {"data": data, "raw": raw, "instance": instance, "runs": runs, "served": served}


def test_a_change_in_place_is_reported_old_to_new_and_the_old_value_kept_as_a_vintage(history):
    edits = history["runs"]["edits"]
    assert edits.figures["changed"] == 1
    assert "figures: 1 changed" in edits.render()
    rows = query(
        history["data"],
        "select value, is_latest, is_replaced, replaced_by_value, file_path from marts.fct_observation_vintage "
        "where indicator_code = 'INCOME_ALL' and region_code = '330800' and period_label = '2014' and breakdown = '_T' "
        "order by value",
    )
    assert rows == [(22436.0, False, True, 22536.0, INCOME), (22536.0, True, False, None, INCOME)]
    change = query(
        history["data"],
        "select change, old_value, old_text, new_value, new_text from audit.figure_changes where file_path = ?",
        INCOME,
    )
    assert change == [("changed", 22436.0, "22,436元", 22536.0, "22,536元")]


def test_a_new_version_that_withdraws_too_much_is_held_and_the_old_one_still_served(history):
    edits, still = history["runs"]["edits"], history["runs"]["still_held"]
    assert history["served"]["edits"] == history["served"]["first"] == 52
    assert edits.files["held"] == 1 and "1 held by the shrink guard" in edits.verdict
    assert edits.verdict.startswith("Refresh published WITH WARNINGS")
    # A refresh that finds nothing new still says so: the held version is not served.
    assert still.files["held"] == 1 and "held by the shrink guard" in still.verdict
    reasons = "\n".join(still.quarantine_reasons["raw/observations"])
    assert DECADE in reasons and "make confirm" in reasons
    page = edits.report.read_text(encoding="utf-8")
    assert "已暂扣 held" in page and "no longer has 2" in page  # the note: "no longer has 25 of the 52 figures"
    tags = history["instance"].get_run_by_id(still.run_id).tags
    assert tags["quzhou/verdict"] == "with_warnings" and tags["quzhou/observations_held"] == "1"


def test_a_dropped_figure_under_the_guard_is_withdrawn_with_its_old_value(history):
    edits = history["runs"]["edits"]
    assert edits.figures["withdrawn"] == 1 and "1 figures withdrawn" in edits.verdict
    withdrawn = query(
        history["data"],
        "select withdrawn_reason from marts.fct_observation_vintage where file_path = ? and is_withdrawn",
        PRESS,
    )
    assert withdrawn == [("not in the file's new version",)]
    assert query(
        history["data"],
        "select count(*) from audit.figure_changes where file_path = ? and change = 'withdrawn' and new_value is null",
        PRESS,
    ) == [(1,)]


def test_a_confirmed_cut_is_served_and_its_figures_withdrawn(history):
    confirmed = history["runs"]["confirmed"]
    assert "confirmed the held version" in history["runs"]["confirm_message"]
    assert confirmed.files["loaded"] == 1 and confirmed.files["held"] == 0
    assert 0 < history["served"]["confirmed"] < 52
    assert confirmed.figures["withdrawn"] == 52 - history["served"]["confirmed"]
    dropped = query(
        history["data"], "select count(*) from marts.fct_observation_vintage where file_path = ? and is_withdrawn", DECADE
    )
    assert dropped == [(52 - history["served"]["confirmed"],)]
    with pytest.raises(ValueError, match="no version held"), pytest.MonkeyPatch.context() as patch:
        patch.setenv(settings.DATA_DIR_ENV, str(history["data"]))
        confirm.confirm(DECADE)


def test_a_file_still_quarantined_keeps_the_verdict_with_warnings(history):
    refused, still = history["runs"]["refused"], history["runs"]["still_refused"]
    assert refused.files["quarantined"] == 1 and "1 quarantined" in refused.verdict
    assert still.unchanged and still.files["still_quarantined"] == 1 and still.files["skipped"] == 14
    assert still.verdict.startswith("Refresh published WITH WARNINGS: 1 quarantined")
    assert any("NOPE" in r for r in still.quarantine_reasons["raw/observations"])
    tags = history["instance"].get_run_by_id(still.run_id).tags
    assert tags["quzhou/verdict"] == "with_warnings" and tags["quzhou/observations_still_quarantined"] == "1"
