"""The scope of a dbt build (orchestration/dbt_tools/build_scope.py): every figure, or only those changed since the
last build. test_reconcile holds the incremental marts equal to a build from scratch; these are the rules."""

from orchestration.dbt_tools.build_scope import BuildScope, ChangesSince, LastBuild, decide

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
    assert scope.dbt_args() == []  # the files and sources go through audit.dbt_build_scope
    assert scope.observation_paths == ("observations/a'1.csv", "observations/b.csv") and scope.source_ids == ("src-2",)


def test_nothing_to_start_from_a_changed_project_or_an_edited_catalogue_rebuild_every_figure():
    cases = [
        ("no earlier build to start from", decide(None, PROJECT, None)),
        ("the last build did not finish", decide(LastBuild(None, None), PROJECT, None)),
        ("the dbt project or the code that publishes it changed", decide(LAST, "project-v2", changes("observations"))),
        ("the indicators catalogue changed", decide(LAST, PROJECT, changes("indicators", "observations"))),
        ("the indicators and regions catalogue changed", decide(LAST, PROJECT, changes("regions", "indicators"))),
    ]
    for reason, scope in cases:
        assert scope == BuildScope(reason)
        assert scope.dbt_args() == ["--full-refresh"]
        assert scope.describe() == f"every figure rebuilt: {reason}"


def test_a_build_with_nothing_changed_recomputes_no_figure():
    assert decide(LAST, PROJECT, changes()) == BuildScope(None, (), ())
