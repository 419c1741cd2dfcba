"""What a dbt build must recompute: every figure, or only those touched since the last build.

The figure-keyed models (int_observation_vintages, fct_observation_vintage, fct_observation, qa_conflicts) are
incremental: given the observation files whose state changed since the last successful build and the sources
whose catalogue entry changed, they recompute only the figures those touch (dbt_project/macros/changed_figures.sql).
Everything else a figure depends on forces a full build: no earlier build, a changed dbt project or publishing
code (the models themselves may have changed), or an edit of the region or indicator catalogue (units,
directions and the comparable-series rule apply to whole indicators). Pure logic: the warehouse says what changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

# Catalogues whose edit can change any figure's row in the incremental models.
CATALOGUES_FORCING_FULL_BUILD = ("regions", "indicators")


@dataclass(frozen=True)
class LastBuild:
    last_load_id: int | None  # the last audit.loads record the build saw; None for a build recorded before this existed
    project_fingerprint: str | None


@dataclass(frozen=True)
class ChangesSince:
    """What audit.loads and the catalogues record after the last build's last load."""

    families: frozenset[str]  # families with any load, refusal, withdrawal or move
    observation_paths: tuple[str, ...]  # their observation files, under old and new names
    source_ids: tuple[str, ...]  # sources added, edited or withdrawn


@dataclass(frozen=True)
class BuildScope:
    full_reason: str | None  # why every figure is rebuilt; None: only the changed ones
    observation_paths: tuple[str, ...] = ()
    source_ids: tuple[str, ...] = ()
    # The last finished build ran this very project (its fingerprint names the engine's versions too) and its unit
    # tests passed: they test the models' SQL on fixed inputs, not the data, so they are not run again.
    code_proven: bool = False

    @property
    def full(self) -> bool:
        return self.full_reason is not None

    def dbt_args(self) -> list[str]:
        """The files and sources of a scoped build go to dbt through audit.dbt_build_scope (Warehouse.begin_dbt_build)."""
        return [
            *(["--full-refresh"] if self.full else []),
            *(["--exclude-resource-type", "unit_test"] if self.code_proven else []),
        ]

    def describe(self) -> str:
        """What is rebuilt, as audit.dbt_builds.scope records it (the unit tests' exclusion shows in the dbt command)."""
        if self.full:
            return f"every figure rebuilt: {self.full_reason}"
        return (
            f"incremental: figures of {len(self.observation_paths)} changed observation file(s) "
            f"and {len(self.source_ids)} changed source(s)"
        )


def decide(last: LastBuild | None, project_fingerprint: str, changes: ChangesSince | None) -> BuildScope:
    """The scope of the next build, from the last successful one and what changed since."""
    if last is None:
        return BuildScope("no earlier build to start from")
    if last.last_load_id is None or changes is None:  # failed or killed half-way, or made before builds were scoped
        return BuildScope("the last build did not finish")
    if last.project_fingerprint != project_fingerprint:
        return BuildScope("the dbt project or the code that publishes it changed")
    edited = sorted(changes.families.intersection(CATALOGUES_FORCING_FULL_BUILD))
    if edited:
        return BuildScope(f"the {' and '.join(edited)} catalogue changed", code_proven=True)
    return BuildScope(None, tuple(sorted(changes.observation_paths)), tuple(sorted(changes.source_ids)), code_proven=True)


@dataclass(frozen=True)
class BuildState:
    """What the dbt asset knows before it builds: the inputs now, the last build, what readers are served."""

    last_load_id: int | None  # the last audit record: what this build is built from
    inputs: str  # the raw state and the project's files, hashed (DbtBuildLog.dbt_inputs_fingerprint)
    project: str  # the project's files, the publishing code and the target (dbt_assets.project_fingerprint)
    last_inputs: str | None  # the last finished build's inputs; None: no build finished
    last_run_id: str | None
    last_built_from: LastBuild | None
    published_run_id: str | None  # the run whose release readers open now
    reported_run_ids: frozenset[str]
    release_intact: Callable[[], bool]  # the release's files match their checksums (asked last: it hashes them)
    changes: ChangesSince | None  # what changed after the last build's last load (None: unknown)
    on_spark: bool
    clock: datetime | None = None  # the instant release times are read against in this build (naive UTC)


def decide_build(state: BuildState) -> BuildScope | None:
    """The scope of the dbt build this refresh runs, or None when there is nothing to build.

    Nothing to build: nothing was loaded, refused, withdrawn or moved and no model or code changed since the last
    build, whose marts are the ones served and reported. A run killed between build and publication, or between
    publication and report, does not count (this refresh publishes and reports again); nor does a release whose files
    differ from their checksums (it is published anew)."""
    if (
        state.last_inputs == state.inputs
        and state.published_run_id == state.last_run_id
        and state.last_run_id in state.reported_run_ids
        and state.release_intact()
    ):
        return None
    scope = decide(state.last_built_from, state.project, state.changes)
    if state.on_spark and not scope.full:  # an honest full rebuild: Spark's figure models are tables
        return BuildScope("on Spark every figure is rebuilt (its figure models are tables, not incremental)")
    return scope


def dbt_build_args(scope: BuildScope) -> list[str]:
    """The dbt command the asset streams."""
    return ["build", *scope.dbt_args()]
