#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: log_grep
short_description: Find ERROR records and their thread in BILLmanager logs
description:
  - The runbook step "grep ERROR in billmgr.log, then grep the error's thread" as one read-only call.
  - >-
    Finds the records of the given levels in platform logs below C(<mgr_root>/var), parses them
    (time with the year inferred, process, thread, logger, level, message with its continuation
    lines, the C(Error: Type: .. Object: .. Value: ..) parts) and returns the lines of the same
    thread around each of them.
  - Counts cover every record found, while only the first O(max_matches) are returned in full.
  - Reads logs of any size in bounded memory; a time window on a live log is found by bisecting the
    file, so O(since) on a large log reads only its end.
  - >-
    One grammar reads every writer on the host: the platform's lines
    (C(Mon DD HH:MM:SS [PID:THREAD] LOGGER LEVEL message)); the vendor PHP helper's module log lines
    (C(Mon D HH:MM:SS [PID] MODULE LEVEL message), coloured or not) and its error handler's
    C(Mon D HH:MM:SS [PID] ERROR: <errno>: <message>. In file: <path>. On line: <n>), an ERROR record;
    and the platform Python library's C(YYYY-MM-DD HH:MM:SS,mmm [PID] LOGGER LEVEL message), whose
    C(Type: '..' Object: '..' Value: '..') errors are typed like the platform's.
  - >-
    Each log is read in the time zone it is stamped in: the host's local time (the platform) or UTC
    (the current PHP helper), told apart by its newest record against the file's modification time,
    or as O(log_zones) says. Times are returned with their real UTC offset, and the window is moved
    into each log's zone.
  - >-
    A line that starts with a time stamp but not with the C([PID]) every known format writes next
    still starts a record (so it is not glued to the message before it) and is counted in
    RV(unparsed_headers): a new format shows up there instead of vanishing.
  - Only regular files are read (a link to one is followed); a FIFO or device named like a log is
    refused with a message. A corrupt or truncated archive is skipped with a warning (RV(unreadable_archives)).
  - Values of secret-looking parameters (password, passwd, secret, key, token, ...) in the records
    and their context are masked on the host, in every form the platform and its modules write them
    (XML C(<param name=..>) and elements, C(name=value) pairs, JSON, licctl's C(with key ..)).
version_added: 0.1.0
author:
  - billmgr.ops contributors (@billmgr-ops)
extends_documentation_fragment:
  - billmgr.ops._common.mgr_root
  - billmgr.ops._attributes
  - billmgr.ops._attributes.read_only
options:
  logs:
    description:
      - Logs to read, as names of files in C(<mgr_root>/var) without or with their C(.log) suffix
        (V(billmgr) and V(billmgr.log) are the same log).
      - A name may be a glob of C(*) and C(?), for example V(pm*) for every processing module's log;
        a glob selects logs that have a live file.
      - A name is never a path; names with C(/) or C(..) are refused.
      - Logs that do not exist are listed in RV(missing) and do not fail the task.
    type: list
    elements: str
    default: [billmgr]
  levels:
    description:
      - Levels of the records to find.
    type: list
    elements: str
    choices: [ERROR, WARNING, INFO, EXTINFO, DEBUG]
    default: [ERROR]
  pattern:
    description:
      - Python regular expression searched in the message of each record (continuation lines
        included); only records it matches are counted and returned.
    type: str
  since:
    description:
      - Only records at or after this time.
      - An ISO 8601 time (V(2024-03-06T18:33:00); without a zone it is the host's local time, as the
        platform's logs are), or a time relative to now such as V(30m), V(1h), V(24h), V(7d).
      - A log stamped in UTC (see O(log_zones)) is searched over the same moments.
    type: str
  until:
    description:
      - Only records at or before this time; same forms as O(since).
    type: str
  log_zones:
    description:
      - The time zone the stamps of a log are in, by log name or glob (as in O(logs)).
      - V(auto) tells it from the log's newest record against its modification time (a compressed
        archive takes its live log's zone), V(local) is the host's local time, V(utc) is UTC.
      - Logs not named here are V(auto).
    type: dict
    default: {}
  rotated:
    description:
      - Also read the rotated archives of the selected logs in C(<mgr_root>/var/logs), compressed
        (gzip, bzip2, xz) or not, oldest first, before the live log.
    type: bool
    default: false
  context:
    description:
      - V(thread) returns, with each record, the lines of the same C([PID:THREAD]) around it.
      - V(none) returns none.
    type: str
    choices: [thread, none]
    default: thread
  context_lines:
    description:
      - Most lines of context per record, about half before it and half after it.
    type: int
    default: 20
  max_matches:
    description:
      - Most records returned in full; RV(counts) still counts every record found.
    type: int
    default: 100
  max_line_bytes:
    description:
      - A longer line is cut to this many bytes in the results (never an error).
    type: int
    default: 8192
notes:
  - Most logs carry no year; it is inferred from each file's modification time, a record dated later
    in the year than that being from the year before.
  - Blank lines a writer leaves between records are not part of a message.
  - RV(unparsed_headers) counts such lines among those holding a level word of O(levels), which is
    what the search looks at; a new format that writes none of them is not seen.
  - Colour codes, CRLF line ends, invalid UTF-8 and NUL bytes in logs are tolerated.
'''

EXAMPLES = r'''
- name: Errors of the last hour in billmgr.log, each with its thread
  billmgr.ops.log_grep:
    since: 1h
  register: errors

- name: Why did billmaintain stop services last night?
  billmgr.ops.log_grep:
    logs: [billmaintain]
    levels: [ERROR, WARNING]
    pattern: not_enough_money|stat_addon_over_limit
    since: "2024-03-06T00:00:00"
    until: "2024-03-06T06:00:00"
    rotated: true

- name: Count errors of every processing module, without details
  billmgr.ops.log_grep:
    logs: ['pm*']
    max_matches: 0
    context: none
  register: module_errors

- name: Show the error types found
  ansible.builtin.debug:
    var: module_errors.counts.by_error_type

- name: A payment module's log known to be stamped in UTC, read over the last hour
  billmgr.ops.log_grep:
    logs: [pmpaymaster]
    log_zones: {pmpaymaster: utc}
    since: 1h
'''

RETURN = r'''
matches:
  description: The first O(max_matches) records found, in file order (archives before the live log).
  returned: always
  type: list
  elements: dict
  contains:
    log:
      description: Name of the log, as it was selected.
      type: str
      sample: billmgr
    file:
      description: Path of the file the record was read from, an archive or the live log.
      type: str
      sample: /usr/local/mgr5/var/billmgr.log
    offset:
      description: Byte offset of the record's header line in that file (uncompressed, for an archive).
      type: int
      sample: 1048576
    time:
      description:
        - Time of the record (year inferred when the stamp has none) as ISO 8601 with the UTC offset
          of the zone the log is stamped in (RV(zones)).
      type: str
      sample: "2024-03-06T18:33:01+03:00"
    pid:
      description: Process id.
      type: int
      sample: 483562
    thread:
      description: Thread id, null for a module log line that shows only the process.
      type: str
      sample: "72787"
    thread_key:
      description: C(PID:THREAD) (C(PID) when there is no thread), the key to grep the thread by.
      type: str
      sample: "483562:72787"
    logger:
      description: Logger name; empty for the PHP error handler's lines, which name none.
      type: str
      sample: libmgr
    level:
      description: Level.
      type: str
      sample: ERROR
    message:
      description: Message after the level, with its continuation lines joined by newlines.
      type: str
      sample: "Error: Type: 'missed' Object: 'function' Value: 'payment_cash_register.check'"
    error:
      description:
        - "The parts of an C(Error: Type: .. Object: .. Value: ..) message (C(Type: ..) at the start of
          the message for the Python library), null for other messages."
      type: dict
      sample: {"type": "missed", "object": "function", "value": "payment_cash_register.check"}
    context:
      description: Lines of the same thread before and after the record (not the record itself).
      type: list
      elements: str
      sample: ["Mar  6 18:33:00 [483562:72787] rpc EXTINFO Query('func=payment_cash_register.check')"]
counts:
  description: Numbers of records found in the window, over all of them, not only those returned.
  returned: always
  type: dict
  contains:
    by_log:
      description: Records per log (every log read appears, also with 0).
      type: dict
      sample: {"billmgr": 12}
    by_level:
      description: Records per requested level.
      type: dict
      sample: {"ERROR": 12}
    by_error_type:
      description: "Records per error type, for messages of the C(Error: Type:) form."
      type: dict
      sample: {"missed": 9, "stat_addon_over_limit": 3}
scanned_bytes:
  description: Bytes read from the logs (uncompressed bytes for archives).
  returned: always
  type: int
  sample: 104857600
truncated:
  description: True when more records were found than O(max_matches) returned.
  returned: always
  type: bool
  sample: false
unparsed_headers:
  description:
    - Lines in the window that start with a time stamp but not as any format the module knows
      (a syslog-style line, a new writer), among those holding a level word of O(levels).
    - Not 0 means a log holds records of a format read as level-less; look at the log.
  returned: always
  type: int
  sample: 0
zones:
  description: The time zone each log read was taken to be stamped in, V(local) or V(utc).
  returned: always
  type: dict
  sample: {"billmgr": "local", "pmpaymaster": "utc"}
unreadable_archives:
  description:
    - Compressed archives that are corrupt or cut short, each with the reason; what they held up to
      the damage is counted, the rest of the scan goes on, and each is also given as a warning.
  returned: always
  type: list
  elements: dict
  sample: [{"path": "/usr/local/mgr5/var/logs/billmgr.log.3.gz", "reason": "a corrupt or truncated archive (...)"}]
missing:
  description: Requested logs (names or globs) that do not exist; not a failure.
  returned: always
  type: list
  elements: str
  sample: [pmvmmgr6]
window:
  description: The time window as resolved on the host, in ISO 8601; null for an open end.
  returned: always
  type: dict
  contains:
    since:
      description: Start of the window, or null.
      type: str
      sample: "2024-03-06T17:33:01+03:00"
    until:
      description: End of the window, or null.
      type: str
      sample: null
'''

import re
from datetime import datetime

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.billmgr.ops.plugins.module_utils._logs.logline import LEVELS
from ansible_collections.billmgr.ops.plugins.module_utils._logs.logscan import CONTEXT_MODES, LogScanError, scan
from ansible_collections.billmgr.ops.plugins.module_utils._logs.logsources import LogSourceError, check_name, find_sources
from ansible_collections.billmgr.ops.plugins.module_utils._logs.logzone import check_zones
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.paths import DEFAULT_MGR_ROOT, MgrLayout
from ansible_collections.billmgr.ops.plugins.module_utils._platform.secrets import mask_data
from ansible_collections.billmgr.ops.plugins.module_utils._logs.timespec import TimeSpecError, iso_local, parse_time_or_relative

MIN_LINE_BYTES = 256


def argument_spec():
    return dict(
        mgr_root=dict(type='path', default=DEFAULT_MGR_ROOT),
        logs=dict(type='list', elements='str', default=['billmgr']),
        levels=dict(type='list', elements='str', choices=list(LEVELS), default=['ERROR']),
        pattern=dict(type='str'),
        since=dict(type='str'),
        until=dict(type='str'),
        log_zones=dict(type='dict', default={}),
        rotated=dict(type='bool', default=False),
        context=dict(type='str', choices=list(CONTEXT_MODES), default='thread'),
        context_lines=dict(type='int', default=20),
        max_matches=dict(type='int', default=100),
        max_line_bytes=dict(type='int', default=8192),
    )


def _window(module, result):
    now = datetime.now()
    bounds = {}
    for option in ('since', 'until'):
        text = module.params[option]
        try:
            bounds[option] = parse_time_or_relative(text, now, option) if text is not None else None
        except TimeSpecError as exc:
            module.fail_json(msg=str(exc), **result)
    result['window'] = dict((option, iso_local(when) if when is not None else None)
                            for option, when in bounds.items())
    if bounds['since'] is not None and bounds['until'] is not None and bounds['since'] > bounds['until']:
        module.fail_json(msg='since (%s) is after until (%s): give a window whose start comes first'
                         % (result['window']['since'], result['window']['until']), **result)
    return bounds['since'], bounds['until']


def _pattern(module, result):
    text = module.params['pattern']
    if text is None:
        return None
    try:
        return re.compile(text)
    except re.error as exc:
        module.fail_json(msg='pattern %r is not a valid Python regular expression (%s): fix it or '
                         'escape it with a backslash where a character is meant literally' % (text, exc),
                         **result)


def _zones(module, result, layout):
    """log_zones keyed by log stem, as the scan names logs."""
    try:
        zones = check_zones(module.params['log_zones'])
        return dict((check_name(name, layout), zone) for name, zone in zones.items())
    except (ValueError, LogSourceError) as exc:
        module.fail_json(msg=str(exc).replace('logs: ', 'log_zones: ', 1), **result)


# Upper bounds keep one task's memory and output sane; beyond them a value is a mistake.
BOUNDS = (('context_lines', 0, 10000), ('max_matches', 0, 100000), ('max_line_bytes', MIN_LINE_BYTES, 64 * 1024 ** 2))


def _check_bounds(module, result):
    for option, least, most in BOUNDS:
        if module.params[option] < least:
            module.fail_json(msg='%s must be at least %d, not %d' % (option, least, module.params[option]),
                             **result)
        if module.params[option] > most:
            module.fail_json(msg='%s must be at most %d, not %d' % (option, most, module.params[option]),
                             **result)


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    result = dict(changed=False, matches=[], counts=dict(by_log={}, by_level={}, by_error_type={}),
                  scanned_bytes=0, truncated=False, missing=[], unreadable_archives=[],
                  window=dict(since=None, until=None), unparsed_headers=0, zones={})
    _check_bounds(module, result)
    since, until = _window(module, result)
    pattern = _pattern(module, result)
    layout = MgrLayout(params['mgr_root'])
    zones = _zones(module, result, layout)
    try:
        sources, result['missing'] = find_sources(layout, params['logs'], params['rotated'])
    except LogSourceError as exc:
        module.fail_json(msg=str(exc), **result)
    try:
        found = scan(sources, levels=params['levels'], pattern=pattern, since=since, until=until,
                     context=params['context'], context_lines=params['context_lines'],
                     max_matches=params['max_matches'], max_line_bytes=params['max_line_bytes'], zones=zones)
    except LogScanError as exc:
        module.fail_json(msg='%s: check the file and that the task runs as a user who may read it '
                         '(become: true)' % exc, **result)
    # Logs hold what the platform's modules were sent and answered, passwords and keys included:
    # masked here, before anything leaves the host (results, -vvvv output, the Ansible log).
    result.update(mask_data(found))
    for archive in result.get('unreadable_archives', []):
        module.warn('skipped %s: %s' % (archive['path'], archive['reason']))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
