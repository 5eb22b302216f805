"""The admin's audit log page: list, filter, export (CSV)."""

from __future__ import annotations

import csv
import io
import json

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_babel import gettext as _

from tracker import timeutil
from tracker.auditlog import queries
from tracker.auth.permissions import admin_required
from tracker.extensions import db

bp = Blueprint("auditlog", __name__, url_prefix="/admin/audit")


@bp.route("/")
@admin_required
def list_entries():
    audit_filter = queries.parse_filter(request.args)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    pagination = db.paginate(queries.filtered(audit_filter), page=page, per_page=100, error_out=False)
    return render_template("admin/audit.html", pagination=pagination, f=audit_filter, filter_args=audit_filter.args())


@bp.route("/export.csv")
@admin_required
def export():
    """Every row the filter selects, as CSV (UTF-8 with BOM, so Excel reads the Chinese)."""
    audit_filter = queries.parse_filter(request.args)
    header = [_("编号"), _("时间"), _("操作人"), _("操作"), _("对象类型"), _("对象编号"), _("内容"), _("日期链"),
              _("前一条哈希"), _("本条哈希")]

    def rows():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        yield "\ufeff" + buffer.getvalue()
        query = queries.filtered(audit_filter).execution_options(yield_per=500)
        for entry in db.session.scalars(query):
            buffer.seek(0)
            buffer.truncate()
            writer.writerow([entry.id, timeutil.to_local(entry.at).isoformat(timespec="seconds"),
                             entry.actor.email if entry.actor else "", entry.action, entry.object_type,
                             entry.object_id if entry.object_id is not None else "",
                             json.dumps(entry.data, ensure_ascii=False, sort_keys=True), entry.chain_day or "",
                             entry.prev_hash or "", entry.row_hash or ""])
            yield buffer.getvalue()

    response = Response(stream_with_context(rows()), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=audit-log.csv"
    response.headers["Cache-Control"] = "private, no-store"
    return response
