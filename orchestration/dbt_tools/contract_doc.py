"""Write docs/mart-contract.md from the dbt YAML, so the two descriptions of the marts never drift.

`python -m orchestration.dbt_tools.contract_doc` rewrites the file; a test fails when it is out of date.
"""

from __future__ import annotations

import sys

import yaml

from orchestration import settings

MARTS_DIR = settings.DBT_PROJECT_DIR / "models" / "marts"
CONTRACT = settings.REPO_ROOT / "docs" / "mart-contract.md"

HEADER = """# The mart contract

The tables in schema `marts` are the public interface for BI tools. Column names change only with a
reason given in the changelog of the pull request that changes them. This page is generated from the
dbt YAML in `dbt_project/models/marts/` (`python -m orchestration.dbt_tools.contract_doc`); a test keeps the two
identical.

Every mart is built under an enforced dbt model contract: a change of a column's name or type fails the
build instead of reaching BI tools. Types are DuckDB's names; on Spark the same columns are STRING, INT,
BIGINT, DOUBLE, BOOLEAN, DATE and TIMESTAMP (docs/scaling-out.md). The descriptions below are also the COMMENTs on the tables and
columns of the serving snapshot.

Conventions: percentages are percent numbers (45.7 means 45.7%); every value is in its indicator's
unit from `dim_indicator.unit`; region codes are GB/T 2260; periods are `2021`, `2022H1` or `2012-2021`.
"""


# The YAML spells types so that both engines accept them (`string`); the page gives DuckDB's names, which BI
# tools show for the serving snapshot.
DUCKDB_NAMES = {"STRING": "VARCHAR"}


def render() -> str:
    parts = [HEADER]
    for path in sorted(MARTS_DIR.glob("*.yml")):
        for model in yaml.safe_load(path.read_text(encoding="utf-8")).get("models", []):
            parts.append(f"\n## `marts.{model['name']}`\n\n{' '.join(model['description'].split())}\n")
            parts.append("| column | type | meaning |\n|---|---|---|")
            for column in model["columns"]:
                text = " ".join(column.get("description", "").split()).replace("|", "\\|")
                kind = column.get("data_type", "").upper()
                kind = DUCKDB_NAMES.get(kind, kind)
                if any(c.get("type") == "not_null" for c in column.get("constraints", [])):
                    kind += " not null"
                parts.append(f"| `{column['name']}` | {kind} | {text} |")
    return "\n".join(parts) + "\n"


def main() -> int:
    CONTRACT.write_text(render(), encoding="utf-8")
    print(f"wrote {CONTRACT.relative_to(settings.REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
