"""The lab's default kinship models for match runs: chosen on the settings page (or the API) by
an administrator, kept as a history, used by every run that does not choose its own.

Where a default comes from, in order: the newest `LabMatchSetting` row, else the environment
(LABTRACK_MUTATION_MODEL, _MUTATION_RATE, _DROPOUT, _DROPIN; see config.py), else the built-in
defaults of `MatchParameters` (stepwise 0.002, drop-out 0.05: on). A change is a new row naming
the one it replaces, with a reason, in the audit log; nothing is overwritten.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from labtrack.core.errors import ProblemList, require_reason
from labtrack.core.messages import Message, msg
from labtrack.models import LabMatchSetting, User
from labtrack.services.match_parameters import MatchParameters
from labtrack.services.transaction import write

#: The fields of `MatchParameters` the lab sets (the rest are chosen per run).
SETTING_FIELDS = (
    "mutation_model", "mutation_rate", "mutation_rate_female", "mutation_rate_male", "mutation_rate2",
    "mutation_range", "mutation_rate_table", "dropout", "dropin", "near_k",
)
#: The environment's names for the defaults it can set (config keys).
_CONFIG_KEYS = {"mutation_model": "MUTATION_MODEL", "mutation_rate": "MUTATION_RATE", "dropout": "DROPOUT",
                "dropin": "DROPIN"}


@dataclass(frozen=True)
class LabDefaults:
    """The defaults in force: values (SETTING_FIELDS), and where they come from (the setting
    row, or None when only the environment and built-in defaults apply)."""

    values: dict[str, Any]
    setting: LabMatchSetting | None

    def parameters(self, **chosen: Any) -> MatchParameters:
        """A run's parameters: these defaults, overridden by what the run chose (None values
        are ignored)."""
        return MatchParameters(**(self.values | {k: v for k, v in chosen.items() if v is not None}))

    @property
    def source(self) -> str:
        return "settings" if self.setting is not None else "environment"


def environment_defaults(config: Mapping[str, Any]) -> dict[str, Any]:
    """The defaults from the environment and `MatchParameters` (no stored setting)."""
    built_in = MatchParameters()
    values = {name: getattr(built_in, name) for name in SETTING_FIELDS}
    values.update({name: config[key] for name, key in _CONFIG_KEYS.items() if config.get(key) is not None})
    return values


def current(session: Session, config: Mapping[str, Any]) -> LabDefaults:
    """The defaults in force now."""
    setting = session.exec(
        select(LabMatchSetting).order_by(LabMatchSetting.id.desc()).limit(1)  # type: ignore[union-attr]
    ).first()
    values = environment_defaults(config)
    if setting is not None:
        stored = json.loads(setting.values_json or "{}")
        values.update({k: v for k, v in stored.items() if k in SETTING_FIELDS})
    return LabDefaults(values, setting)


def run_parameters(session: Session, config: Mapping[str, Any], **chosen: Any) -> MatchParameters:
    """The parameters of a new run: the lab's defaults in force, overridden by `chosen`."""
    return current(session, config).parameters(**chosen)


def history(session: Session, limit: int = 50) -> list[tuple[LabMatchSetting, str]]:
    """The newest settings first, each with the username of who set it."""
    rows = session.exec(
        select(LabMatchSetting, User.username).join(User, User.id == LabMatchSetting.set_by_id)  # type: ignore[arg-type]
        .order_by(LabMatchSetting.id.desc()).limit(limit)  # type: ignore[union-attr]
    ).all()
    return [(setting, username) for setting, username in rows]


def change(session: Session, config: Mapping[str, Any], *, values: Mapping[str, Any], by: User,
           reason: str) -> LabMatchSetting:
    """Set new lab defaults (the fields given; the others keep their value in force), with a
    reason; audited. Every value is checked as a run would check it: nothing is stored when any
    is wrong (ValidationFailed naming each field)."""
    reason = require_reason(reason, msg("change the lab's default kinship models"))
    unknown = sorted(set(values) - set(SETTING_FIELDS))
    problems = ProblemList()
    for name in unknown:
        problems.add(msg("%(name)s is not a lab setting; settable: %(fields)s", name=name,
                         fields=", ".join(SETTING_FIELDS)), field=name)
    problems.raise_if_any(msg("Cannot change the lab's default kinship models"))
    in_force = current(session, config)
    chosen = in_force.values | dict(values)
    try:
        parameters = MatchParameters(**chosen)
    except TypeError as error:  # a value of the wrong kind
        problems.add(str(error))
        problems.raise_if_any(msg("Cannot change the lab's default kinship models"))
        raise
    for problem in parameters.problems().problems:
        if problem.field in SETTING_FIELDS:
            problems.add(problem.message, field=problem.field)
    problems.raise_if_any(msg("Cannot change the lab's default kinship models"))
    stored = {name: getattr(parameters, name) for name in SETTING_FIELDS}
    with write(session, actor=by, reason=reason):
        setting = LabMatchSetting(
            values_json=json.dumps(stored, sort_keys=True), reason=reason, set_by_id=by.id or 0,
            supersedes_id=in_force.setting.id if in_force.setting is not None else None,
        )
        session.add(setting)
    return setting


def describe(values: Mapping[str, Any]) -> Message:
    """One line, e.g. for the run form: "mutation: stepwise 0.002 ...; drop-out 0.05"."""
    return MatchParameters(**dict(values)).describe()
