"""The raw zone (orchestration/publish/raw_zone.py): every load as Parquet, in step with raw.* through every change."""

import duckdb
from conftest import write_obs
from test_ingest import SRC, ingest_all

from orchestration.domain.families import ALL_FAMILIES, OBSERVATIONS
from orchestration.publish.raw_zone import PART_FILE, STATE_FILE, sync_family, zone_dir
from orchestration.settings import SHRINK_GUARD_ENV
from orchestration.store.warehouse import Warehouse


def sync_all(warehouse: Warehouse) -> dict[str, tuple[int, int, int]]:
    with warehouse.session() as con:
        syncs = [sync_family(con, family, zone_dir(warehouse.data_dir)) for family in ALL_FAMILIES]
    return {s.family: (s.loads, s.written, s.removed) for s in syncs}


def assert_zone_is_raw(warehouse: Warehouse) -> None:
    """What an engine reads from the zone (partition column aside) is what raw.<family> holds, row for row."""
    zone = zone_dir(warehouse.data_dir)
    with warehouse.connect(read_only=True) as con:
        for family in ALL_FAMILIES:
            files = sorted((zone / family.name).glob(f"load_id=*/{PART_FILE}"))
            in_zone = con.execute(
                f"select * exclude (load_id) from read_parquet({[f.as_posix() for f in files]}, hive_partitioning = true) "
                "order by all"
            ).fetchall()
            in_raw = con.execute(f'select * from raw."{family.name}" order by all').fetchall()
            assert in_zone == in_raw, family.name
            partitions = {int(f.parent.name.split("=")[1]) for f in files}
            loads = {r[0] for r in con.execute(f'select distinct _load_id from raw."{family.name}"').fetchall()}
            assert partitions == loads, family.name


def test_each_load_is_one_partition_and_only_changed_loads_are_written_again(raw_copy, tmp_path, monkeypatch):
    # the edited file below drops one of its four rows: a new version served at once, not held by the shrink guard
    # (whose own tests are in test_served_figures.py)
    monkeypatch.setenv(SHRINK_GUARD_ENV, "1")
    warehouse = Warehouse(tmp_path / "data")
    ingest_all(raw_copy, warehouse)
    first = sync_all(warehouse)
    assert first["observations"][0] == len(list((raw_copy / "observations").iterdir()))
    assert all(loads == written and removed == 0 for loads, written, removed in first.values())
    assert_zone_is_raw(warehouse)
    assert all(written == 0 for _, written, _ in sync_all(warehouse).values())  # nothing changed: nothing written

    # A new file, a new version of another (retires the old rows), a deleted one (withdrawn) and a renamed one
    # (rows follow the file): each changes exactly the loads involved.
    write_obs(raw_copy, "new.csv", f"330802,URBANISATION,2021,70.1,%,level,normal,exact,70.1%,{SRC},")
    obs = sorted((raw_copy / "observations").glob("*.csv"))
    edited, deleted, renamed = obs[0], obs[1], obs[2]
    text = edited.read_text(encoding="utf-8").splitlines()
    edited.write_text("\n".join([text[0], *text[2:]]) + "\n", encoding="utf-8")  # one row fewer
    deleted.unlink()
    renamed.rename(renamed.with_name("renamed.csv"))
    ingest_all(raw_copy, warehouse, "second")
    second = sync_all(warehouse)["observations"]
    # new file + edited file's new load + its retired old load + the withdrawn load + the moved load (new path)
    assert second[1] == 5 and second[2] == 0
    assert_zone_is_raw(warehouse)


def test_a_damaged_zone_is_repaired_and_a_load_no_longer_held_is_removed(raw_copy, tmp_path):
    warehouse = Warehouse(tmp_path / "data")
    ingest_all(raw_copy, warehouse)
    sync_all(warehouse)
    root = zone_dir(warehouse.data_dir) / "observations"
    victim = sorted(root.glob("load_id=*"))[0]
    (victim / PART_FILE).unlink()  # a sync interrupted, or a careless steward
    (root / "load_id=999999").mkdir()  # a load the warehouse does not hold
    (root / "load_id=999999" / PART_FILE).write_bytes(b"not parquet")
    _, written, removed = sync_all(warehouse)["observations"]
    assert (written, removed) == (1, 1)
    assert_zone_is_raw(warehouse)


def test_a_family_with_no_load_keeps_its_columns(tmp_path):
    warehouse = Warehouse(tmp_path / "data")
    warehouse.ensure_schema()
    with warehouse.session() as con:
        assert sync_family(con, OBSERVATIONS, zone_dir(warehouse.data_dir)).loads == 0
    root = zone_dir(warehouse.data_dir) / "observations"
    assert (root / STATE_FILE).exists()
    with duckdb.connect() as con:
        columns = [
            r[0] for r in con.execute(f"describe select * from '{(root / 'load_id=none' / PART_FILE).as_posix()}'").fetchall()
        ]
        rows = con.execute(f"select count(*) from '{(root / 'load_id=none' / PART_FILE).as_posix()}'").fetchone()[0]
    assert rows == 0 and "_superseded_by_load" in columns and "value" in columns
