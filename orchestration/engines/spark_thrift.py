"""The refresh on Spark (`QZ_ENGINE=spark`): where the Thrift endpoint is, and the Spark marts brought home.

dbt builds the marts on the cluster (profiles.yml target `spark_thrift`). What follows the build — the serving
snapshot with its Parquet exports, the steward report, the refresh's summary — reads schemas `marts` and `quality`
of the warehouse file, on either engine. After a Spark build, `import_spark_tables` replaces those two schemas
with the tables Spark wrote, in one DuckDB transaction: each table's files, found at the location the cluster's
metastore gives, read with DuckDB's Parquet reader; its columns typed as Spark declares them; NOT NULL and the
descriptions taken from dbt's manifest of that build (what dbt-duckdb puts on the tables itself). Data still flows
one way: raw zone → Spark → the marts' copy here → serving copy and report.
"""

from __future__ import annotations

import json
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from orchestration import settings
from orchestration.engines.spark_cluster import ClusterError, read_cluster
from orchestration.store.sql_text import quote_identifier, string_literal
from orchestration.store.warehouse import Warehouse

ENDPOINT_ENV = settings.SPARK_THRIFT_ENV  # host:port of a Thrift Server started elsewhere
IMPORTED_SCHEMAS = ("marts", "quality")
# Spark's column types as DuckDB spells them; decimal(p,s), date and boolean are spelled alike.
SPARK_TYPES = {
    "string": "varchar",
    "int": "integer",
    "bigint": "bigint",
    "smallint": "smallint",
    "tinyint": "tinyint",
    "double": "double",
    "float": "real",
    "timestamp": "timestamp",
    "timestamp_ntz": "timestamp",
}


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"

    @classmethod
    def parse(cls, text: str) -> Endpoint:
        host, _, port = text.strip().rpartition(":")
        if not host or not port.isdigit():
            raise ClusterError(f"Spark Thrift endpoint {text!r}: expected host:port, e.g. spark-thrift.internal:10000")
        return cls(host, int(port))


def thrift_endpoint(data: Path) -> Endpoint:
    """QZ_SPARK_THRIFT=host:port when set, else the cluster `make spark-cluster` started for this data folder."""
    given = settings.current().spark_thrift
    if given:
        return Endpoint.parse(given)
    cluster = read_cluster(data)
    if cluster is None:
        raise ClusterError(
            f"no Spark Thrift endpoint for {data}: start the cluster with `make spark-cluster` "
            f"(same QZ_DATA_DIR), or set {ENDPOINT_ENV}=host:port"
        )
    return Endpoint(cluster.thrift_host, cluster.thrift_port)


def check_ready(data: Path) -> Endpoint:
    """Before a Spark refresh starts: the endpoint, the client library, and a server that answers."""
    endpoint = thrift_endpoint(data)
    try:
        import pyhive  # noqa: F401  (only to know it is there)
    except ImportError:
        raise ClusterError("the Spark engine needs the spark extra: pip install -e '.[spark]' (or make spark-cluster)") from None
    try:
        socket.create_connection((endpoint.host, endpoint.port), timeout=5).close()
    except OSError as exc:
        raise ClusterError(
            f"the Spark Thrift Server at {endpoint} does not answer ({exc}): is the cluster up? (make spark-cluster)"
        ) from None
    return endpoint


def _connect(endpoint: Endpoint):
    from pyhive import hive  # the spark extra; only the Spark refresh needs it

    return hive.connect(host=endpoint.host, port=endpoint.port, username="quzhou")


@dataclass(frozen=True)
class SparkTable:
    schema: str
    name: str
    columns: list[tuple[str, str]]  # (name, DuckDB type)
    location: Path

    @property
    def relation(self) -> str:
        return f"{self.schema}.{quote_identifier(self.name)}"


