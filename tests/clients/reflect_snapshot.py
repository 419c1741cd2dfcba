"""Reflect the serving snapshot through SQLAlchemy + duckdb-engine, the way Superset and other SQLAlchemy BI
tools do, with whatever versions this interpreter has; print what was seen as JSON (errors included)."""

import json
import sys
import warnings

import pandas as pd
import sqlalchemy as sa

warnings.simplefilter("ignore")  # duckdb-engine warns that it does not reflect indexes
path, table = sys.argv[1:3]
engine = sa.create_engine(f"duckdb:///{path}", connect_args={"read_only": True}, poolclass=sa.pool.NullPool)
seen: dict = {"sqlalchemy": sa.__version__, "pandas": pd.__version__, "errors": {}}


def attempt(name, call):
    try:
        seen[name] = call()
    except Exception as exc:
        seen["errors"][name] = f"{type(exc).__name__}: {str(exc)[:300]}"


inspector = sa.inspect(engine)
attempt("schemas", inspector.get_schema_names)
attempt("tables", lambda: inspector.get_table_names(schema="marts"))
attempt("meta_tables", lambda: inspector.get_table_names(schema="meta"))
attempt(
    "columns",
    lambda: [
        {"name": c["name"], "type": str(c["type"]), "comment": c.get("comment")}
        for c in inspector.get_columns(table, schema="marts")
    ],
)
attempt("table_comment", lambda: inspector.get_table_comment(table, schema="marts")["text"])
attempt("pk", lambda: inspector.get_pk_constraint(table, schema="marts"))
attempt("foreign_keys", lambda: inspector.get_foreign_keys(table, schema="marts"))
attempt("autoload", lambda: [c.name for c in sa.Table(table, sa.MetaData(), schema="marts", autoload_with=engine).columns])
attempt("read_sql_table_rows", lambda: len(pd.read_sql_table(table, engine, schema="marts")))
with engine.connect() as con:
    attempt("count", lambda: con.execute(sa.text(f"select count(*) from marts.{table}")).scalar())
print(json.dumps(seen, ensure_ascii=False, default=str))
