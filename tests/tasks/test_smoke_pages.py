"""Every page renders for the people who use it."""

from tests.tasks.conftest import upload
from tracker.tasks import services


def test_pages_render(app, db, people, plan, measures, task, auth, now):
    services.start(task, actor=people.lead, now=now)
    services.add_evidence(task, actor=people.lead, files=[upload()], now=now)
    services.report_progress(task, actor=people.lead, text="已召开专题会议", percent=40, now=now)
    services.submit(task, actor=people.lead, note="已完成", now=now)
    db.session.commit()
    lead = auth.client_for(people.lead)
    for url in ("/tasks/mine", f"/tasks/{task.id}"):
        response = lead.get(url)
        assert response.status_code == 200, (url, response.get_data(as_text=True)[:3000])
    sup = auth.client_for(people.supervisor)
    for url in ("/tasks", "/tasks/review", f"/tasks/{task.id}", f"/plans/{plan.id}/assign",
                f"/plans/{plan.id}/matrix", f"/plans/{plan.id}/assign?measure_id={measures[0].id}"):
        response = sup.get(url)
        assert response.status_code == 200, (url, response.get_data(as_text=True)[:3000])
