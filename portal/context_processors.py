"""Template context every page needs: the navigation of the apps the user may use."""

from portal.navigation import menu_for


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_menu": []}
    return {"nav_menu": menu_for(user)}
