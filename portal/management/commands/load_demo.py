"""``manage.py load_demo``: build the demo data of the seed report (idempotent)."""

import time

from django.core.management.base import BaseCommand
from django.db import transaction

from portal import demo
from portal.models import RoleAssignment


class Command(BaseCommand):
    help = "Load the demo data (the three cities of the seed report, demo users). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Do nothing when demo data is already loaded.")
        parser.add_argument("--list-users", action="store_true", help="Only print the demo logins.")

    def handle(self, once=False, list_users=False, **options):
        if list_users:
            self.print_users()
            return
        if once and RoleAssignment.objects.filter(user__username__in=[u[0] for u in demo.DEMO_USERS]).exists():
            self.stdout.write("Demo data already loaded (run `manage.py load_demo` to add what is missing).")
            return
        started = time.monotonic()
        # One transaction for every step: a step that fails leaves nothing behind, so `--once`
        # never mistakes a half-loaded demo for a complete one.
        with transaction.atomic():
            for step in demo.demo_steps():
                self.stdout.write("Demo: {} ...".format(step.name))
                step.function(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data loaded in {:.0f} s.".format(time.monotonic() - started)))

    def print_users(self):
        self.stdout.write("Demo logins (user / password / role / organization):")
        for username, password, role, code, description in demo.DEMO_USERS:
            self.stdout.write("  {:<14} {:<20} {:<11} {:<15} {}".format(username, password, role, code or "-", description))
