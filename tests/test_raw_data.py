"""The published figures themselves: complete, consistent, and traceable to the seed article."""

import csv
import re
from pathlib import Path

import pytest
from conftest import REPO_RAW

from orchestration.families import ALL_FAMILIES, OBSERVATIONS
from orchestration.reading import read_batch

ARTICLE = REPO_RAW / "articles" / "zjrb-2022-quzhou-decade.txt"
SEED_OBS = REPO_RAW / "observations" / "zjrb-2022-quzhou-decade.csv"
NON_FIGURES = REPO_RAW / "articles" / "zjrb-2022-quzhou-decade.non-figures.csv"


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def article_text() -> str:
    # The digitised text breaks lines mid-sentence and writes PM2.5 as PM_{2.5}.
    return ARTICLE.read_text(encoding="utf-8").replace("\n", "").replace("PM_{2.5}", "PM2.5")


def test_every_number_in_the_article_is_recorded_or_explained():
    text = article_text()
    covered = [False] * len(text)
    phrases = [r["as_published"] for r in rows(SEED_OBS)] + [r["text"] for r in rows(NON_FIGURES)]
    for phrase in phrases:
        assert phrase in text, f"not verbatim from the article: {phrase!r}"
        for match in re.finditer(re.escape(phrase), text):
            covered[match.start() : match.end()] = [True] * len(phrase)
    missing = [
        text[max(0, m.start() - 10) : m.end() + 6]
        for m in re.finditer(r"\d+(?:\.\d+)?", text)
        if not all(covered[m.start() : m.end()])
    ]
    assert missing == []


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


def test_every_raw_file_parses_without_issues():
    for family in ALL_FAMILIES:
        for path in sorted(REPO_RAW.glob(family.pattern)):
            batch = read_batch(family, path, path.name)
            assert batch.issues == [], batch.issues
            assert batch.rows_read > 0


def test_catalogue_and_figures_agree():
    indicators = {r["indicator_code"]: r for r in rows(REPO_RAW / "catalogue" / "indicators.csv")}
    regions = {r["region_code"] for r in rows(REPO_RAW / "catalogue" / "regions.csv")}
    sources = {r["source_id"] for r in rows(REPO_RAW / "catalogue" / "sources.csv")}
    assert {"330000", "330800", "330802", "330803", "330822", "330824", "330825", "330881"} <= regions
    assert len([r for r in rows(REPO_RAW / "catalogue" / "regions.csv") if r["level"] == "prefecture"]) == 11
    for path in sorted(REPO_RAW.glob(OBSERVATIONS.pattern)):
        for row in rows(path):
            indicator = indicators[row["indicator_code"]]
            assert row["unit"] == indicator["unit"] and row["value_type"] == indicator["value_type"], row
            assert row["region_code"] in regions and row["source_id"] in sources
    for indicator in indicators.values():
        assert indicator["direction"] in ("higher_better", "lower_better", "neutral")
    used = {r["indicator_code"] for p in REPO_RAW.glob("*/*.csv") if "indicator_code" in rows(p)[0] for r in rows(p)}
    assert set(indicators) - used == set(), "catalogue entries with no figure or target"


def test_unverified_targets_say_why():
    for row in rows(REPO_RAW / "targets" / "zhejiang-and-quzhou-plan-targets.csv"):
        if row["verified"] == "false":
            assert row["note"].startswith("Not verified"), row
        assert row["binding"] == "unknown"  # no binding attribute was found in any source read
