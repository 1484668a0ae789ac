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
    # Members: the roster (never deleted; they leave through "exit").
    path("members/", views.MemberListView.as_view(), name="member_list"),
    path("members/add/", views.MemberEditView.as_view(), name="member_add"),
    path("members/my-branch/", views.MyBranchView.as_view(), name="my_branch"),
    path("members/<int:pk>/", views.MemberDetailView.as_view(), name="member_detail"),
    path("members/<int:pk>/edit/", views.MemberEditView.as_view(), name="member_edit"),
    path("members/<int:pk>/exit/", views.MemberExitView.as_view(), name="member_exit"),
    path("members/<int:pk>/transfer/", views.TransferIssueView.as_view(), name="transfer_issue"),
    path("census/", views.CensusView.as_view(), name="census"),
    path("census/<str:code>/", views.CensusView.as_view(), name="census"),
    path("transfers/", views.TransferLetterListView.as_view(), name="transfer_list"),
    path("transfers/<int:pk>/", views.TransferLetterDetailView.as_view(), name="transfer_detail"),
    path("transfers/<int:pk>/accept/", views.TransferDecisionView.as_view(step="accept"), name="transfer_accept"),
    path("transfers/<int:pk>/return/", views.TransferDecisionView.as_view(step="return_letter"), name="transfer_return"),
]
