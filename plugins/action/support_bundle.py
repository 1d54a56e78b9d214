# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of billmgr.ops.support_bundle: the documentation is in plugins/modules.

Hands the host its findings from the sweep report, runs the module (which builds the archive in
memory on the host and returns it), and writes the archive under ``dest`` here. The archive's bytes
never stay in the task result, so ``-vvv`` and callbacks show the manifest only.
"""

from __future__ import annotations

import base64
import binascii
import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.billmgr.ops.plugins.plugin_utils._bundlefiles import archive_name, report_findings, write_archive


class ActionModule(ActionBase):

    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        args = dict(self._task.args)
        dest = args.get('dest')
        if not dest:
            raise AnsibleActionFail('support_bundle: dest is required: the directory on the controller the archive goes to')
        host = args.get('label') or task_vars.get('inventory_hostname') or 'host'
        args['label'] = host
        note = None
        if args.get('findings') is None:
            report = args.get('report')
            text = None
            if report:
                try:
                    with open(os.path.expanduser(report), encoding='utf-8') as handle:
                        text = handle.read(64 * 1024 * 1024)
                except OSError as exc:
                    note = 'the sweep report %s could not be read: %s' % (report, exc.strerror or exc)
            found, why = report_findings(text, host)
            note = note or why
            if found is not None:
                args['findings'] = [found]
        answer = self._execute_module(module_name='billmgr.ops.support_bundle', module_args=args, task_vars=task_vars)
        self._remove_tmp_path(self._connection._shell.tmpdir)
        encoded = answer.pop('archive_base64', None)
        result.update(answer)
        if answer.get('failed') or encoded is None:
            return result
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise AnsibleActionFail('support_bundle: the host returned an archive that is not base64: %s' % exc)
        path, digest = write_archive(os.path.expanduser(dest), archive_name(host), data)
        result.update(archive=path, sha256=digest, size=len(data), changed=False)
        if note:
            result.setdefault('bundle', {})['findings_note'] = note
        return result
