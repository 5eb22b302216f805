"""Email goes out in the recipient's language, whoever's action queued it."""

from datetime import date

import sqlalchemy as sa
from flask_babel import force_locale

from tracker.notify.models import OutboxEmail
from tracker.tasks import services
from tracker.tasks.models import ReportingPeriod, UnitRole


def test_each_recipient_reads_their_own_language(app, db, make, people, now):
    people.other_lead.locale = "en"
    plan = make.plan(supervisor=people.supervisor)
    measure = plan.measures[1]
    with app.test_request_context(), force_locale("en"):  # the supervisor works in English
        services.assign(plan, [measure.id], [people.unit.id, people.other_unit.id], role=UnitRole.lead,
                        due_on=date(2026, 6, 30), reporting_period=ReportingPeriod.once,
                        actor=people.supervisor, now=now)
    db.session.commit()
    rows = {row.recipient_id: row for row in db.session.scalars(sa.select(OutboxEmail))}
    chinese, english = rows[people.lead.id], rows[people.other_lead.id]
    assert chinese.subject.startswith("【交办】") and "成立工作专班" in chinese.subject
    assert "交办" not in english.subject and "成立工作专班" in english.subject
    assert "您" in chinese.body_text or "任务" in chinese.body_text
    assert "task" in english.body_text.lower()
