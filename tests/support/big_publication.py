"""A large, valid publication file for fault tests: many periods of a few percentage indicators."""

from pathlib import Path

HEADER = "region_code,indicator_code,period,value,unit,value_type,obs_status,qualifier,as_published,source_id,note\n"
REGIONS = ["330100", "330200", "330300", "330400", "330500", "330600", "330700", "330900", "331000", "331100"]
INDICATORS = [
    "URBANISATION",
    "RD_INTENSITY",
    "AIR_GOOD_DAYS_RATIO",
    "NURSING_BED_SHARE",
    "HIGHER_EDU_GER",
    "DIGITAL_ECONOMY_SHARE",
    "LABOUR_SHARE_GDP",
]


def write_big_publication(path: Path, first_year: int = 1950, last_year: int = 2020) -> int:
    """Spans first_year..last_year for each region and indicator; returns the number of rows."""
    rows = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for region in REGIONS:
            for indicator in INDICATORS:
                for start in range(first_year, last_year):
                    for end in range(start + 1, last_year + 1):
                        value = round((start * 7 + end * 3) % 97 / 10, 1)  # inside every indicator's plausible range
                        out.write(
                            f"{region},{indicator},{start}-{end},{value},%,level,normal,exact,{value}%,zjrb-2022-quzhou-decade,synthetic\n"
                        )
                        rows += 1
    return rows
