"""Command line: ``python -m data {init,demo,import} ...``.

Examples::

    python -m data init                       # migrate; fill with the demo county if empty
    python -m data demo --seed 7 --db sqlite:///var/demo7.sqlite
    python -m data import boundaries 镇街.shp.zip --level township --crs cgcs2000
    python -m data import compounds 小区.xlsx --dry-run
    python -m data import evaluations 2026年第三季度考评.xlsx
    python -m data import township-scores 2026年第三季度镇街考核成绩.xlsx
    python -m data import complaints 12345工单.xlsx --crs gcj02 --dry-run
    python -m data import parking 错时停车资源.xlsx   # offices, enterprises, car parks, road bays
    python -m data verify-draw 3              # re-run spot-check draw 3 from its record
    python -m data backup var/备份.sqlite      # consistent online backup + integrity check
    python -m data restore var/备份.sqlite --yes
    python -m data refresh-aggregates         # recount the monthly complaint aggregates (repair)
    python -m data user add zhangsan --role township --township-id 3
    python -m data places                     # township / community ids for user add
    python -m data import inspectors 执法检查人员名录.xlsx   # also: companies, credit, fees
    python -m data template inspectors -o 检查人员模板.xlsx
    python -m data user add li --role inspector --inspector 鲁JX2024001
    python -m data briefing 2026-10 -o 月度通报      # 月度通报.docx and 月度通报.pdf
"""
from __future__ import annotations

import argparse
import sys

from data import db

CRS_CHOICES = ("wgs84", "cgcs2000", "gcj02", "bd09")
# as data.importers.kinds.KINDS (a test keeps them equal); spelled out so the CLI starts without the importers
IMPORT_KINDS = ("boundaries", "compounds", "complaints", "evaluations", "credit", "fees", "parking", "inspectors",
                "companies", "township-scores")
REGISTER_KINDS = ("credit", "fees", "inspectors", "companies")  # table-only, through kinds.register_importer

def _progress(done: int, total: int, message: str = "") -> None:
    """A one-line progress bar on stderr (redrawn in place), e.g. ``[#######-------]  50.0% 济宁市金乡县``."""
    pct = 100 * done / total if total else 100
    filled = int(24 * min(done, total) / total) if total else 24
    bar = "#" * filled + "-" * (24 - filled)
    print(f"\r[{bar}] {pct:5.1f}% {done}/{total} {message:<40}", end="", file=sys.stderr, flush=True)
    if done >= total:
        print(file=sys.stderr)


def cmd_init(args) -> int:
    """Migrate; an empty (or half-built) database gets the demo, or with --no-demo a first administrator.

    All-or-nothing (``data.build``): a build killed half-way is redone at the next start.
    """
    from data import build

    url = args.db or db.default_url()
    if args.no_demo:
        password = build.init_without_demo(url)
        if password is not None:  # printed once, never stored in clear: changed at the first sign-in
            print("已创建首个管理员账号 admin，一次性密码（仅显示这一次，首次登录时必须修改）：")
            print(password)
    elif build.state_of(url) != build.COMPLETE:
        print("数据库为空，正在生成演示数据（金乡县，合成）…", file=sys.stderr)
        build.build_demo_safely(url, seed=args.seed, progress=_progress)
    engine = db.make_engine(url)
    db.migrate(engine)
    print(f"数据库已就绪：{engine.url.render_as_string(hide_password=True)}")
    engine.dispose()
    return 0


def cmd_demo(args) -> int:
    """The demo county into an empty database, all-or-nothing (``data.build.build_demo_safely``)."""
    from data import build

    url = args.db or db.default_url()
    if build.state_of(url) == build.COMPLETE:
        print("目标数据库已有数据；演示数据只写入空数据库。", file=sys.stderr)
        return 2
    options = {"compounds": args.compounds, "complaints": args.complaints}
    if args.scale != "county":  # issue 17: 济宁市 or 山东省, sizes per county
        if args.compounds is not None or args.complaints is not None:
            print("市、省规模请用 --compounds-per-county / --complaints-per-county 指定数量", file=sys.stderr)
            return 2
        options = {"scale": args.scale, "compounds_per_county": args.compounds_per_county,
                   "complaints_per_county": args.complaints_per_county}
    summary = build.build_demo_safely(url, seed=args.seed, end_month=args.end, progress=_progress, **options)
    for key, value in summary.items():
        print(f"{key}\t{value}")
    return 0


