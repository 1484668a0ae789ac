"""A generic test base for an import declared with ``portal.importer`` (its API endpoint).

An import's tests are data: who imports, a few valid rows, and each kind of bad row with the column
it must be reported on::

    class TestMemberImport(ImportTestCase):
        url = "/api/v1/members/import/"
        importer = MemberImporter
        role = "secretary_a"
        good_rows = [row(), row(id_number=id_number(sequence="125"), name="Wang")]
        bad_rows = [({"gender": "unknown"}, "gender"), ({"organization": "BRANCH_B"}, "organization")]

        def unique(self, index):  # a copy of good_rows[0] with a key of its own
            return {"id_number": id_number(sequence="{:03d}".format(301 + 2 * index))}

The base checks: a good file (CSV UTF-8, UTF-8 with BOM, GBK, XLSX) imports with the counts
expected and a dry run writes nothing; each bad row is reported on its row and column and nothing
is written; every bad row of one file is listed at once; a missing column is named; a key twice in
the file is refused; and a file whose header and choices are the columns' labels, in English or in
Chinese (as an export writes them), imports like the one with names and codes (issue 13).
"""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from portal.importer import Boolean, Choice, Choices


def csv_bytes(rows, columns, encoding="utf-8", bom=False):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for values in rows:
        writer.writerow([values.get(column, "") for column in columns])
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows, columns):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(columns))
    for values in rows:
        sheet.append([values.get(column, "") for column in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(data, name="import.csv"):
    content_type = "text/csv" if name.endswith(".csv") else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return SimpleUploadedFile(name, data, content_type=content_type)


def as_labels(importer, values, language):
    """``values`` (a row of names and codes) as an export in ``language`` writes it: each choice as
    its label, yes/no as the language's word; keyed by the columns' labels."""
    with translation.override(language):
        labelled = {}
        for column in importer.columns:
            text = values.get(column.name, "")
            parser = column.parser
            if text and isinstance(parser, Choices):
                labels = dict(parser.pairs)
                text = ", ".join(str(labels[code.strip()]) for code in text.split(";"))
            elif text and isinstance(parser, Choice):
                text = str(dict(parser.pairs)[text])
            elif isinstance(parser, Boolean):
                text = translation.gettext("Yes") if parser(text or "false") else translation.gettext("No")
            labelled[str(importer.column_label(column))] = text
        return labelled


@pytest.mark.django_db
class ImportTestCase:
    url = None  # the import's API endpoint
    importer = None  # the Importer declaration
    role = None  # a role that may import the good rows
    good_rows = []  # valid rows ({column name: text}), each with a key of its own
    bad_rows = []  # (overrides of the first good row, the column the error is reported on)

    def unique(self, index):
        """Overrides giving a copy of the first good row a key of its own (the ``index``-th such copy),
        keeping it valid: a bad row is that copy with the bad row's overrides."""
        raise NotImplementedError("declare unique() for an import with a match key")

    def written(self):
        """What "nothing written" compares: the imported model's rows."""
        return list(self.importer.model._default_manager.order_by("pk").values())

    @property
    def columns(self):
        return self.importer.column_names()

    def post(self, api_as, data, name="import.csv", **extra):
        return api_as(self.role).post(self.url, {"file": upload(data, name), **extra}, format="multipart")

    def errors_of(self, response):
        assert response.status_code == 400, response.content
        return [(error["row"], error["field"]) for error in response.json()["errors"]]

    def test_good_file_imports_and_a_dry_run_writes_nothing(self, api_as):
        before = self.written()
        data = csv_bytes(self.good_rows, self.columns)
        response = self.post(api_as, data, dry_run="true")
        assert response.status_code == 200, response.content
        assert response.json() == {"created": len(self.good_rows), "updated": 0, "dry_run": True}
        assert self.written() == before
        response = self.post(api_as, data)
        assert response.json() == {"created": len(self.good_rows), "updated": 0, "dry_run": False}
        assert len(self.written()) == len(before) + len(self.good_rows)

    @pytest.mark.parametrize("kind", ["bom", "gbk", "xlsx"])
    def test_good_file_in_every_format(self, api_as, kind):
        if kind == "xlsx":
            data, name = xlsx_bytes(self.good_rows, self.columns), "import.xlsx"
        else:
            data, name = csv_bytes(self.good_rows, self.columns, encoding="gbk" if kind == "gbk" else "utf-8", bom=kind == "bom"), "import.csv"
        response = self.post(api_as, data, name=name, dry_run="true")
        assert response.status_code == 200, response.content
        assert response.json()["created"] == len(self.good_rows)

    def test_each_bad_row_is_reported_on_its_column_and_nothing_is_written(self, api_as):
        before = self.written()
        missed = []
        for overrides, field in self.bad_rows:
            rows = [self.good_rows[0], {**self.good_rows[0], **self.unique(0), **overrides}]
            response = self.post(api_as, csv_bytes(rows, self.columns))
            errors = self.errors_of(response)
            if (2, field) not in errors or not all(error["message"] for error in response.json()["errors"]):
                missed.append((overrides, field, response.json()))
            assert self.written() == before
        assert not missed, missed

    def test_every_bad_row_of_one_file_is_listed(self, api_as):
        rows = [self.good_rows[0]] + [
            {**self.good_rows[0], **self.unique(index), **overrides} for index, (overrides, _field) in enumerate(self.bad_rows)
        ]
        errors = self.errors_of(self.post(api_as, csv_bytes(rows, self.columns)))
        expected = [(index + 2, field) for index, (_overrides, field) in enumerate(self.bad_rows)]
        assert [error for error in expected if error not in errors] == []
        assert errors == sorted(errors, key=lambda error: error[0])  # listed by row

    def test_a_missing_column_is_named(self, api_as):
        columns = self.columns[:-1]
        errors = self.errors_of(self.post(api_as, csv_bytes(self.good_rows, columns)))
        assert errors == [(0, self.columns[-1])]

    def test_a_key_twice_in_the_file_is_refused(self, api_as):
        if not self.importer.match_key:
            pytest.skip("no match key")
        before = self.written()
        key = next(column.name for column in self.importer.columns if column.column == self.importer.match_key)
        errors = self.errors_of(self.post(api_as, csv_bytes([self.good_rows[0], self.good_rows[0]], self.columns)))
        assert errors == [(2, key)]
        assert self.written() == before

    @pytest.mark.parametrize("language", ["en", "zh-hans"])
    def test_labels_of_an_export_import_like_names_and_codes(self, api_as, language):
        labelled = [as_labels(self.importer, values, language) for values in self.good_rows]
        header = list(labelled[0])
        response = self.post(api_as, csv_bytes(labelled, header), dry_run="true")
        assert response.status_code == 200, response.content
        assert response.json() == {"created": len(self.good_rows), "updated": 0, "dry_run": True}
        # Imported with names and codes first, then as labels: every row matches a record with
        # exactly those values, so nothing is rewritten (rows identical to the record are left alone).
        assert self.post(api_as, csv_bytes(self.good_rows, self.columns)).status_code == 200
        before = self.written()
        response = self.post(api_as, xlsx_bytes(labelled, header), name="import.xlsx")
        assert response.status_code == 200, response.content
        assert response.json() == {"created": 0, "updated": len(self.good_rows), "dry_run": False}
        assert self.written() == before
