"""Scores as an Excel workbook: a sheet of totals by rule, and a sheet of every point with its event."""

from __future__ import annotations

import io
from typing import Any

from flask_babel import gettext as _

from tracker.reports.exports import is_formula_like
from tracker.scoring.rules import kind_label, point_label


def _cell(sheet: Any, value: Any) -> Any:
    """A cell whose text is never read as a formula (a unit named "=1+1" stays text)."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and is_formula_like(value):
        cell.data_type = "s"
    return cell


def ranking_xlsx(ranking: Any, title: str) -> bytes:
    """Sheet 1: rank, unit, total and each rule's counted points; sheet 2: one row per point."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    kinds = [r["kind"] for r in ranking.rules]
    workbook = Workbook(write_only=True)
    scores = workbook.create_sheet(_("得分"))
    scores.freeze_panes = "A3"
    scores.append([_cell(scores, title)])
    header = [_("排名"), _("责任单位"), _("总分"), _("基础分"), *[kind_label(k) for k in kinds], _("扣加分项数")]
    bold = Font(bold=True)
    cells = []
    for text in header:
        cell = _cell(scores, text)
        cell.font = bold
        cells.append(cell)
    scores.append(cells)
    for unit in ranking.units:
        scores.append([unit.rank, _cell(scores, unit.unit_name), unit.total, ranking.base,
                       *[unit.rules[k].counted if k in unit.rules else 0 for k in kinds], unit.point_count])
    points = workbook.create_sheet(_("扣加分明细"))
    points.freeze_panes = "A2"
    header = [_("责任单位"), _("规则"), _("分值"), _("事由"), _("日期"), _("任务编号"), _("审计记录编号"),
              _("涉及任务")]
    cells = []
    for text in header:
        cell = _cell(points, text)
        cell.font = bold
        cells.append(cell)
    points.append(cells)
    for unit in ranking.units:
        for kind in kinds:
            total = unit.rules.get(kind)
            for point in total.points if total else ():
                points.append([_cell(points, unit.unit_name), _cell(points, kind_label(kind)), point.points,
                               _cell(points, point_label(point)), point.on, point.task_id, point.entry_id,
                               ", ".join(str(r) for r in point.refs) or None])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
