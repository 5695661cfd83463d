import pytest

from planner.units import (
    format_count,
    format_usd,
    parse_bytes,
    parse_count,
    parse_days,
    parse_fraction,
    parse_months,
    parse_usd,
    parse_usd_per_hour,
    parse_watts,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("175B", 175e9),
        ("1.4T", 1.4e12),
        ("3.14e23", 3.14e23),
        ("175_000_000_000", 175e9),
        ("1,000", 1000.0),
        ("7b", 7e9),
        (70e9, 70e9),
        (12, 12.0),
    ],
)
def test_parse_count(raw, expected):
    assert parse_count(raw) == pytest.approx(expected)


@pytest.mark.parametrize("raw", ["17x5B", "", "B", "1.2.3", True, None, [1], "inf", "nan"])
def test_parse_count_rejects(raw):
    with pytest.raises(ValueError, match=r"175B|number"):
        parse_count(raw)


def test_durations():
    assert parse_days("30d") == 30
    assert parse_days("36h") == 1.5
    assert parse_days("6 weeks") == 42
    assert parse_days(60) == 60
    assert parse_days("1mo") == pytest.approx(730 / 24)
    assert parse_months("3y") == 36
    assert parse_months(12) == 12


def test_unknown_time_unit_names_the_value_and_the_fix():
    with pytest.raises(ValueError, match=r"unknown time unit 'parsecs' in '30 parsecs': use one of h, d"):
        parse_days("30 parsecs")


def test_money_and_rates():
    assert parse_usd("$4M") == 4e6
    assert parse_usd("4,000,000") == 4e6
    assert parse_usd("1.5k USD") == 1500
    assert parse_usd_per_hour("$2.5/h") == 2.5
    assert parse_usd_per_hour("1825/month") == pytest.approx(2.5)
    with pytest.raises(ValueError, match="US dollars"):
        parse_usd("four million")


def test_fraction_bytes_watts():
    assert parse_fraction("20%") == pytest.approx(0.2)
    assert parse_fraction(0.5) == 0.5
    with pytest.raises(ValueError, match="between 0 and 1"):
        parse_fraction(1.5)
    assert parse_bytes("80GiB") == 80 * 2**30
    assert parse_bytes("1.5 TB") == 1.5e12
    assert parse_watts("10.2 kW") == 10200
    with pytest.raises(ValueError, match="unknown power unit"):
        parse_watts("3 horsepower")


def test_formatting():
    assert format_count(175e9) == "175B"
    assert format_usd(1_234_567) == "$1.23M"
    assert format_usd(812.5) == "$812.50"
    assert format_usd(-2500) == "-$2,500.00"
