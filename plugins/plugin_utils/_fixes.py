# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The commands a finding's fix text gives, written for the host it is printed on.

A fix is read by someone about to paste it: it names the host (``-l``), the host's own mgr root and
the playbook in the form an installed collection runs (``ansible-playbook billmgr.ops.<name>``,
which also works from a checkout whose ``ansible.cfg`` points at the collection). The inventory is
the reader's: ``-i`` is left to them, as ansible.cfg or ANSIBLE_INVENTORY usually provide it.
"""

from __future__ import annotations

import json
import posixpath
import shlex

DEFAULT_MGR_ROOT = '/usr/local/mgr5'
COLLECTION = 'billmgr.ops'


def mgr_path(root, *parts):
    """A path below the host's mgr root, as the host spells it."""
    return posixpath.join(posixpath.normpath(root or DEFAULT_MGR_ROOT), *parts)


def playbook_command(playbook, host=None, extra_vars=None):
    """``ansible-playbook billmgr.ops.PLAYBOOK -l HOST -e ...``, quoted for a POSIX shell.

    EXTRA_VARS: a list of (name, value) pairs; a value that is not a plain string goes as one
    JSON -e, so lists reach the playbook as lists.
    """
    argv = ['ansible-playbook', '%s.%s' % (COLLECTION, playbook)]
    if host:
        argv += ['-l', host]
    for name, value in extra_vars or ():
        if isinstance(value, str):
            argv += ['-e', '%s=%s' % (name, value)]
        else:
            argv += ['-e', json.dumps({name: value})]
    return ' '.join(shlex.quote(arg) for arg in argv)


def remediate_command(finding_id, host=None):
    return playbook_command('remediate', host, [('billmgr_remediate', [finding_id])])


def checkevent_cron_line(root):
    """The runbook's line, every 5 minutes, output discarded (as the remediate role adds it)."""
    return '*/5 * * * * %s -m billmgr checkevent >/dev/null 2>&1' % shlex.quote(mgr_path(root, 'sbin', 'mgrctl'))


def debug_close_command(log, module, host=None):
    """debug.yml closing the window of LOG.MODULE: the previous level comes back."""
    extra = [('debug_logs', log)]
    if module and module != '*':
        extra.append(('debug_module', module))
    extra.append(('debug_state', 'absent'))
    return playbook_command('debug', host, extra)
