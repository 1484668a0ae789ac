from rest_framework.routers import DefaultRouter

from members.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("organizations", views.OrganizationViewSet, basename="organization")

urlpatterns = router.urls
