"""The main menu. Apps declare their entries as ``menu_items`` on their AppConfig (``portal.apps.PortalAppConfig``),
so ``portal`` never imports them."""

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.module_loading import import_string


@dataclass
class MenuItem:
    """One link of the main menu.

    Shown to users for whom ``visible(user)`` is true (a callable or its dotted path); without it, to
    users whose role may ``action`` on ``model`` somewhere ("app_label.Model"); without either, to all.
    """

    label: str
    url_name: str
    weight: int = 100
    visible: object = None
    model: str = ""
    action: str = "view"
    _check: object = field(default=None, init=False, repr=False, compare=False)

    @property
    def url(self):
        return reverse(self.url_name)

    def is_visible(self, user):
        if self._check is None:
            self._check = self._resolve()
        return self._check(user)

    def _resolve(self):
        if isinstance(self.visible, str):
            return import_string(self.visible)
        if self.visible is not None:
            return self.visible
        if self.model:
            from django.apps import apps

            from portal import scope

            model = apps.get_model(self.model)
            return lambda user: scope.may_ever(user, self.action, model)
        return lambda user: True


_items = []


def register_menu_item(item):
    if item in _items:
        return
    _items.append(item)
    _items.sort(key=lambda entry: entry.weight)


def menu_for(user):
    return [item for item in _items if item.is_visible(user)]
