# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a playbook checks once per run, on the controller: that its settings can work (one sentence
naming the first option that fails and its value) and that it matched hosts at all.

The types and choices of an option are its role's meta/argument_specs.yml (passed in as SPEC); the
shapes a type cannot say (a duration, a log name) are the PATTERNS below, by role.
"""

from __future__ import annotations

import re

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.billmgr.ops.plugins.plugin_utils._timewindow import is_duration

# option: (full-match pattern, or a test of the text, and what it must look like). Checked after the
# argument spec, on text. Durations are read as module_utils._logs.timespec reads them, everywhere.
DURATION_WORDS = 'a duration such as 30m, 2h, 1h30m, 24h, 7d or 1w'
PATTERNS = {
    'health': {
        'billmgr_health_log_window': (is_duration, DURATION_WORDS),
    },
    'debug_window': {
        'billmgr_debug_window_for': (is_duration, DURATION_WORDS),
        'billmgr_debug_window_module': (r'(?!.*\.\.)(?:[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}|[*])', 'a logger name or *'),
        'billmgr_debug_window_level': (r'[0-9]', 'a level from 0 to 9'),
    },
}
# Options whose list elements each must match (the command line gives them as a comma string).
ELEMENT_PATTERNS = {
    'debug_window': {
        'billmgr_debug_window_logs': (r'[A-Za-z0-9_][A-Za-z0-9_-]{0,63}|[*]',
                                      'log names as the platform writes them, such as billmgr,pmbillmgr, or *'),
    },
}
# The command line's short names, so the message names what the operator typed.
ALIASES = {
    'billmgr_debug_window_for': 'debug_for',
    'billmgr_debug_window_logs': 'debug_logs',
    'billmgr_debug_window_state': 'debug_state',
    'billmgr_debug_window_module': 'debug_module',
    'billmgr_debug_window_collect': 'debug_collect',
}


def _label(option):
    alias = ALIASES.get(option)
    return '%s (%s)' % (alias, option) if alias else option


def _as_list(value):
    if isinstance(value, str):
        return [part.strip() for part in value.split(',') if part.strip()]
    return list(value) if isinstance(value, (list, tuple)) else [value]


def settings_problem(values, spec, role):
    """'' when VALUES hold to SPEC (argument_specs options) and the role's patterns; otherwise one
    sentence: '<role>: <option> must be ... (got <value>); nothing was changed.'"""
    options = {name: option for name, option in (spec or {}).items() if name in values}
    for name in sorted(options):
        option = dict(options[name])
        option.pop('description', None)
        option.pop('default', None)
        result = ArgumentSpecValidator({name: option}).validate({name: values[name]})
        if result.error_messages:
            return '%s: %s must be %s (got %r); nothing was changed.' % (
                role, _label(name), _spec_words(option), values[name])
    for name, (pattern, words) in sorted(PATTERNS.get(role, {}).items()):
        text = str(values.get(name, '')).strip()
        if name in values and not (pattern(text) if callable(pattern) else re.fullmatch(pattern, text)):
            return '%s: %s must be %s (got %r); nothing was changed.' % (role, _label(name), words, values[name])
    for name, (pattern, words) in sorted(ELEMENT_PATTERNS.get(role, {}).items()):
        if name not in values:
            continue
        elements = _as_list(values[name])
        bad = [item for item in elements if not re.fullmatch(pattern, str(item))]
        if bad or not elements:
            return '%s: %s must be %s (got %r); nothing was changed.' % (role, _label(name), words, values[name])
    return ''


def _spec_words(option):
    if option.get('choices'):
        return 'one of %s' % ', '.join(str(choice) for choice in option['choices'])
    kind = option.get('type', 'str')
    return {'int': 'a whole number', 'bool': 'true or false', 'float': 'a number', 'list': 'a list',
            'dict': 'a mapping', 'path': 'a path'}.get(kind, 'a %s' % kind)


def no_hosts_message(pattern, limit=None, playbook=''):
    """Why a run that matched no host fails, and how to point it at the servers."""
    pattern = pattern or 'billmgr'
    where = ('the hosts pattern %r' % pattern if pattern != 'billmgr'
             else 'the inventory group billmgr (billmgr_hosts, the default)')
    limited = ' within --limit %s' % limit if limit else ''
    return ('%sno host matched %s%s, so nothing was checked or changed. Put your BILLmanager servers in '
            'an inventory group named billmgr, or pass your group or pattern: -e billmgr_hosts=<group>%s.'
            % ('%s: ' % playbook if playbook else '', where, limited,
               '' if not limit else ' (and check the --limit)'))


_SIMPLE = re.compile(r'[A-Za-z0-9_.-]+')


def _simple_names(pattern):
    """The names of a pattern made only of plain names joined by ',' or ':'; None otherwise
    (wildcards, regexes, '&', '!', '@file': Ansible's to judge)."""
    names = [part.strip() for part in re.split(r'[,:]', pattern or '') if part.strip()]
    if not names or not all(_SIMPLE.fullmatch(name) for name in names):
        return None
    return names


def _hosts_of(names, groups):
    everyone = set(groups.get('all') or ())
    found = set()
    for name in names:
        if name in groups:
            found.update(groups[name] or ())
        elif name in everyone:
            found.add(name)
    return found


def play_hosts(pattern, groups, limit=None, playbook='', named=None):
    """PATTERN when it (within LIMIT) names at least one host of the inventory, else ValueError with
    no_hosts_message. Patterns beyond plain names are passed through unjudged. NAMED=False (the
    servers were not named by a variable of the playbook) also refuses a run without --limit."""
    pattern = str(pattern or 'billmgr').strip()
    if named is False and not limit and (groups or {}).get('all'):
        raise ValueError('%s changes the servers it runs on, so it runs only on servers you name: '
                         '-l bm01,bm02 (--limit), or -e debug_hosts=<group or pattern>; it refuses to '
                         'run on every host of %s at once.' % (playbook or 'this playbook', pattern))
    names = _simple_names(pattern)
    # An inventory without any host is --syntax-check's (and ansible-lint's) and gets Ansible's own
    # "provided hosts list is empty" warning; there is nothing to name.
    if names is None or not (groups or {}).get('all'):
        return pattern
    hosts = _hosts_of(names, groups or {})
    limit_names = _simple_names(limit) if limit else None
    if limit_names is not None:
        hosts &= _hosts_of(limit_names, groups or {})
    if not hosts:
        raise ValueError(no_hosts_message(pattern, limit or None, playbook))
    return pattern
