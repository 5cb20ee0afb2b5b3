"""The setup checklist of a county that starts from an empty database (导入清单).

Pure count queries, in the order a county brings its registers in: the county
outline first (it sets the county's name), then townships, communities,
compounds, companies, inspectors, complaints, evaluations… Each item says
what to import, the command that imports it, and whether it is there yet
(ticked when its table has at least one row). Optional layers (grids,
parking resources) are listed but never block anything.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.orm import Session

from data.schema import (
    Community, Complaint, Compound, County, CreditGrade, Evaluation, Grid, Inspector, ParkingResource,
    PropertyCompany, Township,
)

__all__ = ["SetupItem", "setup_checklist", "is_blank", "county_display_name"]


@dataclass(frozen=True)
class SetupItem:
    key: str
    label: str          # what it is, as the offices call it
    command: str        # the CLI line that imports it
    count: int
    optional: bool = False

    @property
    def done(self) -> bool:
        return self.count > 0


# (key, label, model, extra condition, command, optional)
_ITEMS = (
    ("county", "县界（县域边界）", County, "geometry", "python -m data import boundaries 县界.geojson --level county",
     False),
    ("townships", "镇街边界", Township, None, "python -m data import boundaries 镇街.zip --level township", False),
    ("communities", "社区（村）名单或边界", Community, None,
     "python -m data import boundaries 社区.geojson --level community", False),
    ("grids", "网格边界（可选）", Grid, None, "python -m data import boundaries 网格.geojson --level grid", True),
    ("compounds", "小区名册", Compound, None, "python -m data import compounds 小区名册.xlsx", False),
    ("companies", "物业服务企业", PropertyCompany, None, "python -m data import companies 物业企业名录.xlsx", False),
    ("inspectors", "执法检查人员名录", Inspector, None, "python -m data import inspectors 执法检查人员名录.xlsx",
     False),
    ("complaints", "12345 诉求工单", Complaint, None, "python -m data import complaints 12345工单.xlsx", False),
    ("evaluations", "季度考评结果", Evaluation, None, "python -m data import evaluations 季度考评.xlsx", False),
    ("credit", "企业信用评价结果", CreditGrade, None, "python -m data import credit 企业信用评价结果.xlsx", False),
    ("parking", "错时停车资源（可选）", ParkingResource, None, "python -m data import parking 错时停车资源.xlsx",
     True),
)


def setup_checklist(engine: Engine) -> list[SetupItem]:
    """Every item of the checklist, in import order, with its row count (one COUNT per table)."""
    tables = set(inspect(engine).get_table_names())
    out = []
    with Session(engine) as s:
        for key, label, model, column, command, optional in _ITEMS:
            if model.__tablename__ not in tables:
                n = 0
            else:
                stmt = select(func.count()).select_from(model)
                if column is not None:
                    stmt = stmt.where(getattr(model, column).is_not(None))
                n = int(s.scalar(stmt) or 0)
            out.append(SetupItem(key, label, command, n, optional))
    return out


def is_blank(engine: Engine) -> bool:
    """No township yet: nothing a page shows can exist (the county has to import its places first)."""
    with Session(engine) as s:
        return not s.scalar(select(func.count()).select_from(Township))


def county_display_name(engine: Engine) -> str | None:
    """The county's name for titles: the setting ``county_name`` once stored (the county-outline
    import or the settings page stores it), else the imported outline's name; None in a database
    with neither that is not the demo — never the default 金乡县 of a county that is not 金乡县."""
    from data import settings
    from data.schema import Setting

    with Session(engine) as s:
        stored = s.get(Setting, "county_name")
        if stored is not None and stored.value:
            return str(stored.value)
        outline = s.scalar(select(County.name).where(County.name.is_not(None)).limit(1))
        if outline:
            return outline
        synthetic = s.scalar(select(func.count()).select_from(Township).where(Township.synthetic.is_(True)))
    return settings.get(engine, "county_name") if synthetic else None
