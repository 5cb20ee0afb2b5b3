"""Rules for reading office-shaped files, one table each (issue 12)."""
from __future__ import annotations

import numpy as np
import pytest
import shapely

from data.importers import values as V
from data.importers.evaluations import quarter_in_text
from data.importers.parking import parse_hours, parse_time
from data.importers.places import match_place, place_key, without_office_suffix
from data.importers.readers import SourceError, _table
from geo.crs import wgs84_to_bd09, wgs84_to_gcj02
from geo.detect import score_datums

TITLE = ["XX县住宅小区基本情况统计表", None, None, None]
FILLER = ["填报单位：XX县住建局", None, None, "填报日期：2025年12月"]


@pytest.mark.parametrize("rows, headers, first_row", [
    # plain header on row 1
    ([["小区名称", "户数"], ["阳光花园", 100]], ["小区名称", "户数"], 2),
    # title and 填报单位 rows above
    ([TITLE, FILLER, ["小区名称", "所属社区", "户数", "经纬度"], ["阳光花园", "北关社区", 100, "116.3,35.4"]],
     ["小区名称", "所属社区", "户数", "经纬度"], 4),
    # merged two-row header as a CSV keeps it (group cell once, blanks under it): most specific part wins
    ([["小区名称", "基本情况", None, "物业管理"], [None, "户数", "楼栋数", "管理方式"], ["阳光花园", 100, 5, "专业化物业"]],
     ["小区名称", "户数", "楼栋数", "管理方式"], 3),
    # group label above a column nobody knows: both parts kept
    ([["小区名称", "其他", "基本情况"], [None, "说明", "户数"], ["阳光花园", "x", 100]],
     ["小区名称", "其他/说明", "户数"], 3),
    # full-width letters and spaces in headers (NFKC)
    ([["小区 名称", "户数（户）", "ＧＰＳ坐标"], ["阳光花园", 100, "116.3,35.4"]], ["小区 名称", "户数(户)", "GPS坐标"], 2),
])
def test_header_detection(rows, headers, first_row):
    table = _table(rows, "compounds", "xlsx")
    assert table.headers == headers
    assert table.rows[0] == first_row


@pytest.mark.parametrize("cell, dropped", [
    ("合计", True), ("合 计", True), ("总计：", True), ("小计", True), ("合计（户）", True), ("全县合计", True),
    ("合计小区", False), ("阳光花园", False),
])
def test_total_rows_are_dropped(cell, dropped):
    table = _table([["小区名称", "户数"], ["阳光花园", 100], [cell, 100]], "compounds", "xlsx")
    assert len(table.records) == (1 if dropped else 2)


@pytest.mark.parametrize("cell, dropped", [
    ("填表人：张三", True), ("注：户数为 2025 年数据", True), ("审核人: 李四", True), ("注意事项多的小区", False),
])
def test_footer_lines_are_dropped(cell, dropped):
    table = _table([["小区名称", "户数"], ["阳光花园", 100], [cell, None]], "compounds", "xlsx")
    assert len(table.records) == (1 if dropped else 2)


@pytest.mark.parametrize("row, dropped", [
    (["甲", 1, 2, 3], True), ([1, 2, 3, 4], True), ([1.0, 2.0, 3.0, None], True), (["阳光花园", 1, 2, 3], False),
    ([1, 3, 5, 7], False),
])
def test_column_number_row_under_the_header(row, dropped):
    table = _table([["小区名称", "户数", "楼栋数", "电梯数"], row, ["金城花园", 100, 5, 2]], "compounds", "xlsx")
    assert len(table.records) == (1 if dropped else 2)


@pytest.mark.parametrize("row, dropped", [
    ([None, "户", "栋", "万㎡"], True), (["单位", "（户）", "(栋)", None], False), ([None, "户", None, None], False),
    (["金城", "户", "栋", "万㎡"], False),
])
def test_units_row_under_the_header(row, dropped):
    table = _table([["小区名称", "户数", "楼栋数", "建筑面积"], row, ["阳光花园", 100, 5, 2]], "compounds", "xlsx")
    assert len(table.records) == (1 if dropped else 2)


