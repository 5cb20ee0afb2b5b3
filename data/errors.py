"""Errors as a user sees them: a Chinese message with an error id; details only in the server log.

Every upload and import path (pages, the CLI) ends in :func:`user_message`:
the same id is written to the server log (``logging`` name ``wyjg``) with the
traceback for an unexpected error, so a person can report "错误编号 …" and an
administrator can find it. No message shows a server path: temporary names
(``/tmp/import_…/upload.geojson``) are replaced by 上传的文件, other paths by
their file name (:func:`scrub_paths`).
"""
from __future__ import annotations

import logging
import re
import secrets
from datetime import datetime

log = logging.getLogger("wyjg")

# a path: optional drive letter, then at least two separator-delimited parts ("1/3" is no path)
_PART = r"[^\\/\s'\"，。；：、（）()<>|:]+"
_PATH = re.compile(rf"(?:[A-Za-z]:)?(?:[\\/]{_PART}){{2,}}[\\/]?")
_TEMP_NAMES = re.compile(r"^(upload|inner|layer|recoded)(\.[\w.]+)?$|^import_|^tmp", re.IGNORECASE)
_CJK = re.compile(r"[\u4e00-\u9fff]")


def error_id() -> str:
    """A short id that is unique enough to find one event in the log: ``E20261205-0812-3FA9C1``."""
    return f"E{datetime.now():%Y%m%d-%H%M}-{secrets.token_hex(3).upper()}"


def scrub_paths(text: str) -> str:
    """``text`` with every server path replaced by its file name (a temporary file: 上传的文件)."""
    def short(m: re.Match) -> str:
        name = re.split(r"[\\/]", m.group(0).rstrip("\\/"))[-1]
        return "上传的文件" if not name or _TEMP_NAMES.search(name) else name

    return _PATH.sub(short, str(text))


def is_for_users(exc: BaseException) -> bool:
    """Our own refusals (Chinese ``ValueError``/``PermissionError``/``LookupError``) are meant for people."""
    return isinstance(exc, (ValueError, PermissionError, LookupError)) and bool(_CJK.search(str(exc)))


def user_message(exc: BaseException, *, action: str = "导入", where: str = "") -> str:
    """The Chinese message for ``exc`` with a new error id, logged under the same id.

    A refusal meant for users keeps its text (paths scrubbed) and is logged
    without a traceback; anything else becomes a generic message and is logged
    with its traceback.
    """
    eid = error_id()
    if is_for_users(exc):
        log.warning("%s %s%s: %s", eid, action, f" ({where})" if where else "", exc)
        return f"{action}失败：{scrub_paths(str(exc))}（错误编号 {eid}）"
    log.error("%s %s%s: unexpected error", eid, action, f" ({where})" if where else "", exc_info=exc)
    return (f"{action}失败：服务器处理时出错（错误编号 {eid}）。详细信息已记入服务器日志，"
            "请将错误编号告知系统管理员。")
