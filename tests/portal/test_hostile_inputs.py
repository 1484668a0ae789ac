"""Hostile input on every JSON endpoint and every page form is a 4xx, never a server error
(security audit, issue 8 finding 3).

Nothing here names an endpoint or a form: the API operations come from the OpenAPI document,
the pages from the URL configuration, and each page's forms from its HTML, so a new app's
endpoints and forms are walked as soon as they exist. A path parameter is filled with an object
of the model its view serves (``World.objects``); a new model's pages are walked once it has an
object there.

Each hostile value (``tests/hostile.py``) goes into one field at a time while the other fields
hold plausible values, so the request gets past field validation to the cross-field rules (a
date plus a period) and the services; whole hostile bodies (``[`` × 100,000, bad JSON) go to
every operation. Every request runs in a savepoint that is rolled back, so each one meets the
same world. All failures of a walk are reported together.
"""

import copy
import datetime
import json
import re
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from appraisal import services
from appraisal.models import AppraisalRound, DisposalDecision, MutualEvaluationGroup, Rating
from members.models import Member, Organization, TransferLetter
from portal.models.rollups import RollupRun
from tests import hostile
from tests.conftest import valid_id_number

pytestmark = pytest.mark.django_db

# Pages that end the test's own session or are Django's own machinery, not the portal's forms.
SKIPPED_PAGE_PREFIXES = ("/admin/", "/api/", "/i18n/", "/logout/", "/static/", "/health/")


def isolated(send):
    """``send()`` inside a savepoint rolled back afterwards: every request meets the same world."""
    with transaction.atomic():
        response = send()
        transaction.set_rollback(True)
    return response


def describe(response):
    return "{} {}".format(response.status_code, response.content[:300].decode("utf-8", "replace"))


# --- the world ------------------------------------------------------------------------------------


class World:
    """Objects for every kind of page and operation: members, a round with ratings in several
    states, a group, an open objection, a disposal decision, an open transfer letter."""

    def __init__(self, tree, users, make_member):
        self.tree = tree
        self.users = users
        a1, a2, a3 = (make_member("BRANCH_A", name="Hostile A{}".format(i)) for i in range(3))
        self.spare = make_member("BRANCH_A", name="Hostile spare")
        b1 = make_member("BRANCH_B", name="Hostile B1")
        c1 = make_member("BRANCH_C", name="Hostile C1")
        admin = users["city_admin"]
        self.round = services.open_round(
            AppraisalRound(name="Hostile round", year=2026, organization=tree["CITY"], publicity_days=5)
        )
        services.save_ratings(
            self.round,
            admin,
            [
                {"member": a1.pk, "rating": "unqualified"},
                {"member": a2.pk, "rating": "qualified"},
                {"member": a3.pk, "rating": "outstanding"},
                {"member": b1.pk, "rating": "unqualified"},
            ],
        )
        # Submit needs every enrolled member of the branch rated.
        from appraisal.models import Participant

        unrated = Participant.objects.filter(round=self.round, organization=tree["BRANCH_A"]).exclude(
            member__in=[a1, a2, a3]
        )
        services.save_ratings(
            self.round, admin, [{"member": member_id, "rating": "qualified"} for member_id in unrated.values_list("member_id", flat=True)]
        )
        services.move_step(self.round, admin, tree["BRANCH_A"], "submit")
        services.move_step(self.round, admin, tree["BRANCH_A"], "publicize")
        services.record_objection(self.round, admin, a2, "An objection")
        self.group = MutualEvaluationGroup.objects.create(round=self.round, organization=tree["BRANCH_A"], name="Group 1")
        self.decision = services.save_disposal(
            DisposalDecision(rating=Rating.objects.get(member=a1), kind="limited_correction"), admin
        )
        self.undecided_rating = Rating.objects.get(member=b1)
        self.letter = TransferLetter.objects.create(
            member=c1,
            from_organization=tree["BRANCH_C"],
            to_organization=tree["BRANCH_B"],
            reason="Moving",
            issued_on=datetime.date(2026, 1, 5),
            valid_until=datetime.date(2099, 1, 1),
            issued_by=admin,
        )
        self.member = a3
        # The object a path parameter names, by the model its view serves.
        self.objects = {
            AppraisalRound: self.round,
            MutualEvaluationGroup: self.group,
            DisposalDecision: self.decision,
            Member: a3,
            Organization: tree["BRANCH_A"],
            TransferLetter: self.letter,
            Rating: self.undecided_rating,
            RollupRun: RollupRun.objects.create(requested_by=admin),
        }
        # Plausible values of request fields, by name (enumerations take their first value).
        self.field_values = {
            "organization": "BRANCH_A",
            "parent": "TOWN",
            "code": "HOSTILE1",
            "name": "Hostile",
            "member": self.spare.pk,
            "round": self.round.pk,
            "members": [],
            "to_organization": "BRANCH_B",
            "external_destination": "",
            "letter_number": "",
            "id_number": valid_id_number("19900101", "991"),
            "birth_date": "1990-01-01",
            "joined_on": "2015-07-01",
            "full_member_on": "2016-07-01",
            "phone": "13800138999",
            "enterprise": "",
            "issued_on": "2026-01-05",
            "valid_until": "2026-02-05",
            "opens_on": "2026-01-01",
            "closes_on": "2026-12-31",
            "year": 2026,
            "term_started_on": "2021-01-01",
            "term_years": 5,
            "left_on": "2024-01-01",
            "username": "city_admin",
            "password": "pw-city_admin",
            "outstanding_warning_share": 0.2,
            "publicity_days": 5,
            "rating": "qualified",
        }

    def lookup_for(self, view_class, lookup="pk"):
        """The path value naming the world's object of the model ``view_class`` serves: the
        object of ``objects``, else the model's first row, else 1 (the page then answers 404,
        which is no server error but walks nothing: give the model an object above)."""
        queryset = getattr(view_class, "queryset", None)
        model = queryset.model if queryset is not None else getattr(view_class, "model", None)
        obj = self.objects.get(model) or (model.objects.order_by("pk").first() if model is not None else None)
        return str(getattr(obj, lookup)) if obj is not None else "1"


