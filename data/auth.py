"""Local accounts and sign-in (登录): argon2 password hashes, lockout, role → jurisdiction.

Deny by default: a user is signed in only when the account exists, is active,
not locked, has a known role (``data.vocab.ROLES``) and the jurisdiction that
role needs (a township for 镇街 staff, a township and community for 社区
staff). Anything else raises :class:`LoginError` with a Chinese message that
does not tell an attacker which part was wrong.

Passwords are hashed with argon2id (``argon2-cffi``). Repeated failures are
slowed, never locked (issue 13): failures are counted per username *and*
client (``login_throttle``), and past ``login_backoff_free_failures`` each one
doubles the wait of that pair (``login_backoff_base_seconds`` …
``login_backoff_max_seconds``), so an attacker cannot lock the real user out
from another machine. A failed sign-in gets one message whether the user
exists or not. A database that is not the synthetic demo never accepts the
demo password, and a one-time password (``init --no-demo``'s first
administrator) must be changed at the first sign-in. Every sign-in, failure
and wait is written to the audit log. Identity-provider logins (OpenID Connect through
``st.login``) are mapped by email with :func:`account_for_email`; the role
and jurisdiction always come from this project's user table.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from data import audit, permissions, settings
from data.db import write_session
from data.schema import LoginSession, LoginThrottle, Township, User
from data.scope import COUNTY, Scope
from data.vocab import ALL_ROLES as ROLES

_HASHER = PasswordHasher()
# Verified when the username is unknown, so both failures take the same time.
_DUMMY_HASH = _HASHER.hash("not-a-real-password")
BAD_CREDENTIALS = "用户名或密码错误"
SESSION_ENDED = "登录已失效，请重新登录"
SESSION_COOKIE = "wyjg_session"  # the browser cookie that holds a login session's token
DEMO_PASSWORD = "jinxiang2024"  # published (README, login page): valid only on the synthetic demo database
DEMO_REFUSED = ("此系统不是演示库，演示密码不能登录。请管理员为账号设置新密码"
                "（python -m data user passwd 用户名），首次登录后再自行修改。")
THROTTLED = "登录尝试过于频繁，请 {seconds} 秒后再试"


class LoginError(PermissionError):
    """Sign-in refused; the message is for the user (Chinese)."""


@dataclass(frozen=True)
class Account:
    """已登录用户: who is signed in, their role and jurisdiction (never a password hash)."""

    id: int
    username: str
    display_name: str
    role: str
    township_id: int | None = None
    community_id: int | None = None
    inspector_id: int | None = None
    must_change_password: bool = False
    county_adcode: str | None = None  # issue 17: a county's roles in a deployment of several counties
    city_adcode: str | None = None    # a city role's city  # a one-time password: the sign-in page asks for a new one first

    @property
    def scope(self) -> Scope:
        """The jurisdiction every query of this user is confined to."""
        if self.role in permissions.COMMUNITY_ROLES:
            return Scope(self.township_id, self.community_id, county=self.county_adcode)
        if self.role in permissions.TOWNSHIP_ROLES:
            return Scope(self.township_id, county=self.county_adcode)
        if self.role in permissions.CITY_ROLES:
            return Scope(city=self.city_adcode)
        if self.county_adcode is not None:
            return Scope(county=self.county_adcode)
        return COUNTY

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)

    def can(self, capability: str) -> bool:
        return permissions.can(self.role, capability)

    def can_open(self, page: str) -> bool:
        return permissions.can_open(self.role, page)

    def require(self, capability: str) -> None:
        permissions.require(self.role, capability)


# --------------------------------------------------------------------------- passwords
def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """argon2id hash; ``salt`` only for reproducible demo data (random otherwise)."""
    return _HASHER.hash(password, salt=salt)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; False for a wrong password or a missing/corrupt hash."""
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_new_password(engine: Engine, password: str) -> None:
    """Raise ValueError (Chinese) when ``password`` is too weak to set."""
    minimum = int(settings.get(engine, "password_min_length"))
    if len(password) < minimum:
        raise ValueError(f"密码至少需要 {minimum} 个字符")
    if password.isdigit() or password.isalpha():
        raise ValueError("密码不能只含数字或只含字母")


