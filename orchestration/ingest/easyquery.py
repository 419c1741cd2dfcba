"""Reshape a response of the national data-query service (data.stats.gov.cn "easyquery") into observation rows.

The response: `returndata.datanodes[]`, each with `wds` (its codes: zb = indicator, sj = time, reg = region) and
`data` (`hasdata`, `strdata` the figure as shown, `dotcount` its decimals); `returndata.wdnodes[]` names each code
(`cname`, `unit`). The layout maps zb codes to catalogue indicators and says the unit it expects of each: a response
naming another unit or indicator name is refused, never loaded into the wrong indicator.

`hasdata: false` is no figure (never 0). Time codes: 2023 (year), 202309 (month), 2023A…2023D (quarters); with
`cumulative: true` months and quarters run from January (202309 → 2023年1-9月, 2023C → 前三季度, 2023D → 全年).
Pure: no Dagster, no DuckDB.
"""

from __future__ import annotations

import json
import re
from typing import Any

from orchestration.ingest.layouts import Layout
from orchestration.ingest.parsing import ParseError, parse_period
from orchestration.ingest.table_layout import CellIssue, Labels, Reshaped

MAX_JSON_BYTES = 64 * 1024 * 1024
_YEAR, _MONTH, _QUARTER = re.compile(r"\d{4}"), re.compile(r"(\d{4})(\d{2})"), re.compile(r"(\d{4})([A-D])")


class EasyqueryRefused(ValueError):
    pass


def period_of(code: str, cumulative: bool) -> str:
    """The canonical period (2023, 2023M09, 2023Q3, 2023M01-09) of a time code (raises ParseError)."""
    return parse_period(_written(code, cumulative)).label


def _written(code: str, cumulative: bool) -> str:
    if _YEAR.fullmatch(code):
        return code
    if m := _MONTH.fullmatch(code):
        year, month = m.group(1), int(m.group(2))
        if cumulative and month > 1:
            return f"{year}年1-{month}月"
        return f"{year}年{month}月"
    if m := _QUARTER.fullmatch(code):
        quarter = "ABCD".index(m.group(2)) + 1
        return f"{m.group(1)}年1-{quarter * 3}月" if cumulative else f"{m.group(1)}Q{quarter}"
    raise ParseError(f"not a time code of the service (2023, 202309, 2023C): {code!r}")


def _decimals(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


def reshape_easyquery(data: bytes, layout: Layout, labels: Labels) -> Reshaped:
    out = Reshaped()

    def issue(where: str, rule: str, value: Any, message: str) -> None:
        out.issues.append(CellIssue(where, rule, None if value is None else str(value), message))

    if len(data) > MAX_JSON_BYTES:
        raise EasyqueryRefused(f"larger than {MAX_JSON_BYTES >> 20} MiB: not one query's response")
    try:
        response = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise EasyqueryRefused(f"not a JSON response in UTF-8 ({type(exc).__name__}: {str(exc)[:80]})") from None
    body = response.get("returndata") if isinstance(response, dict) else None
    if not isinstance(body, dict) or not isinstance(body.get("datanodes"), list):
        raise EasyqueryRefused("no returndata.datanodes: not a data-query response")
    if response.get("returncode", 200) != 200:
        raise EasyqueryRefused(f"the service answered returncode {response.get('returncode')!r}, not 200")

    for w, dimension in enumerate(body.get("wdnodes") or []):
        if not isinstance(dimension, dict) or dimension.get("wdcode") != "zb":
            continue
        for n, node in enumerate(dimension.get("nodes") or []):
            spec = layout.indicators.get(str(node.get("code")))
            if not spec:
                continue
            where = f"returndata.wdnodes[{w}].nodes[{n}]"
            if "name" in spec and node.get("cname") != spec["name"]:
                issue(
                    where,
                    "layout_header",
                    node.get("cname"),
                    f"names {node.get('code')} {node.get('cname')!r} where the layout expects {spec['name']!r}",
                )
            unit = spec.get("unit", layout.fixed.get("unit"))
            if node.get("unit") and node.get("unit") != unit:
                issue(
                    where,
                    "layout_unit",
                    node.get("unit"),
                    f"gives {node.get('code')} in {node.get('unit')!r} where the layout expects {unit!r}",
                )

    for i, node in enumerate(body["datanodes"]):
        where = f"returndata.datanodes[{i}]"
        dims = {w.get("wdcode"): str(w.get("valuecode")) for w in node.get("wds") or [] if isinstance(w, dict)}
        figure = node.get("data") if isinstance(node.get("data"), dict) else {}
        zb, sj = dims.get("zb"), dims.get("sj")
        spec = layout.indicators.get(zb or "")
        if spec is None:
            issue(where, "layout_label", zb, f"indicator code {zb!r} is in the response but not under the layout's indicators")
            continue
        if figure.get("hasdata") is not True:  # no figure: never a zero
            continue
        try:
            period = period_of(sj or "", layout.cumulative)
        except ParseError as exc:
            issue(where, "layout_period", sj, str(exc))
            continue
        shown = str(figure.get("strdata") or "").strip()
        dotcount = figure.get("dotcount")
        if not shown:
            number = figure.get("data")
            if not isinstance(number, (int, float)) or not isinstance(dotcount, int):
                issue(where, "layout_value", number, "hasdata is true but neither strdata nor data with dotcount give a figure")
                continue
            shown = f"{number:.{dotcount}f}"
        elif isinstance(dotcount, int) and _decimals(shown) != dotcount:
            issue(where, "layout_value", shown, f"strdata shows {_decimals(shown)} decimals where dotcount says {dotcount}")
            continue
        record = {**layout.fixed, **{k: v for k, v in spec.items() if k != "name"}}
        reg = dims.get("reg")
        if reg is not None:
            record["region_code"] = layout.regions.get(reg, reg)  # the service's reg codes are GB/T 2260, as ours
        elif "region_code" not in record:
            issue(where, "layout_region", None, "no reg code in the node and no fixed.region_code in the layout")
            continue
        record.setdefault("obs_status", "normal")
        record.setdefault("value_type", labels.value_types.get(record.get("indicator_code", ""), ""))
        record["period"] = period
        record["value"] = shown
        record["as_published"] = shown
        record["source_cell"] = f"{where} ({node.get('code', '')})"
        out.records.append(record)
    return out
