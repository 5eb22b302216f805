from tracker.auth.models import User


def test_login_page_is_chinese(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert "登录督办系统" in response.get_data(as_text=True)


def test_sign_in_and_out(app, people, auth):
    client = auth.client_for(people.lead)
    assert client.get("/password").status_code == 200
    response = client.post("/logout")
    assert response.status_code == 302
    assert client.get("/password").status_code == 302


def test_wrong_password_is_refused(client, people, db):
    response = client.post("/login", data={"email": people.lead.email, "password": "wrong-password"})
    assert response.status_code == 401
    assert "邮箱或密码不正确" in response.get_data(as_text=True)
    assert db.session.get(User, people.lead.id).last_login_at is None
