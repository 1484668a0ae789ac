"""The main menu. Apps add their entries in ``AppConfig.ready()`` so ``portal`` never imports them."""

from dataclasses import dataclass, field

from django.urls import reverse


@dataclass
class MenuItem:
    """One link of the main menu, shown to users for whom ``visible(user)`` is true."""

    label: str
    url_name: str
    weight: int = 100
    visible: object = field(default=lambda user: True)

    @property
    def url(self):
        return reverse(self.url_name)


_items = []


def register_menu_item(item):
    _items.append(item)
    _items.sort(key=lambda entry: entry.weight)


def menu_for(user):
    return [item for item in _items if item.visible(user)]
