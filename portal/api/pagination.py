"""Pagination of every list endpoint: ``?page=N&page_size=M`` (M at most 1000).

The answer is API.md's ``{"count", "next", "previous", "results"}`` plus ``count_exact``. Long lists
page the way ``portal.paging`` describes: ``count`` is exact up to 20,000 rows and the planner's
estimate beyond (``count_exact: false``); the ``next`` and ``previous`` links carry a signed
``cursor`` beside ``page``, so following them costs the same at any depth; ``page=last`` reads the
end backwards. A client that builds ``?page=N`` itself still gets page N.
"""

from django.core.paginator import InvalidPage
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from portal import paging


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000
    cursor_query_param = paging.CURSOR_PARAM

    def paginate_queryset(self, queryset, request, view=None):
        page_size = self.get_page_size(request)
        if not page_size:
            return None
        self.request = request
        paginator = paging.Paginator(queryset, page_size, cursor=request.query_params.get(self.cursor_query_param))
        page_number = self.get_page_number(request, paginator)
        try:
            self.page = paginator.page(page_number)
        except InvalidPage as exc:
            raise NotFound(self.invalid_page_message.format(page_number=page_number, message=str(exc))) from None
        if paginator.num_pages > 1 and self.template is not None:
            self.display_page_controls = True
        return list(self.page)

    def _link(self, number, cursor):
        url = remove_query_param(self.request.build_absolute_uri(), self.cursor_query_param)
        if number == 1 and cursor is None:
            return remove_query_param(url, self.page_query_param)
        url = replace_query_param(url, self.page_query_param, number)
        return replace_query_param(url, self.cursor_query_param, cursor) if cursor else url

    def get_next_link(self):
        if not self.page.has_next():
            return None
        return self._link(self.page.next_page_number(), getattr(self.page, "next_cursor", None))

    def get_previous_link(self):
        if not self.page.has_previous():
            return None
        return self._link(self.page.previous_page_number(), getattr(self.page, "previous_cursor", None))

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.page.paginator.count,
                "count_exact": getattr(self.page.paginator, "count_exact", True),
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        answer = super().get_paginated_response_schema(schema)
        answer["properties"]["count"]["description"] = (
            "Exact up to 20,000 rows; beyond, PostgreSQL's estimate (then count_exact is false)."
        )
        answer["properties"]["count_exact"] = {"type": "boolean", "example": True}
        answer["required"] = list(dict.fromkeys([*answer.get("required", []), "count_exact"]))
        return answer
