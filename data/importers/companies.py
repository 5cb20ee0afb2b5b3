"""Property companies (物业服务企业名录): the import, and the name matcher every import uses.

``python -m data import companies FILE`` reads 企业名称 (required), 统一社会信用代码,
法定代表人, 联系人, 联系电话, 资质, 企业性质 (国有 …) and 简称/别名. A row is
the stored company with its 统一社会信用代码, else the one its name matches.

Every import that reads a company name (compounds, credit grades, the
inspectors' 回避企业, this one) resolves it through :class:`CompanyResolver`,
which applies :func:`policy.companies.match_company`: the exact name, an alias,
the same normalised key ("鸿运物业" = "嘉祥县鸿运物业服务有限公司") or one near
key (rapidfuzz, setting ``company_match_threshold``). A short name taken as a
known company is reported; a name that could be two companies is an error
naming both. Names new to the database that are the same company among
themselves become one company under the longest (fullest) name.
"""
from __future__ import annotations

import re
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from data import permissions, settings
from data.importers import columns as C
from data.importers import values as V
from data.importers.pipeline import Job, Row
from data.importers.places import apply_values
from data.importers.report import ImportReport
from data.schema import County, PropertyCompany, Setting, Township
from policy.companies import KnownCompany, clean_name, match_company, split_names

__all__ = ["import_companies", "CompanyResolver", "resolve_companies", "credit_code", "LEVEL",
           "add_alias"]

LEVEL = "companies"
_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_STATE_WORDS = {"国有", "国企", "国有企业", "国有独资", "国有控股", "是"}
_OTHER_WORDS = {"民营", "私营", "民营企业", "私营企业", "有限责任", "股份制", "外资", "集体", "否", "其他"}


def credit_code(value) -> str:
    """统一社会信用代码 (GB 32100-2015): 18 characters with a valid check character."""
    s = V.code(value).upper().replace(" ", "")
    if not _CODE.match(s):
        raise V.Bad("不是 18 位统一社会信用代码")
    total = sum(_CODE_CHARS.index(c) * w for c, w in zip(s[:17], _CODE_WEIGHTS))
    if _CODE_CHARS[(31 - total % 31) % 31] != s[17]:
        raise V.Bad("统一社会信用代码校验位不符，请核对")
    return s


def _ownership(value) -> bool:
    s = V.text(value).replace(" ", "")
    if s in _STATE_WORDS or s.startswith("国有"):
        return True
    if s in _OTHER_WORDS or s.startswith("民营"):
        return False
    raise V.Bad("不是企业性质（可填 国有、民营、其他）")


_ownership.allowed = ("国有", "民营", "其他")  # the template's drop-down


COMPANY_NAME_ALIASES = ("企业名称", "物业企业名称", "物业服务企业名称", "物业企业", "物业公司", "物业服务企业",
                        "企业", "单位名称", "公司名称", "名称", "name")


def _register_fields() -> None:
    """Teach the shared readers this import's headers (header-row search, column mapping, templates)."""
    if LEVEL in C.FIELDS:
        return
    f = C.Field
    C.LEVEL_LABELS[LEVEL] = "物业企业名录"
    C.FIELDS[LEVEL] = (
        f("name", "企业名称", COMPANY_NAME_ALIASES, partial(V.text, max_len=100)),
        f("credit_code", "统一社会信用代码", ("统一社会信用代码", "信用代码", "社会信用代码", "统一代码",
                                      "credit_code"), credit_code),
        f("legal_rep", "法定代表人", ("法定代表人", "法人代表", "法人", "负责人"), partial(V.text, max_len=30)),
        f("contact", "联系人", ("联系人", "联系人姓名"), partial(V.text, max_len=30)),
        f("phone", "联系电话", ("联系电话", "电话", "手机", "联系方式", "phone"), V.phone),
        f("qualification", "资质", ("资质", "资质等级", "企业资质", "物业资质"), partial(V.text, max_len=50)),
        f("state_owned", "企业性质", ("企业性质", "是否国有", "国有企业", "所有制"), _ownership),
        f("aliases", "简称", ("简称", "企业简称", "别名", "曾用名"), partial(V.text, max_len=300)),
    )


