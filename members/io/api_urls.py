"""API routes of the member import and export (listed before the member router's ``members/<id>/``)."""

from django.urls import path

from members.io import api

urlpatterns = [
    path("members/import/", api.MemberImportView.as_view(), name="member-import"),
    path("members/export/", api.MemberExportView.as_view(), name="member-export"),
]
