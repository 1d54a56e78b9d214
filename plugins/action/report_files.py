# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of billmgr.ops.report_files: the documentation is in plugins/modules."""

from __future__ import annotations

import os
import re

from ansible.plugins.action import ActionBase

from ansible_collections.billmgr.ops.plugins.plugin_utils._reportfiles import (
    ReportFilesError,
    make_directory,
    point_link,
    prune_sweeps,
    write_file,
)

ARGUMENT_SPEC = {
    'dir': {'type': 'path', 'required': True},
    'dir_mode': {'type': 'str', 'default': '0750'},
    'files': {
        'type': 'list', 'elements': 'dict', 'required': True,
        'options': {
            'path': {'type': 'path', 'required': True},
            'content': {'type': 'str', 'required': True},
            'mode': {'type': 'str', 'default': '0640'},
        },
    },
    'latest': {'type': 'path'},
    'keep': {'type': 'int', 'default': 0},
}
# More sweeps than this in one directory is a typo, not a retention policy.
KEEP_MAX = 100000


def _octal(value, name):
    """An octal permission mode; setuid, setgid and sticky bits (``7777``) are refused: a report
    has no use for them."""
    text = str(value)
    mode = int(text, 8) if re.fullmatch(r'0?[0-7]{3}', text) else -1
    if not 0 <= mode <= 0o777:
        raise ReportFilesError('%s must be an octal permission mode from 0000 to 0777 such as 0640, got %r'
                               % (name, value))
    return mode


def _inside(directory, path, name):
    """DIRECTORY/PATH, for a PATH that stays inside DIRECTORY; ReportFilesError naming NAME otherwise."""
    text = str(path)
    parts = text.split('/')
    if not text or os.path.isabs(text) or '..' in parts or any(ord(char) < 32 for char in text):
        raise ReportFilesError('%s %r must be a file name relative to dir, without .. or control characters: '
                               'write files elsewhere with a task of their own whose dir is their directory'
                               % (name, path))
    return os.path.join(directory, text)


def _plan(args, check_mode):
    """What a run would refuse, refused before anything is written, and in check mode:
    ``(directory, dir_mode, [(path, content, mode)], latest link or None)``.

    A real run refuses a ``latest`` that is not a link only after the reports are written, so that
    a stray directory there costs the link, never the sweep's reports; check mode refuses it here.
    """
    directory = os.path.abspath(args['dir'])
    dir_mode = _octal(args['dir_mode'], 'dir_mode')
    files = [(_inside(directory, item['path'], 'files[%d].path' % index), item['content'],
              _octal(item['mode'], 'files[%d].mode' % index)) for index, item in enumerate(args['files'])]
    link = os.path.abspath(args['latest']) if args['latest'] else None
    if check_mode and link and os.path.lexists(link) and not os.path.islink(link):
        raise ReportFilesError('%s exists and is not a symlink; move it away so it can point at the newest sweep'
                               % link)
    if not 0 <= args['keep'] <= KEEP_MAX:
        raise ReportFilesError('keep must be from 0 (keep every sweep) to %d, got %r' % (KEEP_MAX, args['keep']))
    for path, _content, _mode in files:
        if os.path.lexists(path) and not os.path.isfile(path):
            raise ReportFilesError('%s exists and is not a regular file: it is not replaced; move it away' % path)
    return directory, dir_mode, files, link


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]
        result.update(dir=os.path.abspath(args['dir']), written=[], latest=args['latest'], pruned=[], changed=False)
        try:
            directory, dir_mode, files, link = _plan(args, self._task.check_mode)
        except ReportFilesError as exc:
            result.update(failed=True, msg=str(exc))
            return result
        if self._task.check_mode:
            result.update(planned=[path for path, _content, _mode in files], msg='check mode: nothing written')
            return result
        try:
            result['changed'] = make_directory(directory, dir_mode)
            for path, content, mode in files:
                write_file(path, content, mode)
                result['written'].append(path)
                result['changed'] = True
            if link:
                # A relative target keeps the link right when the report tree is moved or mounted elsewhere.
                target = (os.path.basename(directory) if os.path.dirname(link) == os.path.dirname(directory)
                          else directory)
                result['changed'] = point_link(link, target) or result['changed']
                if args['keep']:
                    result['pruned'] = prune_sweeps(os.path.dirname(directory), args['keep'], directory)
                    result['changed'] = bool(result['pruned']) or result['changed']
        except ReportFilesError as exc:
            result.update(failed=True, msg=str(exc))
        return result