def describe_table(cursor, schema: str, name: str) -> SparkTable:
    cursor.execute(f"describe table extended `{schema}`.`{name}`")
    columns, location, in_columns = [], None, True
    for col_name, data_type, _comment in cursor.fetchall():
        col_name = (col_name or "").strip()
        if not col_name or col_name.startswith("#"):
            in_columns = False  # partition and detail sections follow the columns
        elif in_columns:
            columns.append((col_name, duckdb_type(data_type)))
        elif col_name == "Location":
            location = data_type
    if location is None:
        raise ClusterError(f"Spark's metastore gives no location for {schema}.{name}")
    parsed = urlparse(location)
    if parsed.scheme not in ("", "file"):
        raise ClusterError(f"{schema}.{name} lives at {location}: this machine reads only local or mounted paths")
    return SparkTable(schema, name, columns, Path(unquote(parsed.path)))


def duckdb_type(spark_type: str) -> str:
    spark_type = spark_type.strip().lower()
    if spark_type in SPARK_TYPES:
        return SPARK_TYPES[spark_type]
    if spark_type in ("date", "boolean") or re.fullmatch(r"decimal\(\d+,\s*\d+\)", spark_type):
        return spark_type
    raise ClusterError(f"Spark type {spark_type!r} has no DuckDB spelling here")


def _manifest_models(manifest: Path) -> dict[tuple[str, str], dict]:
    nodes = json.loads(manifest.read_text(encoding="utf-8"))["nodes"].values()
    return {
        (n["schema"], n["alias"]): n
        for n in nodes
        if n["resource_type"] == "model" and n["schema"] in IMPORTED_SCHEMAS and n["config"]["materialized"] != "view"
    }


def _create_table_sql(table: SparkTable, node: dict) -> str:
    """The table as Spark declares it, with the NOT NULL of the model's enforced contract (dbt-duckdb's own)."""
    enforced = node["config"].get("contract", {}).get("enforced")
    not_null = {
        name
        for name, column in node["columns"].items()
        if enforced and any(c["type"] == "not_null" for c in column.get("constraints", []))
    }
    columns = ", ".join(f"{quote_identifier(n)} {kind}{' not null' if n in not_null else ''}" for n, kind in table.columns)
    return f"create table {table.relation} ({columns})"


def _comment_sql(table: SparkTable, node: dict) -> list[str]:
    """The model's descriptions as COMMENTs, where it persists them (persist_docs), as dbt-duckdb does."""
    persist = node["config"].get("persist_docs", {})
    statements = []
    if persist.get("relation") and node.get("description"):
        statements.append(f"comment on table {table.relation} is {string_literal(node['description'])}")
    if persist.get("columns"):
        present = {name for name, _ in table.columns}
        statements += [
            f"comment on column {table.relation}.{quote_identifier(name)} is {string_literal(column['description'])}"
            for name, column in node["columns"].items()
            if column.get("description") and name in present
        ]
    return statements


def import_spark_tables(warehouse: Warehouse, endpoint: Endpoint, manifest: Path) -> dict[str, int]:
    """Replace schemas marts and quality of the warehouse with the tables the Spark build wrote; rows per table."""
    models = _manifest_models(manifest)
    spark = _connect(endpoint)
    try:
        cursor = spark.cursor()
        tables = [describe_table(cursor, schema, name) for schema, name in sorted(models)]
    finally:
        spark.close()
    counts = {}
    with warehouse.session() as con:
        con.execute("set TimeZone = 'UTC'")  # Spark's Parquet holds UTC instants; the marts' timestamps are zone-less
        con.begin()
        try:
            for schema in IMPORTED_SCHEMAS:
                con.execute(f"drop schema if exists {schema} cascade")
                con.execute(f"create schema {schema}")
            for table in tables:
                node = models[(table.schema, table.name)]
                con.execute(_create_table_sql(table, node))
                files = sorted(str(p) for p in table.location.glob("*.parquet"))
                if files:  # Spark writes no file for an empty table
                    names = ", ".join(quote_identifier(name) for name, _ in table.columns)
                    con.execute(f"insert into {table.relation} ({names}) select {names} from read_parquet(?)", [files])
                counts[f"{table.schema}.{table.name}"] = con.execute(f"select count(*) from {table.relation}").fetchone()[0]
                for statement in _comment_sql(table, node):
                    con.execute(statement)
            con.commit()
        except BaseException:
            con.rollback()
            raise
    return counts
