"""Serializers shared by every app's API."""

import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import QueryDict
from rest_framework import serializers
from rest_framework.settings import api_settings

from portal import scope
from portal.input_guards import query_dict_problem, validate_date_in_range, value_problem


class ErrorSerializer(serializers.Serializer):
    """The body of a 401, 403, 404, 409 or 412 answer."""

    detail = serializers.CharField()


class ScopedSlugRelatedField(serializers.SlugRelatedField):
    """A reference by slug (an organization's ``code``, an enterprise's ``credit_code``) that only
    accepts objects the caller may see, so a reference outside the scope reads as unknown."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            # PostgreSQL cannot compare text holding NUL: refuse it as the unknown value it is.
            self.fail("does_not_exist", slug_name=self.slug_field, value=data.replace("\x00", ""))
        return super().to_internal_value(data)

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        return scope.restrict(queryset, request.user if request else None, "view")


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference by ``id`` that only accepts objects the caller may see."""

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        return scope.restrict(queryset, request.user if request else None, "view")


class InputGuardMixin:
    """Refuses, as field errors, input the portal can neither store nor compute with
    (``portal.input_guards``), whatever the fields are and however the data arrived.

    DRF's ``CharField`` already refuses NUL and lone surrogates, but choice, slug, JSON and
    hand-written fields pass them on to a lookup or an INSERT; and a date near 9999-12-31 plus a
    term or a period overflows in ``validate()``. Every app serializer inherits this through
    ``ModelCleanMixin``, ``Serializer`` or ``ModelSerializer`` below.
    """

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            if isinstance(field, (serializers.DateField, serializers.DateTimeField)) and not field.read_only:
                field.validators = [*field.validators, validate_date_in_range]
        return fields

    def to_internal_value(self, data):
        if isinstance(data, QueryDict):
            problem = query_dict_problem(data)
        elif isinstance(data, dict):
            problem = value_problem(data)
        else:
            problem = None
        if problem:
            field, message = problem
            raise serializers.ValidationError({field or api_settings.NON_FIELD_ERRORS_KEY: [message]})
        return super().to_internal_value(data)


class Serializer(InputGuardMixin, serializers.Serializer):
    """The base of a plain (non-model) serializer of an app."""


class ModelCleanMixin(InputGuardMixin):
    """Runs the model's own ``clean()`` on the would-be object, so forms and the API enforce one
    rule book (the model's) and answer with the same messages on the same fields."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        model = self.Meta.model
        candidate = copy.copy(self.instance) if self.instance is not None else model()
        many_to_many = {field.name for field in model._meta.many_to_many}
        for field, value in attrs.items():
            if field not in many_to_many:
                setattr(candidate, field, value)
        try:
            candidate.clean()
            # Check constraints are part of the rule book too: a violation is a 400, not a 500.
            candidate.validate_constraints()
        except DjangoValidationError as error:
            raise serializers.ValidationError(serializers.as_serializer_error(error)) from None
        return attrs


class ModelSerializer(ModelCleanMixin, serializers.ModelSerializer):
    """The base of an app's model serializer: the input guards and the model's rule book."""
