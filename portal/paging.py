"""Paging of long lists, for pages and API alike: cheap counts and pages that do not slow down with depth.

A list of a million members cannot be counted exactly, nor a deep page found by ``OFFSET``, within
a request's budget: both walk every row before the answer. So:

* **Count.** Exact up to ``EXACT_COUNT_LIMIT`` rows (counting stops there: a bounded cost);
  beyond it, PostgreSQL's planner estimate of the filtered query, and the page says so
  (``count_exact``). Past twenty thousand, the last digits tell a reader little.
* **Following a link** (next, previous) is a *keyset* step: the link carries a signed cursor
  naming the row it continues from, and the page is the rows after (or before) that row in the
  list's ordering, read from the ordering's indexes: as cheap at page 10,000 as at page 2. The
  cursor holds a row id only (never a name or any other personal value), is bound to the page
  number it leads to, and is signed, so it cannot be forged to probe rows out of scope.
* **The last page** is read backwards from the end, not walked to.
* **Any other page by number** is an ``OFFSET`` over the ids only (a deferred join: the skipped
  rows are never built, nor their annotations computed), then its rows by id. Its cost grows with
  the offset; with an exact count, pages past the middle are read from the end.

Keyset needs a total, non-null ordering ending in the primary key (``Member``'s is
``organization__path, name, id``); any other ordering pages by offset only, as before.
"""

import math
from functools import reduce
from operator import or_

from django.core import signing
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import EmptyPage, Page, PageNotAnInteger
from django.core.paginator import Paginator as DjangoPaginator
from django.db import connections
from django.db.models import Q, QuerySet, Subquery
from django.utils.functional import cached_property

EXACT_COUNT_LIMIT = 20_000
CURSOR_PARAM = "cursor"
_CURSOR_SALT = "portal.paging.cursor"
FORWARD, BACKWARD = "n", "p"


def make_cursor(number, pk, direction):
    """The signed token of a link to page ``number`` that continues after (``n``) or before (``p``) row ``pk``."""
    return signing.dumps([number, pk, direction], salt=_CURSOR_SALT, compress=False)