_register_fields()


# --------------------------------------------------------------------------- matching
def add_alias(company: PropertyCompany, name: str) -> bool:
    """Remember ``name`` as another name of ``company`` (so later files match it exactly)."""
    name = (name or "").strip()
    current = [a for a in (company.aliases or "").split("、") if a]
    if not name or name == company.name or name in current:
        return False
    joined = "、".join([*current, name])
    if len(joined) > 300:
        return False
    company.aliases = joined
    return True


def _setting(session: Session, key: str):
    """A setting read in the import's own session (its transaction sees what it sees)."""
    row = session.get(Setting, key)
    return settings.BY_KEY[key].default if row is None else row.value


def _known(c: PropertyCompany) -> KnownCompany:
    return KnownCompany(id(c), c.name, tuple(a for a in (c.aliases or "").split("、") if a))


class CompanyResolver:
    """Company names of one import → :class:`PropertyCompany` rows of its session."""

    def __init__(self, job: Job, session: Session):
        self.job, self.session = job, session
        self.stored = list(session.scalars(select(PropertyCompany).order_by(PropertyCompany.id)))
        self.created: list[PropertyCompany] = []
        self.threshold = float(_setting(session, "company_match_threshold"))
        regions = [n for (n,) in session.execute(select(County.name)).all() if n]
        regions += [n for (n,) in session.execute(select(Township.name)).all() if n]
        regions.append(str(_setting(session, "county_name") or ""))
        self.regions = tuple(r for r in regions if r)

    def _pool(self) -> dict[int, PropertyCompany]:
        return {id(c): c for c in (*self.stored, *self.created)}

    def find(self, name: str):
        """``(company or None, match)`` for one name against stored and newly created companies."""
        pool = self._pool()
        m = match_company(name, [_known(c) for c in pool.values()], regions=self.regions,
                          threshold=self.threshold)
        return (pool[m.company.id] if m.company is not None else None), m

    def resolve(self, wanted: dict[str, list[Row]], *, key: str = "company", create: bool = True,
                missing_hint: str = "") -> dict[str, PropertyCompany] | None:
        """Each wanted name → its company (created when new and ``create``); None after any error.

        ``wanted``: name → the rows that name it (errors and notes go to those rows).
        """
        out: dict[str, PropertyCompany] = {}
        ok = True
        for name in sorted(wanted, key=lambda n: (-len(clean_name(n)), n)):  # full names first: short ones find them
            rows = wanted[name]
            company, m = self.find(name)
            if m.ambiguous:
                both = "、".join(f"“{c.name}”" for c in m.candidates[:4])
                for row in rows:
                    self.job.error(row, key, f"可能是 {both} 中的任一家，无法确定，请填写企业全称", value=name)
                ok = False
                continue
            if company is None:
                if not create:
                    for row in rows:
                        self.job.error(row, key, "企业名录中没有该企业" + missing_hint, value=name)
                    ok = False
                    continue
                company = PropertyCompany(name=clean_name(name)[:100], state_owned=False)
                self.session.add(company)
                self.created.append(company)
                self.job.report.count("新建物业企业")
            elif m.how in ("简称", "近似", "别名"):
                how = {"简称": "简称", "别名": "别名", "近似": f"近似名称（相似度 {m.score:g}）"}[m.how]
                self.job.note(rows[0], key, f"按{how}匹配为已有企业“{company.name}”", value=name)
                if company in self.stored:
                    self.job.report.note(f"企业“{name}”按{how}视为“{company.name}”")
                add_alias(company, name)
            out[name] = company
        if not ok:
            return None
        return out if self.job.flush(self.session) else None


def resolve_companies(job: Job, session: Session, plans) -> dict[str, PropertyCompany] | None:
    """The companies the compound register names (``plans`` rows first), matched or created."""
    wanted: dict[str, list[Row]] = {}
    for row, *_ in plans:
        if "company" in row.values:
            wanted.setdefault(row.values["company"], []).append(row)
    if not wanted:
        return {}
    return CompanyResolver(job, session).resolve(wanted)