# --------------------------------------------------------------------------- accounts
def account_of(user: User) -> Account:
    """The :class:`Account` of a user row; LoginError when its role or jurisdiction is incomplete."""
    if user.role not in ROLES or user.role not in permissions.ROLE_CAPABILITIES:
        raise LoginError("账号的角色未配置，请联系管理员")
    if user.role in permissions.TOWNSHIP_ROLES and user.township_id is None:
        raise LoginError("账号未配置所属镇街，请联系管理员")
    if user.role in permissions.COMMUNITY_ROLES and user.community_id is None:
        raise LoginError("账号未配置所属社区，请联系管理员")
    if user.role in permissions.CITY_ROLES and user.city_adcode is None:
        raise LoginError("账号未配置所属市，请联系管理员")
    return Account(id=user.id, username=user.username, display_name=user.display_name,
                   role=user.role, township_id=user.township_id, community_id=user.community_id,
                   inspector_id=user.inspector_id, must_change_password=bool(user.must_change_password),
                   county_adcode=user.county_adcode, city_adcode=user.city_adcode)


def get_account(engine: Engine, username: str) -> Account:
    """The active account ``username`` (no password check: for tests and an already-verified identity)."""
    with Session(engine) as s:
        user = s.scalar(select(User).where(User.username == username))
        if user is None or not user.active:
            raise LoginError(BAD_CREDENTIALS)
        return account_of(user)


def is_demo_database(engine: Engine) -> bool:
    """True for the synthetic demo county (its townships are marked ``synthetic``), else False."""
    with Session(engine) as s:
        return bool(s.scalar(select(func.count()).select_from(Township).where(Township.synthetic.is_(True))))


def _throttle_key(username: str, client: str | None) -> str:
    return hashlib.sha256(f"{(username or '').strip().lower()}|{client or '-'}".encode("utf-8")).hexdigest()


def throttle_wait(engine: Engine, username: str, client: str | None, *, now: datetime | None = None) -> int:
    """Seconds this username must wait before trying again from ``client`` (0: may try now)."""
    now = now or datetime.now()
    with Session(engine) as s:
        row = s.get(LoginThrottle, _throttle_key(username, client))
    if row is None or row.blocked_until is None or row.blocked_until <= now:
        return 0
    return max(1, int((row.blocked_until - now).total_seconds() + 0.999))


def backoff_seconds(engine: Engine, failures: int) -> int:
    """The wait after ``failures`` failures in a row: 0 for the free ones, then base × 2ⁿ up to the cap."""
    free = int(settings.get(engine, "login_backoff_free_failures"))
    if failures < free:
        return 0
    base = float(settings.get(engine, "login_backoff_base_seconds"))
    cap = float(settings.get(engine, "login_backoff_max_seconds"))
    return int(min(cap, base * 2 ** min(failures - free, 30)))


def _failed(engine: Engine, username: str, client: str | None, now: datetime, reason: str) -> None:
    """Count one failure of ``username`` from ``client`` and start its wait; audited."""
    key = _throttle_key(username, client)
    for attempt in range(2):  # two clients racing to insert the same new key: the loser updates
        try:
            with write_session(engine) as s:
                row = s.get(LoginThrottle, key)
                if row is None:
                    row = LoginThrottle(key=key, failures=0, last_failure_at=now)
                    s.add(row)
                row.failures = int(row.failures or 0) + 1
                row.last_failure_at = now
                wait = backoff_seconds(engine, row.failures)
                row.blocked_until = now + timedelta(seconds=wait) if wait else None
                audit.record(s, username or None, "login_failed", "local", None, reason=reason,
                             failures=row.failures, wait_seconds=wait, client=client, at=now)
            return
        except Exception:  # noqa: BLE001 - IntegrityError on the racing insert
            if attempt:
                raise