def read_cursor(token, number):
    """``(pk, direction)`` of a cursor made for page ``number``; None when absent, forged or for another page."""
    if not token:
        return None
    try:
        cursor_number, pk, direction = signing.loads(token, salt=_CURSOR_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if cursor_number != number or direction not in (FORWARD, BACKWARD) or not isinstance(pk, int):
        return None
    return pk, direction


def keyset_ordering(queryset):
    """The queryset's ordering as ``[(field path, descending), ...]`` if keyset paging can follow it, else None.

    It can when every term is a plain field (no expressions), none may be NULL, and the last is
    the primary key, so that the ordering is total.
    """
    if not isinstance(queryset, QuerySet) or queryset.query.extra_order_by or queryset.query.distinct:
        return None
    query = queryset.query
    terms = list(query.order_by) or (list(query.get_meta().ordering) if query.default_ordering else [])
    if not terms or not all(isinstance(term, str) for term in terms):
        return None
    model = queryset.model
    ordering = []
    for term in terms:
        name = term.lstrip("-")
        if name == "pk":
            name = model._meta.pk.name
        field = _field(model, name)
        if field is None or field.null:
            return None
        ordering.append((name, term.startswith("-")))
    if ordering[-1][0] != model._meta.pk.name:
        return None
    return ordering


def _field(model, path):
    """The model field at the end of a ``a__b__c`` path, or None (not a field, or through a to-many relation)."""
    field = None
    for part in path.split("__"):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        if field.many_to_many or field.one_to_many:
            return None
        if field.is_relation:
            if field.null:
                return None
            model = field.related_model
    if field is not None and field.is_relation:
        field = field.target_field
    return field


def _beyond(model, ordering, pk, direction):
    """Rows after (``n``) or before (``p``) row ``pk`` in ``ordering``: one OR of prefixes.

    The anchor row's values are subqueries by primary key (each a one-time InitPlan), so the step
    costs no query of its own and no value of the row travels in the link. The redundant bound on
    the first term lets the planner start an index range scan there.
    """
    pk_name = model._meta.pk.name

    def anchor(name):
        if name == pk_name:
            return pk
        return Subquery(model._base_manager.filter(pk=pk).values(name)[:1])

    def greater(descending):
        # Forward on an ascending term, or backward on a descending one.
        return (direction == FORWARD) != descending

    alternatives, equal = [], {}
    for name, descending in ordering:
        lookup = "gt" if greater(descending) else "lt"
        alternatives.append(Q(**equal, **{"{}__{}".format(name, lookup): anchor(name)}))
        equal[name] = anchor(name)
    first, first_descending = ordering[0]
    bound = Q(**{"{}__{}".format(first, "gte" if greater(first_descending) else "lte"): anchor(first)})
    return bound & reduce(or_, alternatives)


def _ordered(queryset, ordering, reverse=False):
    return queryset.order_by(*[("-" if descending != reverse else "") + name for name, descending in ordering])


def _estimate(queryset):
    """The planner's estimate of the rows ``queryset`` matches (no rows are read)."""
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        import json

        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def count(queryset, limit=None):
    """``(count, exact)``: exact up to ``limit`` rows, the planner's estimate (at least ``limit + 1``) beyond."""
    if limit is None:
        limit = EXACT_COUNT_LIMIT
    if not isinstance(queryset, QuerySet):
        return len(queryset), True
    bounded = queryset.order_by().values("pk")[: limit + 1].count()
    if bounded <= limit:
        return bounded, True
    return max(_estimate(queryset), bounded), False


class KeysetPage(Page):
    """A page that knows from its own read whether rows follow (one row more than the page is read)."""

    def __init__(self, object_list, number, paginator, has_next, has_previous, cursors):
        super().__init__(object_list, number, paginator)
        self._has_next = has_next
        self._has_previous = has_previous
        self.next_cursor, self.previous_cursor = cursors

    def has_next(self):
        return self._has_next

    def has_previous(self):
        return self._has_previous

    def next_page_number(self):
        return self.number + 1

    def previous_page_number(self):
        return max(self.number - 1, 1)

    def start_index(self):
        return 0 if not self.object_list else (self.number - 1) * self.paginator.per_page + 1

    def end_index(self):
        return self.start_index() + len(self.object_list) - 1 if self.object_list else 0


class Paginator(DjangoPaginator):
    """Django's paginator with bounded counts, keyset links and deferred-join pages (see the module).

    ``cursor`` is the request's cursor parameter (links made by this class carry one). A page
    costs the same number of queries whatever its number: the bounded count (plus the planner's
    estimate when the count is not exact) and one read of the page's rows.
    """

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, cursor=None):
        super().__init__(object_list, per_page, 0, allow_empty_first_page)
        self.cursor = cursor
        self.ordering = keyset_ordering(object_list)

    @cached_property
    def _counted(self):
        return count(self.object_list)

    @cached_property
    def count(self):
        return self._counted[0]

    @property
    def count_exact(self):
        return self._counted[1]

    @cached_property
    def num_pages(self):
        if self.count == 0 and not self.allow_empty_first_page:
            return 0
        return max(1, math.ceil(self.count / self.per_page))

    def validate_number(self, number, bounded=True):
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger("That page number is not an integer") from None
        if number < 1:
            raise EmptyPage("That page number is less than 1")
        # An estimated count may fall short of the rows: the read itself says whether the page is there.
        if bounded and number > self.num_pages and (self.count_exact or self.ordering is None):
            raise EmptyPage("That page contains no results")
        return number

    def page(self, number):
        try:
            wanted = int(number)
        except (TypeError, ValueError):
            wanted = None
        cursor = read_cursor(self.cursor, wanted) if self.ordering is not None else None
        number = self.validate_number(number, bounded=cursor is None)
        if self.ordering is None:
            return super().page(number)
        size = self.per_page
        queryset = self.object_list
        if cursor is not None:
            pk, direction = cursor
            condition = _beyond(queryset.model, self.ordering, pk, direction)
            rows = list(_ordered(queryset.filter(condition), self.ordering, reverse=direction == BACKWARD)[: size + 1])
            more = len(rows) > size
            rows = rows[:size]
            if direction == BACKWARD:
                rows.reverse()
                return self._page(rows, number, has_next=True, has_previous=more or number > 1)
            return self._page(rows, number, has_next=more, has_previous=True)
        offset = (number - 1) * size
        if number == self.num_pages and number > 1:
            # The last page, read backwards from the end: as many rows as it holds when the count
            # is exact; a full page when it is an estimate.
            last = self.count - offset if self.count_exact else size
            rows = self._read(queryset, reverse=True, offset=0, limit=last)
            rows.reverse()
            return self._page(rows, number, has_next=False, has_previous=True)
        if self.count_exact and offset > self.count / 2:
            # Past the middle of a counted list the rows are fewer from the end.
            limit = min(size, self.count - offset)
            rows = self._read(queryset, reverse=True, offset=self.count - offset - limit, limit=limit)
            rows.reverse()
            return self._page(rows, number, has_next=offset + limit < self.count, has_previous=number > 1)
        rows = self._read(queryset, reverse=False, offset=offset, limit=size + 1)
        if not rows and number > 1:
            raise EmptyPage("That page contains no results")
        return self._page(rows[:size], number, has_next=len(rows) > size, has_previous=number > 1)

    def _read(self, queryset, reverse, offset, limit):
        """Rows ``offset`` to ``offset + limit`` in the ordering: the ids by ``OFFSET``, then the rows by id."""
        if offset == 0:
            return list(_ordered(queryset, self.ordering, reverse)[:limit])
        ids = _ordered(queryset, self.ordering, reverse).values("pk")[offset : offset + limit]
        return list(_ordered(queryset.filter(pk__in=ids), self.ordering, reverse))

    def _page(self, rows, number, has_next, has_previous):
        next_cursor = make_cursor(number + 1, rows[-1].pk, FORWARD) if has_next and rows else None
        previous_cursor = (
            make_cursor(max(number - 1, 1), rows[0].pk, BACKWARD) if has_previous and rows else None
        )
        return KeysetPage(rows, number, self, has_next, has_previous, (next_cursor, previous_cursor))
