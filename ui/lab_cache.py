"""The policy lab's memory: the prepared files once per (scope, data version), outcomes and comparisons on top.

The files come from the server's shared snapshot (ui/snapshot.py). Every key holds the stamps of the snapshot's parts
the lab reads (moved by every write to them, in the database), the scenario's content hash and
core.policy_lab.RULES_VERSION, so an edit never shows stale numbers; dragging a slider only recomputes the scenario's
side — the baseline's outcome is kept.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import streamlit as st

from core import policy_lab, scenario
from core.scenario import DatedTables
from db import policy_lab as source
from db.actor import Actor
from ui import snapshot as shared


@dataclass(frozen=True)
class Loaded:
    prepared: policy_lab.Prepared
    baseline: DatedTables


def _scope(actor: Actor) -> tuple[str, bool]:
    """What the loaded data depends on: the subtree of files and whether names may be in it."""
    return actor.org_path if not actor.sees_everything else "/", actor.sees_personal_data


def version(actor: Actor) -> tuple[int, ...]:
    """What the lab's numbers depend on: the stamps of the parts it reads in the server's shared snapshot (a payment
    or a visit saved elsewhere moves the data version, not these)."""
    return shared.for_actor(actor).stamp(*source.PARTS)


# a province's prepared arrays are a few hundred MB: keep few (a write moves the version, the old entry ages out)
@st.cache_resource(show_spinner="正在准备档案……", max_entries=4, ttl=3600)
def _loaded(_actor: Actor, scope: tuple[str, bool], version: tuple[int, ...], today: dt.date) -> Loaded:
    snap = shared.for_actor(_actor)  # the server's one snapshot, filtered to the scope: no reading of its own
    return Loaded(policy_lab.prepare(source.load_from(snap, _actor, today)), source.baseline_from(snap))


def loaded(actor: Actor, version: tuple[int, ...], today: dt.date) -> Loaded:
    return _loaded(actor, _scope(actor), version, today)


@st.cache_resource(show_spinner=False, max_entries=16, ttl=3600)
def _outcome(_actor: Actor, scope: tuple[str, bool], version: tuple[int, ...], today: dt.date, content: str, as_of: dt.date,
             rules: str) -> policy_lab.Outcome:
    got = _loaded(_actor, scope, version, today)
    tables = scenario.resolve(got.baseline, scenario.parse(json.loads(content))) if content else got.baseline
    return policy_lab.simulate(got.prepared, tables, as_of)


@st.cache_data(show_spinner="正在计算对比……", max_entries=64, ttl=3600)
def _comparison(_actor: Actor, scope: tuple[str, bool], version: tuple[int, ...], today: dt.date, content: str, as_of: dt.date,
                rules: str) -> policy_lab.Comparison:
    got = _loaded(_actor, scope, version, today)
    base = _outcome(_actor, scope, version, today, "", as_of, rules)
    scen = _outcome(_actor, scope, version, today, content, as_of, rules)
    return policy_lab.compare(got.prepared, base, scen)


def comparison(actor: Actor, version: tuple[int, ...], today: dt.date, overrides: tuple[scenario.Override, ...],
               as_of: dt.date) -> policy_lab.Comparison:
    """The baseline against `overrides` (already validated) as of a month's end, as this actor may see it."""
    content = scenario.to_json(overrides) if overrides else ""
    result = _comparison(actor, _scope(actor), version, today, content, as_of, policy_lab.RULES_VERSION)
    return source.for_actor(result, actor)
