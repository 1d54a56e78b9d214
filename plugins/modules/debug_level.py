#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: debug_level
short_description: Set, undo and expire log levels in the platform's C(etc/debug.conf)
version_added: 0.1.0
description:
  - Manages C(LOG.MODULE LEVEL) lines in C(etc/debug.conf) below O(mgr_root), for example
    C(billmgr.* 9) while a problem is being reproduced.
  - A new line for the platform's own logs is written C(NAME.* LEVEL), as the runbook says; for a
    payment or processing module's log (a name starting with C(pm)) it is written C(NAME LEVEL), the
    only form the older Python logger of modules reads (the newer one and the PHP helper read it too).
    O(form) overrides the choice. A line that exists keeps its form, and the C([additional conditions])
    a line may carry after its level stay as they are.
  - When the file names the same log twice (support scripts leave such lines), every one of them is
    changed and undone, each with its own memory, so the file never says two things.
  - A marker line edited by hand into something the module cannot act on (a previous level that is
    not a level) is ignored with a warning naming its line, never written back.
  - "A change carries its own memory on the host, in a comment line right above the entry
    (C(# billmgr.ops managed: log=billmgr module=* previous=4 expires=2026-11-23T15:00:00Z)). The
    platform ignores it; O(state=absent) reads it to put back the operator's line exactly as it was
    (or to remove the entry when there was none), and O(revert_expired=true) reads it to undo
    changes whose time is up, even when the controller that made them is gone."
  - Every line the module does not manage stays byte for byte as it was (comments, C(SET) lines,
    unknown lines, line endings, a missing final newline). The file is replaced atomically and keeps
    its owner, group and mode; a missing file is created with mode C(0644) by O(state=present), and
    removed again when undoing leaves nothing of it.
  - Only a regular file is read or replaced; a link to one is followed and stays a link. A
    C(debug.conf) that is a FIFO, a device, a directory or a dangling link is refused with a message,
    in check mode too. A run that could not keep the file's owner (not root, file owned by another
    user) is refused rather than leaving the file owned by the runner.
  - The platform reads the file when it starts; RV(restart_required) says when to restart it (see
    M(billmgr.ops.mgrctl_restart)). A level for C(ihttpd) takes effect by restarting the C(ihttpd)
    service instead, which RV(service_restart_required) says.
options:
  log:
    description:
      - The log whose level to set, as the platform names it, for example V(billmgr), V(pmbillmgr),
        V(ihttpd), or V(*) for every log.
      - A name, never a path; dots, slashes and spaces are refused.
      - Required unless O(revert_expired=true) is used alone.
    type: str
  module:
    description:
      - The logger inside the log, for example V(db), or V(*) for all of them.
      - A line naming no module (C(billmgr 4)) counts as V(*).
    type: str
    default: '*'
  level:
    description:
      - Verbosity from 0 to 9 (1 notes, 2 critical, 3 errors, 4 warnings, 5 requests, 6 extended
        info, 7 remote services, 8 code trace, 9 debug).
      - Required with O(state=present); ignored with O(state=absent).
    type: int
  state:
    description:
      - V(present) makes O(log).O(module) run at O(level), remembering the line it replaces.
      - V(absent) undoes it. An entry this module wrote gets the operator's previous line back, or
        disappears when there was none. A line it did not write is the operator's and stays, unless
        O(unmanaged=remove).
    type: str
    choices: [present, absent]
    default: present
  expires:
    description:
      - When the change should be undone, as a duration from now (V(30m), V(2h), V(1d), V(1h30m)) or
        an ISO 8601 time (V(2026-11-23T15:00:00Z); a time without a zone is the host's local time).
      - Stored in the marker as a UTC time and undone by O(revert_expired=true), by this module or by
        the reverter on the host.
      - "Idempotence: when the level is already as asked, a duration does not move an expiry still in
        the future (running the same task twice changes nothing); an ISO time replaces a different
        expiry. A change of level with a duration starts the duration from now. Without O(expires) an
        existing expiry is kept: a forgotten level 9 fills the disk."
      - Ignored with O(state=absent).
    type: str
  form:
    description:
      - How a new line for O(log) with O(module=*) is written.
      - V(auto) writes C(NAME LEVEL) for a module's log (a name starting with C(pm)) and C(NAME.* LEVEL)
        for every other log; V(plain) and V(dotted) force one form. A line that exists keeps its own.
    type: str
    choices: [auto, dotted, plain]
    default: auto
  unmanaged:
    description:
      - What O(state=absent) does with a O(log).O(module) line this module did not write (an
        operator's own line, or a level 9 someone forgot).
      - V(keep) leaves it and warns; V(remove) deletes it, the runbook's clean-up of a forgotten
        debug level (the platform then uses the C(*) default).
    type: str
    choices: [keep, remove]
    default: keep
  revert_expired:
    description:
      - Undo every entry this module wrote whose expiry has passed, by the host's clock, before
        anything else; they are returned in RV(reverted).
      - Can be used alone, without O(log).
    type: bool
    default: false
  backup:
    description:
      - Keep a copy of the file as it was, next to it, with a timestamp in the name.
    type: bool
    default: false
extends_documentation_fragment:
  - billmgr.ops._common.mgr_root
  - billmgr.ops._attributes
attributes:
  check_mode:
    support: full
    details:
      - Computes the change, the diff and the entries, and writes nothing.
  diff_mode:
    support: full
notes:
  - "Writers take turns: the read, change and write of the file happen under an exclusive lock on
    C(etc/.debug.conf.lock) (created with mode C(0600) and left in place), which the host-side
    reverter of the C(billmgr.ops.debug_window) role takes too, so two runs at once cannot lose an
    update. A run waits up to 60 seconds for the lock, then fails naming the process that holds it.
    Check mode takes no lock."
seealso:
  - module: billmgr.ops.mgrctl_restart
author:
  - billmgr.ops contributors (@billmgr-ops)
'''

EXAMPLES = r'''
- name: Debug the billing for two hours, then restart the platform
  billmgr.ops.debug_level:
    log: billmgr
    level: 9
    expires: 2h
  register: dbg
  notify: restart billmgr

- name: Put the level back as it was
  billmgr.ops.debug_level:
    log: billmgr
    state: absent
  notify: restart billmgr

- name: Database queries of a payment module until a fixed time
  billmgr.ops.debug_level:
    log: pmbillmgr
    module: db
    level: 9
    expires: '2026-11-23T18:00:00Z'

- name: Undo every temporary level whose time is up
  billmgr.ops.debug_level:
    revert_expired: true
  register: expired
  notify: restart billmgr

- name: Web server verbosity takes a service restart
  billmgr.ops.debug_level:
    log: ihttpd
    level: 6
    expires: 30m
  register: ihttpd_level

- name: Restart ihttpd when asked to
  ansible.builtin.systemd_service:
    name: ihttpd
    state: restarted
  when: ihttpd_level.service_restart_required == 'ihttpd'
'''

RETURN = r'''
path:
  description: The file that was (or would be) changed.
  type: str
  returned: always
  sample: /usr/local/mgr5/etc/debug.conf
restart_required:
  description: Whether a level changed for a log the platform writes, so the platform must be restarted for it to apply.
  type: bool
  returned: always
  sample: true
service_restart_required:
  description: The service to restart instead of (or as well as) the platform, V(ihttpd), when its level changed; null otherwise.
  type: str
  returned: always
  sample: ihttpd
entries:
  description: Every entry this module manages in the file after the run.
  type: list
  elements: dict
  returned: always
  contains:
    log:
      description: Log name.
      type: str
      sample: billmgr
    module:
      description: Logger inside the log.
      type: str
      sample: '*'
    level:
      description: Level in force.
      type: int
      sample: 9
    previous:
      description: Level of the operator's line this entry replaced; null when there was none.
      type: int
      sample: 4
    expires:
      description: When the entry is undone, UTC ISO time; null when it does not expire.
      type: str
      sample: '2026-11-23T15:00:00Z'
expires:
  description:
    - When the entry for O(log) and O(module) is undone after this run, UTC ISO time; null without
      O(log), with O(state=absent) or when the entry does not expire.
    - A window over several logs gives the first call's RV(expires) to the others, so that all of them
      end at one time (and the reverter restarts the platform once).
  type: str
  returned: always
  sample: '2026-11-23T15:00:00Z'
reverted:
  description: Entries undone by O(revert_expired), as they were before (same keys as RV(entries)).
  type: list
  elements: dict
  returned: always
  sample: [{log: billmgr, module: '*', level: 9, previous: 4, expires: '2026-11-23T15:00:00Z'}]
backup_file:
  description: Path of the backup; empty when none was made.
  type: str
  returned: always
  sample: /usr/local/mgr5/etc/debug.conf.4242.2026-11-23@15:00:00~
msg:
  description: What changed and what to restart for it to apply.
  type: str
  returned: always
  sample: 'billmgr.* is 9 until 2026-11-23T15:00:00Z; restart the platform (billmgr.ops.mgrctl_restart) for it to apply'
'''

import contextlib
import os
from datetime import timedelta, timezone

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.billmgr.ops.plugins.module_utils._files.atomicfile import AtomicWriteError, write_file_atomic
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.debugconf import (
    DebugConf,
    DebugConfError,
    format_time,
    restart_advice,
    utc_now,
    validate_request,
)
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.filelock import FileLockError, held_lock, lock_path_for
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.hostfile import CONFIG_LIMIT, HostFileError, read_bytes, replaceable_target
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.paths import DEFAULT_MGR_ROOT, MgrLayout
from ansible_collections.billmgr.ops.plugins.module_utils._logs.timespec import (
    DURATION_FORMS,
    TimeSpecError,
    parse_duration,
    parse_time,
)

# Levels that fill a disk when forgotten.
LOUD_LEVEL = 8
# Seconds to wait for another writer of debug.conf before giving up with its name.
LOCK_TIMEOUT = 60


def resolve_expiry(text, now):
    """``(aware UTC datetime, is_fixed)`` from a duration counted from NOW or an ISO time."""
    try:
        return now + timedelta(seconds=parse_duration(text, option='expires')), False
    except TimeSpecError:
        pass
    try:
        moment = parse_time(text, option='expires')
    except TimeSpecError:
        raise TimeSpecError('expires: %r is neither a duration (%s) nor an ISO time such as '
                            '2026-11-23T15:00:00Z (without a zone: host local time)' % (text, DURATION_FORMS))
    # parse_time gives the host's local wall-clock time; astimezone() reads a naive time as local.
    return moment.astimezone(timezone.utc), True


def _levels(conf):
    levels = {}
    for _index, log, module, level in conf.entries():
        levels[(log, module)] = level
    return levels


def logs_with_new_levels(before, after):
    """Log names whose effective level differs between two parsed files."""
    old, new = _levels(before), _levels(after)
    return sorted(set(key[0] for key in set(old) | set(new) if old.get(key) != new.get(key)))


def describe_level(conf, log, module):
    """``billmgr.* is 9 until ...`` / ``billmgr.* has no line``, as the file now says."""
    name = '%s.%s' % (log, module)
    level = conf.level(log, module)
    if level is None:
        return '%s has no line (the platform default applies)' % name
    levels = sorted(set(int(conf.lines[index].entry().group('level')) for index in conf.lines_of(log, module)))
    if len(levels) > 1:
        return '%s has %d lines at levels %s' % (name, len(conf.lines_of(log, module)), ', '.join(map(str, levels)))
    managed = conf.managed_entry(log, module)
    if managed is not None and managed.expires is not None:
        return '%s is %s until %s' % (name, level, format_time(managed.expires))
    return '%s is %s' % (name, level)


def _write_lock(module, path):
    """The lock every writer of PATH takes; none when nothing is written.

    Check mode writes nothing, so it takes no lock and leaves no lock file.  Without the directory
    there is nothing to lock either: the write fails later with its own message.
    """
    if module.check_mode or not os.path.isdir(os.path.dirname(os.path.realpath(path))):
        return contextlib.nullcontext()
    return held_lock(lock_path_for(path), owner='billmgr.ops.debug_level', timeout=LOCK_TIMEOUT)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            mgr_root=dict(type='path', default=DEFAULT_MGR_ROOT),
            log=dict(type='str'),
            module=dict(type='str', default='*'),
            level=dict(type='int'),
            state=dict(type='str', default='present', choices=['present', 'absent']),
            expires=dict(type='str'),
            form=dict(type='str', default='auto', choices=['auto', 'dotted', 'plain']),
            unmanaged=dict(type='str', default='keep', choices=['keep', 'remove']),
            revert_expired=dict(type='bool', default=False),
            backup=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    params = module.params
    layout = MgrLayout(params['mgr_root'])
    path = layout.debug_conf
    now = utc_now()
    result = {'changed': False, 'path': path, 'restart_required': False, 'service_restart_required': None,
              'entries': [], 'expires': None, 'reverted': [], 'backup_file': ''}

    log, present = params['log'], params['state'] == 'present'
    if log is None and not params['revert_expired']:
        module.fail_json(msg='give log (and level) to manage a level, or revert_expired: true to undo '
                             'expired entries', **result)
    expires = fixed = None
    try:
        if log is not None:
            if present and params['level'] is None:
                raise DebugConfError('state=present needs level (0 to 9)')
            validate_request(log, params['module'], params['level'] if present else None)
        if log is not None and present and params['expires'] is not None:
            expires, fixed = resolve_expiry(params['expires'], now)
            if expires <= now:
                raise DebugConfError('expires %s (%s) is not in the future by the host clock (%s)'
                                     % (params['expires'], format_time(expires), format_time(now)))
    except (DebugConfError, TimeSpecError) as exc:
        module.fail_json(msg=str(exc), **result)
    if log is not None and not present:
        for ignored in ('level', 'expires'):
            if params[ignored] is not None:
                module.warn('%s is ignored with state=absent' % ignored)

    # Read, change and write under the lock that other writers of the file take (another run of
    # this module, the reverter on the host), so that two changes at once cannot lose one.
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(_write_lock(module, path))
        except FileLockError as exc:
            module.fail_json(msg=str(exc), **result)

        try:
            # The file it would write is checked first: a link to a device or nowhere is refused
            # before anything is read, in check mode too.
            replaceable_target(path, 'debug.conf')
            before_bytes = read_bytes(path, CONFIG_LIMIT, 'debug.conf')
        except FileNotFoundError:
            before_bytes = None
        except HostFileError as exc:
            module.fail_json(msg=str(exc), **result)
        except (IOError, OSError) as exc:
            module.fail_json(msg='cannot read %s: %s' % (path, exc.strerror or exc), **result)

        before = DebugConf.parse(before_bytes or b'')
        conf = before.copy()
        reverted = conf.revert_expired(now) if params['revert_expired'] else []
        if log is not None:
            if present:
                conf.set_level(log, params['module'], params['level'], expires=expires,
                               expires_is_fixed=bool(fixed), now=now, form=params['form'],
                               new_file=before_bytes is None)
            else:
                conf.remove(log, params['module'], remove_unmanaged=params['unmanaged'] == 'remove')
                # Lines the module did not write stay, whether or not it undid lines of its own.
                for index in conf.unmanaged_lines(log, params['module']):
                    module.warn("left the operator's line '%s' in %s as it is: it was not written by this "
                                "module (unmanaged: remove deletes it)" % (conf.lines[index].body.strip(), path))

        for number, text, why in before.bad_markers():
            module.warn("ignored the marker on line %d of %s ('%s'): %s; it was edited by hand, so its level "
                        "is not put back: fix or delete that line" % (number, path, text, why))
        after_bytes = conf.render()
        # Undoing the last change of a file this module created removes the file again.
        remove_file = before_bytes is not None and conf.should_be_removed()
        # Comparing with b'' for a missing file keeps it missing unless there is something to write.
        changed = remove_file or after_bytes != (before_bytes or b'')
        restart, service, advice = restart_advice(logs_with_new_levels(before, conf))
        entries = [entry.as_dict() for entry in conf.managed()]
        own = conf.managed_entry(log, params['module']) if log is not None and present else None
        result.update(changed=changed, restart_required=restart, service_restart_required=service,
                      entries=entries, expires=own.as_dict()['expires'] if own is not None else None,
                      reverted=[entry.as_dict() for entry in reverted])
        if module._diff:
            result['diff'] = {'before': before.display_text(), 'after': conf.display_text(),
                              'before_header': path, 'after_header': path}

        summary = [describe_level(conf, log, params['module'])] if log is not None else []
        if reverted:
            summary.append('reverted %s' % ', '.join('%s.%s' % (e.log, e.module) for e in reverted))
        if changed and advice:
            summary.append(advice)
        message = '; '.join(summary) or ('nothing to change in %s' % path)
        for entry in entries:
            if entry['level'] >= LOUD_LEVEL and not entry['expires']:
                module.warn('%s.%s stays at level %s until someone removes it: give expires so it cannot '
                            'be forgotten and fill the disk' % (entry['log'], entry['module'], entry['level']))

        if remove_file and not module.check_mode:
            try:
                if params['backup']:
                    result['backup_file'] = module.backup_local(path)
                    os.chmod(result['backup_file'], 0o600)
                os.unlink(path)
            except OSError as exc:
                module.fail_json(msg='cannot remove %s, which this module created: %s' % (path, exc), **result)
        elif changed and not module.check_mode:
            try:
                result['backup_file'] = write_file_atomic(module, path, after_bytes, backup=params['backup'])
            except AtomicWriteError as exc:
                module.fail_json(msg='%s; is mgr_root (%s) the platform install root?' % (exc, layout.root), **result)
    module.exit_json(msg=message, **result)


if __name__ == '__main__':
    main()