def _cli_actor() -> str:
    """``cli:<login name>``: commands run on the server are trusted, and recorded as such."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry (containers)
        return "cli"


def cmd_import(args) -> int:
    from data.importers.readers import upload_limits

    engine = db.make_engine(args.db)
    db.migrate(engine)
    with upload_limits(engine):  # the same size/row/feature/vertex limits as an upload (settings)
        return _import(engine, args)


def _import(engine, args) -> int:
    from data import importers

    actor = _cli_actor()  # the audit log names who ran it from the shell
    if args.kind == "boundaries":
        if not args.level:
            print("导入边界需要 --level township|community|grid|county", file=sys.stderr)
            return 2
        report = importers.import_boundaries(
            engine, args.file, level=args.level, crs=args.crs, encoding=args.encoding,
            dry_run=args.dry_run, name=args.name, adcode=args.adcode, layer=args.layer, actor=actor,
            county=args.county if args.level != "county" else None,
        )
    elif args.kind == "complaints":
        from data.importers.complaints import import_complaints

        report = import_complaints(engine, args.file, crs=args.crs, encoding=args.encoding,
                                   dry_run=args.dry_run, progress=_progress, actor=actor, county=args.county)
    elif args.kind == "evaluations":
        from data.importers.evaluations import import_evaluations

        report = import_evaluations(engine, args.file, encoding=args.encoding, dry_run=args.dry_run, actor=actor)
    elif args.kind == "township-scores":
        from data.importers.township_scores import import_township_scores

        report = import_township_scores(engine, args.file, encoding=args.encoding, dry_run=args.dry_run,
                                        actor=actor)
    elif args.kind == "parking":
        from data.importers.parking import import_parking

        report = import_parking(engine, args.file, crs=args.crs, encoding=args.encoding, dry_run=args.dry_run,
                                layer=args.layer, actor=actor)
    elif args.kind in REGISTER_KINDS:
        from data.importers.kinds import register_importer

        report = register_importer(args.kind)(engine, args.file, encoding=args.encoding, dry_run=args.dry_run,
                                              actor=actor)
    else:
        report = importers.import_compounds(
            engine, args.file, crs=args.crs, encoding=args.encoding, dry_run=args.dry_run,
            layer=args.layer, actor=actor, county=args.county,
        )
    print(report.summary())
    for line in report.column_lines():
        print(line)
    for line in report.note_lines():
        print(f"提示：{line}")
    if not report.ok:
        for line in report.error_lines(limit=50):
            print(line, file=sys.stderr)
        if args.report:
            report.to_excel(args.report)
            print(f"错误报告已写入 {args.report}", file=sys.stderr)
        return 1
    if not args.dry_run and args.kind in ("complaints", "evaluations", "township-scores", "compounds"):
        from data.queries.register import sync_latest

        synced = sync_latest(engine)
        if synced and not synced.get("skipped"):
            print(f"问责台账：新增 {synced['created']} 项，撤销 {synced['withdrawn']} 项，恢复 {synced['restored']} 项，"
                  f"逾期 {synced['overdue']} 项")
    if not args.dry_run:  # the running app processes drop their cached figures on their next run
        from data.settings import bump_data_version

        bump_data_version(engine)
    return 0


def cmd_verify_draw(args) -> int:
    from data.queries.inspection import verify_draw

    engine = db.make_engine(args.db)
    db.migrate(engine)
    try:
        result = verify_draw(engine, args.draw_id)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(f"抽查批次 {args.draw_id}：{result.message()}")
    return 0 if result.ok else 1


def cmd_backup(args) -> int:
    from data import backup

    engine = db.make_engine(args.db)
    try:
        path = backup.backup(engine, args.file, actor=_cli_actor())
    except backup.BackupError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(f"备份已写入 {path}（完整性检查通过）")
    return 0


def cmd_restore(args) -> int:
    from data import backup

    engine = db.make_engine(args.db)
    if not args.yes:
        print("恢复将用备份替换数据库中的全部数据；确认请加 --yes", file=sys.stderr)
        return 2
    try:
        counts = backup.restore(engine, args.file, actor=_cli_actor())
    except backup.BackupError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(f"已从 {args.file} 恢复（完整性检查通过）：{sum(counts.values())} 行，{len(counts)} 张表")
    return 0


def cmd_refresh_aggregates(args) -> int:
    """Rebuild ``complaint_month`` from the complaints (repair; every write keeps it in step)."""
    import time

    from data.aggregates import refresh_all
    from data.settings import bump_data_version

    engine = db.make_engine(args.db)
    db.migrate(engine)
    t0 = time.perf_counter()
    rows = refresh_all(engine)
    bump_data_version(engine)  # running app processes drop figures cached from the old table
    print(f"诉求月度汇总已重算：{rows} 行，用时 {time.perf_counter() - t0:.1f} 秒")
    return 0


def cmd_user(args) -> int:
    import getpass

    from data import auth

    engine = db.make_engine(args.db)
    db.migrate(engine)
    try:
        if args.action == "list":
            for u in auth.users(engine):
                print(f"{u['username']}\t{u['role_label']}\t{u['display_name']}\t"
                      f"{'停用' if not u['active'] else ''}{'锁定至 %s' % u['locked_until'] if u['locked_until'] else ''}")
            return 0
        if args.action == "unlock":
            auth.unlock(engine, args.username, actor=_cli_actor())
            print(f"已解锁 {args.username}")
            return 0
        password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("密码：")
        if args.action == "add":
            inspector_id = None
            if args.inspector:
                from data.queries.inspectors import inspector_by_cert

                inspector_id = inspector_by_cert(engine, args.inspector)
            if args.role is None:
                raise ValueError("请用 --role 指定角色（leader、housing、township、community、inspector、admin、"
                                 "city_leader、city_housing）")
            auth.create_user(engine, args.username, args.name or args.username, args.role,
                             password=password, township_id=args.township_id,
                             community_id=args.community_id, email=args.email, inspector_id=inspector_id,
                             county_adcode=args.county, city_adcode=args.city, actor=_cli_actor())
            print(f"已创建用户 {args.username}")
        else:
            auth.set_password(engine, args.username, password, actor=_cli_actor())
            print(f"已为 {args.username} 设置新密码")
    except (ValueError, PermissionError) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0


def cmd_template(args) -> int:
    from data.importers.templates import write_template

    path = write_template(args.kind, args.output)
    print(f"模板已写入 {path}")
    return 0


def cmd_places(args) -> int:
    """Townships, communities and grids with their ids, for ``user add --township-id/--community-id``."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from data.schema import Community, County, Grid, Region, Township

    engine = db.make_engine(args.db)
    db.migrate(engine)
    with Session(engine) as s:
        towns = s.execute(select(Township.id, Township.code, Township.name, Township.county_adcode)
                          .order_by(Township.id)).all()
        comms = s.execute(select(Community.id, Community.code, Community.name, Community.township_id)
                          .order_by(Community.township_id, Community.id)).all()
        cities = s.execute(select(Region.adcode, Region.name, Region.level, Region.parent_adcode)
                           .order_by(Region.adcode)).all()
        counties = s.execute(select(County.adcode, County.name, County.city_adcode).order_by(County.adcode)).all()
        grids = s.execute(select(Grid.id, Grid.code, Grid.name, Grid.community_id)
                          .order_by(Grid.community_id, Grid.id)).all() if args.grids else []
    if not towns:
        print("数据库中还没有镇街：先导入镇街边界（python -m data import boundaries 文件 --level township）")
        return 0
    by_town: dict = {}
    for c in comms:
        by_town.setdefault(c.township_id, []).append(c)
    by_comm: dict = {}
    for g in grids:
        by_comm.setdefault(g.community_id, []).append(g)
    print("类型\t编号\t代码\t名称\t所属")
    if len(counties) > 1 or cities:  # a city or province deployment: codes for user add --city/--county
        for r in cities:
            print(f"{'省' if r.level == 'province' else '市'}\t\t{r.adcode}\t{r.name}\t{r.parent_adcode or ''}")
        for c in counties:
            print(f"县（区、市）\t\t{c.adcode}\t{c.name}\t{c.city_adcode or ''}")
    for t in towns:  # the county column tells apart namesakes of several counties (城关街道)
        print(f"镇街\t{t.id}\t{t.code}\t{t.name}\t{t.county_adcode or ''}")
        for c in by_town.get(t.id, []):
            print(f"社区\t{c.id}\t{c.code}\t{c.name}\t{t.name}")
            for g in by_comm.get(c.id, []):
                print(f"网格\t{g.id}\t{g.code}\t{g.name}\t{t.name} {c.name}")
    print(f"共 {len(towns)} 个镇街、{len(comms)} 个社区" + (f"、{len(grids)} 个网格" if args.grids else "")
          + "。创建账号：python -m data user add 用户名 --role township --township-id 编号", file=sys.stderr)
    return 0


