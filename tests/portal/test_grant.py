"""``manage.py grant``: create users and give roles, idempotently."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from portal.models import RoleAssignment

pytestmark = pytest.mark.django_db


def test_grant_creates_user_and_role_and_is_idempotent(tree):
    call_command("grant", "wang", "--role", "staff", "--org", "COUNTY", "--password", "s3cret-passphrase")
    call_command("grant", "wang", "--role", "staff", "--org", "COUNTY", "--password", "s3cret-passphrase")
    user = get_user_model().objects.get(username="wang")
    assert user.check_password("s3cret-passphrase")
    assert RoleAssignment.objects.filter(user=user).count() == 1
    assert RoleAssignment.objects.get(user=user).organization.code == "COUNTY"


def test_city_admin_needs_no_org_and_gets_the_admin_site(tree):
    call_command("grant", "boss", "--role", "city_admin")
    user = get_user_model().objects.get(username="boss")
    assert user.is_superuser and user.is_staff and not user.has_usable_password()


@pytest.mark.parametrize(
    "arguments",
    [["--role", "staff"], ["--role", "staff", "--org", "NOPE"], ["--role", "city_admin", "--org", "COUNTY"]],
)
def test_bad_arguments_are_refused(tree, arguments):
    with pytest.raises(CommandError):
        call_command("grant", "li", *arguments)
    assert not RoleAssignment.objects.filter(user__username="li").exists()
