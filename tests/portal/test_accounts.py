"""Accounts: the password policy, and a password change or a removed role ending the user's other
sessions and API tokens (whatever the path: admin, grant, set_password + save)."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient

from portal.demo import DEMO_USERS
from portal.models import RoleAssignment, UserSession
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "correct horse battery staple"


@pytest.mark.parametrize(
    "password, username, complaint",
    [
        ("short-pw-1", "wang", "too short"),
        ("password1234", "wang", "too common"),
        ("zhangwei2004!", "zhangwei2004", "too similar"),
    ],
)
def test_password_policy(password, username, complaint):
    with pytest.raises(ValidationError) as error:
        validate_password(password, get_user_model()(username=username))
    assert complaint in " ".join(error.value.messages)
    validate_password(GOOD_PASSWORD, get_user_model()(username=username))


def test_demo_passwords_meet_the_policy():
    # Not exempt: the demo logins make run prints (every app's, registered at start) meet it.
    assert DEMO_USERS
    for username, password, *_ in DEMO_USERS:
        validate_password(password, get_user_model()(username=username))


def test_grant_applies_the_policy_and_creates_nothing_when_refused(tree):
    with pytest.raises(CommandError, match="too short"):
        call_command("grant", "li", "--role", "staff", "--org", "COUNTY", "--password", "short-pw")
    with pytest.raises(CommandError, match="too similar"):
        call_command("grant", "zhangwei2004", "--role", "staff", "--org", "COUNTY", "--password", "zhangwei2004!")
    assert not get_user_model().objects.filter(username__in=["li", "zhangwei2004"]).exists()
    call_command("grant", "li", "--role", "staff", "--org", "COUNTY", "--password", GOOD_PASSWORD)
    assert get_user_model().objects.get(username="li").check_password(GOOD_PASSWORD)


def signed_in(user):
    """A browser session of ``user`` that went through the middleware once (so it is registered)."""
    client = Client()
    client.force_login(user, backend="portal.backends.ScopedModelBackend")
    assert client.get("/").status_code in (200, 302)
    assert UserSession.objects.filter(session_key=client.session.session_key, user=user).exists()
    return client


def is_signed_in(client):
    return client.get("/organizations/").status_code == 200


def token_for(user):
    return AuthToken.objects.create(user)[1]


def token_works(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + token)
    return client.get("/api/v1/organizations/").status_code == 200


@pytest.fixture
def staff(tree):
    return make_user("staff_member", "staff", tree["COUNTY"])


def test_set_password_and_save_ends_every_session_and_token(staff):
    browser, token = signed_in(staff), token_for(staff)
    assert is_signed_in(browser) and token_works(token)
    staff.set_password(GOOD_PASSWORD)
    staff.save()
    assert not is_signed_in(browser)
    assert not token_works(token)
    assert not AuthToken.objects.filter(user=staff).exists()
    assert not UserSession.objects.filter(user=staff).exists()


def test_saves_that_do_not_change_the_password_end_nothing(staff):
    browser, token = signed_in(staff), token_for(staff)
    staff.first_name = "Wang"
    staff.save()
    staff.save(update_fields=["last_login"])
    RoleAssignment.objects.create(user=staff, role="reader", organization=staff.role_assignments.get().organization)
    assert is_signed_in(browser) and token_works(token)


def test_grant_with_a_new_password_ends_sessions_but_the_same_arguments_change_nothing(staff):
    call_command("grant", "staff_member", "--role", "staff", "--org", "COUNTY", "--password", GOOD_PASSWORD)
    staff.refresh_from_db()  # signed in with the new password
    browser, token = signed_in(staff), token_for(staff)
    call_command("grant", "staff_member", "--role", "staff", "--org", "COUNTY", "--password", GOOD_PASSWORD)
    assert is_signed_in(browser) and token_works(token)
    call_command("grant", "staff_member", "--role", "staff", "--org", "COUNTY", "--password", GOOD_PASSWORD + "!")
    assert not is_signed_in(browser) and not token_works(token)


def test_role_removal_ends_sessions_and_tokens(staff, tree):
    # Keep a role the user could still sign in with: ending the sessions is the point, not the 403.
    RoleAssignment.objects.create(user=staff, role="staff", organization=tree["COUNTY2"])
    browser, token = signed_in(staff), token_for(staff)
    other = make_user("bystander", "staff", tree["COUNTY"])
    other_browser, other_token = signed_in(other), token_for(other)
    RoleAssignment.objects.get(user=staff, organization=tree["COUNTY"]).delete()
    assert not is_signed_in(browser)
    assert not token_works(token)
    assert is_signed_in(other_browser) and token_works(other_token)


def test_role_moved_to_another_organization_ends_sessions(staff, tree):
    browser, token = signed_in(staff), token_for(staff)
    assignment = staff.role_assignments.get()
    assignment.organization = tree["BRANCH_C"]
    assignment.save()
    assert not is_signed_in(browser) and not token_works(token)


def test_admin_changing_their_own_password_stays_signed_in_there_only(tree):
    admin_user = make_user("boss", "city_admin")
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    here, elsewhere, token = signed_in(admin_user), signed_in(admin_user), token_for(admin_user)
    response = here.post(
        "/admin/auth/user/{}/password/".format(admin_user.pk),
        {"password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert is_signed_in(here)
    assert not is_signed_in(elsewhere)
    assert not token_works(token)
    # The session that made the change is registered under its new key, so a later change ends it too.
    assert UserSession.objects.filter(session_key=here.session.session_key, user=admin_user).exists()


def test_admin_password_form_applies_the_policy(tree):
    admin_user = make_user("boss", "city_admin")
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    target = make_user("wang", "staff", tree["COUNTY"])
    response = signed_in(admin_user).post(
        "/admin/auth/user/{}/password/".format(target.pk),
        {"password1": "short-pw", "password2": "short-pw", "usable_password": "true"},
    )
    assert response.status_code == 200
    assert "too short" in response.content.decode()
    target.refresh_from_db()
    assert target.check_password("pw-wang")


def test_logout_forgets_the_session(staff):
    browser = signed_in(staff)
    key = browser.session.session_key
    browser.post("/logout/")
    assert not UserSession.objects.filter(session_key=key).exists()


def test_a_real_login_is_registered(staff):
    staff.set_password(GOOD_PASSWORD)
    staff.save()
    browser = Client()
    response = browser.post("/login/", {"username": "staff_member", "password": GOOD_PASSWORD})
    assert response.status_code == 302
    assert UserSession.objects.filter(session_key=browser.session.session_key, user=staff).exists()