def test_title_rows_are_kept_for_the_quarter():
    table = _table([["2025年第四季度考评结果"], ["项目名称", "考核得分"], ["阳光花园", 90]], "compounds", "xlsx")
    assert table.titles == ["2025年第四季度考评结果"]


def test_a_file_without_data_is_refused():
    with pytest.raises(SourceError):
        _table([[None, None]], "compounds", "csv")


@pytest.mark.parametrize("cell, lon, lat, swapped", [
    ("116.31,35.41", 116.31, 35.41, False),
    ("35.41,116.31", 116.31, 35.41, True),
    ("116.31，35.41", 116.31, 35.41, False),
    ("116.31 35.41", 116.31, 35.41, False),
    ("35.41、116.31", 116.31, 35.41, True),
    ("(116.31, 35.41)", 116.31, 35.41, False),
    ("１１６．３１，３５．４１", 116.31, 35.41, False),
    ("73.0,18.0", 73.0, 18.0, False),     # the edges of China's ranges
    ("54.0,135.0", 135.0, 54.0, True),
])
def test_lonlat_pair(cell, lon, lat, swapped):
    assert V.lonlat_pair(cell) == (pytest.approx(lon), pytest.approx(lat), swapped)


@pytest.mark.parametrize("cell", ["116.31", "116.31,35.41,0", "12.0,13.0", "东经116度", "200,35"])
def test_lonlat_pair_refused(cell):
    with pytest.raises(V.Bad):
        V.lonlat_pair(cell)


NIGHT = ("19:00", "07:30")
ALL = ("00:00", "23:59")


@pytest.mark.parametrize("text, weekday, weekend", [
    ("工作日18:00-次日7:30，节假日全天", ("18:00", "07:30"), ALL),
    ("工作日18:00-7:30节假日全天", ("18:00", "07:30"), ALL),
    ("周一至周五19:00至次日7:00", ("19:00", "07:00"), "absent"),
    ("18:00-7:30", ("18:00", "07:30"), ("18:00", "07:30")),
    ("全天", ALL, ALL),
    ("24小时开放", ALL, ALL),
    ("夜间", NIGHT, NIGHT),
    ("每天18:30-次日7:30", ("18:30", "07:30"), ("18:30", "07:30")),
    ("周一至周五晚7点至次日早7点半，周六、周日全天开放", ("19:00", "07:30"), ALL),
    ("18:00-次日07:30（节假日全天）", ("18:00", "07:30"), ALL),
    ("工作日19:00-7:00，节假日不开放", ("19:00", "07:00"), None),
    ("周末及节假日全天", "absent", ALL),
    ("１８：００－７：３０", ("18:00", "07:30"), ("18:00", "07:30")),
])
def test_opening_hours(text, weekday, weekend):
    out = parse_hours(text, night=NIGHT)
    assert out.get("weekday", "absent") == weekday
    assert out.get("weekend", "absent") == weekend


def test_opening_hours_of_a_weekday_column_are_the_weekday_s():
    assert parse_hours("18:00-7:30", default="weekday") == {"notes": [], "weekday": ("18:00", "07:30")}


@pytest.mark.parametrize("text", ["看情况", "18:00", "工作日", "周一至周五25:00-7:00"])
def test_opening_hours_refused(text):
    with pytest.raises(V.Bad):
        parse_hours(text)


