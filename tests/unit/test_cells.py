"""Cell parsing of census spreadsheets: every tolerated form and every error."""
from datetime import date, datetime
from decimal import Decimal

import pytest

from control.systems.cells import (CellError, parse_bool, parse_date, parse_decimal, parse_enum, parse_int,
                                   parse_multi, parse_text, parse_user_count)
from control.systems.enums import Network, UsageFrequency


@pytest.mark.parametrize("raw", ["2017年1月10日", "2017-01-10", "2017.1.10", "2017/1/10", " 2017/01/10 ",
                                 "２０１７年１月１０日", "20170110", 42745, 42745.0, datetime(2017, 1, 10, 8, 30),
                                 date(2017, 1, 10)])
def test_dates(raw):
    assert parse_date(raw) == date(2017, 1, 10)


def test_month_only_means_first_day():
    assert parse_date("2017年1月") == date(2017, 1, 1)


@pytest.mark.parametrize("raw", ["2017年13月1日", "2017-02-30", "去年", "10/1/2017", -5])
def test_bad_dates(raw):
    with pytest.raises(CellError) as exc:
        parse_date(raw)
    assert exc.value.code == "invalid_date"


@pytest.mark.parametrize("raw,expected", [("☑", True), ("√", True), ("✓", True), ("是", True), ("Y", True),
                                          ("yes", True), (" 是 ", True), ("Ｙ", True), (True, True), ("☐", False),
                                          ("否", False), ("N", False), ("×", False), (None, None), ("  ", None)])
def test_ticks(raw, expected):
    assert parse_bool(raw) is expected


def test_bad_tick():
    with pytest.raises(CellError, match="是/否"):
        parse_bool("也许")


@pytest.mark.parametrize("raw", ["电子政务外网、互联网", "电子政务外网,互联网", "电子政务外网，互联网",
                                 "电子政务外网;互联网", "电子政务外网；互联网", "电子政务外网\n互联网", "外网 / 互联网",
                                 "☑电子政务外网 ☑互联网".replace(" ", "、")])
def test_several_networks_in_one_cell(raw):
    assert parse_multi(raw, Network) == [Network.extranet, Network.internet]


def test_unknown_choice_names_the_choices():
    with pytest.raises(CellError, match="电子政务内网、电子政务外网、业务专网、互联网") as exc:
        parse_multi("外网、卫星网", Network)
    assert exc.value.code == "invalid_choice"
    assert parse_enum("每　季度", UsageFrequency) is UsageFrequency.quarterly


@pytest.mark.parametrize("raw,expected", [("不固定", (None, True)), (" 不固定 ", (None, True)), ("120", (120, False)),
                                          ("１２０", (120, False)), (120, (120, False)), (120.0, (120, False)),
                                          ("120人", (120, False)), (None, (None, False))])
def test_user_count(raw, expected):
    assert parse_user_count(raw) == expected


@pytest.mark.parametrize("raw", ["很多", "12.5"])
def test_bad_user_count(raw):
    with pytest.raises(CellError, match="不固定"):
        parse_user_count(raw)


@pytest.mark.parametrize("raw,expected", [("12.5", Decimal("12.5")), ("１２．５", Decimal("12.5")),
                                          ("12.5万元", Decimal("12.5")), ("1,200万", Decimal("1200")),
                                          (52.5, Decimal("52.5")), ("3年", Decimal("3")), ("", None)])
def test_decimals(raw, expected):
    assert parse_decimal(raw) == expected


def test_bad_numbers():
    with pytest.raises(CellError):
        parse_decimal("五十万")
    with pytest.raises(CellError, match="整数"):
        parse_int("2.5")
    assert parse_int("３级") == 3


def test_text_is_trimmed_and_numbers_become_text():
    assert parse_text("  县教育局  ") == "县教育局"
    assert parse_text(13800000000.0) == "13800000000"
    assert parse_text("   ") is None
