"""Page routes of the member import and export (inside the ``members`` URL namespace)."""

from django.urls import path

from members.io import views

urlpatterns = [
    path("members/import/", views.MemberImportPageView.as_view(), name="member_import"),
    path("members/import/jobs/<int:pk>/", views.MemberImportJobView.as_view(), name="member_import_job"),
    path("members/import/template.<str:file_format>", views.MemberImportTemplateView.as_view(), name="member_import_template"),
    path("members/export/", views.MemberExportPageView.as_view(), name="member_export"),
]
