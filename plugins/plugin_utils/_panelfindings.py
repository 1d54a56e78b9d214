# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Findings of the panel check: the web server ``ihttpd`` down, its certificate expiring or not
naming the host, from the ``panel`` section of billmgr_facts.

A panel that does not answer while ``mgrctl whoami`` does is ``panel_down`` (the platform works,
its users cannot reach it); when the platform does not answer either, ``platform_down`` already
says so and nothing is added. Called by ``_findings.check_panel`` with its finding constructor.
"""

from __future__ import annotations

from ansible_collections.billmgr.ops.plugins.plugin_utils._fixes import mgr_path

CRITICAL, WARNING, INFO = 'critical', 'warning', 'info'
ENDPOINT_EVIDENCE = ('address', 'port', 'connect_to', 'error', 'tls_version')
CERT_EVIDENCE = ('subject_cn', 'issuer_cn', 'not_after', 'days_left', 'dns_names', 'ip_addresses', 'names_checked')


def _where(entry):
    return '%s:%s' % (entry.get('connect_to') or entry.get('address'), entry.get('port'))


def _down(panel, platform, root, make):
    if panel.get('answers') or not (platform or {}).get('answers'):
        return []
    evidence = {'endpoints': [dict((key, entry.get(key)) for key in ENDPOINT_EVIDENCE)
                              for entry in panel.get('endpoints') or ()],
                'config': panel.get('config'), 'config_found': panel.get('config_found'),
                'assumed_default': panel.get('assumed_default'),
                'ihttpd_running': ((platform or {}).get('processes') or {}).get('ihttpd')}
    return [make('panel_down', CRITICAL,
                 'The panel does not answer on %s while the platform does (mgrctl whoami answers)'
                 % ', '.join(_where(entry) for entry in panel.get('endpoints') or ()),
                 evidence,
                 'Start the web server: systemctl restart ihttpd; if it does not stay up, read %s and check '
                 'the listen block and certificate paths in %s.'
                 % (mgr_path(root, 'var', 'ihttpd.log'), panel.get('config') or mgr_path(root, 'etc', 'ihttpd.conf')))]


def _certificate(entry, limits, root, make):
    cert = entry.get('certificate')
    where = _where(entry)
    if cert is None:
        if entry.get('certificate_error'):
            return [make('panel_certificate_unreadable', INFO, 'The certificate the panel serves on %s could not '
                         'be read' % where, {'endpoint': where, 'error': entry['certificate_error']},
                         'Look at it yourself: openssl s_client -connect %s </dev/null | openssl x509 -noout -text'
                         % where, key=where)]
        return []
    evidence = dict((key, cert.get(key)) for key in CERT_EVIDENCE)
    evidence['endpoint'] = where
    found = []
    days = cert.get('days_left')
    if days is not None and days <= limits['panel_cert_warning_days']:
        critical = days <= limits['panel_cert_critical_days']
        found.append(make('panel_cert_expiring', CRITICAL if critical else WARNING,
                          'The panel\'s certificate on %s %s' % (where, 'expired %d day(s) ago (%s)' % (-days, cert.get('not_after'))
                                                                 if days < 0 else 'expires in %d day(s) (%s)'
                                                                 % (days, cert.get('not_after'))),
                          evidence,
                          'Renew the certificate ihttpd serves (the cert and key named in %s, or the Let\'s '
                          'Encrypt certificate of the panel\'s domain), then systemctl restart ihttpd.'
                          % mgr_path(root, 'etc', 'ihttpd.conf'), key=where))
    if not cert.get('name_matches'):
        found.append(make('panel_cert_name_mismatch', WARNING,
                          'The panel\'s certificate on %s is not valid for %s (it names %s)'
                          % (where, ', '.join(cert.get('names_checked') or ()) or 'this host',
                             ', '.join(cert.get('dns_names') or cert.get('ip_addresses') or [cert.get('subject_cn') or 'nothing'])),
                          evidence,
                          'Issue a certificate for the name users open the panel by, or set billmgr_health_panel_names '
                          'to that name if it is not the host\'s own.', key=where))
    return found


def panel_findings(panel, platform, limits, root, make):
    """Findings of the ``panel`` section; MAKE is ``_findings.finding``."""
    if not isinstance(panel, dict) or panel.get('error'):
        return []
    found = _down(panel, platform, root, make)
    for entry in panel.get('endpoints') or ():
        if entry.get('answers'):
            found.extend(_certificate(entry, limits, root, make))
    return found
