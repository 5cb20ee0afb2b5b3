"""UI text of the to-do panel (待办) at the top of 总览."""

TEXT = {
    "todo_title": ("待办事项", "To-do"),
    "todo_label": ("待办事项 · {n} 项，其中逾期 {late} 项", "To-do · {n} items, {late} overdue"),
    "todo_none": ("暂无待办。", "Nothing to do."),
    "todo_caption": ("本范围内未办结的问责台账事项、执法案件、待提交或退回的错峰停车方案和抽查整改，逾期的排在最前。"
                     "选中一行，下方地图定位到该小区。",
                     "Open accountability items, enforcement cases, parking proposals waiting for the township and "
                     "spot-check rectifications of this scope, overdue first. Select a row to find its compound on "
                     "the map below."),
    "todo_kind_register": ("问责台账", "Accountability"),
    "todo_kind_case": ("执法案件", "Enforcement cases"),
    "todo_kind_parking": ("错峰停车方案", "Parking proposals"),
    "todo_kind_rectification": ("抽查整改", "Rectifications"),
    "todo_overdue_delta": ("逾期 {n} 项", "{n} overdue"),
    "todo_open": ("去办理", "Handle"),
    "todo_first": ("最急的一项：{kind} · {title}（{due}）", "Most urgent: {kind} · {title} ({due})"),
    "todo_selected": ("已选：{kind} · {title}（{due}）", "Selected: {kind} · {title} ({due})"),
    "todo_on_map": ("已在下方地图定位到 {compound}。", "{compound} is shown on the map below."),
    "todo_no_due": ("无期限", "no deadline"),
    "todo_due": ("期限 {date}", "due {date}"),
    "todo_overdue_mark": ("逾期", "Overdue"),
    "todo_item_opened": ("已选中待办中的台账事项：在下方“登记落实情况”中登记即可。",
                         "The to-do item is chosen: record it under the update form below."),
    "todo_proposal_opened": ("已选中待办中的错峰停车方案。", "The parking proposal from your to-do is selected."),
    "todo_case_opened": ("已选中待办中的案件：打开“案件详情”标签即可办理。",
                         "The case from your to-do is selected: open the Case tab to handle it."),
    "todo_result_opened": ("已选中待办中的抽查整改：在“结果登记”中登记整改情况即可。",
                           "The check from your to-do is chosen: record its rectification under Results."),
    "todo_result_missing": ("链接中的抽查记录不存在，或不在您的查看范围内。",
                            "The linked check does not exist or is not yours to see."),
    "todo_error": ("待办事项暂时无法读取：{error}", "The to-do list could not be read: {error}"),
}

COLUMNS = {
    "todo_overdue": ("逾期", "Overdue"),
    "todo_kind": ("类型", "Kind"),
    "todo_item": ("事项", "Item"),
    "todo_compound": ("小区", "Compound"),
    "todo_township": ("镇街", "Township"),
    "todo_due_date": ("期限", "Due"),
    "todo_state": ("状态", "State"),
    "todo_link": ("办理页面", "Page"),
}
