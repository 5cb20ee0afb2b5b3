"""UI text of the linked views (``ui/linked.py``): tables whose rows select on a small map."""

TEXT = {
    "lv_pick_hint": ("点击一行，地图定位并勾出该小区（镇街）、打开其档案；点击地图上的小区也会选中其所在行。",
                     "Select a row to zoom the map to it and open its record; clicking a compound on the map "
                     "selects its row."),
    "lv_hint": ("点击表格中的一行或地图上的小区，查看其档案。",
                "Select a row of the table or a compound on the map to see its record."),
    "lv_no_place": ("该事项针对企业、部门或全县，地图上没有对应的小区或镇街。",
                    "This item concerns a company, a department or the county: it has no place on the map."),
    "lv_not_listed": ("所选小区不在当前表格中。", "The selected compound is not in the table."),
    "lv_township_hint": ("镇街边界已在地图上勾出；放大后点击小区查看档案。",
                         "The township is outlined on the map; zoom in and click a compound to see its record."),
    "lv_selected": ("当前选中", "Selected"),
    "lv_map": ("地图定位", "On the map"),
}
