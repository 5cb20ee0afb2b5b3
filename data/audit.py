"""审计日志: append-only record of logins, writes, reveals of personal data and exports.

Who, when, what (action + target), scope and a JSON detail. Rows are only
ever inserted: migration 0007 adds database triggers that refuse UPDATE and
DELETE on ``audit_log`` (SQLite and PostgreSQL), so even a bug cannot rewrite
history. Call :func:`record` from any write path::

    audit.record(engine, user, "export", "小区名册.xlsx", scope, rows=812)

``user`` is an :class:`data.auth.Account`, a username, or None (system);
``scope`` a :class:`~data.scope.Scope`, its key, or None (the user's own).
Pass a ``Session`` instead of the engine to log inside a write's transaction
(the entry then commits or rolls back with it).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from data.schema import AuditLog
from data.scope import Scope

# The actions the dashboard writes, with their Chinese labels (the audit page shows these).
ACTIONS = {
    "login": "登录",
    "login_failed": "登录失败",
    "login_locked": "账号锁定",
    "login_throttled": "登录过频（延时）",
    "logout": "退出",
    "export": "导出",
    "reveal": "查看个人信息",
    "import": "导入",
    "edit": "修改",
    "status": "状态变更",
    "spot_check_draw": "双随机抽取",
    "case_step": "案件环节",
    "user": "用户管理",
    "settings": "修改设置",
    "backup": "备份",
    "restore": "恢复",
    "inspector": "检查人员名录",
    "merge_company": "合并企业",
    "register_sync": "问责台账同步",
}

# Actions that change no record: a reader's login, a download, a reveal, a backup. Whatever keeps
# a derived result fresh by watching the log (the accountability register) ignores them.
READS = frozenset({"login", "login_failed", "login_locked", "login_throttled", "logout", "export", "reveal",
                   "backup", "register_sync"})

COLUMNS = ["id", "at", "username", "action", "action_label", "target", "scope", "detail"]


def _username(user) -> str | None:
    if user is None or isinstance(user, str):
        return user
    return getattr(user, "username", None) or str(user)


def _scope_key(scope, user) -> str | None:
    if scope is None:
        scope = getattr(user, "scope", None)
    if isinstance(scope, Scope):
        return scope.key()
    return None if scope is None else str(scope)[:50]


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    return str(value)


def record(target_db: Engine | Session, user, action: str, target: str | None = None,
           scope: Scope | str | None = None, *, at: datetime | None = None, **detail) -> None:
    """Append one entry. With an engine it commits at once; with a session it joins its transaction."""
    entry = AuditLog(at=(at or datetime.now()).replace(microsecond=0), username=_username(user),
                     action=str(action)[:30], target=None if target is None else str(target)[:200],
                     scope=_scope_key(scope, user), detail=_jsonable(detail))
    if isinstance(target_db, Session):
        target_db.add(entry)
        return
    with Session(target_db) as s, s.begin():
        s.add(entry)


def entries(engine: Engine, *, since: datetime | None = None, until: datetime | None = None,
            username: str | None = None, actions: list[str] | tuple[str, ...] | None = None,
            text: str | None = None, limit: int = 5000) -> pd.DataFrame:
    """Entries newest first, filtered; ``until`` is exclusive, ``text`` searches target and detail."""
    stmt = select(AuditLog).order_by(AuditLog.at.desc(), AuditLog.id.desc())
    if since is not None:
        stmt = stmt.where(AuditLog.at >= since)
    if until is not None:
        stmt = stmt.where(AuditLog.at < until)
    if username:
        stmt = stmt.where(AuditLog.username == username)
    if actions:
        stmt = stmt.where(AuditLog.action.in_(list(actions)))
    if text:
        stmt = stmt.where(AuditLog.target.contains(text, autoescape=True))
    with Session(engine) as s:
        rows = s.scalars(stmt.limit(limit)).all()
        data = [(r.id, r.at, r.username, r.action, ACTIONS.get(r.action, r.action), r.target,
                 r.scope, r.detail or {}) for r in rows]
    df = pd.DataFrame(data, columns=COLUMNS)
    df["detail"] = df["detail"].map(lambda d: "；".join(f"{k}={v}" for k, v in d.items()))
    return df
