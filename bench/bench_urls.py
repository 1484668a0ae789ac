"""URLs of the portal plus a trivial DRF endpoint, for the statistics latency benchmark.

``/bench/ping/`` has the same authentication, permission and renderer defaults as every API
endpoint and answers ``{"ok": true}``: the cost of the framework alone, to compare against.
"""

from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView


class Ping(APIView):
    def get(self, request):
        return Response({"ok": True})


urlpatterns = [path("bench/ping/", Ping.as_view()), path("", include("portal.urls"))]
