"""A BI reader, as Superset connects: SQLAlchemy + duckdb-engine, read-only, on the serving copy.

    python -m support.reader <snapshot path> <stop file> <result json>

Until the stop file appears it reflects the marts (inspector: tables and columns) and checks, in one
connection, that every table holds exactly the rows its release says it has (meta.release_tables):
an answer from a half-swapped or mixed snapshot would not match.
"""

import json
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.pool import NullPool


def main(snapshot: str, stop_file: str, result_file: str) -> None:
    # NullPool: each connection opens the path anew, so a new release is picked up on the next query.
    engine = sa.create_engine(f"duckdb:///{snapshot}?access_mode=read_only", poolclass=NullPool)
    queries, errors, releases, mismatches = 0, [], {}, []
    started = time.monotonic()
    while not Path(stop_file).exists() and time.monotonic() - started < 900:
        try:
            with engine.connect() as con:
                inspector = sa.inspect(con)
                tables = inspector.get_table_names(schema="marts")
                columns = {t: [c["name"] for c in inspector.get_columns(t, schema="marts")] for t in tables}
                release = con.execute(sa.text("select release_id from meta.release")).scalar_one()
                expected = dict(con.execute(sa.text("select table_name, row_count from meta.release_tables")).fetchall())
                actual = {t: con.execute(sa.text(f'select count(*) from marts."{t}"')).scalar_one() for t in tables}
                queries += 3 + 2 * len(tables)
                if actual != expected or not all(columns.values()):
                    mismatches.append({"release": release, "expected": expected, "actual": actual})
                releases[release] = releases.get(release, 0) + 1
        except Exception as exc:  # counted, not raised: the test asserts there are none
            errors.append(f"{type(exc).__name__}: {exc}")
        time.sleep(0.02)
    Path(result_file).write_text(
        json.dumps({"queries": queries, "errors": errors, "releases": releases, "mismatches": mismatches})
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