def authenticate(engine: Engine, username: str, password: str, *,
                 now: datetime | None = None, client: str | None = None) -> Account:
    """Check a local login; return the :class:`Account` or raise :class:`LoginError`.

    ``client`` names where the attempt comes from (IP address, else the browser
    session): failures slow down that username from that client only
    (:func:`backoff_seconds`), never the account everywhere. A failure says
    :data:`BAD_CREDENTIALS` whether or not the user exists; a wait says
    :data:`THROTTLED` for any username. On a database that is not the demo the
    demo password is refused (:data:`DEMO_REFUSED`) for every username.
    """
    now = now or datetime.now()
    username = (username or "").strip()
    wait = throttle_wait(engine, username, client, now=now)
    if wait:
        audit.record(engine, username or None, "login_throttled", "local", None, wait_seconds=wait,
                     client=client, at=now)
        raise LoginError(THROTTLED.format(seconds=wait))
    if password == DEMO_PASSWORD and not is_demo_database(engine):
        verify_password(None, password)  # the same time as any other attempt
        _failed(engine, username, client, now, "demo password on a real database")
        raise LoginError(DEMO_REFUSED)
    with Session(engine) as s:
        user = s.scalar(select(User).where(User.username == username)) if username else None
        stored = None if user is None else (user.id, user.password_hash, user.active)
    if stored is None:
        verify_password(None, password or "")
        _failed(engine, username, client, now, "unknown user")
        raise LoginError(BAD_CREDENTIALS)
    user_id, password_hash, active = stored
    if not verify_password(password_hash, password or ""):
        _failed(engine, username, client, now, "wrong password")
        raise LoginError(BAD_CREDENTIALS)
    if not active:
        audit.record(engine, username, "login_failed", "local", None, reason="inactive", client=client)
        raise LoginError("账号已停用，请联系管理员")
    with write_session(engine) as s:
        user = s.get(User, user_id)
        account = account_of(user)  # raises before anything is written when misconfigured
        user.failed_logins, user.locked_until = 0, None
        if _HASHER.check_needs_rehash(password_hash):
            user.password_hash = hash_password(password)
        row = s.get(LoginThrottle, _throttle_key(username, client))
        if row is not None:
            s.delete(row)
        audit.record(s, account, "login", "local", account.scope, role=account.role, client=client, at=now)
    return account


def one_time_password() -> str:
    """A random password to hand over once (16 URL-safe characters, letters and digits mixed)."""
    while True:
        password = secrets.token_urlsafe(12)
        if not (password.isdigit() or password.isalpha()):
            return password


def create_first_admin(engine: Engine, username: str = "admin", *, actor: str = "init") -> str | None:
    """On a database with no user at all: an administrator with a one-time password, returned once.

    The password is random, stored only as its hash, and must be changed at the
    first sign-in (``must_change_password``). None when any user exists already.
    """
    with Session(engine) as s:
        if s.scalar(select(func.count()).select_from(User)):
            return None
    password = one_time_password()
    with write_session(engine) as s:
        s.add(User(username=username, display_name="系统管理员", role="admin", active=True, failed_logins=0,
                   password_hash=hash_password(password), must_change_password=True))
        audit.record(s, actor, "user", f"app_user:{username}", None, op="create_first_admin", role="admin")
    return password


def change_own_password(engine: Engine, username: str, old: str, new: str, *,
                        client: str | None = None) -> Account:
    """A user sets their own new password (after a one-time one): checks the old one like a sign-in.

    The new one must pass :func:`check_new_password`, differ from the old one and
    not be the demo password; other sessions of the user end. Returns the account.
    """
    account = authenticate(engine, username, old, client=client)
    if new == old:
        raise ValueError("新密码不能与原密码相同")
    if new == DEMO_PASSWORD:
        raise ValueError("不能使用公开的演示密码")
    check_new_password(engine, new)
    with write_session(engine) as s:
        s.execute(update(User).where(User.id == account.id).values(
            password_hash=hash_password(new), must_change_password=False, failed_logins=0, locked_until=None))
        _end_sessions_of(s, account.username, datetime.now())
        audit.record(s, account, "user", f"app_user:{account.username}", None, op="change_own_password")
    return get_account(engine, account.username)


