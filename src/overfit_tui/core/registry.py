"""Plain registries: a dict plus `get(name)` that names the valid choices when a name is unknown.

A registry may know a name before its object: `Registry(kind, names, load)` lists the names (in
that order) at once and builds an object with `load(name)` on its first `get`, so that listing,
checking and ordering names imports nothing (the study registry: each study's package loads only
when something asks for that study)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

from overfit_tui.core.errors import SpecError, did_you_mean

T = TypeVar("T")

_NOT_LOADED = object()  # a declared name whose object `get` has not built yet


class Registry(Generic[T]):
    """Name -> object, in registration order (declared names first, in their order)."""

    def __init__(self, kind: str, names: Iterable[str] = (), load: Callable[[str], T] | None = None):
        self.kind = kind
        self._load = load
        self._items: dict[str, object] = {}
        for name in names:
            if load is None:
                raise ValueError(f"{kind} registry: declared names need a load(name)")
            self._add(name, _NOT_LOADED)

    def _add(self, name: str, item: object) -> None:
        if name in self._items:
            raise ValueError(f"{self.kind} '{name}' registered twice")
        self._items[name] = item

    def register(self, name: str, item: T) -> T:
        self._add(name, item)
        return item

    def get(self, name: str) -> T:
        try:
            item = self._items[name]
        except KeyError:
            raise SpecError(self.kind, f"unknown {self.kind} '{name}', {did_you_mean(name, self._items)}") from None
        if item is _NOT_LOADED:  # first use: build it (two threads may both build; imports are cached)
            item = self._items[name] = self._load(name)  # type: ignore[misc]
        return item  # type: ignore[return-value]

    def loaded(self) -> list[str]:
        """The names whose object is built already (what a listing paid for)."""
        return [n for n, item in self._items.items() if item is not _NOT_LOADED]

    def names(self) -> list[str]:
        return list(self._items)

    def __contains__(self, name: str) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)
