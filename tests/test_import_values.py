"""Cell parsers and header matching of the importers, as tables of cases."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from data import vocab
from data.importers import values as V
from data.importers.columns import map_columns, normalise_header


@pytest.mark.parametrize(("cell", "expected"), [
    (12, 12), (12.0, 12), ("12", 12), (" 1,200 ", 1200), ("86户", 86), ("3栋", 3), ("12.0", 12), (0, 0),
])
def test_integer(cell, expected):
    assert V.integer(cell) == expected


@pytest.mark.parametrize(("cell", "reason"), [
    ("三百", "不是整数"), (12.5, "不是整数"), ("12.5", "不是整数"), (True, "不是整数"), (-3, "不能为负数"), ("", "不是整数"),
])
def test_integer_rejects(cell, reason):
    with pytest.raises(V.Bad, match=reason):
        V.integer(cell)


@pytest.mark.parametrize(("cell", "kwargs", "expected"), [
    (1.2, {}, Decimal("1.20")), ("0.45元", {}, Decimal("0.45")), ("1.255", {}, Decimal("1.26")),
    ("1,234.5", {}, Decimal("1234.50")), (3.5, {"scale": 10000}, Decimal("35000.00")),
    (Decimal("2"), {}, Decimal("2.00")),
])
def test_decimal(cell, kwargs, expected):
    assert V.decimal(cell, **kwargs) == expected


@pytest.mark.parametrize(("cell", "reason"), [("两元", "不是数字"), ("-1", "不能为负数"), (10000, "数值过大"),
                                               (float("nan"), "不是数字")])
def test_decimal_rejects(cell, reason):
    with pytest.raises(V.Bad, match=reason):
        V.decimal(cell, digits=6)


@pytest.mark.parametrize(("cell", "expected"), [
    (2005, 2005), (2005.0, 2005), ("2005年", 2005), ("2005-06", 2005), (datetime(1998, 7, 1), 1998),
])
def test_year(cell, expected):
    assert V.year(cell) == expected


@pytest.mark.parametrize("cell", ["九八年", 1850, "3000", "05"])
def test_year_rejects(cell):
    with pytest.raises(V.Bad):
        V.year(cell)


@pytest.mark.parametrize(("cell", "expected"), [("一级", 1), ("二", 2), (3, 3), ("4级", 4), ("Ⅱ级", 2), (1.0, 1)])
def test_fee_level(cell, expected):
    assert V.fee_level(cell, vocab.FEE_LEVELS) == expected


def test_fee_level_rejects_and_lists_levels():
    with pytest.raises(V.Bad, match="可选：一级、二级、三级、四级"):
        V.fee_level("五级", vocab.FEE_LEVELS)


@pytest.mark.parametrize("cell", ['社区"惠民"物业兜底', "社区“惠民”物业兜底", "社区惠民物业兜底", " 社区 “惠民” 物业兜底 "])
def test_management_mode_ignores_quote_style(cell):
    assert V.choice(cell, vocab.MANAGEMENT_MODES) == vocab.MANAGEMENT_MODES[1]


@pytest.mark.parametrize(("cell", "expected"), [
    (13800001234.0, "13800001234"), ("0537-1234567", "0537-1234567"), ("+86 138 0000 1234", "+86 138 0000 1234"),
    ("0537-1234567转8001", "0537-1234567转8001"),
])
def test_phone(cell, expected):
    assert V.phone(cell) == expected


@pytest.mark.parametrize("cell", ["无", "138abc", "1" * 25])
def test_phone_rejects(cell):
    with pytest.raises(V.Bad, match="电话"):
        V.phone(cell)


@pytest.mark.parametrize(("cell", "expected"), [
    (116.27, 116.27), ("116.27", 116.27), ("116°16′12″", 116.27), ("35度3分", 35.05), ("39,436,097.7", 39436097.7),
])
def test_coordinate(cell, expected):
    assert V.coordinate(cell) == pytest.approx(expected)


@pytest.mark.parametrize(("value", "blank"), [(None, True), ("  ", True), (float("nan"), True), ("无", False), (0, False)])
def test_is_blank(value, blank):
    assert V.is_blank(value) is blank


@pytest.mark.parametrize(("header", "key", "unit"), [
    ("建筑面积（万㎡）", "建筑面积", "万m2"), ("*小区名称", "小区名称", ""), ("物业费单价(元/㎡·月)", "物业费单价", "元/m2·月"),
    ("ＮＡＭＥ", "name", ""), ("户 数", "户数", ""),
])
def test_normalise_header(header, key, unit):
    assert normalise_header(header) == (key, unit)


def test_map_columns_priority_units_and_prefixes():
    m = map_columns(["名称", "小区名称", "是否智慧物业", "建筑面积（万㎡）", "备注", "经度", "纬度"], "compounds")
    assert m.columns["name"] == "小区名称" and "名称" in m.unused and "备注" in m.unused
    assert m.columns["smart_property"] == "是否智慧物业" and m.scale == {"floor_area_m2": 10000}
    assert (m.columns["lon"], m.columns["lat"]) == ("经度", "纬度")
    truncated = map_columns(["维修资金余", "小区名"], "compounds", allow_prefix=True)
    assert truncated.columns == {"maintenance_fund": "维修资金余", "name": "小区名"}
    assert map_columns(["维修资金余"], "compounds").columns == {}
    # The same header means different fields at different levels.
    assert map_columns(["镇街名称"], "township").columns == {"name": "镇街名称"}
    assert map_columns(["镇街名称"], "community").columns == {"township": "镇街名称"}
