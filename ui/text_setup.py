"""UI text of the setup checklist (an empty county database), the unmatched queue's candidates
and the 12345 category table."""

TEXT = {
    "setup_blank": ("本数据库还没有本县的数据（非演示库）：先按下面的清单依次导入，各页面随后显示内容。",
                    "This database holds no county data yet (not the demo): import in the order below; "
                    "the pages fill as you go."),
    "setup_progress": ("本县数据导入进度：{done}/{total} 项", "County data imported: {done} of {total}"),
    "setup_title": ("导入清单", "What to import next"),
    "setup_done": ("已导入 {n} 条", "{n} imported"),
    "setup_missing": ("尚未导入", "not imported yet"),
    "setup_optional": ("可选", "optional"),
    "setup_help": ("在“数据管理”页上传文件，或在服务器上运行命令（文件名换成本县文件）：",
                   "Upload on the Data page, or run the command on the server (with your own file):"),
    "setup_link": ("前往数据管理导入", "Import on the Data page"),
    "setup_ask_admin": ("请联系住建局或管理员导入数据。", "Ask the housing bureau or an administrator to import."),
    "cp_none_yet": ("尚未导入 12345 诉求工单：在“数据管理”页导入（Excel、CSV 或 Open311），或运行 "
                    "python -m data import complaints 12345工单.xlsx。",
                    "No 12345 work orders yet: import them on the Data page (Excel, CSV or Open311) or run "
                    "python -m data import complaints <file>."),
    "county_unset": ("（尚未导入县界）", "(no county outline yet)"),
    # the unmatched queue: top candidates, one-click confirm, learned aliases
    "dp_candidates": ("候选小区（按名称、别名、地址相似度）", "Candidate compounds (name, alias, address)"),
    "dp_candidates_none": ("没有相近的小区名称，请在下方手工选择。", "No similar compound name: pick one below."),
    "dp_candidate_confirm": ("确认：{name}（{score:.0f} 分）", "Confirm: {name} ({score:.0f})"),
    "dp_learn_alias": ("记住该名称为小区别名，下次导入自动匹配", "Remember the name as an alias for future imports"),
    "dp_order_text": ("工单 {order}：小区名称“{name}”，地址“{address}”", "Order {order}: compound “{name}”, address “{address}”"),
    "dp_aliases": ("已学习的小区别名（{n} 个）", "Learned compound aliases ({n})"),
    "dp_alias_forget": ("删除一个别名（误确认时）", "Forget an alias (after a wrong confirmation)"),
    "dp_alias_forget_go": ("删除别名", "Forget"),
    # 12345 category table (beside the duty matrix)
    "cp_catmap_title": ("12345 诉求类别对照", "12345 category table"),
    "cp_catmap_help": ("12345 系统导出的类别名称对应到本系统的诉求类别（决定承办单位）；未列出且不是本系统类别的，"
                       "导入时在报告中列为“未知诉求类别”。", "Category names of the 12345 export → this product's "
                       "categories (which decide the department); others are reported as unknown at import."),
    "cp_catmap_save": ("保存类别对照", "Save category table"),
    "cp_catmap_saved": ("已保存 {n} 条类别对照。", "{n} mappings saved."),
}

COLUMNS = {
    "source_category": ("12345 类别", "12345 category"),
    "product_category": ("本系统类别", "Product category"),
    "match_confidence": ("匹配置信度", "Match confidence"),
    "compound_name": ("工单小区名称", "Compound as written"),
    "status_notes": ("办理说明", "Status notes"),
    "alias_alias": ("别名", "Alias"), "alias_compound": ("小区", "Compound"),
    "alias_created_by": ("确认人", "Confirmed by"), "alias_created_at": ("确认时间", "Confirmed at"),
}
