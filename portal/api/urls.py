"""The REST API v1: auth, schema and docs here; each app's endpoints from its api/urls.py."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from portal.api import auth, jobs

urlpatterns = [
    path("auth/token/", auth.TokenLoginView.as_view(), name="api-token"),
    path("auth/logout/", auth.TokenLogoutView.as_view(), name="api-logout"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("stats/", include("portal.api.stats")),
    path("import-jobs/<int:pk>/", jobs.ImportJobView.as_view(), name="import-job"),
    path("", include("members.api.urls")),
    path("", include("appraisal.api.urls")),
]
