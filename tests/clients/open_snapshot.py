"""Open a DuckDB file read-only with whatever DuckDB this interpreter has and print one query's rows as JSON."""

import json
import sys

import duckdb

path, sql = sys.argv[1:3]
with duckdb.connect(path, read_only=True) as con:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, row, strict=False)) for row in cursor.fetchall()]
print(json.dumps({"duckdb": duckdb.__version__, "rows": rows}, ensure_ascii=False, default=str))
