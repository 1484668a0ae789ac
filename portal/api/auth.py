"""Token login and logout for API clients (API.md "Auth")."""

from django.contrib.auth import authenticate, get_user_model, logout
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.serializers import ErrorSerializer, Serializer


class TokenRequestSerializer(Serializer):
    # No account has a longer name; without the limit it would reach the lock-out bookkeeping.
    username = serializers.CharField(max_length=get_user_model()._meta.get_field("username").max_length)
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expiry = serializers.DateTimeField()


class TokenLoginView(APIView):
    """Exchange a user name and password for an expiring API token (stored hashed)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    serializer_class = TokenRequestSerializer

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            201: TokenSerializer,
            400: OpenApiResponse(description="Missing or wrong credentials."),
            429: OpenApiResponse(description="Too many failed attempts: the account is locked for a while."),
        },
        auth=[],
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request=request._request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if user is None or not user.is_active:
            raise serializers.ValidationError({"non_field_errors": [_("Wrong user name or password.")]})
        # Expired tokens are not cleaned on every request (see TokenAuthentication): do it here.
        AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
        instance, token = AuthToken.objects.create(user)
        return Response({"token": token, "expiry": instance.expiry}, status=status.HTTP_201_CREATED)


class TokenLogoutView(APIView):
    """End what this request was authenticated by: revoke its token, or end its browser session."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None, 401: ErrorSerializer})
    def post(self, request):
        if isinstance(request.auth, AuthToken):
            request.auth.delete()
        elif isinstance(request.successful_authenticator, SessionAuthentication):
            # Flushes the session (its key is no longer valid anywhere) and sends user_logged_out.
            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)
