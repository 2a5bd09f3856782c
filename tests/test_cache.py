"""The per-process caches: least recently used entries go first; memoised functions compute once per argument."""

from __future__ import annotations

from pilots.cache import LruCache, clear_all, memoize


def test_lru_keeps_the_most_recently_used():
    cache: LruCache[str] = LruCache(size=2)
    cache.put("a", "A")
    cache.put("b", "B")
    assert cache.get("a") == "A"  # now "b" is the oldest
    cache.put("c", "C")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == ("A", None, "C")
    made = []
    assert cache.get_or_make("d", lambda: made.append(1) or "D") == "D"
    assert cache.get_or_make("d", lambda: made.append(1) or "again") == "D" and made == [1]


def test_memoize_computes_once_per_argument_and_passes_unhashable_ones_through():
    calls = []

    @memoize(size=4)
    def square(value, *, label=""):
        calls.append(value)
        return (value if isinstance(value, int) else len(value)) ** 2

    assert [square(3), square(3), square(3, label="x"), square([1, 2]), square([1, 2])] == [9, 9, 9, 4, 4]
    assert calls == [3, 3, [1, 2], [1, 2]]  # a new keyword is a new key; a list is never cached
    clear_all()
    square(3)
    assert calls[-1] == 3 and len(calls) == 5


def test_memoize_takes_mappings_by_content():
    calls = []

    @memoize()
    def describe(labels, key):
        calls.append(key)
        return labels[key]

    assert describe({"a": "A"}, "a") == "A"
    assert describe({"a": "A"}, "a") == "A" and calls == ["a"]  # an equal mapping: the same key
    assert describe({"a": "B"}, "a") == "B" and calls == ["a", "a"]  # other content: computed again
