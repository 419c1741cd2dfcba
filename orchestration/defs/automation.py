"""The refresh job, its daily schedule, the sensor that reacts to new or changed raw files and the one that publishes
what waited for a release time."""

import hashlib

import dagster as dg

from orchestration.defs.resources import RawFilesResource, WarehouseResource
from orchestration.domain import clock
from orchestration.domain.families import PUBLICATION_TIMEZONE, SOURCES
from orchestration.domain.releases import due, release_times
from orchestration.publish.serving import published_time
from orchestration.read.file_snapshot import unsettled_reason
from orchestration.reconcile.listing import raw_files as raw_files_of
from orchestration.store.hash_cache import HashCache

refresh_job = dg.define_asset_job(
    "refresh_warehouse",
    selection=dg.AssetSelection.all(),
    description="Ingest every raw file family, validate, commit, then dbt build the marts.",
)

daily_refresh = dg.ScheduleDefinition(
    name="daily_refresh",
    job=refresh_job,
    cron_schedule="0 6 * * *",
    execution_timezone=PUBLICATION_TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every day at 06:00 Beijing time.",
)


def raw_fingerprint(raw_files: RawFilesResource, hashes: HashCache) -> str:
    """One hash over the paths and contents of every raw file the ingest reads, layouts included (each file hashed
    again only when its stat changed: store/hash_cache.py)."""
    digest = hashlib.sha256()
    for path in raw_files_of(raw_files.path):
        digest.update(path.relative_to(raw_files.path).as_posix().encode())
        digest.update(hashes.sha256(path).encode())
    hashes.save()
    return digest.hexdigest()


def unsettled_files(raw_files: RawFilesResource) -> list[str]:
    """Files still being written (younger than the settle time): a refresh now would defer them."""
    unsettled = []
    for path in raw_files_of(raw_files.path):
        try:
            if unsettled_reason(path):
                unsettled.append(path.relative_to(raw_files.path).as_posix())
        except FileNotFoundError:  # removed since the listing: the next evaluation sees it gone
            continue
    return unsettled


@dg.sensor(
    job=refresh_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Requests a refresh when a file under raw/ is added, changed or removed. Its first evaluation only notes "
        "the files present (no refresh when the UI opens)."
    ),
)
def raw_files_sensor(context: dg.SensorEvaluationContext, raw_files: RawFilesResource, warehouse: WarehouseResource):
    if busy := unsettled_files(raw_files):
        # A copy under way: request the refresh once it has settled, so that it is read whole (file_snapshot.py).
        return dg.SkipReason(f"waiting for {len(busy)} file(s) still being written to settle: {', '.join(busy[:5])}")
    fingerprint = raw_fingerprint(raw_files, HashCache(warehouse.data_path))
    if context.cursor is None:
        # First evaluation, e.g. the moment `make dev` opens: note the files as they are instead of starting
        # an unannounced full refresh. Changes from now on start one; the first refresh is `make run`, the
        # daily schedule or Launch in the UI.
        context.update_cursor(fingerprint)
        return dg.SkipReason(
            "sensor started: noted the files now in raw/; a refresh starts when one is added, changed or removed"
        )
    if fingerprint == context.cursor:
        return dg.SkipReason("raw/ unchanged since the last request")
    context.update_cursor(fingerprint)
    return dg.RunRequest(run_key=fingerprint)


@dg.sensor(
    job=refresh_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Requests a refresh when a release time of the source catalogue (sources.csv release_at) has passed since the "
        "current release was published: the figures under that embargo are published then, not at the next daily "
        "refresh. Once per release time; nothing before a first release (`make run`)."
    ),
)
def release_time_sensor(context: dg.SensorEvaluationContext, raw_files: RawFilesResource, warehouse: WarehouseResource):
    published = published_time(warehouse.data_path)
    if published is None:
        return dg.SkipReason("nothing published yet: the first refresh is `make run`, the daily schedule or Launch")
    try:
        times = release_times((raw_files.path / SOURCES.pattern).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:  # being replaced, or not UTF-8: the refresh says why
        return dg.SkipReason(f"cannot read {SOURCES.pattern} now: {exc}")
    passed = due(times, published, clock.now_utc())
    if not passed:
        return dg.SkipReason("no release time has passed since the current release was published")
    # one run per release time (Dagster runs a run key once): a refresh that fails leaves it to the daily schedule
    return dg.RunRequest(run_key=f"release-{passed[-1].isoformat()}", tags={"quzhou/release_at": passed[-1].isoformat()})
