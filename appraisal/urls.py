from django.urls import path

from appraisal import views

app_name = "appraisal"

urlpatterns = [
    path("", views.RoundListView.as_view(), name="round_list"),
    path("add/", views.RoundEditView.as_view(), name="round_add"),
    path("disposals/", views.DisposalListView.as_view(), name="disposal_list"),
    path("disposals/<int:pk>/", views.DisposalEditView.as_view(), name="disposal_edit"),
    path("ratings/<int:rating>/disposal/", views.DisposalEditView.as_view(), name="disposal_add"),
    path("<int:pk>/", views.RoundDetailView.as_view(), name="round_detail"),
    path("<int:pk>/edit/", views.RoundEditView.as_view(), name="round_edit"),
    path("<int:pk>/workflow/", views.WorkflowView.as_view(), name="workflow"),
    path("<int:pk>/enrol/", views.EnrolView.as_view(), name="enrol"),
    path("<int:pk>/objections/", views.ObjectionsView.as_view(), name="objections"),
    path("<int:pk>/report.xlsx", views.ReportView.as_view(), name="report"),
    path("<int:pk>/entry/<str:code>/", views.EntryView.as_view(), name="entry"),
    path("<int:pk>/groups/<str:code>/", views.GroupsView.as_view(), name="groups"),
    path("<int:pk>/evaluation/<str:code>/", views.EvaluationView.as_view(), name="evaluation"),
]