# --------------------------------------------------------------------------- import
def import_companies(engine, path, *, encoding: str | None = None, dry_run: bool = False,
                     filename: str | None = None, actor=None) -> ImportReport:
    """Import the company register; validate everything, write all or nothing.

    Upsert by 统一社会信用代码, else by matched name (see :class:`CompanyResolver`).
    A blank cell never changes a stored value. ``actor`` needs ``import`` or ``edit_registers``.
    """
    permissions.authorize(actor, (permissions.IMPORT, permissions.EDIT_REGISTERS))
    job = Job(path, LEVEL, encoding=encoding, filename=filename, dry_run=dry_run, actor=actor)
    if not job.read(required=("name",)):
        return job.report
    with Session(engine, autoflush=False) as session:
        _import(job, session, job.rows())
        return job.finish(session)


def _import(job: Job, session: Session, rows: list[Row]) -> None:
    resolver = CompanyResolver(job, session)
    by_code = {c.credit_code: c for c in resolver.stored if c.credit_code}
    seen_code: dict[str, int] = {}
    plans = []
    for row in rows:
        if "name" not in row.values:
            if not row.bad:
                job.error(row, "name", "为空", value=None)
            continue
        code = row.values.get("credit_code")
        if code:
            if code in seen_code:
                job.error(row, "credit_code", f"与第 {seen_code[code]} 行重复")
                continue
            seen_code[code] = row.number
        if not row.bad:
            plans.append(row)
    if job.report.errors:
        return
    claimed: dict[int, int] = {}
    matched: list[tuple[Row, PropertyCompany | None]] = []
    for row in sorted(plans, key=lambda r: (-len(clean_name(r.values["name"])), r.number)):
        name, code = clean_name(row.values["name"]), row.values.get("credit_code")
        row.values["name"] = name
        obj = by_code.get(code) if code else None
        if obj is None:
            obj, m = resolver.find(name)
            if m.ambiguous:
                both = "、".join(f"“{c.name}”" for c in m.candidates[:4])
                job.error(row, "name", f"可能是 {both} 中的任一家，无法确定，请填写企业全称或统一社会信用代码")
                continue
            if obj is not None and m.how in ("简称", "近似", "别名"):
                how = {"简称": "简称", "别名": "别名", "近似": f"近似名称（相似度 {m.score:g}）"}[m.how]
                job.note(row, "name", f"按{how}匹配为已有企业“{obj.name}”")
            if obj is not None and code and obj.credit_code and obj.credit_code != code:
                job.error(row, "credit_code", f"与名称匹配的企业“{obj.name}”的统一社会信用代码（{obj.credit_code}）不同")
                continue
        if obj is not None and id(obj) in claimed:
            job.error(row, "name", f"与第 {claimed[id(obj)]} 行是同一家企业（“{obj.name}”）")
            continue
        if obj is None:
            obj = PropertyCompany(name=name, state_owned=False)
            session.add(obj)
            resolver.created.append(obj)
            job.report.created += 1
            matched.append((row, None))
        else:
            matched.append((row, obj))
        claimed[id(obj)] = row.number
        _apply(job, row, obj, is_new=matched[-1][1] is None)
    if not job.report.errors and not job.flush(session):
        return


def _apply(job: Job, row: Row, obj: PropertyCompany, *, is_new: bool) -> None:
    values = {k: row.values[k] for k in ("credit_code", "legal_rep", "contact", "phone", "qualification",
                                         "state_owned") if k in row.values}
    changed = apply_values(obj, values)
    name = row.values["name"]
    if not is_new and name != obj.name and len(name) > len(obj.name):
        # a fuller name replaces a short one (鸿运物业 → 嘉祥县鸿运物业服务有限公司); the short stays an alias
        old = obj.name
        obj.name = name
        add_alias(obj, old)
        job.note(row, "name", f"企业名称由“{old}”改为全称")
        changed = True
    elif not is_new and name != obj.name:
        changed = add_alias(obj, name) or changed
    for alias in split_names(row.values.get("aliases")):
        changed = add_alias(obj, alias) or changed
    if is_new:
        return
    if changed:
        job.report.updated += 1
    else:
        job.report.unchanged += 1
