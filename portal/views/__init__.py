"""Views of the shared core. ``portal.views.generic`` holds the bases every app's views build on."""
