"""Register the serving snapshot in Apache Superset: one database connection and one dataset per mart, each with
the mart's description and its columns' (docs/operations.md, "Superset").

    python -m orchestration.commands.superset --url http://127.0.0.1:8088 --user admin [--password …]
        [--database-name "Quzhou indicators"] [--snapshot data/serving/current/snapshot.duckdb]

Superset copies the columns' comments into a dataset but never the table's, and a dataset on the schema its list
offers (`snapshot.marts`, as duckdb-engine names it) makes its date-format detector fail: it quotes the two parts as
one name. So the datasets are made on schema `marts`, and their descriptions written from the snapshot's comments.
Run it again at will: it updates what exists. It talks only to the Superset URL given, through its REST API.
"""

from __future__ import annotations

import argparse
import getpass
import http.cookiejar
import json
import os
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration import settings
from orchestration.publish.serving import current_snapshot

SCHEMA = "marts"
PAGE_SIZE = 100  # Superset's largest page


class SupersetError(RuntimeError):
    pass


@dataclass
class Superset:
    """A logged-in session: a bearer token, the CSRF token Superset wants on writes, and the session cookie."""

    url: str
    opener: urllib.request.OpenerDirector
    headers: dict[str, str]

    @classmethod
    def login(cls, url: str, user: str, password: str) -> Superset:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        session = cls(url.rstrip("/"), opener, {})
        token = session.call("POST", "/api/v1/security/login", {"username": user, "password": password, "provider": "db"})
        session.headers["Authorization"] = f"Bearer {token['access_token']}"
        session.headers["X-CSRFToken"] = session.call("GET", "/api/v1/security/csrf_token/")["result"]
        session.headers["Referer"] = session.url
        return session

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=dict(self.headers))
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with self.opener.open(request, timeout=120) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise SupersetError(f"{method} {path}: HTTP {exc.code}: {exc.read().decode(errors='replace')[:500]}") from exc

    def all(self, path: str) -> list[dict]:
        """Every row of a list endpoint, page by page (a Superset may hold many more datasets than ours)."""
        rows: list[dict] = []
        while True:
            page = self.call("GET", f"{path}?q=(page:{len(rows) // PAGE_SIZE},page_size:{PAGE_SIZE})")
            rows += page["result"]
            if not page["result"] or len(rows) >= page["count"]:
                return rows


def descriptions(snapshot: Path) -> dict[str, str]:
    """Each mart of the snapshot → its description (the dbt model's, kept as the table's comment)."""
    with duckdb.connect(str(snapshot), read_only=True) as con:
        rows = con.execute(
            "select table_name, coalesce(comment, '') from duckdb_tables() where schema_name = ? order by table_name", [SCHEMA]
        ).fetchall()
    return dict(rows)


def register(superset: Superset, snapshot: Path, database_name: str) -> dict[str, int]:
    """The database connection (read-only, on the snapshot) and one dataset per mart; returns mart → dataset id."""
    # the path through `current`, not the release it points to now: Superset then reads each new release
    uri = f"duckdb:///{Path(os.path.abspath(snapshot)).as_posix()}?access_mode=read_only"
    database = {"database_name": database_name, "sqlalchemy_uri": uri, "expose_in_sqllab": True}
    found = [d for d in superset.all("/api/v1/database/") if d["database_name"] == database_name]
    if found:
        database_id = found[0]["id"]
        superset.call("PUT", f"/api/v1/database/{database_id}", database)
    else:
        database_id = superset.call("POST", "/api/v1/database/", database)["id"]
    existing = {
        d["table_name"]: d["id"]
        for d in superset.all("/api/v1/dataset/")
        if d["database"]["id"] == database_id and d["schema"] == SCHEMA
    }
    out = {}
    for mart, description in descriptions(snapshot).items():
        dataset_id = existing.get(mart)
        if dataset_id is None:
            dataset_id = superset.call(
                "POST", "/api/v1/dataset/", {"database": database_id, "schema": SCHEMA, "table_name": mart}
            )["id"]
        superset.call("PUT", f"/api/v1/dataset/{dataset_id}/refresh")  # columns and their comments, as published now
        superset.call("PUT", f"/api/v1/dataset/{dataset_id}", {"description": description})
        out[mart] = dataset_id
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="Superset's address, e.g. http://127.0.0.1:8088")
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", help="default: $SUPERSET_PASSWORD, else asked")
    parser.add_argument("--database-name", default="Quzhou indicators")
    parser.add_argument("--snapshot", type=Path, help="default: the current snapshot of the data folder")
    args = parser.parse_args(argv)
    snapshot = args.snapshot or current_snapshot(settings.data_dir())
    if not snapshot.exists():
        print(f"no snapshot at {snapshot}: run `make run` first", file=sys.stderr)
        return 2
    password = args.password or os.environ.get("SUPERSET_PASSWORD") or getpass.getpass("Superset password: ")
    try:
        datasets = register(Superset.login(args.url, args.user, password), snapshot, args.database_name)
    except (SupersetError, OSError) as exc:
        print(f"Superset: {exc}", file=sys.stderr)
        return 1
    print(f"database {args.database_name!r} → {snapshot}; datasets on schema {SCHEMA}: {', '.join(datasets)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
