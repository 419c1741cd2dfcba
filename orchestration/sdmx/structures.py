"""The SDMX structures of the marts: codelists generated from the catalogue as the marts serve it, one concept
scheme, one data structure and one dataflow per flow (flows.py), versioned (ledger.resolve_version) and written as
an SDMX-ML 3.0 structure message through pysdmx, with the Chinese names added beside its English ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
from lxml import etree
from pysdmx.io import write_sdmx
from pysdmx.io.format import Format
from pysdmx.model import (
    Agency,
    AgencyScheme,
    Annotation,
    Codelist,
    Components,
    Concept,
    ConceptScheme,
    Dataflow,
    DataStructureDefinition,
    DataType,
    ItemReference,
    Organisation,
    Role,
)
from pysdmx.model import Code as SdmxCode
from pysdmx.model import Component as SdmxComponent
from pysdmx.model.message import Header

from orchestration.domain.families import BREAKDOWN_DIMENSIONS
from orchestration.sdmx import flows, ledger, vocabularies
from orchestration.sdmx.flows import FLOWS
from orchestration.sdmx.model import ATTRIBUTE, DIMENSION, MEASURE, SDMX_ML, TIME, XML_LANG, Code, CodeList, Flow, Name

CONCEPT_SCHEME = "CS_QZ_INDICATORS"
CONCEPT_SCHEME_NAME = Name("Concepts of the indicator warehouse", "指标数据仓库概念")
_COM = f"{{{SDMX_ML}common}}"
_STR = f"{{{SDMX_ML}structure}}"
_ROLES = {DIMENSION: Role.DIMENSION, TIME: Role.DIMENSION, MEASURE: Role.MEASURE, ATTRIBUTE: Role.ATTRIBUTE}


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def _name(en: str | None, zh: str | None, fallback: str) -> Name:
    return Name(en or zh or fallback, zh or en or fallback)


def _annotations(**values: object) -> tuple[tuple[str, str], ...]:
    return tuple((key.upper(), str(value)) for key, value in values.items() if value not in (None, ""))


def catalogue_codelists(con: duckdb.DuckDBPyConnection) -> tuple[CodeList, ...]:
    """The codelists of the catalogue, read from the marts it is served in (never kept a second time)."""
    indicators = CodeList(
        "CL_INDICATOR",
        Name("Indicators", "指标"),
        tuple(
            Code(code, _name(en, zh, code), _annotations(unit=unit, value_type=vt, direction=d, theme=theme))
            for code, en, zh, unit, vt, d, theme in _rows(
                con,
                "select indicator_code, name_en, name_zh, unit, value_type, direction, theme from marts.dim_indicator order by 1",
            )
        ),
    )
    # GB/T 2260 codes; a region retired by an administrative change keeps its code, with its successor and the
    # date it stopped being valid (valid_to) as annotations.
    areas = CodeList(
        "CL_AREA",
        Name("Regions (GB/T 2260)", "行政区划（GB/T 2260）"),
        tuple(
            Code(code, _name(en, zh, code), _annotations(level=level, parent=parent, successor=succ, valid_to=retired))
            for code, en, zh, level, parent, succ, retired in _rows(
                con,
                "select region_code, name_en, name_zh, level, parent_code, successor_code, retired_on from marts.dim_region order by 1",
            )
        ),
    )
    # Publications, plans and targets are named in Chinese only: their English name is their id.
    sources = CodeList(
        "CL_SOURCE",
        Name("Source publications", "资料来源"),
        tuple(
            Code(sid, Name(sid, title or sid), _annotations(publisher=pub, published_on=on, citation=cite, trust=trust))
            for sid, title, pub, on, cite, trust in _rows(
                con, "select source_id, title, publisher, published_on, citation, trust from marts.dim_source order by 1"
            )
        ),
    )
    plans = CodeList(
        "CL_PLAN",
        Name("Plans", "规划"),
        tuple(
            Code(p, Name(p, name or p))
            for p, name in _rows(
                con, "select plan_code, max(plan_name) from marts.fct_target where plan_code is not null group by 1 order by 1"
            )
        ),
    )
    targets = CodeList(
        "CL_TARGET",
        Name("Plan targets", "规划目标"),
        tuple(
            Code(t, Name(t, text or t), _annotations(plan=plan, indicator=ind, region=region, target_year=year))
            for t, text, plan, ind, region, year in _rows(
                con,
                "select target_id, as_published, plan_code, indicator_code, region_code, target_year from marts.fct_target order by 1",
            )
        ),
    )
    units = [u for (u,) in _rows(con, catalogue_units_sql())]
    breakdowns = tuple(
        CodeList(
            component.codelist,
            component.name,
            tuple(
                Code(code, _name(en, zh, code))
                for code, en, zh in _rows(
                    con,
                    f"select code, name_en, name_zh from marts.dim_breakdown where dimension = '{dimension}' order by 1",
                )
            ),
        )
        for dimension, component in zip(BREAKDOWN_DIMENSIONS, flows.BREAKDOWNS, strict=True)
    )
    return (
        indicators,
        areas,
        sources,
        plans,
        targets,
        *breakdowns,
        vocabularies.unit_codelist(units),
        vocabularies.unit_mult_codelist(units),
    )


def catalogue_units_sql() -> str:
    """Every unit the flows' marts use."""
    return (
        "select distinct unit from (select unit from marts.dim_indicator union all select unit from marts.fct_target "
        "union all select unit from marts.mart_indicator_progress) where unit is not null order by 1"
    )