def account_for_email(engine: Engine, email: str | None, *, provider: str = "oidc") -> Account:
    """The account an identity provider's verified ``email`` maps to (deny by default)."""
    email = (email or "").strip().lower()
    with Session(engine) as s:
        user = s.scalar(select(User).where(func.lower(User.email) == email)) if email else None
        if user is None or not user.active:
            audit.record(engine, email or None, "login_failed", provider, None, reason="no local account")
            raise LoginError("此身份未在本系统登记或已停用，请联系管理员开通")
        account = account_of(user)
    audit.record(engine, account, "login", provider, account.scope, role=account.role)
    return account


def create_user(engine: Engine, username: str, display_name: str, role: str, *,
                password: str | None = None, township_id: int | None = None,
                community_id: int | None = None, email: str | None = None,
                inspector_id: int | None = None, county_adcode: str | None = None,
                city_adcode: str | None = None, actor=None, check_strength: bool = True) -> Account:
    """Add a user; the role's jurisdiction is checked like at sign-in.

    A signed-in ``actor`` needs ``manage_users`` (PermissionError otherwise).
    """
    permissions.authorize(actor, permissions.MANAGE_USERS)
    if role not in ROLES:
        raise ValueError(f"未知角色：{role}")
    if not (username or "").strip():
        raise ValueError("用户名不能为空")
    if password is not None and check_strength:
        check_new_password(engine, password)
    user = User(username=username.strip(), display_name=display_name, role=role,
                township_id=township_id, community_id=community_id,
                county_adcode=county_adcode, city_adcode=city_adcode,
                email=email.strip().lower() if email else None, inspector_id=inspector_id,
                password_hash=hash_password(password) if password is not None else None,
                active=True, failed_logins=0)
    with write_session(engine) as s:
        check_links(s, township_id=township_id, community_id=community_id, inspector_id=inspector_id,
                    county_adcode=county_adcode, city_adcode=city_adcode)
        _check_level(role, county_adcode=county_adcode, city_adcode=city_adcode)
        if s.scalar(select(User.id).where(User.username == user.username)) is not None:
            raise ValueError(f"用户名 {user.username} 已存在")
        if user.email and s.scalar(select(User.id).where(func.lower(User.email) == user.email)) is not None:
            raise ValueError(f"邮箱 {user.email} 已被其他账号使用")
        s.add(user)
        s.flush()
        account = account_of(user)
        audit.record(s, actor, "user", f"app_user:{username}", None, op="create", role=role,
                     township_id=township_id, community_id=community_id)
    return account


PLACES_HINT = "（用 python -m data places 查看镇街和社区编号）"


def _check_level(role: str, *, county_adcode=None, city_adcode=None) -> None:
    """A city role names its city and no county; every other role names no city (ValueError, Chinese)."""
    if role in permissions.CITY_ROLES:
        if county_adcode is not None:
            raise ValueError("市级角色管辖全市，不能指定县（区、市）")
        if city_adcode is None:
            raise ValueError("市级角色（市专班、市住建局）须指定所属市")
    elif city_adcode is not None:
        raise ValueError(f"只有市级角色可以指定所属市；{ROLES.get(role, role)}请指定所属县（区、市）")


def set_places(engine: Engine, username: str, *, county_adcode: str | None = None,
               city_adcode: str | None = None, actor=None) -> None:
    """Give an existing user their county (a county's roles) or city (市专班 / 市住建局) in a
    deployment of several counties; the same checks as :func:`create_user`. The user's open
    sign-ins end, so the new jurisdiction applies from their next sign-in."""
    permissions.authorize(actor, permissions.MANAGE_USERS)
    with write_session(engine) as s:
        user = s.scalar(select(User).where(User.username == username))
        if user is None:
            raise LoginError(f"用户不存在：{username}")
        _check_level(user.role, county_adcode=county_adcode, city_adcode=city_adcode)
        check_links(s, township_id=user.township_id, county_adcode=county_adcode, city_adcode=city_adcode)
        user.county_adcode = None if county_adcode is None else str(county_adcode)
        user.city_adcode = None if city_adcode is None else str(city_adcode)
        s.flush()
        _end_sessions_of(s, username, datetime.now())
        audit.record(s, actor, "user", f"app_user:{username}", None, op="set_places",
                     county_adcode=user.county_adcode, city_adcode=user.city_adcode)


