"""物业企业名称: one company under its full name, its short name and its regional prefix.

Offices write the same company as "鸿运物业", "嘉祥县鸿运物业服务有限公司" and
"嘉祥县鸿运物业服务有限公司 " (a full-width space). :func:`company_key` reduces a
name to its distinctive core — full-width forms and spaces folded, region
prefixes (省/市/县/区 names) and legal/trade suffixes (物业服务有限公司, 有限公司,
公司 …) removed — so all three read "鸿运". :func:`match_company` then decides,
for one name and the known companies, whether it is one of them (exact name,
alias, same key, or a near key by rapidfuzz), a new company, or ambiguous
(two or more candidates: refused, both named).

Pure functions: the stored companies are passed in.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

__all__ = ["clean_name", "company_key", "company_region", "match_company", "CompanyMatch", "KnownCompany", "DEFAULT_THRESHOLD",
           "REGION_PREFIXES", "split_names"]

DEFAULT_THRESHOLD = 90  # rapidfuzz ratio (0–100) of two keys that counts as the same company

# Region names that offices put before a company's name. Provinces, Shandong's cities and the
# counties of the seed documents; a deployment adds its own county (``regions=``).
REGION_PREFIXES = (
    "山东省", "山东", "河南省", "河北省", "江苏省", "安徽省",
    "济南市", "青岛市", "淄博市", "枣庄市", "东营市", "烟台市", "潍坊市", "济宁市", "泰安市", "威海市",
    "日照市", "临沂市", "德州市", "聊城市", "滨州市", "菏泽市",
    "济南", "青岛", "淄博", "枣庄", "东营", "烟台", "潍坊", "济宁", "泰安", "威海", "日照", "临沂",
    "德州", "聊城", "滨州", "菏泽",
    "嘉祥县", "金乡县", "鱼台县", "微山县", "汶上县", "泗水县", "梁山县", "曲阜市", "邹城市", "任城区",
    "兖州区", "沂水县", "沂南县", "郯城县", "兰陵县", "费县", "平邑县", "莒南县", "蒙阴县", "临沭县",
    "兰山区", "罗庄区", "河东区", "青州市", "诸城市", "寿光市", "安丘市", "高密市", "昌邑市", "临朐县",
    "昌乐县", "薛城区", "市中区", "峄城区", "台儿庄区", "山亭区", "滕州市",
    "嘉祥", "金乡", "鱼台", "微山", "汶上", "泗水", "梁山", "曲阜", "邹城", "兖州", "沂水", "沂南",
    "郯城", "兰陵", "平邑", "莒南", "蒙阴", "临沭", "青州", "诸城", "寿光", "安丘", "高密", "昌邑",
    "临朐", "昌乐", "滕州",
)
# Longest first: "物业服务有限公司" goes before "有限公司", which goes before "公司".
SUFFIXES = tuple(sorted((
    "物业服务有限责任公司", "物业管理有限责任公司", "物业服务股份有限公司", "物业管理股份有限公司",
    "物业服务有限公司", "物业管理有限公司", "物业服务集团有限公司", "物业管理集团有限公司",
    "物业发展有限公司", "物业有限公司", "股份有限公司", "有限责任公司", "集团有限公司", "有限公司",
    "分公司", "集团", "公司", "物业服务中心", "物业管理中心", "物业管理处", "物业服务", "物业管理", "物业",
), key=len, reverse=True))
_PUNCT = re.compile(r"[\s·・.,，。、'\"“”‘’()（）\[\]【】<>《》\-—_/\\]+")
_SEPARATORS = re.compile(r"[、,，;；/\n\r]+")


def split_names(text) -> list[str]:
    """A cell listing companies (``A、B；C``, one per line …) → the names, trimmed, in order, once each."""
    if text is None:
        return []
    parts = [p.strip() for p in _SEPARATORS.split(str(text))]
    return list(dict.fromkeys(p for p in parts if p and p not in ("无", "-", "—", "/")))


_CJK_SPACE = re.compile(r"(?<=[\u3400-\u9fff）)])\s+|\s+(?=[\u3400-\u9fff（(])")


def clean_name(name: str) -> str:
    """A name fit to store: full-width letters/digits half-width, no spaces around Chinese characters."""
    s = unicodedata.normalize("NFKC", str(name or "")).strip()
    return _CJK_SPACE.sub("", s)


def _fold(name: str) -> str:
    s = unicodedata.normalize("NFKC", str(name or ""))
    return _PUNCT.sub("", s).lower()


def _split(name: str, regions: Iterable[str] = ()) -> tuple[str, str]:
    """``(region prefix, key)``: "山东省嘉祥县鸿运物业服务有限公司" → ("山东省嘉祥县", "鸿运")."""
    s = _fold(name)
    if not s:
        return "", ""
    prefixes = sorted({_fold(r) for r in (*REGION_PREFIXES, *regions) if r}, key=len, reverse=True)
    region = ""
    changed = True
    while changed:  # 山东省济宁市嘉祥县…: strip one prefix after another, never the whole name
        changed = False
        for p in prefixes:
            if s.startswith(p) and len(s) > len(p) + 1:
                s, region, changed = s[len(p):], region + p, True
                break
    changed = True
    while changed:
        changed = False
        for suffix in SUFFIXES:
            if s.endswith(suffix) and len(s) > len(suffix) + 1:
                s, changed = s[:-len(suffix)], True
                break
    return region, s


def company_key(name: str, *, regions: Iterable[str] = ()) -> str:
    """The distinctive core of a company name (see the module docstring).

    Parameters
    ----------
    name : str
        As written in a file.
    regions : names
        Extra region names to strip (the deployment's county, its townships).

    Examples
    --------
    >>> company_key("嘉祥县鸿运物业服务有限公司"), company_key("鸿运物业")
    ('鸿运', '鸿运')
    """
    return _split(name, regions)[1]


def company_region(name: str, *, regions: Iterable[str] = ()) -> str:
    """The region prefix a name states ("" when none)."""
    return _split(name, regions)[0]


def _same_region(a: str, b: str) -> bool:
    """Two region prefixes that do not contradict each other (one missing, or one inside the other)."""
    if not a or not b:
        return True
    tail = lambda r: r[-3:]  # noqa: E731 - the county-level part: 嘉祥县 in 山东省济宁市嘉祥县
    return tail(a) == tail(b) or a in b or b in a


@dataclass(frozen=True)
class KnownCompany:
    """A stored (or about to be stored) company as the matcher sees it."""

    id: object  # database id, or any token for a company created in this import
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class CompanyMatch:
    """What a name is: ``company`` (one known), ``how`` it matched, or ``candidates`` when ambiguous."""

    company: KnownCompany | None
    how: str  # "名称" | "别名" | "简称" | "近似" | "新企业" | "不唯一"
    score: float = 100.0
    candidates: tuple[KnownCompany, ...] = ()

    @property
    def ambiguous(self) -> bool:
        return self.how == "不唯一"


def match_company(name: str, known: Iterable[KnownCompany], *, regions: Iterable[str] = (),
                  threshold: float = DEFAULT_THRESHOLD) -> CompanyMatch:
    """Which of ``known`` is ``name``: exact name, alias, the same key, or one near key (≥ ``threshold``)."""
    known = list(known)
    regions = tuple(regions)
    folded = _fold(name)
    exact = [k for k in known if _fold(k.name) == folded]
    if len(exact) == 1:
        return CompanyMatch(exact[0], "名称")
    by_alias = [k for k in known if folded in {_fold(a) for a in k.aliases}]
    if len(by_alias) == 1:
        return CompanyMatch(by_alias[0], "别名")
    region, key = _split(name, regions)
    if not key:
        return CompanyMatch(None, "新企业", 0.0)
    # 金乡县鸿运… and 嘉祥县鸿运… are two companies: a stated region must not contradict
    keys = {}
    for k in known:
        parts = [_split(n, regions) for n in (k.name, *k.aliases)]
        home = next((r for r, _ in parts if r), "")  # the company's region: its first name that states one
        keys[k.id] = {kk for _, kk in parts} if _same_region(region, home) else set()
    same = [k for k in known if key in keys[k.id]]
    if len(same) == 1:
        return CompanyMatch(same[0], "简称")
    if len(same) > 1:
        return CompanyMatch(None, "不唯一", 100.0, tuple(same))
    near = []
    for k in known:
        best = max((fuzz.ratio(key, other) for other in keys[k.id] if other), default=0.0)
        if best >= threshold:
            near.append((best, k))
    if len(near) == 1:
        return CompanyMatch(near[0][1], "近似", round(near[0][0], 1))
    if len(near) > 1:
        near.sort(key=lambda x: -x[0])
        return CompanyMatch(None, "不唯一", round(near[0][0], 1), tuple(k for _, k in near))
    return CompanyMatch(None, "新企业", 0.0)
