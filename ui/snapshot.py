"""The server process's one snapshot of the store (db/snapshot.py), shared by every session, and what is built on it.

`for_actor(actor)` gives the snapshot of the actor's scope, up to date with the database: each call reads the data
version (one small query; it lives in the database, so several app instances never serve stale figures) and, when
someone saved since, applies the delta under a lock — the files written, never a whole reload. Scoped views are kept
per (scope, version), never per user.

`derived(name, actor, parts, compute, *args)` caches a figure computed from a scoped snapshot, keyed on the scope,
whether names may be seen, the stamps of the parts it reads (so a payment saved elsewhere does not recompute the
proposals) and `args`; the result is shared by reference between sessions: never modify it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from db import snapshot as source
from db.actor import Actor
from ui import store

_SCOPES_KEPT = 16     # scoped views per process (each a share of the whole)
_DERIVED_KEPT = 128   # derived figures per process


@dataclass
class _Shared:
    lock: threading.Lock = field(default_factory=threading.Lock)
    snap: source.Snapshot | None = None
    scopes: OrderedDict = field(default_factory=OrderedDict)
    derived: OrderedDict = field(default_factory=OrderedDict)
    computing: dict = field(default_factory=dict)  # key → the lock its first asker holds while computing it


@st.cache_resource(show_spinner=False)
def _shared(url: str) -> _Shared:  # one per process and database
    return _Shared()


def _state() -> _Shared:
    return _shared(str(store.engine().url))


def current() -> source.Snapshot:
    """The whole snapshot at the database's current data version."""
    shared = _state()
    kept = shared.snap
    if kept is not None:  # most runs: nothing was saved since; asked without the lock, so runs never queue for it
        with store.reading() as session:
            if source.is_current(session, kept):
                return kept
    with shared.lock:  # one refresh at a time; others wait for it rather than each reading the same delta
        with store.reading() as session:
            if shared.snap is None:
                with st.spinner("正在载入数据……"):
                    shared.snap = source.load(session)
            else:
                shared.snap = source.refresh(session, shared.snap)
        return shared.snap


def scope_key(actor: Actor) -> str:
    return "/" if actor.sees_everything else actor.org_path


def for_actor(actor: Actor) -> source.Snapshot:
    """The snapshot of the actor's subtree, current. One view per scope is kept, of the current version only (an older
    one would hold a share of the whole in memory for nobody)."""
    snap = current()
    key = scope_key(actor)
    shared = _state()
    with shared.lock:
        got = shared.scopes.get(key)
        if got is not None and got.version == snap.version:
            shared.scopes.move_to_end(key)
            return got
    got = source.scoped(snap, actor)
    with shared.lock:
        shared.scopes[key] = got
        shared.scopes.move_to_end(key)
        while len(shared.scopes) > _SCOPES_KEPT:
            shared.scopes.popitem(last=False)
    return got


def derived(name: str, actor: Actor, parts: tuple[str, ...], compute: Callable[..., Any], *args: Hashable,
            by_file: bool = False) -> Any:
    """`compute(scoped_snapshot, actor, *args)`, computed once per scope, role class, stamps of `parts` and `args`.
    Each (name, scope, role class, args) keeps its latest value only: a save replaces it, never piles up copies.

    `by_file`: the value is a frame of rows per file (household_id) that each depend only on that file's rows of
    `parts` and on the reference tables — the status engine's answer. After a save it is then computed again for the
    files written only, and their rows replaced (one file's income saved costs one file's evaluation, not 200,000)."""
    snap = for_actor(actor)
    key = (name, scope_key(actor), actor.sees_personal_data, args)
    stamp = snap.stamp(*parts)
    shared = _state()
    with shared.lock:
        kept = shared.derived.get(key)
        if kept is not None and kept[0] == stamp:
            shared.derived.move_to_end(key)
            return kept[1]
        computing = shared.computing.setdefault((key, stamp), threading.Lock())
    with computing:  # twenty sessions asking at once: one computes, the others wait for its answer
        with shared.lock:
            kept = shared.derived.get(key)
            if kept is not None and kept[0] == stamp:
                return kept[1]
        try:
            if by_file:
                value = source.per_file(snap, parts, lambda part: compute(part, actor, *args),
                                        None if kept is None else kept[1], None if kept is None else kept[2])
            else:
                value = compute(snap, actor, *args)
        finally:
            with shared.lock:
                shared.computing.pop((key, stamp), None)
        with shared.lock:
            shared.derived[key] = (stamp, value, snap.mark)
            shared.derived.move_to_end(key)
            while len(shared.derived) > _DERIVED_KEPT:
                shared.derived.popitem(last=False)
    return value