def check_links(s: Session, *, township_id=None, community_id=None, inspector_id=None,
                county_adcode=None, city_adcode=None) -> None:
    """Raise ValueError (Chinese, naming the command that lists the ids) for an id that does not exist."""
    from data.schema import Community, County, Inspector, Region, Township

    if county_adcode is not None and s.get(County, str(county_adcode)) is None:
        raise ValueError(f"县（区、市）代码 {county_adcode} 不存在{PLACES_HINT}")
    if city_adcode is not None:
        city = s.get(Region, str(city_adcode))
        if city is None or city.level != "city":
            raise ValueError(f"市代码 {city_adcode} 不存在{PLACES_HINT}")
    if county_adcode is not None and township_id is not None:
        town = s.get(Township, int(township_id))
        if town is not None and town.county_adcode not in (None, str(county_adcode)):
            raise ValueError(f"镇街编号 {township_id}（{town.name}）不属于县（区、市）{county_adcode}{PLACES_HINT}")

    if township_id is not None and s.get(Township, int(township_id)) is None:
        raise ValueError(f"镇街编号 {township_id} 不存在{PLACES_HINT}")
    if community_id is not None:
        community = s.get(Community, int(community_id))
        if community is None:
            raise ValueError(f"社区编号 {community_id} 不存在{PLACES_HINT}")
        if township_id is not None and community.township_id != int(township_id):
            raise ValueError(f"社区编号 {community_id}（{community.name}）不属于镇街编号 {township_id}{PLACES_HINT}")
    if inspector_id is not None and s.get(Inspector, int(inspector_id)) is None:
        raise ValueError(f"检查人员编号 {inspector_id} 不存在（检查人员名录见“双随机抽查 → 名录”）")


def set_inspector(engine: Engine, username: str, inspector_id: int | None, *, actor=None) -> None:
    """Link a login to its inspector (an ``inspector`` user then sees their own assignments), or unlink."""
    permissions.authorize(actor, permissions.MANAGE_USERS)
    with write_session(engine) as s:
        check_links(s, inspector_id=inspector_id)
        changed = s.execute(update(User).where(User.username == username)
                            .values(inspector_id=None if inspector_id is None else int(inspector_id))).rowcount
        if not changed:
            raise LoginError(f"用户不存在：{username}")
        audit.record(s, actor, "user", f"app_user:{username}", None, op="set_inspector",
                     inspector_id=inspector_id)


def set_password(engine: Engine, username: str, password: str, *, actor=None,
                 check_strength: bool = True) -> None:
    """Set a new password and unlock the account (a signed-in ``actor`` needs ``manage_users``)."""
    permissions.authorize(actor, permissions.MANAGE_USERS)
    if check_strength:
        check_new_password(engine, password)
    with write_session(engine) as s:
        changed = s.execute(update(User).where(User.username == username).values(
            password_hash=hash_password(password), failed_logins=0, locked_until=None)).rowcount
        if not changed:
            raise LoginError(f"用户不存在：{username}")
        _end_sessions_of(s, username, datetime.now())  # a stolen or shared sign-in ends with the old password
        audit.record(s, actor, "user", f"app_user:{username}", None, op="set_password")


def unlock(engine: Engine, username: str, *, actor=None) -> None:
    """Clear an old lockout (accounts are no longer locked; waits per client run out by themselves)."""
    permissions.authorize(actor, permissions.MANAGE_USERS)
    with write_session(engine) as s:
        s.execute(update(User).where(User.username == username)
                  .values(failed_logins=0, locked_until=None))
        audit.record(s, actor, "user", f"app_user:{username}", None, op="unlock")