@pytest.mark.parametrize("text, expected", [
    ("晚6点", "18:00"), ("次日7点", "07:00"), ("早7点半", "07:30"), ("下午5:30", "17:30"), ("12:00", "12:00"),
    ("凌晨1点", "01:00"), ("19时", "19:00"),
])
def test_times_with_words(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize("text, key, bare", [
    ("卧龙山街道办事处", "卧龙山街道", "卧龙山街道"),
    ("卧龙山办事处", "卧龙山街道", "卧龙山街道"),
    ("胡集镇人民政府", "胡集镇", "胡集镇"),
    ("胡集镇政府", "胡集镇", "胡集镇"),
    ("某某社区居委会", "某某社区", "某某社区"),
    ("某某社区居民委员会", "某某社区", "某某社区"),
    ("某某居委会", "某某社区", "某某社区"),
    ("张庄村委会", "张庄村", "张庄村"),
    ("张庄村民委员会", "张庄村", "张庄村"),
    ("嘉祥县人民政府", "嘉祥县", "嘉祥县人民政府"),
    ("金乡街道", "金乡街道", "金乡街道"),
    ("金乡 街道", "金乡街道", "金乡 街道"),
])
def test_place_suffixes(text, key, bare):
    assert place_key(text) == key
    assert without_office_suffix(text) == bare


class _P:
    def __init__(self, name):
        self.name = name


@pytest.mark.parametrize("text, stored, found", [
    ("卧龙山街道办事处", ["卧龙山街道", "嘉祥镇"], ["卧龙山街道"]),
    ("卧龙山", ["卧龙山街道", "嘉祥镇"], ["卧龙山街道"]),          # a bare name, one place of that name
    ("金乡镇", ["金乡街道"], []),                                   # another kind is another place
    ("城东", ["城东社区", "城东村"], []),                             # a bare name that could be two
    ("城东社区居委会", ["城东社区", "城东村"], ["城东社区"]),
])
def test_match_place(text, stored, found):
    assert [p.name for p in match_place(text, [_P(n) for n in stored])] == found


@pytest.mark.parametrize("cell, year, approx", [
    (2005, 2005, False), ("2005年", 2005, False), ("2005.6", 2005, False), (2005.6, 2005, False),
    ("2005年6月", 2005, False), ("2005-06", 2005, False), ("90年代", 1990, True), ("八十年代", 1980, True),
    ("上世纪80年代末", 1980, True), ("约2000年", 2000, True), ("2000年左右", 2000, True),
    ("1995-1998年", 1995, True), ("２００５年", 2005, False), ("00年代", 2000, True),
])
def test_year(cell, year, approx):
    assert V.year(cell) == year and V.year_is_approximate(cell) is approx


@pytest.mark.parametrize("cell", ["很久以前", "1899", "3000年", "90年"])
def test_year_refused(cell):
    with pytest.raises(V.Bad):
        V.year(cell)


@pytest.mark.parametrize("text, quarter", [
    ("2025年第四季度考评结果", "2025-Q4"),
    ("嘉祥县2025年度第3季度物业服务项目考评", "2025-Q3"),
    ("2025年4季度考核", "2025-Q4"),
    ("考评_2025Q3.xlsx", "2025-Q3"),
    ("2025 年 第 四 季度", "2025-Q4"),
    ("2025年第一季度和第二季度", None),
    ("物业考评结果.xlsx", None),
    ("1999年第一季度", None),
])
def test_quarter_from_title(text, quarter):
    assert quarter_in_text(text) == quarter


@pytest.mark.parametrize("header, hint", [
    ("经度（高德）", "gcj02"), ("高德坐标", "gcj02"), ("GCJ经度", "gcj02"), ("坐标(百度)", "bd09"), ("百度经纬度", "bd09"),
    ("BD经度", "bd09"), ("GPS坐标", "wgs84"), ("经纬度（CGCS2000）", "wgs84"), ("经纬度", None), ("经度", None),
])
def test_crs_hint_from_header(header, hint):
    from data.importers.columns import crs_hint

    assert crs_hint(header) == hint


@pytest.mark.parametrize("cell", ["/", "—", "－", "不详", "待统计", "", None])
def test_placeholders_are_unknown(cell):
    assert V.is_unknown(cell)


@pytest.mark.parametrize("cell", ["无", "0", 0, "否"])
def test_real_answers_are_not_unknown(cell):
    assert not V.is_unknown(cell)


# --------------------------------------------------------------------------- datum test thresholds
def _points(n, datum):
    rng = np.random.default_rng(1)
    lon = 116.3 + rng.uniform(0.003, 0.007, n)
    lat = 35.4 + rng.uniform(0.002, 0.008, n)
    conv = {"wgs84": lambda x, y: (x, y), "gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}[datum]
    x, y = conv(lon, lat)
    return np.asarray(x), np.asarray(y)


BOX = shapely.box(116.3, 35.4, 116.31, 35.41)  # ~900 m: the offsets of GCJ-02/BD-09 leave it


@pytest.mark.parametrize("datum", ["wgs84", "gcj02", "bd09"])
def test_datum_is_found_by_named_areas(datum):
    x, y = _points(20, datum)
    result = score_datums(x, y, [BOX] * 20)
    assert result.chosen == datum and result.hits[datum] == 20 and result.margin >= 2


@pytest.mark.parametrize("best, second, n, clear", [
    (10, 9, 10, True),     # margin 1 = ceil(10 % of 10): clear
    (10, 10, 10, False),
    (20, 18, 20, True),    # margin 2 = ceil(10 % of 20)
    (20, 19, 20, False),
    (5, 0, 10, True),      # half the rows, inclusive
    (4, 0, 10, False),
])
def test_datum_margin_thresholds(best, second, n, clear):
    # gcj02 gets ``best`` hits, wgs84 ``second``: points inside or outside tiny boxes chosen per datum
    x, y = _points(n, "gcj02")
    from geo.crs import gcj02_to_wgs84

    gx, gy = gcj02_to_wgs84(x, y)
    areas = []
    for i in range(n):
        wgs_in, gcj_in = i < second, i < best
        parts = []
        if gcj_in:
            parts.append(shapely.Point(gx[i], gy[i]).buffer(1e-5))
        if wgs_in:
            parts.append(shapely.Point(x[i], y[i]).buffer(1e-5))
        areas.append(shapely.union_all(parts) if parts else shapely.box(0, 0, 1e-3, 1e-3))
    result = score_datums(x, y, areas)
    assert result.hits["gcj02"] == best and result.hits["wgs84"] == second
    assert (result.chosen == "gcj02") is clear


def test_a_header_hint_wins_a_tie_and_a_full_tie_falls_back_to_wgs84_only_as_undecided():
    x, y = _points(10, "gcj02")
    big = [shapely.box(115, 34, 118, 37)] * 10
    hinted = score_datums(x, y, big, hint="gcj02")
    assert hinted.chosen == "gcj02" and hinted.by_hint
    plain = score_datums(x, y, big)
    assert plain.chosen is None and plain.undecided_all_inside


@pytest.mark.parametrize("text, found", [
    ("卧龙山街道北关社区", "北关社区"),
    ("嘉祥县卧龙山街道北关社区", "北关社区"),
    ("卧龙山街道办事处北关社区居委会", "北关社区"),
    ("卧龙山街道-北关社区", "北关社区"),
    ("嘉祥镇北关社区", None),          # another township's
    ("北关社区", "北关社区"),
])
def test_community_written_with_its_parents(text, found):
    from types import SimpleNamespace

    from data.importers.places import Registry, TownshipNames

    reg = Registry.__new__(Registry)
    reg.townships = [SimpleNamespace(id=1, name="卧龙山街道", code="1", county_adcode=None),
                     SimpleNamespace(id=2, name="嘉祥镇", code="2", county_adcode=None)]
    reg.communities = [SimpleNamespace(id=10, name="北关社区", township_id=1, code="10")]
    reg.grids = []
    reg.names = TownshipNames(reg.townships, {})
    got = reg.communities_named(text)
    assert [c.name for c in got] == ([found] if found else [])
