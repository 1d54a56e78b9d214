# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The database client of a module that reads the platform's own database with its own settings.

One place for what every such module does first: read ``DBHost``/``DBUser``/``DBPassword``/``DBName``
under the mgr root, keep the password out of every output, find the client program.  Stdlib only;
MODULE is the running AnsibleModule (only ``fail_json``, ``no_log_values``, ``get_bin_path`` and
``tmpdir`` are used).
"""

from __future__ import annotations

from ansible_collections.billmgr.ops.plugins.module_utils._database.dbconf import DbConfError, db_settings
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.mgrctl import Runner
from ansible_collections.billmgr.ops.plugins.module_utils._database.mysqlcli import ClientMissing, open_client
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.paths import MgrLayout


def platform_client(module, mgr_root, timeout, result, overrides=None):
    """A MysqlClient on the platform's database (its settings as ``client.settings``), or the task
    fails with RESULT saying what to do. OVERRIDES (``{'DBHost': ..}``, None = not given) are the
    task's own settings, taken over the config files'. A RESULT with a ``db`` key (a module that
    returns it) gets the settings there, without the password."""
    layout = MgrLayout(mgr_root)
    try:
        settings = db_settings(layout, overrides)
    except DbConfError as exc:
        module.fail_json(msg='%s%s' % (exc, '; pass db_host, db_user, db_password and db_name instead'
                                       if overrides is not None else ''), **result)
    if settings.password:
        module.no_log_values.add(settings.password)
    if 'db' in result:
        result['db'] = settings.public()
    if not settings.files:
        module.warn('no %s or %s/*.conf below mgr_root %s: connecting with defaults (%s)'
                    % (layout.manager_conf, layout.manager_conf_dir, layout.root, settings.address))
    try:
        return open_client(module.get_bin_path, Runner(), settings, timeout=timeout, tmpdir=module.tmpdir)
    except ClientMissing as exc:
        module.fail_json(msg=str(exc), **result)
