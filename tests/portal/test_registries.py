"""Apps declare, portal collects: menus, dashboard parts, figure sets and demo steps come from each
app's AppConfig attributes, gathered in one place at start-up, and portal imports no app."""

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from portal import dashboard, demo, navigation
from portal.apps import PortalAppConfig, collect_declarations
from portal.navigation import MenuItem
from portal.rollups import contributors
from portal.tree import organization_model

ROOT = Path(__file__).resolve().parents[2]


def test_each_app_uses_its_declaring_config():
    # A second AppConfig subclass imported into apps.py would make Django fall back to a bare
    # AppConfig, and nothing would be collected (PortalAppConfig.default guards against it).
    for label in ("portal", "members", "appraisal"):
        assert isinstance(apps.get_app_config(label), PortalAppConfig), label


def test_what_the_apps_declare_is_registered():
    assert [item.url_name for item in navigation._items] == [
        "members:my_branch",
        "members:organization_tree",
        "members:organization_list",
        "members:member_list",
        "members:transfer_list",
        "members:census",
        "appraisal:round_list",
        "appraisal:disposal_list",
    ]
    assert [part.name for part in dashboard.dashboard_parts()] == ["members", "appraisal"]
    assert [c.figure_set for c in contributors()] == ["appraisal", "members", "organizations"]
    from members import demo as members_demo

    steps = demo.demo_steps()
    assert [step.order for step in steps] == sorted(step.order for step in steps)
    assert any(step.function is members_demo.load for step in steps)
    assert steps[-1].name == "statistics: a first rollup snapshot"
    assert {entry[0] for entry in members_demo.DEMO_USERS} <= {entry[0] for entry in demo.DEMO_USERS}


def test_collecting_again_adds_nothing():
    before = (list(navigation._items), dashboard.dashboard_parts(), contributors(), demo.demo_steps(), list(demo.DEMO_USERS))
    collect_declarations()
    after = (list(navigation._items), dashboard.dashboard_parts(), contributors(), demo.demo_steps(), list(demo.DEMO_USERS))
    assert before == after


def test_a_declaration_that_cannot_be_imported_names_the_app():
    class Broken:
        name = "broken_app"
        dashboard_parts = ["broken_app.dashboard.nothing"]

    with pytest.raises(ImproperlyConfigured, match="broken_app.dashboard_parts"):
        collect_declarations([Broken()])


@pytest.mark.django_db
def test_a_menu_item_follows_the_role_on_its_model():
    from django.contrib.auth import get_user_model

    nobody = get_user_model().objects.create_user("no_role_at_all", password="x")
    item = MenuItem("Organizations", "members:organization_list", model="members.Organization")
    assert item.is_visible(nobody) is False
    assert MenuItem("Home", "home").is_visible(nobody) is True
    assert MenuItem("Always", "home", visible=lambda user: True).is_visible(nobody) is True


def test_the_tree_model_is_looked_up_in_one_place():
    assert organization_model()._meta.label == "members.Organization"
    offenders = []
    for path in (ROOT / "portal").rglob("*.py"):
        if "migrations" in path.parts:
            continue
        text = path.read_text()
        if 'get_model("members"' in text or "get_model('members'" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_portal_imports_no_app_module():
    app_names = {config.name for config in apps.get_app_configs() if Path(config.path).parent == ROOT}
    app_names.discard("portal")
    offenders = []
    for path in (ROOT / "portal").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            offenders += ["{}: {}".format(path.relative_to(ROOT), m) for m in modules if m.split(".")[0] in app_names]
    assert offenders == []
