"""Company names as offices write them → one company (policy.companies), as a table."""
from __future__ import annotations

import pytest

from policy.companies import KnownCompany, clean_name, company_key, match_company, split_names

FULL = KnownCompany(1, "嘉祥县鸿运物业服务有限公司")
OTHER = KnownCompany(2, "嘉祥县安居物业管理有限公司")
FAR = KnownCompany(3, "金乡县鸿运物业管理有限公司")


@pytest.mark.parametrize("name,key", [
    ("鸿运物业", "鸿运"),
    ("嘉祥县鸿运物业服务有限公司", "鸿运"),
    ("山东省济宁市嘉祥县鸿运物业服务有限公司", "鸿运"),
    ("嘉祥县　鸿运物业 服务有限公司", "鸿运"),          # full-width and half-width spaces
    ("鸿运物业管理有限责任公司", "鸿运"),
    ("鸿运物业有限公司", "鸿运"),
    ("鸿运公司", "鸿运"),
    ("（嘉祥县）鸿运物业服务有限公司", "鸿运"),          # brackets dropped
    ("ＡＢＣ物业", "abc"),                              # full-width letters
    ("金鼎物业管理集团有限公司", "金鼎"),
    ("物业公司", "物业"),                               # never strips a name to nothing
    ("嘉祥", "嘉祥"),                                   # a bare region is kept
    ("城市花园物业", "城市花园"),                       # 城市 is no region prefix
])
def test_company_key(name, key):
    assert company_key(name) == key


@pytest.mark.parametrize("name,known,how,company", [
    ("嘉祥县鸿运物业服务有限公司", [FULL, OTHER], "名称", FULL),
    ("嘉祥县 鸿运物业服务有限公司", [FULL, OTHER], "名称", FULL),
    ("鸿运物业", [FULL, OTHER], "简称", FULL),
    ("鸿运物业", [FULL, OTHER, FAR], "不唯一", None),     # could be two: refused
    ("嘉祥县鸿运物业管理有限公司", [FULL, FAR], "简称", FULL),  # 管理/服务 mixed up, same county
    ("金乡县鸿运物业服务有限公司", [FULL], "新企业", None),  # another county's 鸿运 is another company
    ("鸿运达物业", [FULL], "新企业", None),              # 鸿运达 ≠ 鸿运
    ("嘉祥县安居物业管理有限公司", [FULL, OTHER], "名称", OTHER),
    ("嘉祥县金色阳光物业服务有限公司", [KnownCompany(4, "嘉祥县金色阳光物业管理有限公司")], "简称", None),
    ("嘉祥县金色阳光花园物业服务有限公司", [KnownCompany(5, "嘉祥县金色阳光花苑物业服务有限公司")], "新企业", None),
    ("安居", [KnownCompany(6, "嘉祥县安居物业管理有限公司", ("安居",))], "别名", None),
])
def test_match_company(name, known, how, company):
    m = match_company(name, known)
    assert m.how == how
    if company is not None:
        assert m.company == company
    if how == "不唯一":
        assert {c.name for c in m.candidates} == {FULL.name, FAR.name}
    if how in ("名称", "简称", "近似", "别名"):
        assert m.company is not None


@pytest.mark.parametrize("threshold,how", [(83, "近似"), (83.3, "近似"), (83.4, "新企业"), (90, "新企业")])
def test_near_match_threshold(threshold, how):
    """金色阳光花园 vs 金色阳光花苑: rapidfuzz ratio 83.33…, taken only at or below the threshold."""
    known = [KnownCompany(5, "嘉祥县金色阳光花苑物业服务有限公司")]
    m = match_company("嘉祥县金色阳光花园物业服务有限公司", known, threshold=threshold)
    assert m.how == how
    if how == "近似":
        assert m.company == known[0] and m.score == 83.3


@pytest.mark.parametrize("cell,names", [
    ("鸿运物业、安居物业", ["鸿运物业", "安居物业"]),
    ("鸿运物业，安居物业;金鼎物业", ["鸿运物业", "安居物业", "金鼎物业"]),
    ("鸿运物业\n安居物业 / 金鼎物业", ["鸿运物业", "安居物业", "金鼎物业"]),
    ("无", []), ("", []), (None, []),
    ("鸿运物业、鸿运物业", ["鸿运物业"]),
])
def test_split_names(cell, names):
    assert split_names(cell) == names


def test_clean_name():
    assert clean_name(" 嘉祥县　鸿运物业 服务有限公司 ") == "嘉祥县鸿运物业服务有限公司"
