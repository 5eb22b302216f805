"""The audit page: admins read every entry, supervisors the events of their plans and their tasks;
filter by person, unit, object, action and date; export to Excel or CSV."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import quote

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_babel import gettext as _
from flask_login import current_user

from tracker import timeutil
from tracker.access import may_read_audit
from tracker.auditlog import queries
from tracker.auth.permissions import requires
from tracker.extensions import db
from tracker.reports import exports
from tracker.tasks.labels import audit_action_label, object_type_label
from tracker.units.services import unit_tree

bp = Blueprint("auditlog", __name__, url_prefix="/admin/audit")

audit_readers = requires(may_read_audit)


def _headers() -> list[str]:
    return [_("编号"), _("时间"), _("操作人"), _("操作"), _("对象类型"), _("对象编号"), _("内容"), _("日期链"),
            _("前一条哈希"), _("本条哈希")]


def _cells(entry) -> list:
    return [entry.id, timeutil.to_local(entry.at).isoformat(timespec="seconds"),
            entry.actor.email if entry.actor else "", entry.action, entry.object_type,
            entry.object_id if entry.object_id is not None else "",
            json.dumps(entry.data, ensure_ascii=False, sort_keys=True), entry.chain_day or "",
            entry.prev_hash or "", entry.row_hash or ""]


@bp.route("/")
@audit_readers
def list_entries():
    audit_filter = queries.parse_filter(request.args)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    pagination = db.paginate(queries.filtered(audit_filter, current_user), page=page, per_page=100, error_out=False)
    actions, types = queries.choices(current_user)
    return render_template("admin/audit.html", pagination=pagination, f=audit_filter, filter_args=audit_filter.args(),
                           actions=actions, object_types=types, units=unit_tree())


@bp.route("/export.csv")
@audit_readers
def export():
    """Every row the filter selects, as CSV (UTF-8 with BOM, so Excel reads the Chinese)."""
    audit_filter = queries.parse_filter(request.args)
    header = _headers()

    def rows():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        yield "\ufeff" + buffer.getvalue()
        query = queries.filtered(audit_filter, current_user).execution_options(yield_per=500)
        for entry in db.session.scalars(query):
            buffer.seek(0)
            buffer.truncate()
            writer.writerow([exports.csv_safe(v) if isinstance(v, str) else v for v in _cells(entry)])
            yield buffer.getvalue()

    response = Response(stream_with_context(rows()), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=audit-log.csv"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/export.xlsx")
@audit_readers
def export_xlsx():
    """Every row the filter selects, as an Excel sheet: the action and object in words beside their codes."""
    audit_filter = queries.parse_filter(request.args)
    now = timeutil.utcnow()
    today = timeutil.local_today(now)
    headers = [_("编号"), _("时间"), _("操作人"), _("邮箱"), _("操作"), _("操作代码"), _("对象"), _("对象编号"),
               _("内容")]
    widths = [8, 20, 12, 26, 14, 26, 12, 10, 60]
    kinds = ["number", "text", "text", "text", "text", "text", "text", "number", "text"]

    def values():
        query = queries.filtered(audit_filter, current_user).execution_options(yield_per=500)
        for entry in db.session.scalars(query):
            yield [entry.id, timeutil.to_local(entry.at).strftime("%Y-%m-%d %H:%M:%S"),
                   entry.actor.name if entry.actor else "", entry.actor.email if entry.actor else "",
                   audit_action_label(entry.action), entry.action, object_type_label(entry.object_type),
                   entry.object_id, json.dumps(entry.data, ensure_ascii=False, sort_keys=True) if entry.data else ""]

    chunks = exports.xlsx_chunks(values(), headers, widths, kinds, title=_("审计日志"), today=today)
    response = Response(stream_with_context(chunks),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    name = f"{_('审计日志')}-{today.isoformat()}.xlsx"
    response.headers["Content-Disposition"] = f"attachment; filename=audit-log.xlsx; filename*=UTF-8''{quote(name)}"
    response.headers["Cache-Control"] = "private, no-store"
    return response

