from django.urls import include, path

from members import views

app_name = "members"

urlpatterns = [
    # Import and export pages (members/io), before any "members/<...>/" pattern that could swallow them.
    path("", include("members.io.urls")),
    path("organizations/", views.OrganizationListView.as_view(), name="organization_list"),
    path("organizations/tree/", views.OrganizationTreeView.as_view(), name="organization_tree"),
    path("organizations/add/", views.OrganizationEditView.as_view(), name="organization_add"),
    path("organizations/<str:code>/", views.OrganizationDetailView.as_view(), name="organization_detail"),
    path("organizations/<str:code>/edit/", views.OrganizationEditView.as_view(), name="organization_edit"),
    path("organizations/<str:code>/delete/", views.OrganizationDeleteView.as_view(), name="organization_delete"),
]
