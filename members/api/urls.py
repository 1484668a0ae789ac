from django.urls import include, path
from rest_framework.routers import DefaultRouter

from members.api import stats, views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("organizations", views.OrganizationViewSet, basename="organization")
router.register("members", views.MemberViewSet, basename="member")
router.register("transfers", views.TransferLetterViewSet, basename="transfer")

# Import and export first: the router would read "members/import/" as the member with id "import".
urlpatterns = [
    path("", include("members.io.api_urls")),
    path("stats/organizations/", stats.OrganizationStatisticsView.as_view(), name="stats-organizations"),
    path("stats/members/", stats.MemberStatisticsView.as_view(), name="stats-members"),
] + router.urls
