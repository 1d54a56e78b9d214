# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._database import dbconf
from ansible_collections.billmgr.ops.plugins.module_utils._database.dbconf import (
    DbConfError,
    conf_files,
    db_settings,
    parse_conf,
    split_host,
)
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.paths import MgrLayout


@pytest.fixture
def layout(tmp_path):
    os.makedirs(tmp_path / 'etc' / 'billmgr.conf.d')
    return MgrLayout(str(tmp_path))


def write(layout, relative, text):
    path = layout.path('etc', relative)
    with open(path, 'w') as handle:
        handle.write(text)
    return path


def test_parse_skips_comments_and_blank_lines_and_keeps_spacing_inside_values():
    text = ('# settings\n'
            '\n'
            '   # indented comment\n'
            'DBHost   localhost\n'
            '\tDBUser\tbillmgr  \n'
            'DBPassword p#ss word with spaces\n'
            'Lang en\n'
            'Flag\n')
    assert parse_conf(text) == {'DBHost': 'localhost', 'DBUser': 'billmgr', 'DBPassword': 'p#ss word with spaces',
                                'Lang': 'en', 'Flag': ''}


def test_later_line_wins():
    assert parse_conf('DBName one\nDBName two\n') == {'DBName': 'two'}


def test_conf_d_overrides_the_main_file_in_name_order(layout):
    write(layout, 'billmgr.conf', 'DBHost main-host\nDBUser main-user\nDBPassword main-pass\nDBName main\n')
    write(layout, 'billmgr.conf.d/20-db.conf', 'DBHost second-host\nDBPassword second-pass\n')
    write(layout, 'billmgr.conf.d/10-db.conf', 'DBHost first-host\nDBUser first-user\n')
    write(layout, 'billmgr.conf.d/99-db.conf.bak', 'DBHost backup-host\n')
    settings = db_settings(layout)
    assert (settings.host, settings.user, settings.password, settings.name) == \
        ('second-host', 'first-user', 'second-pass', 'main')
    assert [os.path.basename(path) for path in settings.files] == ['billmgr.conf', '10-db.conf', '20-db.conf']
    assert settings.missing == []


def test_missing_keys_fall_back_to_the_platform_defaults_and_are_named(layout):
    write(layout, 'billmgr.conf', 'Lang en\nDBUser billmgr\n')
    settings = db_settings(layout)
    assert (settings.host, settings.user, settings.password, settings.name) == ('localhost', 'billmgr', '', 'billmgr')
    assert settings.missing == ['DBHost', 'DBPassword', 'DBName']


def test_no_config_at_all(tmp_path):
    settings = db_settings(MgrLayout(str(tmp_path)))
    assert settings.files == [] and settings.user == 'root' and len(settings.missing) == 4


def test_overrides_beat_the_files_and_none_means_not_given(layout):
    write(layout, 'billmgr.conf.d/db.conf', 'DBHost filehost\nDBUser fileuser\nDBPassword filepass\nDBName filedb\n')
    settings = db_settings(layout, {'DBHost': 'other:3307', 'DBUser': None, 'DBPassword': 'given', 'DBName': None})
    assert (settings.host, settings.port, settings.user, settings.password, settings.name) == \
        ('other', 3307, 'fileuser', 'given', 'filedb')


def test_key_spelling_is_forgiven(layout):
    write(layout, 'billmgr.conf', 'dbhost lowhost\nDBUSER up\n')
    settings = db_settings(layout)
    assert (settings.host, settings.user) == ('lowhost', 'up')


def test_public_view_never_has_the_password(layout):
    write(layout, 'billmgr.conf', 'DBPassword s3cr3t-value\nDBUser u\n')
    public = db_settings(layout).public()
    assert 's3cr3t-value' not in repr(public)
    assert set(public) == {'host', 'name', 'user', 'config_files'}


@pytest.mark.parametrize('given, expected', [
    ('localhost', ('localhost', None, None)),
    ('db.example.net:3307', ('db.example.net', 3307, None)),
    ('/run/mysqld/mysqld.sock', ('localhost', None, '/run/mysqld/mysqld.sock')),
    ('::1', ('::1', None, None)),
    ('', ('localhost', None, None)),
    (' db ', ('db', None, None)),
])
def test_split_host(given, expected):
    assert split_host(given) == expected


def test_a_directory_named_like_a_conf_file_is_not_read(layout):
    os.makedirs(layout.path('etc', 'billmgr.conf.d', 'dir.conf'))
    assert conf_files(layout) == []


def test_unreadable_file_names_the_path(layout, monkeypatch):
    path = write(layout, 'billmgr.conf.d/db.conf', 'DBHost x\n')
    real_open = os.open

    def refusing_open(name, *args, **kwargs):
        if name == path:
            raise PermissionError(13, 'Permission denied')
        return real_open(name, *args, **kwargs)

    monkeypatch.setattr(os, 'open', refusing_open)
    with pytest.raises(DbConfError) as caught:
        dbconf.db_settings(layout)
    assert path in str(caught.value) and 'Permission denied' in str(caught.value)
