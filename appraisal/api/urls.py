from django.urls import path
from rest_framework.routers import DefaultRouter

from appraisal.api import stats, views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("appraisal-rounds", views.AppraisalRoundViewSet, basename="appraisal-round")
router.register("ratings", views.RatingViewSet, basename="rating")
router.register("appraisal-groups", views.MutualEvaluationGroupViewSet, basename="appraisal-group")

urlpatterns = [
    path("stats/appraisal/", stats.AppraisalStatisticsView.as_view(), name="stats-appraisal"),
] + router.urls
