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

from orchestration.domain.parsing import ParseError, parse_period
from orchestration.read.layouts import Layout
from orchestration.read.stated import normalise_unit
from orchestration.read.table_layout import CellIssue, Labels, Reshaped

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

    body = _body(data)
    dimensions = _dimensions(body)
    _check_indicators(dimensions.get("zb", {}), layout, issue)
    unmapped: dict[str, int] = {}
    first_node: dict[str, str] = {}  # an unmapped code → where it first appears
    for i, node in enumerate(body["datanodes"]):
        where = f"returndata.datanodes[{i}]"
        dims = {str(w.get("wdcode")).lower(): str(w.get("valuecode")) for w in node.get("wds") or [] if isinstance(w, dict)}
        figure = node.get("data") if isinstance(node.get("data"), dict) else {}
        zb, sj = dims.get("zb"), dims.get("sj")
        spec = layout.indicators.get(zb or "")
        if spec is None:
            unmapped[str(zb)] = unmapped.get(str(zb), 0) + 1
            first_node.setdefault(str(zb), where)
            continue
        if figure.get("hasdata") is not True:  # no figure: never a zero
            continue
        try:
            cumulative = spec.get("cumulative", "true" if layout.cumulative else "false") == "true"
            period = period_of(sj or "", cumulative)
            _check_time_name(sj or "", dimensions.get("sj", {}).get(sj or ""))
        except ParseError as exc:
            issue(where, "layout_period", sj, str(exc))
            continue
        shown, problem = _figure(figure)
        if problem:
            issue(where, "layout_value", shown, problem)
            continue
        record = {**layout.fixed, **{k: v for k, v in spec.items() if k not in ("name", "cumulative")}}
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
    if layout.partial:
        out.ignored = unmapped
    else:
        for code, count in sorted(unmapped.items()):
            issue(
                first_node[code],
                "layout_label",
                code,
                f"indicator code {code!r} (here and in {count - 1} more data node(s)) is in the response but not under the layout's indicators "
                "(map it, or say partial: true to load only the codes the layout names)",
            )
    return out


def _body(data: bytes) -> dict:
    if len(data) > MAX_JSON_BYTES:
        raise EasyqueryRefused(f"larger than {MAX_JSON_BYTES >> 20} MiB: not one query's response")
    try:
        response = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise EasyqueryRefused(f"not a JSON response in UTF-8 ({type(exc).__name__}: {str(exc)[:80]})") from None
    body = response.get("returndata") if isinstance(response, dict) else None
    if not isinstance(body, dict) or not isinstance(body.get("datanodes"), list):
        raise EasyqueryRefused("no returndata.datanodes: not a data-query response")
    if response.get("returncode", 200) != 200:
        raise EasyqueryRefused(f"the service answered returncode {response.get('returncode')!r}, not 200")
    return body


def _dimensions(body: dict) -> dict[str, dict[str, dict]]:
    """wdcode (lower case: the service writes zb, a re-saved copy may write ZB) → code → its node (cname, unit),
    each node with its JSON path under "where"."""
    out: dict[str, dict[str, dict]] = {}
    for w, dimension in enumerate(body.get("wdnodes") or []):
        if not isinstance(dimension, dict):
            continue
        nodes = out.setdefault(str(dimension.get("wdcode")).lower(), {})
        for n, node in enumerate(dimension.get("nodes") or []):
            if isinstance(node, dict):
                nodes[str(node.get("code"))] = {**node, "where": f"returndata.wdnodes[{w}].nodes[{n}]"}
    return out


# Words of an indicator's name saying its figures run from January, or cover the period alone.
_FROM_JANUARY_WORDS, _OWN_PERIOD_WORDS = ("累计",), ("当期", "当月", "当季")


def _check_indicators(named: dict[str, dict], layout: Layout, issue) -> None:
    """Each code the layout maps must be named by the response with the layout's unit (stated, never assumed), the
    name the layout expects, and a kind (累计 or 当期) that agrees with the layout's cumulative."""
    for code, spec in layout.indicators.items():
        node = named.get(code)
        if node is None:
            continue  # not in this response: it gives no figures of it
        where, cname = node["where"], str(node.get("cname") or "")
        if "name" in spec and cname != spec["name"]:
            issue(where, "layout_header", cname, f"names {code} {cname!r} where the layout expects {spec['name']!r}")
        unit = spec.get("unit", layout.fixed.get("unit"))
        stated = normalise_unit(str(node.get("unit") or ""))
        if not stated:
            issue(where, "layout_unit", None, f"states no unit for {code} ({cname}): its figures' scale cannot be checked")
        elif stated.casefold() != normalise_unit(unit or "").casefold():
            issue(
                where, "layout_unit", node.get("unit"), f"gives {code} in {node.get('unit')!r} where the layout expects {unit!r}"
            )
        cumulative = spec.get("cumulative", "true" if layout.cumulative else "false") == "true"
        if any(word in cname for word in _FROM_JANUARY_WORDS) and not cumulative:
            issue(where, "layout_period", cname, f"{code} {cname!r} runs from January: say cumulative: true")
        if any(word in cname for word in _OWN_PERIOD_WORDS) and cumulative:
            issue(where, "layout_period", cname, f"{code} {cname!r} covers its period alone: the layout says cumulative")
    if layout.indicators and not named:
        issue(
            "returndata.wdnodes", "layout_unit", None, "the response names no indicators (no wdnodes zb): units cannot be checked"
        )


def _check_time_name(code: str, node: dict | None) -> None:
    """The time code and the name the response gives it must be the same period (202309 and 2023年9月)."""
    name = str((node or {}).get("cname") or "")
    if not name:
        return
    try:
        named = parse_period(name).label
    except ParseError:
        return  # a name that is not a period (最近5年): nothing to compare
    if named != period_of(code, False):
        raise ParseError(f"time code {code!r} reads as {period_of(code, False)} but the response names it {name!r}")


def _figure(figure: dict) -> tuple[str, str | None]:
    """(the figure as shown, a problem): strdata at dotcount decimals, and the same number as data."""
    shown = str(figure.get("strdata") or "").strip()
    dotcount, number = figure.get("dotcount"), figure.get("data")
    if not shown:
        if not isinstance(number, (int, float)) or isinstance(number, bool) or not isinstance(dotcount, int):
            return "", "hasdata is true but neither strdata nor data with dotcount give a figure"
        return f"{number:.{dotcount}f}", None
    if isinstance(dotcount, int) and _decimals(shown) != dotcount:
        return shown, f"strdata shows {_decimals(shown)} decimals where dotcount says {dotcount}"
    if isinstance(number, (int, float)) and not isinstance(number, bool):
        try:
            if abs(float(shown.replace(",", "")) - number) > 0.5 * 10 ** -_decimals(shown):
                return shown, f"strdata {shown!r} and data {number!r} give different figures"
        except ValueError:
            return shown, f"strdata {shown!r} is not a number"
    return shown, None
