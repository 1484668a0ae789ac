"""Serializers shared by every app's API."""

import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from portal import scope


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


class ModelCleanMixin:
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
