"""URL configuration: pages, the REST API under /api/v1/, the admin, the language switch and health."""

from django.contrib import admin
from django.urls import include, path

from portal.views import auth as auth_views
from portal.views import dashboard, health

urlpatterns = [
    path("", dashboard.DashboardView.as_view(), name="home"),
    path("rollups/", dashboard.RollupRunListView.as_view(), name="rollup_runs"),
    path("rollups/start/", dashboard.RollupStartView.as_view(), name="rollup_start"),
    path("dashboard/table.xlsx", dashboard.DashboardTableView.as_view(), name="dashboard_table"),
    path("reports/figures.xlsx", dashboard.FigureReportView.as_view(), name="figure_report"),
    path("health/", health.liveness, name="health"),
    path("health/ready/", health.readiness, name="health_ready"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("portal.api.urls")),
    path("appraisal/", include("appraisal.urls")),
    path("", include("members.urls")),
]

# Under /api/ every error is JSON; elsewhere a page (portal.views.errors).
handler400 = "portal.views.errors.bad_request"
handler403 = "portal.views.errors.permission_denied"
handler404 = "portal.views.errors.page_not_found"
handler500 = "portal.views.errors.server_error"
