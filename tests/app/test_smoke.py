from prm_domain.enums import Role


def test_partner_admin_reads_own_partner(make_user, api_as):
    user = make_user(Role.PARTNER_ADMIN)
    r = api_as(user).get(f"/api/v1/partners/{user.partner_id}")
    assert r.status_code == 200, r.json
    assert r.json["id"] == user.partner_id


def test_sign_in_page_and_dashboard(make_user, sign_in_as):
    user = make_user(Role.VENDOR_ADMIN)
    client = sign_in_as(user)
    r = client.get("/")
    assert r.status_code == 200
    assert user.display_name in r.get_data(as_text=True)
