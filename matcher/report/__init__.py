"""Reports staff hand to the science bureau: the 统计报表 of the 对接台账."""
