"""Names and texts spelled into DuckDB SQL where a statement takes no parameter (COMMENT ON, DDL)."""


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def string_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
