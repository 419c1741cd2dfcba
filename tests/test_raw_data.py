"""The published figures themselves: complete, consistent, and traceable to the seed article."""

import csv
import re
from pathlib import Path

import pytest
from conftest import REPO_RAW
from test_layouts import catalogue_of

from orchestration.domain.families import ALL_FAMILIES, OBSERVATIONS
from orchestration.read.layouts import LayoutSet, layout_files, parse_layout
from orchestration.read.reading import read_batch

ARTICLE = REPO_RAW / "articles" / "zjrb-2022-quzhou-decade.txt"
SEED_OBS = REPO_RAW / "observations" / "zjrb-2022-quzhou-decade.csv"
NON_FIGURES = REPO_RAW / "articles" / "zjrb-2022-quzhou-decade.non-figures.csv"


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def article_text() -> str:
    # The digitised text breaks lines mid-sentence and writes PM2.5 as PM_{2.5}.
    return ARTICLE.read_text(encoding="utf-8").replace("\n", "").replace("PM_{2.5}", "PM2.5")


# Any way the article can write a number: Arabic and full-width digits, Chinese numerals and number words
# (一 … 十, 百, 千, 万, 亿, 两, 双, 半, and the financial forms), Roman numerals (water classes Ⅲ类).
NUMERAL = re.compile(
    r"[0-9０-９]+(?:[.．][0-9０-９]+)?"
    r"|[〇零一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟双半]+"
    r"|[ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫ]+"
)


def test_every_number_in_the_article_is_recorded_or_explained():
    """Each numeral, whatever its script, lies inside a recorded figure's text or a listed non-figure."""
    text = article_text()
    covered = [False] * len(text)
    phrases = [r["as_published"] for r in rows(SEED_OBS)] + [r["text"] for r in rows(NON_FIGURES)]
    for phrase in phrases:
        assert phrase in text, f"not verbatim from the article: {phrase!r}"
        for match in re.finditer(re.escape(phrase), text):
            covered[match.start() : match.end()] = [True] * len(phrase)
    missing = [
        text[max(0, m.start() - 10) : m.end() + 6] for m in NUMERAL.finditer(text) if not all(covered[m.start() : m.end()])
    ]
    assert missing == []


def test_the_numeral_scan_sees_every_script():
    found = [m.group() for m in NUMERAL.finditer("从Ⅲ类提高到Ⅱ类,十六连冠,两小时,１２项,15.5万,千亩,48.19亿元")]
    assert found == ["Ⅲ", "Ⅱ", "十六", "两", "１２", "15.5", "万", "千", "48.19", "亿"]


def test_every_non_figure_holds_a_numeral():
    """An entry of the non-figures list explains a numeral; one without any explains nothing."""
    for row in rows(NON_FIGURES):
        assert NUMERAL.search(row["text"]), row
        assert row["reason"].strip(), row


@pytest.mark.parametrize(
    ("indicator", "period", "value"),
    [
        ("URBANISATION", "2012", 45.7),
        ("URBANISATION", "2021", 58.1),
        ("RD_INTENSITY", "2012", 1.03),
        ("RD_INTENSITY", "2021", 2.0),
        ("HIGH_TECH_ENTERPRISES", "2021", 555),
        ("POP_RESIDENT_CHANGE", "2012-2021", 15.5),
        ("SAFE_CITY_STREAK", "2021", 16),  # 十六连冠: written in Chinese numerals
        ("PATROL_INTERVAL", "2022", 2),  # 两小时一次
        ("CIVILISED_CITY_RANK", "2020", 4),  # 全国第四名
        ("CHILDCARE_PLACES_PROV_RANK", "2021", 1),  # 全省第一
        ("OUTBOUND_WATER_CLASS", "2012", 3),  # Ⅲ类
        ("OUTBOUND_WATER_CLASS", "2021", 2),  # Ⅱ类
        ("MAIN_ECON_FIRST", "2022H1", 2),
        ("LANDMARK_INDUSTRY_CHAINS", "2022", 6),  # 六大标志性产业链
        ("CENTRAL_CITY_BRIDGEHEADS", "2022", 10),  # 十个“桥头堡”
        ("HUMANISTIC_SPIRIT_ACTIONS", "2022", 6),  # 六大行动
        ("LOOFAH_BASE_AREA", "2022", 1000),  # 千亩丝瓜络基地
    ],
)
def test_key_seed_figures(indicator, period, value):
    matches = [r for r in rows(SEED_OBS) if r["indicator_code"] == indicator and r["period"] == period]
    assert len(matches) == 1
    assert float(matches[0]["value"]) == value


