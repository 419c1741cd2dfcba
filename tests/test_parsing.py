import contextlib
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orchestration.domain.parsing import ParseError, parse_bool, parse_int, parse_number, parse_period, parse_quantity
from orchestration.domain.units import Converted, UnitError, to_canonical


@pytest.mark.parametrize(
    ("text", "value", "decimals"),
    [
        ("45.7", 45.7, 1),
        ("7.10", 7.1, 2),
        ("1,876", 1876.0, 0),
        ("2,003.4", 2003.4, 1),
        ("-0.039", -0.039, 3),
        ("４５．７", 45.7, 1),  # full-width digits and point
        (" 555 ", 555.0, 0),
    ],
)
def test_numbers_as_published(text, value, decimals):
    parsed = parse_number(text)
    assert parsed.value == value
    assert parsed.decimals == decimals


@pytest.mark.parametrize("text", ["", "  ", "abc", "1,87", "12,3456", "1.2.3", "45.7%", "--1", "1e5", "nan"])
def test_numbers_rejected_with_parse_error(text):
    with pytest.raises(ParseError):
        parse_number(text)


@pytest.mark.parametrize(
    ("text", "label", "kind", "start", "end"),
    [
        ("2021", "2021", "year", date(2021, 1, 1), date(2021, 12, 31)),
        ("2021年", "2021", "year", date(2021, 1, 1), date(2021, 12, 31)),
        ("2022H1", "2022H1", "half_year", date(2022, 1, 1), date(2022, 6, 30)),
        ("2022年上半年", "2022H1", "half_year", date(2022, 1, 1), date(2022, 6, 30)),
        ("2022年1-6月", "2022H1", "half_year", date(2022, 1, 1), date(2022, 6, 30)),
        ("2022年下半年", "2022H2", "half_year", date(2022, 7, 1), date(2022, 12, 31)),
        ("2012-2021", "2012-2021", "span", date(2012, 1, 1), date(2021, 12, 31)),
        ("2012—2021年", "2012-2021", "span", date(2012, 1, 1), date(2021, 12, 31)),
        ("２０１９", "2019", "year", date(2019, 1, 1), date(2019, 12, 31)),
        ("2022M03", "2022M03", "month", date(2022, 3, 1), date(2022, 3, 31)),
        ("2022年2月", "2022M02", "month", date(2022, 2, 1), date(2022, 2, 28)),
        ("2022-12", "2022M12", "month", date(2022, 12, 1), date(2022, 12, 31)),
        # what monthly and quarterly releases print: cumulative from January, quarters, the whole year
        ("2023年1-9月", "2023M01-09", "year_to_date", date(2023, 1, 1), date(2023, 9, 30)),
        ("2023年前三季度", "2023M01-09", "year_to_date", date(2023, 1, 1), date(2023, 9, 30)),
        ("2024年1-2月", "2024M01-02", "year_to_date", date(2024, 1, 1), date(2024, 2, 29)),
        ("2023M01-11", "2023M01-11", "year_to_date", date(2023, 1, 1), date(2023, 11, 30)),
        ("2023年1-3月", "2023Q1", "quarter", date(2023, 1, 1), date(2023, 3, 31)),
        ("2023年一季度", "2023Q1", "quarter", date(2023, 1, 1), date(2023, 3, 31)),
        ("2023年第三季度", "2023Q3", "quarter", date(2023, 7, 1), date(2023, 9, 30)),
        ("2023Q4", "2023Q4", "quarter", date(2023, 10, 1), date(2023, 12, 31)),
        ("2023年全年", "2023", "year", date(2023, 1, 1), date(2023, 12, 31)),
    ],
)
def test_periods_as_published(text, label, kind, start, end):
    period = parse_period(text)
    assert (period.label, period.kind, period.start, period.end) == (label, kind, start, end)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "21",
        "20x1",
        "2021-2012",
        "2021-2021",
        "1800",
        "十年来",
        "2022Q5",
        "2022年3-5月",
        "2022年1-1月",
        "2022M01-13",
        "2022年13月",
        "2022M00",
    ],
)
def test_periods_rejected_with_parse_error(text):
    with pytest.raises(ParseError):
        parse_period(text)


def test_int_and_bool():
    assert parse_int("2025") == 2025
    with pytest.raises(ParseError):
        parse_int("2025.5")
    assert parse_bool("true") is True and parse_bool("否") is False
    with pytest.raises(ParseError):
        parse_bool("maybe")