@pytest.fixture
def world(tree, users, make_member):
    return World(tree, users, make_member)


# --- the API: every operation of the OpenAPI document ---------------------------------------------


def _schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _deref(schema, node):
    while isinstance(node, dict) and "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _enum_values(schema, node):
    node = _deref(schema, node)
    if "enum" in node:
        return [value for value in node["enum"] if value not in ("", None)]
    for key in ("allOf", "oneOf", "anyOf"):
        for part in node.get(key, []):
            values = _enum_values(schema, part)
            if values:
                return values
    return []


def _plausible(schema, name, node, world):
    enum = _enum_values(schema, node)
    if enum:
        return enum[0]
    if name in world.field_values:
        return world.field_values[name]
    node = _deref(schema, node)
    kind, fmt = node.get("type"), node.get("format")
    if fmt == "date":
        return "2026-01-05"
    if fmt == "date-time":
        return "2026-01-05T08:00:00+08:00"
    return {"integer": 1, "number": 1, "boolean": True, "array": [], "object": {}}.get(kind, "hostile")


def _request_body(schema, operation, world):
    """(plausible body, the object whose fields are varied, their names) of an operation."""
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    node = _deref(schema, content["application/json"]["schema"])
    if node.get("type") == "array":
        item_schema = _deref(schema, node["items"])
        item = {
            name: _plausible(schema, name, prop, world)
            for name, prop in item_schema.get("properties", {}).items()
            if name in item_schema.get("required", []) or name != "reason"
        }
        item["member"] = world.member.pk
        return [item], lambda body: body[0], item_schema.get("properties", {})
    properties = node.get("properties", {})
    body = {name: _plausible(schema, name, prop, world) for name, prop in properties.items()}
    return body, lambda body: body, properties


def _json_values_for(schema, node):
    """The hostile values worth sending to one property alone: what its type parses, plus the
    values of the wrong type every field must refuse. Every value also goes into all properties at once."""
    node = _deref(schema, node)
    kind, fmt = node.get("type"), node.get("format")
    if fmt in ("date", "date-time"):
        chosen = ["last-day", "first-day", "non-ascii-digits", "huge-int"]
    elif kind in ("integer", "number"):
        chosen = ["huge-int", "negative-int", "float-huge", "non-ascii-digits", "superscript-digit", "huge-int-text"]
    elif kind in ("boolean", "array", "object"):
        chosen = ["huge-int", "object"]
    else:
        chosen = ["lone-surrogate", "nul", "long-text", "non-ascii-digits", "huge-int", "list"]
    values = dict(hostile.JSON_VALUES)
    return [(label, values[label]) for label in chosen]


def _fill_path(path, world):
    """The path with its parameters naming the world's object of the view's model."""
    parameters = re.findall(r"{(\w+)}", path)
    if not parameters:
        return path
    probe = re.sub(r"{\w+}", "1", path)
    view_class = getattr(resolve(probe).func, "cls", None)
    return re.sub(r"{\w+}", world.lookup_for(view_class, getattr(view_class, "lookup_field", "pk")), path)


