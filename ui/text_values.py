"""Data values (the registers' own Chinese words) in English, for English mode's legends and lists.

The data stay in Chinese (they are what the offices wrote); only what the page
shows is translated, through ``ui.text.tv``. Colour-mode names are UI text.
"""
TEXT = {
    "mode_complaints": ("投诉密度（件/百户·月）", "Complaint density (per 100 households · month)"),
    "mode_class": ("小区类型", "Compound class"),
    "mode_management": ("管理模式", "Management mode"),
    "mode_governance": ("治理短板（业主组织/党支部/物业服务）", "Governance gaps (owners' body / party branch / service)"),
    "mode_evaluation": ("红黑榜（最近季度考评）", "Red / black list (latest quarter)"),
    "mode_fee_status": ("物业费调价状态", "Fee adjustment status"),
    "mode_credit": ("物业企业信用等级", "Company credit grade"),
}

VALUES = {
    # compound classes and management modes
    "商品房": "Commercial housing", "老旧小区": "Old compound", "回迁安置小区": "Resettlement compound",
    "三无小区": "Unmanaged (\u201cthree-nos\u201d) compound",
    "专业化物业": "Professional management", "社区\u201c惠民\u201d物业兜底": "Community fallback service",
    "国有企业兜底": "State-enterprise fallback", "业主自管": "Owner self-managed", "单位自管": "Work-unit managed",
    "无物业": "No property service",
    # owners' bodies, fee statuses, lists
    "业主委员会": "Owners' committee", "物业管理委员会": "Property management committee",
    "居委会代行": "Residents' committee acting", "无": "None",
    "成本已公开": "Costs disclosed", "表决中": "Vote open", "已通过": "Approved", "未通过": "Rejected",
    "降费评估中": "Reduction under review", "已降费": "Reduced",
    "红榜": "Red list", "黑榜": "Black list", "未上榜": "Not listed", "未考评": "Not evaluated",
    "健全": "Complete", "缺 1 项": "1 gap", "缺 2 项": "2 gaps", "缺 3 项": "3 gaps",
    # legend words
    "未登记": "Not registered", "无数据": "No data", "无已知数据": "No known data", "未填报": "Not reported",
    "无物业企业或未评级": "No company or not graded",
    "投诉密度（件/百户·月，按户数加权）": "Complaint density (per 100 households · month, household-weighted)",
    "老旧小区、三无小区占比": "Share of old and unmanaged compounds",
    "无专业化物业小区占比": "Share without professional management",
    "有治理短板的小区占比": "Share with governance gaps",
    "黑榜小区占比（已考评小区中）": "Share on the black list (of those evaluated)",
    "调价或降费程序中的小区占比": "Share in a fee adjustment or reduction",
    "企业信用 A 级以下的小区占比（已评级中）": "Share with a company graded below A (of those graded)",
    # complaint statuses, satisfaction, case steps
    "办理中": "In progress", "已办结": "Closed", "退回": "Returned",
    "满意": "Satisfied", "基本满意": "Fairly satisfied", "不满意": "Dissatisfied",
    "发现": "Found", "拍照": "Photographed", "制止": "Stopped", "呈报": "Reported", "处理": "Handled",
    "结案": "Closed",
}
