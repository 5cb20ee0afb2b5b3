"""UI text of the registers (issue 12): inspector register, companies and merging, templates, import kinds."""

TEXT = {
    # import kinds on 数据管理
    "rg_kind_compounds": ("小区名册", "Compound register"),
    "rg_kind_boundaries": ("行政边界", "Boundaries"),
    "rg_kind_complaints": ("12345 诉求", "12345 complaints"),
    "rg_kind_township-scores": ("镇街和部门考核成绩", "Township and department scores"),
    "rg_kind_parking": ("停车资源", "Parking resources"),
    "rg_kind_evaluations": ("季度考评", "Quarterly evaluations"),
    "rg_kind_credit": ("企业信用评价", "Credit grades"),
    "rg_kind_fees": ("收费记录", "Fee history"),
    "rg_kind_inspectors": ("检查人员名录", "Inspectors"),
    "rg_kind_companies": ("物业企业名录", "Companies"),
    "rg_table_hint": ("Excel、CSV（UTF-8 / GBK）", "Excel, CSV (UTF-8 / GBK)"),
    "rg_templates": ("导入模板（Excel：中文表头、示例行、说明页、下拉选项）",
                     "Import templates (Excel: headers, an example row, notes, drop-downs)"),
    "rg_templates_help": ("命令行：python -m data template 类型 -o 文件.xlsx",
                          "Command line: python -m data template KIND -o FILE.xlsx"),
    "rg_template_button": ("{kind}模板", "{kind} template"),
    # companies
    "rg_tab_companies": ("物业企业", "Companies"),
    "rg_companies_caption": ("企业名称按规范化名称匹配（去掉地区前缀、“物业服务有限公司”等后缀、空格和全角字符）；"
                             "同一企业被登记成两条时，在此合并，小区、项目经理、信用等级、检查人员回避关系全部保留。",
                             "Company names match in normalised form (no region prefix, legal suffix, spaces or "
                             "full-width forms); a company registered twice is merged here, keeping every link."),
    "rg_merge": ("合并企业", "Merge companies"),
    "rg_merge_keep": ("保留的企业", "Keep"),
    "rg_merge_gone": ("并入上者并删除的企业", "Merge into it (then removed)"),
    "rg_merge_go": ("合并", "Merge"),
    "rg_merge_confirm": ("确认两条记录是同一家企业", "These two records are one company"),
    "rg_merged": ("已合并：小区 {compounds} 个、项目经理 {managers} 名、信用等级 {credit_grades} 条、检查人员 {inspectors} 名。",
                  "Merged: {compounds} compounds, {managers} managers, {credit_grades} grades, {inspectors} inspectors."),
    "rg_no_companies": ("还没有物业企业：导入小区名册或物业企业名录后出现在这里。",
                        "No companies yet: import the compound register or the company register."),
    "rg_read_only": ("只有住建局和管理员可以合并企业。", "Only the housing bureau and administrators merge companies."),
    # inspector register
    "rg_inspectors_empty": ("检查人员名录为空，无法抽查。在下方添加，或在“数据管理”导入执法检查人员名录"
                            "（python -m data import inspectors 文件）。",
                            "The inspector register is empty, so no draw is possible. Add inspectors below or import "
                            "the register on the Data page (python -m data import inspectors FILE)."),
    "rg_inspector_edit": ("添加或修改检查人员", "Add or edit an inspector"),
    "rg_inspector_pick": ("检查人员", "Inspector"),
    "rg_inspector_new": ("（新增）", "(new)"),
    "rg_name": ("姓名", "Name"),
    "rg_unit": ("单位", "Unit"),
    "rg_cert_no": ("执法证号", "Enforcement licence no."),
    "rg_township": ("所属镇街（回避本镇街）", "Own township (recused)"),
    "rg_county_level": ("县直单位", "County-level unit"),
    "rg_recusal": ("回避企业", "Companies to recuse from"),
    "rg_phone": ("联系电话（留空不改）", "Phone (blank keeps it)"),
    "rg_active": ("在岗（停用后不再被抽取，历史记录保留）", "Active (a deactivated inspector is never drawn again)"),
    "rg_save": ("保存", "Save"),
    "rg_saved": ("已保存检查人员“{name}”。", "Saved inspector {name}."),
    "rg_edit_denied": ("只有住建局和管理员可以维护检查人员名录。", "Only the housing bureau and administrators edit it."),
    # admin: inspector link
    "rg_user_inspector": ("对应检查人员（检查人员账号）", "Inspector (for an inspector login)"),
    "rg_user_inspector_none": ("—", "—"),
    "rg_link_inspector": ("关联检查人员", "Link inspector"),
    "rg_linked": ("已将 {username} 关联到检查人员。", "{username} is linked to the inspector."),
}

COLUMNS = {
    "cert_no": ("执法证号", "Licence no."),
    "credit_code": ("统一社会信用代码", "Credit code"),
    "legal_rep": ("法定代表人", "Legal representative"),
    "qualification": ("资质", "Qualification"),
    "state_owned": ("国有企业", "State-owned"),
    "aliases": ("其他名称", "Other names"),
    "projects": ("在管项目", "Projects"),
    "phone": ("联系电话", "Phone"),
    "contact": ("联系人", "Contact"),
}
