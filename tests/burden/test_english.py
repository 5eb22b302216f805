"""The burden and quality pages read in English when the browser asks for it."""

from tests.burden.test_burden_view import scene  # noqa: F401


def test_the_burden_pages_in_english(app, db, auth, people, scene):  # noqa: F811
    app.config["BURDEN_MONTHLY_CAP"] = 3
    client = auth.client_for(people.supervisor)
    english = {"Accept-Language": "en"}
    page = client.get("/burden?year=2026", headers=english).get_data(as_text=True)
    assert "Burden on units (2026)" in page and "over the cap of 3" in page and "M3" in page
    page = client.get(f"/units/{people.unit.id}/burden?year=2026", headers=english).get_data(as_text=True)
    assert "Report periods due" in page and "over cap" in page
    page = client.get("/burden?year=abc", headers=english).get_data(as_text=True)
    assert "is not valid; this year is shown" in page
