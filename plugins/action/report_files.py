# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of billmgr.ops.report_files: the documentation is in plugins/modules."""

from __future__ import annotations

import os

from ansible.plugins.action import ActionBase

from ansible_collections.billmgr.ops.plugins.plugin_utils._reportfiles import (
    ReportFilesError,
    make_directory,
    point_link,
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
}


def _octal(value, name):
    try:
        mode = int(str(value), 8)
    except ValueError:
        mode = -1
    if not 0 <= mode <= 0o7777:
        raise ReportFilesError('%s must be an octal mode such as 0640, got %r' % (name, value))
    return mode


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]
        directory = os.path.abspath(args['dir'])
        planned = [os.path.join(directory, item['path']) for item in args['files']]
        result.update(dir=directory, written=[], latest=args['latest'], changed=False)
        if self._task.check_mode:
            result.update(planned=planned, msg='check mode: nothing written')
            return result
        try:
            modes = [_octal(item['mode'], 'files[].mode') for item in args['files']]
            result['changed'] = make_directory(directory, _octal(args['dir_mode'], 'dir_mode'))
            for path, item, mode in zip(planned, args['files'], modes):
                write_file(path, item['content'], mode)
                result['written'].append(path)
                result['changed'] = True
            if args['latest']:
                link = os.path.abspath(args['latest'])
                # A relative target keeps the link right when the report tree is moved or mounted elsewhere.
                target = (os.path.basename(directory) if os.path.dirname(link) == os.path.dirname(directory)
                          else directory)
                result['changed'] = point_link(link, target) or result['changed']
        except ReportFilesError as exc:
            result.update(failed=True, msg=str(exc))
        return result
