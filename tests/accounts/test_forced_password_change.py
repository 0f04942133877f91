"""ACC-2: a temporary password must be changed at first sign-in; once changed, the user
is let through."""

from django.test import Client

from markbook.schools.services import school_create


def test_changing_the_temporary_password_clears_the_forced_change(db):
    created = school_create(name="Rowan School", admin_email="head@rowan.sch.uk")
    client = Client()
    client.force_login(created.admin)
    assert client.get("/").url == "/accounts/password/change/"

    response = client.post(
        "/accounts/password/change/",
        {
            "oldpassword": created.temporary_password,
            "password1": "rowan-tree-in-autumn-42",
            "password2": "rowan-tree-in-autumn-42",
        },
    )

    assert response.status_code == 302 and response.url == "/"
    created.admin.refresh_from_db()
    assert not created.admin.must_change_password
    assert client.get(f"/s/{created.school.pk}/").url == f"/s/{created.school.pk}/terms/"


def test_a_rejected_new_password_keeps_the_forced_change(db):
    created = school_create(name="Rowan School", admin_email="head@rowan.sch.uk")
    client = Client()
    client.force_login(created.admin)
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": created.temporary_password, "password1": "short", "password2": "short"},
    )
    assert response.status_code == 200
    created.admin.refresh_from_db()
    assert created.admin.must_change_password
