"""Demo data: each app declares the steps that build its part of the demo (``manage.py load_demo``).

A step is a function ``step(stdout)`` that must be idempotent: running the whole demo twice
changes nothing the second time. Steps run in ``order``; the tree comes first, since everything
hangs on it. ``portal`` never imports an app: apps declare ``demo_steps`` and ``demo_users`` on
their AppConfig (``portal.apps.PortalAppConfig``), collected at start-up.
"""

from dataclasses import dataclass


@dataclass
class DemoStep:
    """One step of the demo; ``function`` is the callable or its dotted path (resolved when collected)."""

    name: str
    function: object
    order: int = 100


_steps = []

# Demo users and their passwords are printed by `make run`; each app adds its own.
DEMO_USERS = []


def register_demo_step(name, function, order=100):
    if any(step.name == name for step in _steps):
        return
    _steps.append(DemoStep(name, function, order))
    _steps.sort(key=lambda step: step.order)


def demo_steps():
    return list(_steps)


def register_demo_user(username, password, role, organization_code, description):
    if not any(entry[0] == username for entry in DEMO_USERS):
        DEMO_USERS.append((username, password, role, organization_code, description))
