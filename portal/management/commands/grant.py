"""``manage.py grant <username> --role ROLE [--org CODE] [--password P]`` (API.md "Users and roles")."""

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from portal import tree
from portal.choices import RoleChoices
from portal.models import RoleAssignment


class Command(BaseCommand):
    help = "Create the user if needed and give them a role over an organization's subtree."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=RoleChoices.values)
        parser.add_argument("--org", help="Code of the organization (required for every role but city_admin).")
        parser.add_argument("--password", help="Set the user's password.")

    @transaction.atomic
    def handle(self, username, role, org=None, password=None, **options):
        organization = None
        if role == RoleChoices.CITY_ADMIN:
            if org:
                raise CommandError("city_admin covers the whole system; do not give --org.")
        else:
            if not org:
                raise CommandError("--org is required for the role {}.".format(role))
            organization_model = tree.organization_model()
            try:
                organization = organization_model.objects.get(code=org)
            except organization_model.DoesNotExist:
                raise CommandError("No organization with code {!r}.".format(org)) from None
        user_model = get_user_model()
        user = user_model.objects.filter(username=username).first()
        created = user is None
        if created:
            user = user_model(username=username)
        # Only a new password is set: the same arguments again change nothing (and end no sessions).
        new_password = bool(password) and (created or not user.check_password(password))
        if new_password:
            # The password policy (AUTH_PASSWORD_VALIDATORS), as on every other way of setting one.
            try:
                validate_password(password, user)
            except ValidationError as error:
                raise CommandError("The password was refused: {}".format(" ".join(error.messages))) from None
            user.set_password(password)
        elif created:
            user.set_unusable_password()
        if created:
            user.save()
        elif new_password:
            user.save(update_fields=["password"])
        assignment, assigned = RoleAssignment.objects.get_or_create(user=user, role=role, organization=organization)
        if role == RoleChoices.CITY_ADMIN and not (user.is_staff and user.is_superuser):
            # The admin site (configuration, users, schedules) is a city administrator's.
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        self.stdout.write(
            "{} {}: {}{}".format(
                "Created user" if created else "User",
                username,
                role,
                " over {}".format(org) if org else "",
            )
            + ("" if assigned else " (already held)")
        )