def test_every_json_operation_refuses_hostile_input_without_a_server_error(world, api_as):
    schema = _schema()
    client = api_as("city_admin")
    client.raise_request_exception = False
    failures = []
    walked = 0

    def send(method, path, label, **kwargs):
        response = isolated(lambda: client.generic(method, path, **kwargs))
        if response.status_code >= 500:
            failures.append("{} {} [{}] → {}".format(method, path, label, describe(response)))
        return response

    for template, operations in schema["paths"].items():
        for method, operation in operations.items():
            method = method.upper()
            if method not in ("GET", "POST", "PUT", "PATCH", "DELETE") or template.endswith("/auth/logout/"):
                continue
            path = _fill_path(template, world)
            walked += 1
            if method in ("GET", "DELETE"):
                names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
                for label, value in hostile.FORM_VALUES if method == "GET" and names else ():
                    send(method, path + "?" + urlencode({name: value for name in names}), "query " + label)
                if "{" in template:
                    for value in ("1" + "0" * 30, "-1", hostile.NON_ASCII_DIGITS, hostile.LONG_TEXT[:2000]):
                        send(method, re.sub(r"{\w+}", value, template), "path " + value[:12])
                continue
            for label, raw in hostile.RAW_JSON_BODIES:
                send(method, path, label, data=raw, content_type="application/json")
            request = _request_body(schema, operation, world)
            if request is None:
                continue
            body, target, properties = request
            for label, value in hostile.JSON_VALUES:
                variant = copy.deepcopy(body)
                target(variant).update({name: value for name in properties})
                send(method, path, "all properties " + label, data=json.dumps(variant), content_type="application/json")
            for name, node in properties.items():
                for label, value in _json_values_for(schema, node):
                    variant = copy.deepcopy(body)
                    target(variant)[name] = value
                    send(method, path, "{}={}".format(name, label), data=json.dumps(variant), content_type="application/json")
            if isinstance(body, dict):
                for label, value in hostile.FORM_VALUES:
                    form = {name: value for name in properties}
                    send(method, path, "form " + label, data=urlencode(form), content_type="application/x-www-form-urlencoded")
    assert walked > 20, "the OpenAPI document lists the API's operations"
    assert not failures, "\n".join(failures)


# --- the pages: every form of every page ----------------------------------------------------------


class _Forms(HTMLParser):
    """The forms of a page: method, action, enctype and fields (name, type, value, options)."""

    def __init__(self):
        super().__init__()
        self.forms, self._form, self._select, self._textarea = [], None, None, None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self._form = {
                "method": (attributes.get("method") or "get").lower(),
                "action": attributes.get("action") or "",
                "enctype": attributes.get("enctype") or "application/x-www-form-urlencoded",
                "fields": [],
            }
            self.forms.append(self._form)
            return
        if self._form is None or "disabled" in attributes:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            self._form["fields"].append(
                {
                    "name": name,
                    "type": (attributes.get("type") or "text").lower(),
                    "value": attributes.get("value") or "",
                    "checked": "checked" in attributes,
                }
            )
        elif tag == "button" and name:
            self._form["fields"].append({"name": name, "type": "submit", "value": attributes.get("value") or ""})
        elif tag == "select" and name:
            self._select = {"name": name, "type": "select", "options": []}
            self._form["fields"].append(self._select)
        elif tag == "option" and self._select is not None:
            self._select["options"].append((attributes.get("value") or "", "selected" in attributes))
        elif tag == "textarea" and name:
            self._textarea = {"name": name, "type": "textarea", "value": ""}
            self._form["fields"].append(self._textarea)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["value"] += data


def _form_bodies(form):
    """The bodies a browser could submit: one per submit button (or one without any)."""
    base, submits, radios = {}, [], set()
    for field in form["fields"]:
        kind, name = field["type"], field["name"]
        if kind == "submit":
            submits.append((name, field["value"]))
        elif kind in ("checkbox", "radio"):
            if field["checked"] and name not in radios:
                base.setdefault(name, []).append(field["value"] or "on")
                radios.add(name) if kind == "radio" else None
        elif kind == "select":
            selected = [value for value, chosen in field["options"] if chosen]
            usable = [value for value, _chosen in field["options"] if value]
            base[name] = [selected[0] if selected else (usable[0] if usable else "")]
        elif kind == "file":
            continue
        else:
            base[name] = [field["value"]]
    bodies = []
    for name, value in submits or [(None, None)]:
        body = {key: list(values) for key, values in base.items()}
        if name:
            body[name] = [value]
        bodies.append(body)
    return bodies