def cmd_briefing(args) -> int:
    """月度通报 as .docx and .pdf (``-o 文件``: the suffix is replaced by both)."""
    from pathlib import Path

    from data.documents.briefing import briefing_docx
    from data.documents.pdf import PdfUnavailable, docx_to_pdf
    from data.scope import Scope

    engine = db.make_engine(args.db)
    db.migrate(engine)
    out = Path(args.output or f"月度通报_{args.month}")
    base = out.with_suffix("") if out.suffix.lower() in (".docx", ".pdf") else out
    try:
        made = briefing_docx(engine, Scope(args.township), args.month, actor=_cli_actor())
    except ValueError as exc:
        print(f"无法生成月度通报：{exc}", file=sys.stderr)
        return 1
    docx = base.with_name(base.name + ".docx")
    docx.write_bytes(made.docx)
    print(f"{made.number or '（未编号）'}　{made.title}")
    print(docx)
    if args.maps:  # the briefing's maps as vector files too, for slides or print shops
        from data.documents.mapdata import heat_map, yoy_map
        from data.documents.maps import render
        from data.queries.overview import township_table
        from data.scope import Period

        folder = Path(args.maps)
        folder.mkdir(parents=True, exist_ok=True)
        one = Period.months(args.month, args.month)
        scope = Scope(args.township)
        for name, m in (("热力图", heat_map(engine, scope, one)),
                        ("镇街同比", yoy_map(engine, scope, township_table(engine, scope, one)))):
            for fmt in ("png", "svg", "pdf"):
                target = folder / f"{name}_{args.month}.{fmt}"
                target.write_bytes(render(m, fmt))
                print(target)
    if made.gaps:
        print(f"注意：上年同期缺少 {len(made.gaps)} 个月的数据，通报中已说明", file=sys.stderr)
    if args.no_pdf:
        return 0
    try:
        pdf = base.with_name(base.name + ".pdf")
        pdf.write_bytes(docx_to_pdf(made.docx))
        print(pdf)
    except (PdfUnavailable, RuntimeError) as exc:
        print(str(exc), file=sys.stderr)
        return 3
    return 0


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS,
                        help="数据库 URL（默认 DATABASE_URL 或 var/dashboard.sqlite）")
    p = argparse.ArgumentParser(prog="python -m data", description="物业监管地图：数据管理",
                                parents=[common])
    sub = p.add_subparsers(dest="command", required=True)

    init = sub.add_parser("init", parents=[common], help="迁移数据库；为空时生成演示数据")
    init.add_argument("--seed", type=int, default=2024)
    init.add_argument("--no-demo", action="store_true", help="不生成演示数据")
    init.set_defaults(func=cmd_init)

    demo = sub.add_parser("demo", parents=[common], help="在空数据库中生成可复现的演示县（金乡县，合成数据）")
    demo.add_argument("--seed", type=int, default=2024)
    demo.add_argument("--compounds", type=int, default=None, help="小区数量（默认约 900）")
    demo.add_argument("--complaints", type=int, default=None, help="诉求数量（默认约 40000）")
    demo.add_argument("--end", default=None, help="最后一个月 YYYY-MM（默认固定值，保证可复现）")
    demo.add_argument("--scale", choices=("county", "city", "province"), default="county",
                      help="county：金乡县（默认）；city：济宁市 11 个县（市、区）；province：山东省 16 市 136 县（市、区）")
    demo.add_argument("--compounds-per-county", type=int, default=None,
                      help="市、省规模：每县小区数（默认 市 300、省 370）")
    demo.add_argument("--complaints-per-county", type=int, default=None,
                      help="市、省规模：每县诉求数（默认 市 15000、省 37000）")
    demo.set_defaults(func=cmd_demo)

    imp = sub.add_parser("import", parents=[common], help="导入本县数据")
    imp.add_argument("kind", choices=IMPORT_KINDS)
    imp.add_argument("file")
    imp.add_argument("--level", choices=("county", "township", "community", "grid"))
    imp.add_argument("--crs", default=None,
                     help="源坐标系：wgs84|cgcs2000|gcj02|bd09 或 EPSG:xxxx（默认自动识别）")
    imp.add_argument("--encoding", default=None, help="文本编码（默认自动识别，如 gbk）")
    imp.add_argument("--name", default=None, help="名称字段（默认自动识别，如 名称/XZMC）")
    imp.add_argument("--adcode", default=None, help="区划代码字段（默认自动识别）")
    imp.add_argument("--layer", default=None, help="GeoPackage/多图层文件中的图层名")
    imp.add_argument("--county", default=None, metavar="县级代码",
                     help="多县部署：文件所属县（区、市）的 6 位代码，镇街名称按该县理解"
                          "（边界、小区、诉求；同名镇街在多个县时必须指定或在名称前加县名）")
    imp.add_argument("--dry-run", action="store_true", help="只校验，不写入")
    imp.add_argument("--report", default=None, help="校验失败时把错误报告写入此 Excel 文件")
    imp.set_defaults(func=cmd_import)

    tpl = sub.add_parser("template", parents=[common], help="生成导入模板（Excel：表头、示例行、说明、下拉选项）")
    tpl.add_argument("kind", choices=IMPORT_KINDS)
    tpl.add_argument("-o", "--output", default=None, help="输出文件（默认“<名称>模板.xlsx”）")
    tpl.set_defaults(func=cmd_template)

    plc = sub.add_parser("places", parents=[common], help="列出镇街、社区（及网格）的编号，供 user add 使用")
    plc.add_argument("--grids", action="store_true", help="同时列出网格")
    plc.set_defaults(func=cmd_places)

    ver = sub.add_parser("verify-draw", parents=[common], help="按记录重新抽取，验证双随机抽查批次")
    ver.add_argument("draw_id", type=int, help="抽查批次编号")
    ver.set_defaults(func=cmd_verify_draw)

    bak = sub.add_parser("backup", parents=[common], help="在线备份数据库（写入期间也保持一致），并做完整性检查")
    bak.add_argument("file", help="备份文件（SQLite 为 .sqlite；PostgreSQL 为 pg_dump 自定义格式）")
    bak.set_defaults(func=cmd_backup)

    res = sub.add_parser("restore", parents=[common], help="从备份恢复数据库，恢复后做完整性检查")
    res.add_argument("file")
    res.add_argument("--yes", action="store_true", help="确认用备份替换全部数据")
    res.set_defaults(func=cmd_restore)

    agg = sub.add_parser("refresh-aggregates", parents=[common],
                         help="按诉求工单重算诉求月度汇总（总览读取的汇总表；每次写入已自动更新，用于修复）")
    agg.set_defaults(func=cmd_refresh_aggregates)

    usr = sub.add_parser("user", parents=[common], help="本地账号：list | add | passwd | unlock")
    usr.add_argument("action", choices=("list", "add", "passwd", "unlock"))
    usr.add_argument("username", nargs="?", default="")
    usr.add_argument("--role", choices=("leader", "housing", "township", "community", "inspector", "admin",
                                        "city_leader", "city_housing"))
    usr.add_argument("--name", default=None, help="显示名称")
    usr.add_argument("--township-id", type=int, default=None)
    usr.add_argument("--community-id", type=int, default=None)
    usr.add_argument("--county", default=None, metavar="县级代码",
                     help="多县部署中县级角色（leader、housing、township …）所属县（区、市）的 6 位代码")
    usr.add_argument("--city", default=None, metavar="市代码",
                     help="市级角色（city_leader 市专班、city_housing 市住建局）所属市的 6 位代码")
    usr.add_argument("--email", default=None, help="统一身份认证（OpenID Connect）邮箱")
    usr.add_argument("--inspector", default=None, metavar="执法证号",
                     help="检查人员账号对应的检查人员（执法证号），登录后只看本人的抽查任务")
    usr.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码")
    usr.set_defaults(func=cmd_user)
    brf = sub.add_parser("briefing", parents=[common], help="生成月度通报（Word 和 PDF）")
    brf.add_argument("month", help="月份 YYYY-MM")
    brf.add_argument("--township", type=int, default=None, help="只通报一个镇街（镇街编号）")
    brf.add_argument("-o", "--output", default=None, help="输出文件（不含或含 .docx/.pdf 后缀，两种都会生成）")
    brf.add_argument("--no-pdf", action="store_true", help="只生成 Word")
    brf.add_argument("--maps", default=None, help="把通报中的地图另存到此文件夹（PNG、SVG、PDF）")
    brf.set_defaults(func=cmd_briefing)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)  # --db may come before or after the subcommand
    args.db = getattr(args, "db", None)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - a Chinese message with an error id; the traceback goes to the log
        import logging

        from data.errors import user_message

        if not logging.getLogger().handlers:  # the CLI's log is stderr-free: write the details to a file
            _log_to_file()
        print(user_message(exc, action=_ACTIONS.get(args.command, "操作")), file=sys.stderr)
        return 1


_ACTIONS = {"import": "导入", "init": "初始化", "demo": "生成演示数据", "backup": "备份", "restore": "恢复",
            "user": "账号操作", "verify-draw": "验证抽查批次"}


def _log_to_file() -> None:
    """Details of a CLI failure go to ``var/log/cli.log`` (beside the default database), not the terminal."""
    import logging
    from pathlib import Path

    folder = Path(db.__file__).resolve().parents[1] / "var" / "log"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(folder / "cli.log", encoding="utf-8")
    except OSError:
        return
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.getLogger("wyjg").addHandler(handler)


if __name__ == "__main__":
    sys.exit(main())
