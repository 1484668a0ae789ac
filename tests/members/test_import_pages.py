"""The import page: upload, dry-run preview or error table, confirm, templates."""

import io

import pytest

from members.io import views
from members.io.rules import COLUMNS
from members.models import Member
from tests.members.import_helpers import csv_bytes, id_number, row, upload

PAGE = "/members/import/"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_stash(tmp_path, monkeypatch):
    monkeypatch.setattr(views, "STASH_DIR", tmp_path / "stash")


def test_bad_file_shows_every_error_and_saves_nothing(client_as):
    client = client_as("secretary_a")
    rows = [row(), row(id_number=id_number(sequence="125"), gender="female"), row(id_number=id_number(sequence="127"), organization="BRANCH_B")]
    response = client.post(PAGE, {"file": upload(csv_bytes(rows))})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="import-errors"' in page
    assert 'data-row="2" data-field="gender"' in page and 'data-row="3" data-field="organization"' in page
    assert "import-confirm" not in page
    assert not Member.objects.exists()


def test_preview_then_confirm(client_as, tmp_path):
    client = client_as("secretary_a")
    response = client.post(PAGE, {"file": upload(csv_bytes([row(), row(id_number=id_number(sequence="125"))]))})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="import-preview"' in page and "create 2 members" in page
    assert not Member.objects.exists()
    token = client.session[views.SESSION_KEY]["token"]
    assert (views.STASH_DIR / token).exists()

    response = client.post(PAGE, {"confirm": "1", "token": token})
    assert response.status_code == 200
    assert 'id="import-done"' in response.content.decode()
    assert Member.objects.count() == 2
    assert not (views.STASH_DIR / token).exists()
    # Confirming twice does not import twice.
    assert client.post(PAGE, {"confirm": "1", "token": token}).status_code == 400
    assert Member.objects.count() == 2


def test_confirm_needs_the_token_of_this_session(client_as):
    client_as("secretary_b").post(PAGE, {"file": upload(csv_bytes([row(organization="BRANCH_B")]))})
    client = client_as("secretary_a")
    client.post(PAGE, {"file": upload(csv_bytes([row()]))})
    other_token = "0" * 32
    assert client.post(PAGE, {"confirm": "1", "token": other_token}).status_code == 400
    assert not Member.objects.exists()


def test_no_file(client_as):
    response = client_as("secretary_a").post(PAGE, {})
    assert response.status_code == 400 and 'id="import-file-error"' in response.content.decode()


def test_csv_template_imports_as_is(client_as):
    client = client_as("secretary_a")
    response = client.get("/members/import/template.csv")
    assert response.status_code == 200 and response.content.startswith(b"\xef\xbb\xbf")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == ",".join(COLUMNS)
    assert ",BRANCH_A," in lines[1]  # the secretary's own branch
    result = client.post(PAGE, {"file": upload(response.content)})
    assert 'id="import-preview"' in result.content.decode(), result.content.decode()


def test_xlsx_template(client_as):
    from openpyxl import load_workbook

    response = client_as("county_staff").get("/members/import/template.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [cell.value for cell in sheet[1]] == list(COLUMNS)
    assert isinstance(sheet["D2"].value, str) and len(sheet["D2"].value) == 18
    result = client_as("county_staff").post(PAGE, {"file": upload(response.content, "template.xlsx")})
    assert 'id="import-preview"' in result.content.decode()


def test_unknown_template_format(client_as):
    assert client_as("secretary_a").get("/members/import/template.pdf").status_code == 400