@given(st.text(max_size=30))
def test_number_parser_never_raises_anything_else(text):
    try:
        parsed = parse_number(text)
    except ParseError:
        return
    assert parsed.value == parsed.value  # not NaN


@given(st.text(max_size=30))
def test_period_parser_never_raises_anything_else(text):
    try:
        period = parse_period(text)
    except ParseError:
        return
    assert period.start <= period.end


@given(st.integers(min_value=-(10**12), max_value=10**12), st.integers(min_value=0, max_value=99))
def test_number_round_trip_with_thousands_separators(whole, cents):
    text = f"{whole:,}.{cents:02d}"
    expected = abs(whole) + cents / 100
    assert parse_number(text).value == pytest.approx(expected if whole >= 0 else -expected)


@pytest.mark.parametrize(
    ("text", "value", "scale", "percent", "qualifier"),
    [
        ("15.5万", 15.5, 1e4, None, None),
        ("４５．７％", 45.7, 1, "%", None),
        ("5‰", 5.0, 1, "‰", None),
        ("约40", 40.0, 1, None, "approximate"),
        ("40左右", 40.0, 1, None, "approximate"),
        ("超过229万", 229.0, 1e4, None, "lower_bound"),
        ("突破1100万", 1100.0, 1e4, None, "lower_bound"),
        ("2400余", 2400.0, 1, None, "lower_bound"),
        ("70多", 70.0, 1, None, "lower_bound"),
        ("100万以上", 100.0, 1e4, None, "lower_bound"),
        ("0.19万亿", 0.19, 1e12, None, None),
        ("Ⅲ类", 3.0, 1, None, None),
        ("Ⅱ", 2.0, 1, None, None),
        ("劣Ⅴ类", 6.0, 1, None, None),
        ("1 876", 1876.0, 1, None, None),
    ],
)
def test_quantities_as_published(text, value, scale, percent, qualifier):
    q = parse_quantity(text)
    assert (q.value, q.scale, q.percent, q.qualifier) == (value, scale, percent, qualifier)


@pytest.mark.parametrize("text", ["—", "——", "…", "……", "", " ", "-", "/"])
def test_missing_value_markers(text):
    assert parse_quantity(text).missing


@pytest.mark.parametrize("text", ["abc", "约超过40", "约40以上", "45.7%%", "=1+1", "Ⅵ类", "40 万人"])
def test_quantities_rejected(text):
    with pytest.raises(ParseError):
        parse_quantity(text)


@given(st.text(max_size=30))
def test_quantity_parser_never_raises_anything_else(text):
    try:
        q = parse_quantity(text)
    except ParseError:
        return
    assert q.value is None or q.value == q.value


@given(st.text(alphabet="0123456789.,万亿%‰约余多以上左右—…ⅠⅡⅢⅣⅤ类０１２３４５６７８９．，％ -+", max_size=20))
def test_quantity_parser_on_published_alphabet(text):
    with contextlib.suppress(ParseError):
        parse_quantity(text)


@given(st.integers(min_value=0, max_value=10**9), st.sampled_from(["", "万", "亿"]), st.sampled_from(["", "%"]))
def test_quantity_round_trip(number, scale, percent):
    q = parse_quantity(f"{number:,}{scale}{percent}")
    assert q.value == number and q.scale == {"": 1, "万": 1e4, "亿": 1e8}[scale] and q.percent == (percent or None)


def test_unit_conversion_into_the_catalogue_unit():
    assert to_canonical(parse_quantity("15.5万"), "人", "万人") == Converted(15.5, 1)
    assert to_canonical(parse_quantity("2,276,184"), "人", "万人") == Converted(227.6184, 4)
    assert to_canonical(parse_quantity("5‰"), "", "%") == Converted(0.5, 1)
    assert to_canonical(parse_quantity("0.19万亿"), "元", "亿元") == Converted(1900.0, 0)
    assert to_canonical(parse_quantity("2"), "小时", "分钟") == Converted(120.0, 0)
    with pytest.raises(UnitError):
        to_canonical(parse_quantity("58.1"), "万人", "%")
    with pytest.raises(UnitError):
        to_canonical(parse_quantity("45.7%"), "万人", "万人")