def set_active(engine: Engine, username: str, active: bool, *, actor=None) -> None:
    """Disable (离岗、调岗) or re-enable an account; users are never deleted, their history stays."""
    permissions.authorize(actor, permissions.MANAGE_USERS)
    if not active and getattr(actor, "username", None) == username:
        raise ValueError("不能停用自己的账号")
    with write_session(engine) as s:
        changed = s.execute(update(User).where(User.username == username).values(active=bool(active))).rowcount
        if not changed:
            raise LoginError(f"用户不存在：{username}")
        if not active:
            _end_sessions_of(s, username, datetime.now())
        audit.record(s, actor, "user", f"app_user:{username}", None, op="enable" if active else "disable")


# --------------------------------------------------------------------------- login sessions
def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(engine: Engine, account: Account, *,
                 now: datetime | None = None) -> tuple[str, datetime] | None:
    """Start a login session for a signed-in ``account``: ``(token for the browser, expiry)``.

    None when the setting ``session_hours`` is 0 (every visit signs in).
    """
    now = now or datetime.now()
    hours = float(settings.get(engine, "session_hours"))
    if hours <= 0:
        return None
    token, expires_at = secrets.token_urlsafe(32), now + timedelta(hours=hours)
    with write_session(engine) as s:
        s.add(LoginSession(token_hash=_digest(token), user_id=account.id, created_at=now,
                           expires_at=expires_at))
    return token, expires_at


def resume_session(engine: Engine, token: str | None, *, now: datetime | None = None) -> Account:
    """The :class:`Account` of a live login session; :class:`LoginError` when it is unknown or over.

    Over means signed out, expired (at ``expires_at`` exactly), or its user disabled, or
    no longer configured for a role. The account is read afresh, so a new role or
    jurisdiction applies at the next reload. Audited as a ``login`` by ``session``.
    """
    now = now or datetime.now()
    if not token:
        raise LoginError(SESSION_ENDED)
    with Session(engine) as s:
        row = s.scalar(select(LoginSession).where(LoginSession.token_hash == _digest(token)))
        if row is None or row.ended_at is not None or row.expires_at <= now:
            raise LoginError(SESSION_ENDED)
        user = s.get(User, row.user_id)
        if user is None or not user.active:
            raise LoginError(SESSION_ENDED)
        account = account_of(user)
    audit.record(engine, account, "login", "session", account.scope, role=account.role, at=now)
    return account


def session_is_live(engine: Engine, token: str | None, *, now: datetime | None = None) -> bool:
    """True when ``token`` is an open, unexpired login session of an active user (no audit: a check only)."""
    now = now or datetime.now()
    if not token:
        return False
    with Session(engine) as s:
        row = s.scalar(select(LoginSession).where(LoginSession.token_hash == _digest(token)))
        if row is None or row.ended_at is not None or row.expires_at <= now:
            return False
        user = s.get(User, row.user_id)
        return user is not None and bool(user.active)


def close_session(engine: Engine, token: str | None, *, now: datetime | None = None) -> None:
    """End the login session of ``token`` (sign-out); nothing happens for an unknown token."""
    if not token:
        return
    with write_session(engine) as s:
        s.execute(update(LoginSession).where(LoginSession.token_hash == _digest(token),
                                             LoginSession.ended_at.is_(None))
                  .values(ended_at=now or datetime.now()))


def _end_sessions_of(s, username: str, now: datetime) -> None:
    user_id = select(User.id).where(User.username == username).scalar_subquery()
    s.execute(update(LoginSession).where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
              .values(ended_at=now))


def users(engine: Engine) -> list[dict]:
    """Every user without the password hash (for the admin's list and the demo login page)."""
    with Session(engine) as s:
        rows = s.scalars(select(User).order_by(User.id)).all()
        return [{"username": u.username, "display_name": u.display_name, "role": u.role,
                 "role_label": ROLES.get(u.role, u.role), "township_id": u.township_id,
                 "county_adcode": u.county_adcode, "city_adcode": u.city_adcode,
                 "community_id": u.community_id, "email": u.email, "active": u.active,
                 "inspector_id": u.inspector_id,
                 "locked_until": u.locked_until, "has_password": u.password_hash is not None}
                for u in rows]