def test_implicit_years_are_written_down_in_the_data():
    for row in rows(SEED_OBS):
        explicit = re.search(r"(19|20)\d\d", row["as_published"]) and row["period"] in row["as_published"]
        if not explicit and row["period"] not in ("2022", "2022H1"):
            assert "assum" in row["note"].lower() or "span" in row["note"].lower(), row


def batches(family) -> list:
    """Every shipped file of the family as read: a bureau table through the layout that matches it."""
    layouts = LayoutSet(
        tuple(parse_layout(p.read_text(encoding="utf-8"), p.relative_to(REPO_RAW).as_posix()) for p in layout_files(REPO_RAW))
    )
    labels, units = catalogue_of(REPO_RAW)
    out = []
    for path in sorted(REPO_RAW.glob(family.pattern)):
        layout = layouts.for_file(path.relative_to(REPO_RAW).as_posix())
        out.append(read_batch(family, path, path.name, units if layout else None, layout=layout, labels=labels))
    return out


def test_every_raw_file_parses_without_issues():
    for family in ALL_FAMILIES:
        for batch in batches(family):
            assert batch.issues == [], batch.issues
            assert batch.rows_read > 0


def test_catalogue_and_figures_agree():
    indicators = {r["indicator_code"]: r for r in rows(REPO_RAW / "catalogue" / "indicators.csv")}
    regions = {r["region_code"] for r in rows(REPO_RAW / "catalogue" / "regions.csv")}
    sources = {r["source_id"] for r in rows(REPO_RAW / "catalogue" / "sources.csv")}
    assert {"330000", "330800", "330802", "330803", "330822", "330824", "330825", "330881"} <= regions
    assert len([r for r in rows(REPO_RAW / "catalogue" / "regions.csv") if r["level"] == "prefecture"]) == 11
    used = set()
    for batch in batches(OBSERVATIONS):
        for row in batch.frame.to_dict("records"):
            indicator = indicators[row["indicator_code"]]
            assert row["unit"] == indicator["unit"] and row["value_type"] == indicator["value_type"], row
            assert row["region_code"] in regions and row["source_id"] in sources
            used.add(row["indicator_code"])
    for indicator in indicators.values():
        assert indicator["direction"] in ("higher_better", "lower_better", "neutral")
    used |= {r["indicator_code"] for r in rows(REPO_RAW / "targets" / "zhejiang-and-quzhou-plan-targets.csv")}
    assert set(indicators) - used == set(), "catalogue entries with no figure or target"


def test_unverified_targets_say_why():
    for row in rows(REPO_RAW / "targets" / "zhejiang-and-quzhou-plan-targets.csv"):
        if row["verified"] == "false":
            assert row["note"].startswith("Not verified"), row
        assert row["binding"] == "unknown"  # no binding attribute was found in any source read


def test_targets_carry_their_plan_base_year_and_comparator_provenance():
    targets = rows(REPO_RAW / "targets" / "zhejiang-and-quzhou-plan-targets.csv")
    base_by_plan: dict[str, set[str]] = {}
    for row in targets:
        assert 2000 <= int(row["base_year"]) < int(row["target_year"]), row
        assert row["base_year_source"].strip(), row
        base_by_plan.setdefault(row["plan_code"], set()).add(row["base_year"])
        assert row["comparator_provenance"] in ("read", "inferred"), row
        if row["comparator_provenance"] == "inferred":
            assert row["verified"] == "false", row  # verified = value, comparator and year all read
        if row["applies_to_subregions"] == "true":
            assert row["subregion_basis"] in ("provincial_average", "each_subregion"), row
    assert all(len(years) == 1 for years in base_by_plan.values()), base_by_plan
    assert {r["plan_code"]: r["base_year"] for r in targets}["ZJ_14FYP"] == "2020"


def test_indicators_with_targets_name_their_trend_method_and_price_basis():
    indicators = {r["indicator_code"]: r for r in rows(REPO_RAW / "catalogue" / "indicators.csv")}
    for row in rows(REPO_RAW / "targets" / "zhejiang-and-quzhou-plan-targets.csv"):
        indicator = indicators[row["indicator_code"]]
        assert indicator["trend_method"] in ("compound", "linear") and indicator["trend_method_reason"], indicator
    for indicator in indicators.values():
        if "元" in indicator["unit"]:  # money: nominal or real must be said
            assert indicator["price_basis"] in ("nominal", "real"), indicator
    # The ~60 % target is for the whole digital economy, not its core industries.
    assert "核心" not in indicators["DIGITAL_ECONOMY_SHARE"]["name_zh"]