def concepts(flows: tuple[Flow, ...] = FLOWS) -> dict[str, Name]:
    """One concept per component id, named as the first flow that uses it names it."""
    found: dict[str, Name] = {}
    for flow in flows:
        for component in flow.components:
            found.setdefault(component.id, component.name)
    return found


@dataclass(frozen=True)
class Structures:
    """Everything the structure message holds, with the version each artefact has in it."""

    codelists: tuple[CodeList, ...]
    versions: dict[str, str]
    flows: tuple[Flow, ...] = FLOWS

    def structure_id(self, flow: Flow) -> str:
        """The STRUCTURE_ID of the flow's SDMX-CSV rows: AGENCY:DF_ID(version)."""
        return f"{vocabularies.AGENCY_ID}:{flow.dataflow_id}({self.versions[flow.dataflow_id]})"


def _component_items(flow: Flow, versions: dict[str, str]) -> dict[str, str]:
    return {
        c.id: json.dumps([c.role, c.required, c.codelist and f"{c.codelist}({versions[c.codelist]})", versions[CONCEPT_SCHEME]])
        for c in flow.components
    }


def _own(name: Name) -> str:
    """An artefact's own content, apart from its items: its names."""
    return json.dumps([name.en, name.zh], ensure_ascii=False)


def resolve(con: duckdb.DuckDBPyConnection, at: datetime, release_id: str, flows: tuple[Flow, ...] = FLOWS) -> Structures:
    """Generate the structures from the marts and give each artefact its version (recorded in the ledger)."""
    codelists = (*catalogue_codelists(con), *vocabularies.FIXED_CODELISTS)
    versions: dict[str, str] = {}
    latest = ledger.latest_versions(con)
    for codelist in codelists:
        versions[codelist.id] = ledger.resolve_version(
            con, latest, codelist.id, codelist.items(), _own(codelist.name), at, release_id
        )
    concept_items = {cid: json.dumps([n.en, n.zh], ensure_ascii=False) for cid, n in concepts(flows).items()}
    versions[CONCEPT_SCHEME] = ledger.resolve_version(
        con, latest, CONCEPT_SCHEME, concept_items, _own(CONCEPT_SCHEME_NAME), at, release_id
    )
    for flow in flows:
        items = _component_items(flow, versions)
        versions[flow.dsd_id] = ledger.resolve_version(con, latest, flow.dsd_id, items, _own(flow.name), at, release_id)
        structure = {"structure": f"{flow.dsd_id}({versions[flow.dsd_id]})"}
        versions[flow.dataflow_id] = ledger.resolve_version(
            con, latest, flow.dataflow_id, structure, _own(flow.name), at, release_id
        )
    return Structures(codelists, versions, flows)


def _codelist(codelist: CodeList, version: str) -> Codelist:
    return Codelist(
        id=codelist.id,
        agency=vocabularies.AGENCY_ID,
        version=version,
        name=codelist.name.en,
        items=[
            SdmxCode(id=c.id, name=c.name.en, annotations=[Annotation(type=t, text=x) for t, x in c.annotations])
            for c in codelist.codes
        ],
    )


