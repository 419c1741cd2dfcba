"""The scope of a dbt build (orchestration/dbt_tools/build_scope.py): every figure, or only those changed since the
last build. test_reconcile holds the incremental marts equal to a build from scratch; these are the rules."""

from dataclasses import replace

import pytest

from orchestration.dbt_tools.build_scope import (
    BuildScope,
    BuildState,
    ChangesSince,
    LastBuild,
    dbt_build_args,
    decide,
    decide_build,
)

PROJECT = "project-v1"
LAST = LastBuild(last_load_id=41, project_fingerprint=PROJECT)


def changes(*families: str, paths: tuple[str, ...] = (), sources: tuple[str, ...] = ()) -> ChangesSince:
    return ChangesSince(frozenset(families), paths, sources)


def test_new_publications_and_sources_rebuild_only_their_figures():
    scope = decide(
        LAST,
        PROJECT,
        changes("observations", "sources", "targets", paths=("observations/b.csv", "observations/a'1.csv"), sources=("src-2",)),
    )
    assert not scope.full
    assert scope.describe() == "incremental: figures of 2 changed observation file(s) and 1 changed source(s)"
    # the files and sources go through audit.dbt_build_scope; the unit tests passed on this project last time
    assert scope.dbt_args() == ["--exclude-resource-type", "unit_test"]
    assert scope.observation_paths == ("observations/a'1.csv", "observations/b.csv") and scope.source_ids == ("src-2",)


def test_nothing_to_start_from_a_changed_project_or_an_edited_catalogue_rebuild_every_figure():
    new_code = [
        ("no earlier build to start from", decide(None, PROJECT, None)),
        ("the last build did not finish", decide(LastBuild(None, None), PROJECT, None)),
        ("the dbt project or the code that publishes it changed", decide(LAST, "project-v2", changes("observations"))),
    ]
    for reason, scope in new_code:  # the unit tests run: no finished build proved this project
        assert scope == BuildScope(reason)
        assert scope.dbt_args() == ["--full-refresh"]
        assert scope.describe() == f"every figure rebuilt: {reason}"
    edited = [
        ("the indicators catalogue changed", decide(LAST, PROJECT, changes("indicators", "observations"))),
        ("the indicators and regions catalogue changed", decide(LAST, PROJECT, changes("regions", "indicators"))),
    ]
    for reason, scope in edited:
        assert scope == BuildScope(reason, code_proven=True)
        assert scope.dbt_args() == ["--full-refresh", "--exclude-resource-type", "unit_test"]
        assert scope.describe() == f"every figure rebuilt: {reason}"


def test_a_build_with_nothing_changed_recomputes_no_figure():
    assert decide(LAST, PROJECT, changes()) == BuildScope(None, (), (), code_proven=True)


UNCHANGED = BuildState(
    last_load_id=41,
    inputs="inputs-1",
    project=PROJECT,
    last_inputs="inputs-1",
    last_run_id="run-1",
    last_built_from=LAST,
    published_run_id="run-1",
    reported_run_ids=frozenset({"run-0", "run-1"}),
    release_intact=lambda: True,
    changes=ChangesSince(frozenset(), (), ()),
    on_spark=False,
)


def test_nothing_changed_and_the_last_build_served_and_reported_builds_nothing():
    assert decide_build(UNCHANGED) is None


@pytest.mark.parametrize(
    "change",
    [
        {"inputs": "inputs-2"},  # a load, a refusal, a withdrawal, a move, or a model changed
        {"published_run_id": "run-0"},  # killed between the build and its publication
        {"reported_run_ids": frozenset({"run-0"})},  # killed between publication and the report
        {"release_intact": lambda: False},  # the release's files differ from their checksums
        {"last_inputs": None, "last_run_id": None, "last_built_from": None},  # no build finished yet
    ],
)
def test_a_refresh_builds_again_when_anything_it_serves_is_not_the_last_build(change):
    scope = decide_build(replace(UNCHANGED, **change))
    assert scope is not None
    assert dbt_build_args(scope) == ["build", *scope.dbt_args()]


def test_the_release_is_hashed_only_when_everything_else_says_nothing_changed():
    asked = []
    decide_build(replace(UNCHANGED, inputs="inputs-2", release_intact=lambda: asked.append(1) or True))
    assert asked == []


def test_on_spark_an_incremental_build_becomes_a_full_one():
    scope = decide_build(replace(UNCHANGED, inputs="inputs-2", on_spark=True))
    assert scope.full and "on Spark" in scope.full_reason
    assert dbt_build_args(scope) == ["build", "--full-refresh"]


def test_the_scope_goes_to_dbt_as_named_columns_and_an_older_warehouse_gains_them(tmp_path):
    """The protocol is the table's columns (store/ddl.py): a scoped build writes its run id, its files and sources
    there; an older warehouse's (kind, value) table, empty between builds, is replaced."""
    import duckdb

    from orchestration import settings
    from orchestration.store.warehouse import Warehouse

    warehouse = Warehouse(tmp_path)
    tmp_path.mkdir(exist_ok=True)
    with duckdb.connect(str(settings.warehouse_path(tmp_path))) as con:
        con.execute("create schema audit; create table audit.dbt_build_scope (kind varchar not null, value varchar)")
    warehouse.ensure_schema()
    scope = decide(LAST, PROJECT, changes("observations", "sources", paths=("observations/b.csv",), sources=("src-2",)))
    warehouse.begin_dbt_build("run-7", scope)
    with warehouse.connect(read_only=True) as con:
        rows = con.execute("select run_id, observation_path, source_id from audit.dbt_build_scope order by all").fetchall()
    assert rows == [("run-7", "observations/b.csv", None), ("run-7", None, "src-2"), ("run-7", None, None)]  # nulls last
    warehouse.end_dbt_build()
    with warehouse.connect(read_only=True) as con:
        assert con.execute("select count(*) from audit.dbt_build_scope").fetchone()[0] == 0