def _page_urls(world):
    """Every page of the URL configuration with its parameters filled from the world."""
    values = {"code": "BRANCH_A", "file_format": "xlsx", "rating": world.undecided_rating.pk}
    urls = []

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
                continue
            assert isinstance(pattern, URLPattern)
            path = "/" + route.lstrip("^").rstrip("$")
            if path.startswith(SKIPPED_PAGE_PREFIXES):
                continue
            view_class = getattr(pattern.callback, "view_class", None)

            def fill(match):
                name = match.group(1)
                if name in values:
                    return str(values[name])
                return world.lookup_for(view_class)

            urls.append(re.sub(r"<(?:\w+:)?(\w+)>", fill, path))

    walk(get_resolver().url_patterns, "")
    return sorted(set(urls))


def _field_pattern(name):
    # Grids repeat one field per row (rating-12, votes-12-excellent-group): one row stands for all.
    return re.sub(r"\d+", "#", name)


_DATE_NAME = re.compile(r"(_on|date|until|_at|after|before)$")


def _values_for(field_type, name):
    """The hostile values worth sending to one field alone (the others plausible): what its kind
    of input parses. Every value also goes into all fields at once."""
    values = dict(hostile.FORM_VALUES)
    if field_type in ("date", "datetime-local") or _DATE_NAME.search(name):
        chosen = ["last-day", "first-day", "non-ascii-digits"]
    elif field_type == "number":
        chosen = ["huge-int-text", "negative-text", "non-ascii-digits", "superscript-digit"]
    elif field_type in ("select", "hidden", "checkbox", "radio", "submit"):
        chosen = ["huge-int-text", "long-text"]
    else:
        chosen = ["long-text", "non-ascii-digits"]
    return [(label, values[label]) for label in chosen]


def test_every_page_form_refuses_hostile_input_without_a_server_error(world, client_as):
    admin = client_as("city_admin")
    anonymous = Client()
    for page_client in (admin, anonymous):
        page_client.raise_request_exception = False
    failures, forms_seen, pages = [], set(), 0

    def submit(page_client, form, action, body, label):
        response = _submit(page_client, form, action, body)
        if response.status_code >= 500:
            failures.append("{} {} [{}] → {}".format(form["method"].upper(), action, label, describe(response)))

    for url in _page_urls(world):
        page_client = admin
        response = page_client.get(url)
        if response.status_code == 302 and urlsplit(response.url).path != urlsplit(url).path:
            # The login page sends a signed-in user on: try it as a visitor.
            page_client = anonymous
            response = page_client.get(url)
        if response.status_code >= 500:
            failures.append("GET {} → {}".format(url, describe(response)))
            continue
        if "html" not in response.get("Content-Type", ""):
            continue
        pages += 1
        parser = _Forms()
        parser.feed(response.content.decode())
        for form in parser.forms:
            action = urljoin(url, form["action"]) if form["action"] else url
            if urlsplit(action).path.startswith(SKIPPED_PAGE_PREFIXES):
                continue
            key = (form["method"], urlsplit(action).path, tuple(sorted({_field_pattern(f["name"]) for f in form["fields"]})))
            if key in forms_seen:
                continue
            forms_seen.add(key)
            types = {field["name"]: field["type"] for field in form["fields"]}
            for body in _form_bodies(form):
                for label, value in hostile.FORM_VALUES:
                    submit(page_client, form, action, {name: [value] for name in body}, "all fields " + label)
                patterns = set()
                for name in body:
                    if _field_pattern(name) in patterns:
                        continue
                    patterns.add(_field_pattern(name))
                    for label, value in _values_for(types.get(name, "text"), name):
                        submit(page_client, form, action, dict(body, **{name: [value]}), "{}={}".format(name, label))
    assert pages > 20 and len(forms_seen) > 10, (pages, forms_seen)
    assert not failures, "\n".join(failures)


def _submit(page_client, form, action, body):
    if form["method"] == "get":
        return isolated(lambda: page_client.get(action.split("?")[0] + "?" + urlencode(body, doseq=True)))
    if form["enctype"] == "multipart/form-data":
        return isolated(lambda: page_client.post(action, body))
    return isolated(
        lambda: page_client.post(action, urlencode(body, doseq=True), content_type="application/x-www-form-urlencoded")
    )
