"""Lab scenarios: the hosts of a fleet, their roles, faults and settings, validated strictly.

A scenario is YAML::

    defaults: {log_size: 256K}          # settings merged into every host (optional)
    hosts:
      bm01: {}
      bm02: {faults: {license_unlinked: true, clock_skew: 5400}}
      bm03: {role: reseller, provider: bm04, faults: {drift: 3}}
      bm04: {role: provider}

Every mistake is a ScenarioError whose message names the file, the host and the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from . import faults as registry

SCENARIO_DIR = Path(__file__).resolve().parent.parent / 'scenarios'
DEFAULT_SCENARIO = SCENARIO_DIR / 'default.yml'
HOST_NAME_RE = re.compile(r'^[a-z][a-z0-9-]{0,30}$')
TOP_KEYS = ('description', 'defaults', 'hosts')
HOST_KEYS = ('role', 'provider', 'faults')
MAX_HOSTS = 200
PADDED_NAME = 'bm%02d'


class ScenarioError(ValueError):
    """A scenario the lab refuses, with the file, host and key in the message."""


@dataclass
class HostSpec:
    name: str
    index: int  # position in the fleet, from 1
    role: str = 'standalone'
    provider: str | None = None
    faults: dict = field(default_factory=dict)  # only the faults that are on, `true` resolved
    settings: dict = field(default_factory=dict)  # every setting, defaults filled in

    def fault(self, name, default=None):
        return self.faults.get(name, default)

    @property
    def clock_skew(self) -> int:
        return self.faults.get('clock_skew', 0)


@dataclass
class Fleet:
    hosts: list[HostSpec]
    seed: int = 1
    source: str = ''
    # The real date the fleet was planned on: what reseller and provider rows are dated from, so the
    # two agree whatever clock either host is given.
    anchor: date = field(default_factory=date.today)

    def host(self, name: str) -> HostSpec:
        for host in self.hosts:
            if host.name == name:
                return host
        raise KeyError(f'no host {name!r} in the scenario {self.source}')

    def resellers_of(self, provider: str) -> list[HostSpec]:
        return [host for host in self.hosts if host.provider == provider]


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice (PyYAML keeps the last one silently)."""


def _construct_mapping(loader, node, deep=False):
    loader.flatten_mapping(node)
    seen = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f'key {key!r} is given twice', key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def find_scenario(path: str | None) -> Path:
    """PATH as given, or a bare name such as `demo` for tests/lab/scenarios/demo.yml."""
    if path is None:
        return DEFAULT_SCENARIO
    given = Path(path)
    if given.exists() or '/' in str(path):
        return given
    named = SCENARIO_DIR / (str(path) if str(path).endswith('.yml') else f'{path}.yml')
    return named if named.exists() else given


def load_scenario(path: str | None = None, hosts: int | None = None, seed: int = 1) -> Fleet:
    file = find_scenario(path)
    try:
        text = file.read_text(encoding='utf-8')
    except OSError as exc:
        raise ScenarioError(f'{file}: cannot read the scenario: {exc.strerror}') from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        raise ScenarioError(f'{file}: not valid YAML: {exc}') from None
    return parse_scenario(data, str(file), hosts, seed)


def parse_scenario(data, source: str = '<scenario>', hosts: int | None = None, seed: int = 1) -> Fleet:
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2 ** 31:
        raise ScenarioError(f'{source}: seed: takes an integer from 0 to 2^31-1, not {seed!r}')
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(f'{source}: a scenario is a mapping with hosts:, not {type(data).__name__}')
    unknown = [key for key in data if key not in TOP_KEYS]
    if unknown:
        raise ScenarioError(f'{source}: {unknown[0]}: unknown key; a scenario has {", ".join(TOP_KEYS)}')
    if not isinstance(data.get('description', ''), str):
        raise ScenarioError(f'{source}: description: takes a string')
    defaults = _parse_defaults(data.get('defaults'), source)
    listed = data.get('hosts')
    if listed is None:
        listed = {}
    if not isinstance(listed, dict):
        raise ScenarioError(f'{source}: hosts: takes a mapping of host name to host, not {type(listed).__name__}')
    if len(listed) > MAX_HOSTS:
        raise ScenarioError(f'{source}: hosts: {len(listed)} hosts; the lab runs at most {MAX_HOSTS}')
    specs = [_parse_host(name, body, index, defaults, source)
             for index, (name, body) in enumerate(listed.items(), start=1)]
    specs += _padding(specs, hosts, defaults, source)
    if not specs:
        raise ScenarioError(f'{source}: hosts: the scenario has no hosts (list some or pass a number of hosts)')
    _check_providers(specs, source)
    return Fleet(hosts=specs, seed=seed, source=source)