def _data_structure(flow: Flow, structures: Structures, codelists: dict[str, Codelist]) -> DataStructureDefinition:
    version = structures.versions[CONCEPT_SCHEME]
    components = []
    for c in flow.components:
        concept = ItemReference(
            sdmx_type="Concept", agency=vocabularies.AGENCY_ID, id=CONCEPT_SCHEME, version=version, item_id=c.id
        )
        dtype = DataType.PERIOD if c.role == TIME else DataType.DOUBLE if c.role == MEASURE else None
        components.append(
            SdmxComponent(
                id=c.id,
                required=c.required,
                role=_ROLES[c.role],
                concept=concept,
                local_dtype=None if c.codelist else dtype or DataType.STRING,
                local_codes=codelists.get(c.codelist) if c.codelist else None,
                attachment_level="O" if c.role == ATTRIBUTE else None,
            )
        )
    return DataStructureDefinition(
        id=flow.dsd_id,
        agency=vocabularies.AGENCY_ID,
        version=structures.versions[flow.dsd_id],
        name=flow.name.en,
        components=Components(components),
    )


def _zh_names(structures: Structures) -> dict[tuple[str, str | None], str]:
    """The Chinese name of every artefact (artefact id, None) and item (artefact id, item id)."""
    names: dict[tuple[str, str | None], str] = {("AGENCIES", vocabularies.AGENCY_ID): vocabularies.AGENCY_NAME.zh}
    for codelist in structures.codelists:
        names[(codelist.id, None)] = codelist.name.zh
        names.update({(codelist.id, code.id): code.name.zh for code in codelist.codes})
    names[(CONCEPT_SCHEME, None)] = CONCEPT_SCHEME_NAME.zh
    names.update({(CONCEPT_SCHEME, cid): name.zh for cid, name in concepts(structures.flows).items()})
    for flow in structures.flows:
        names[(flow.dsd_id, None)] = names[(flow.dataflow_id, None)] = flow.name.zh
    return names


def _add_chinese(message: str, names: dict[tuple[str, str | None], str]) -> bytes:
    """pysdmx writes names in English only: each named artefact and item gets its Chinese name beside it."""
    root = etree.fromstring(message.encode("utf-8"))
    for artefact in root.iter(
        f"{_STR}Codelist", f"{_STR}ConceptScheme", f"{_STR}DataStructure", f"{_STR}Dataflow", f"{_STR}AgencyScheme"
    ):
        artefact_id = artefact.get("id")
        for element in [artefact, *artefact.iterchildren(f"{_STR}Code", f"{_STR}Concept", f"{_STR}Agency")]:
            zh = names.get((artefact_id, None if element is artefact else element.get("id")))
            english = element.findall(f"{_COM}Name")
            if zh and english:
                added = etree.Element(f"{_COM}Name")
                added.set(XML_LANG, "zh")
                added.text = zh
                english[-1].addnext(added)
                added.tail = english[-1].tail
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def write_structure_message(structures: Structures, path: Path, prepared: datetime, message_id: str) -> None:
    """The SDMX-ML 3.0 structure message: the agency, every codelist, the concept scheme, each flow's data
    structure and dataflow, in English and Chinese."""
    codelists = {c.id: _codelist(c, structures.versions[c.id]) for c in structures.codelists}
    concept_scheme = ConceptScheme(
        id=CONCEPT_SCHEME,
        agency=vocabularies.AGENCY_ID,
        version=structures.versions[CONCEPT_SCHEME],
        name=CONCEPT_SCHEME_NAME.en,
        items=[Concept(id=cid, name=name.en) for cid, name in concepts(structures.flows).items()],
    )
    artefacts: list = [
        AgencyScheme(agency="SDMX", items=[Agency(id=vocabularies.AGENCY_ID, name=vocabularies.AGENCY_NAME.en)]),
        *codelists.values(),
        concept_scheme,
    ]
    for flow in structures.flows:
        dsd = _data_structure(flow, structures, codelists)
        artefacts += [
            dsd,
            Dataflow(
                id=flow.dataflow_id,
                agency=vocabularies.AGENCY_ID,
                version=structures.versions[flow.dataflow_id],
                name=flow.name.en,
                structure=f"DataStructure={vocabularies.AGENCY_ID}:{flow.dsd_id}({dsd.version})",
            ),
        ]
    header = Header(
        id=message_id, prepared=prepared, sender=Organisation(id=vocabularies.AGENCY_ID, name=vocabularies.AGENCY_NAME.en)
    )
    message = write_sdmx(artefacts, Format.STRUCTURE_SDMX_ML_3_0, header=header)
    path.write_bytes(_add_chinese(message, _zh_names(structures)))
