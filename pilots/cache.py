"""A small, thread-safe, per-process cache of the most recently used values.

For results that are expensive to compute and immutable for a given key (a rendered catalogue for one
fingerprint of the data, the tables and figures of one frozen round snapshot). Each gunicorn worker keeps its
own; nothing here needs invalidating, because the keys change when the data does.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Generic, TypeVar

V = TypeVar("V")


class LruCache(Generic[V]):
    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: V) -> V:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value

    def get_or_make(self, key: Hashable, make: Callable[[], V]) -> V:
        """The cached value, or ``make()`` stored under ``key`` (two threads may both make it; one wins)."""
        value = self.get(key)
        return value if value is not None else self.put(key, make())

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


#: Every cache of the application, so that tests can empty them all between tests.
CACHES: list[LruCache] = []


def register(cache: LruCache[V]) -> LruCache[V]:
    CACHES.append(cache)
    return cache


def clear_all() -> None:
    for cache in CACHES:
        cache.clear()


def _frozen(value: object) -> object:
    """A mapping by its content (texts as they read now, so lazy translations count in the current language)."""
    if isinstance(value, Mapping):
        return frozenset((key, _frozen(item)) for key, item in value.items())
    if type(value).__name__ == "LazyString":
        return str(value)
    return value


def memoize(size: int = 8) -> Callable[[Callable[..., V]], Callable[..., V]]:
    """Keep the results of a pure function of hashable arguments (e.g. a figure built from frozen rows, labels
    and a language); mappings count by their content. Calls with an unhashable argument are simply computed."""

    def decorate(function: Callable[..., V]) -> Callable[..., V]:
        cache: LruCache[V] = register(LruCache(size))

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            key = (tuple(_frozen(a) for a in args), tuple(sorted((k, _frozen(v)) for k, v in kwargs.items())))
            try:
                hash(key)
            except TypeError:
                return function(*args, **kwargs)
            return cache.get_or_make(key, lambda: function(*args, **kwargs))

        return wrapper

    return decorate
