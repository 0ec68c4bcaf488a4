"""Plain registries: a dict plus `get(name)` that names the valid choices when a name is unknown."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

from overfit_tui.core.errors import SpecError, did_you_mean

T = TypeVar("T")


class Registry(Generic[T]):
    """Name -> object, in registration order."""

    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str, item: T) -> T:
        if name in self._items:
            raise ValueError(f"{self.kind} '{name}' registered twice")
        self._items[name] = item
        return item

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            raise SpecError(self.kind, f"unknown {self.kind} '{name}', {did_you_mean(name, self._items)}") from None

    def names(self) -> list[str]:
        return list(self._items)

    def __contains__(self, name: str) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)
