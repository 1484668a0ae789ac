"""Login and logout pages."""

from django.contrib.auth import views as auth_views

from portal.forms import LoginForm
from portal.views.redirects import SafeNextMixin


class LoginView(SafeNextMixin, auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(SafeNextMixin, auth_views.LogoutView):
    pass
