from rest_framework.routers import DefaultRouter

from appraisal.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("appraisal-rounds", views.AppraisalRoundViewSet, basename="appraisal-round")
router.register("ratings", views.RatingViewSet, basename="rating")

urlpatterns = router.urls
