from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orchestration.parsing import ParseError, parse_bool, parse_int, parse_number, parse_period


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
    ],
)
def test_periods_as_published(text, label, kind, start, end):
    period = parse_period(text)
    assert (period.label, period.kind, period.start, period.end) == (label, kind, start, end)


@pytest.mark.parametrize("text", ["", "21", "20x1", "2021-2012", "2021-2021", "1800", "十年来", "2022Q1", "2022年13月"])
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


@given(st.integers(min_value=-10**12, max_value=10**12), st.integers(min_value=0, max_value=99))
def test_number_round_trip_with_thousands_separators(whole, cents):
    text = f"{whole:,}.{cents:02d}"
    expected = abs(whole) + cents / 100
    assert parse_number(text).value == pytest.approx(expected if whole >= 0 else -expected)