def _parse_defaults(defaults, source):
    resolved = {}
    for key, value in _mapping(defaults, f'{source}: defaults', 'settings').items():
        option = _known_option(key, 'setting', f'{source}: defaults: {key}')
        resolved[key] = _resolve(option, value, f'{source}: defaults: {key}')
    return resolved


def _mapping(value, where, what):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ScenarioError(f'{where}: takes a mapping of {what}, not {value!r}')
    return value


_MISPLACED = {'setting': ' (a fault: faults are set per host)', 'fault': ' (a setting: put it beside faults:)'}


def _known_option(key, kind, where):
    option = registry.OPTIONS.get(key)
    if option is not None and option.kind == kind:
        return option
    known = registry.FAULTS if kind == 'fault' else registry.SETTINGS
    raise ScenarioError(f'{where}: unknown {kind}{_MISPLACED[kind] if option else ""}; {kind}s are '
                        f'{", ".join(o.name for o in known)}')


def _resolve(option, value, where):
    try:
        return option.resolve(value)
    except registry.OptionError as exc:
        raise ScenarioError(f'{where}: {exc}') from None


def _parse_host(name, body, index, defaults, source):
    if not isinstance(name, str) or not HOST_NAME_RE.match(name):
        raise ScenarioError(f'{source}: host {name!r}: a host name is a lowercase letter, then up to 30 '
                            'lowercase letters, digits or dashes')
    where = f'{source}: host {name}'
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise ScenarioError(f'{where}: takes a mapping (role, provider, faults, settings), not {body!r}')
    settings_names = [option.name for option in registry.SETTINGS]
    for key in body:
        if key not in HOST_KEYS and key not in settings_names:
            hint = ' (a fault: put it under faults:)' if key in registry.OPTIONS else ''
            raise ScenarioError(f'{where}: {key}: unknown key{hint}; a host has {", ".join(HOST_KEYS)} '
                                f'and the settings {", ".join(settings_names)}')
    role = body.get('role', 'standalone')
    if role not in registry.ROLES:
        raise ScenarioError(f'{where}: role: takes {" or ".join(registry.ROLES)}, not {role!r}')
    provider = body.get('provider')
    if provider is not None and not isinstance(provider, str):
        raise ScenarioError(f'{where}: provider: takes the name of a host, not {provider!r}')
    faults = _parse_faults(body.get('faults'), role, where)
    settings = {}
    for option in registry.SETTINGS:
        if option.name in body:
            settings[option.name] = _resolve(option, body[option.name], f'{where}: {option.name}')
        elif option.name in defaults:
            settings[option.name] = defaults[option.name]
        else:
            settings[option.name] = option.default_for(role)
    return HostSpec(name=name, index=index, role=role, provider=provider, faults=faults, settings=settings)


def _parse_faults(given, role, where):
    faults = {}
    for key, value in _mapping(given, f'{where}: faults', 'fault to value').items():
        option = _known_option(key, 'fault', f'{where}: faults.{key}')
        resolved = _resolve(option, value, f'{where}: faults.{key}')
        if resolved is None:
            continue
        if role not in option.roles:
            raise ScenarioError(f'{where}: faults.{key}: only a {" or ".join(option.roles)} can have it, '
                                f'this host is a {role}')
        faults[key] = resolved
    for first, second in registry.conflicts_in(faults):
        raise ScenarioError(f'{where}: faults.{second}: cannot be combined with {first}')
    return faults


def _padding(specs, hosts, defaults, source):
    if hosts is None:
        return []
    if isinstance(hosts, bool) or not isinstance(hosts, int) or not 1 <= hosts <= MAX_HOSTS:
        raise ScenarioError(f'{source}: hosts: the number of hosts is 1 to {MAX_HOSTS}, not {hosts!r}')
    if hosts < len(specs):
        raise ScenarioError(f'{source}: hosts: the scenario lists {len(specs)} hosts, more than the '
                            f'{hosts} asked for')
    taken = {spec.name for spec in specs}
    padded = []
    number = 0
    while len(specs) + len(padded) < hosts:
        number += 1
        name = PADDED_NAME % number
        if name not in taken:
            padded.append(_parse_host(name, {}, len(specs) + len(padded) + 1, defaults, source))
    return padded


def _check_providers(specs, source):
    roles = {spec.name: spec.role for spec in specs}
    for spec in specs:
        where = f'{source}: host {spec.name}: provider'
        if spec.role != 'reseller':
            if spec.provider is not None:
                raise ScenarioError(f'{where}: only a reseller has a provider, this host is a {spec.role}')
            continue
        if spec.provider is None:
            raise ScenarioError(f'{where}: a reseller needs provider: the name of a host with role provider')
        if spec.provider not in roles:
            raise ScenarioError(f'{where}: {spec.provider!r} is not a host of this scenario')
        if roles[spec.provider] != 'provider':
            raise ScenarioError(f'{where}: {spec.provider!r} has role {roles[spec.provider]}, not provider')
