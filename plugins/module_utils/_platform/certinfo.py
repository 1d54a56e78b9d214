# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a TLS certificate says about itself, read from its DER bytes with the standard library.

``ssl.getpeercert(binary_form=True)`` is the only stdlib way to get a certificate that was not
verified (the panel's is often self-signed), and it gives DER. This reads just what the panel check
needs from it: the subject's and issuer's common names, notBefore and notAfter, and the DNS names and
IP addresses of the subjectAltName extension. ``name_matches`` applies RFC 6125's rules (a wildcard
only as the whole left-most label; the common name only when there is no subjectAltName).
Stdlib only and no Ansible imports.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, timezone

_SEQUENCE, _SET, _OID, _OCTETS, _UTCTIME, _GENTIME = 0x30, 0x31, 0x06, 0x04, 0x17, 0x18
_CN_OID = '2.5.4.3'
_SAN_OID = '2.5.29.17'
_SAN_DNS, _SAN_IP = 0x82, 0x87
# Certificates are a few kilobytes; a length beyond this is a broken or hostile encoding.
MAX_DER = 1024 * 1024


class CertificateError(ValueError):
    """The bytes are not a certificate we can read; the message says where it broke."""


def _element(data, offset):
    """``(tag, content start, content end)`` of the DER element at OFFSET."""
    if offset + 2 > len(data):
        raise CertificateError('truncated element at byte %d' % offset)
    tag, length = data[offset], data[offset + 1]
    start = offset + 2
    if length & 0x80:
        count = length & 0x7f
        if count == 0 or count > 4 or start + count > len(data):
            raise CertificateError('bad length at byte %d' % offset)
        length = int.from_bytes(data[start:start + count], 'big')
        start += count
    end = start + length
    if end > len(data):
        raise CertificateError('element at byte %d runs past the end' % offset)
    return tag, start, end


def _children(data, start, end):
    found = []
    offset = start
    while offset < end:
        tag, child_start, child_end = _element(data, offset)
        found.append((tag, child_start, child_end))
        offset = child_end
    return found


def _oid(raw):
    if not raw:
        return ''
    parts = [raw[0] // 40, raw[0] % 40]
    value = 0
    for byte in raw[1:]:
        value = (value << 7) | (byte & 0x7f)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return '.'.join(str(part) for part in parts)


def _time(tag, raw):
    text = raw.decode('ascii', 'replace')
    try:
        if tag == _UTCTIME:
            moment = datetime.strptime(text, '%y%m%d%H%M%SZ')
            # RFC 5280: two-digit years 50-99 are 19xx; strptime maps 69-99 there already.
            if moment.year >= 2050:
                moment = moment.replace(year=moment.year - 100)
        elif tag == _GENTIME:
            moment = datetime.strptime(text, '%Y%m%d%H%M%SZ')
        else:
            raise CertificateError('a validity time of unknown type 0x%02x' % tag)
    except ValueError:
        raise CertificateError('a validity time we cannot read: %r' % text)
    return moment.replace(tzinfo=timezone.utc)


def _common_name(data, start, end):
    """The first commonName of a Name (SEQUENCE OF SET OF SEQUENCE {OID, value})."""
    for _tag, set_start, set_end in _children(data, start, end):
        for _tag2, pair_start, pair_end in _children(data, set_start, set_end):
            parts = _children(data, pair_start, pair_end)
            if len(parts) >= 2 and parts[0][0] == _OID and _oid(data[parts[0][1]:parts[0][2]]) == _CN_OID:
                return data[parts[1][1]:parts[1][2]].decode('utf-8', 'replace')
    return None


def _alt_names(data, start, end):
    """(dns names, ip addresses) of a subjectAltName extension value."""
    dns, ips = [], []
    tag, seq_start, seq_end = _element(data, start)
    if tag != _SEQUENCE:
        raise CertificateError('subjectAltName is not a sequence')
    for tag, name_start, name_end in _children(data, seq_start, seq_end):
        raw = data[name_start:name_end]
        if tag == _SAN_DNS:
            dns.append(raw.decode('ascii', 'replace'))
        elif tag == _SAN_IP and len(raw) in (4, 16):
            ips.append(str(ipaddress.ip_address(raw)))
    return dns, ips


def _extensions(data, start, end):
    dns, ips, has_san = [], [], False
    # [3] EXPLICIT Extensions: one SEQUENCE of Extension {OID, [critical], OCTET STRING}.
    for _tag, ext_start, ext_end in _children(data, start, end):
        for _tag2, one_start, one_end in _children(data, ext_start, ext_end):
            parts = _children(data, one_start, one_end)
            if not parts or parts[0][0] != _OID or _oid(data[parts[0][1]:parts[0][2]]) != _SAN_OID:
                continue
            value = parts[-1]
            if value[0] != _OCTETS:
                raise CertificateError('subjectAltName has no octet string')
            has_san = True
            dns, ips = _alt_names(data, value[1], value[2])
    return dns, ips, has_san


def parse_certificate(der):
    """``{subject_cn, issuer_cn, not_before, not_after, dns_names, ip_addresses, has_san}`` of DER bytes.

    Times are aware UTC datetimes. Raises CertificateError on anything that is not a certificate.
    """
    if not der or len(der) > MAX_DER:
        raise CertificateError('no certificate, or one larger than %d bytes' % MAX_DER)
    tag, start, end = _element(der, 0)
    if tag != _SEQUENCE:
        raise CertificateError('not a DER certificate')
    tbs = _children(der, start, end)
    if not tbs or tbs[0][0] != _SEQUENCE:
        raise CertificateError('no tbsCertificate')
    fields = _children(der, tbs[0][1], tbs[0][2])
    # An explicit version ([0]) comes first when present; serial, signature, issuer, validity follow.
    if fields and fields[0][0] == 0xa0:
        fields = fields[1:]
    if len(fields) < 6:
        raise CertificateError('tbsCertificate has %d fields, fewer than 6' % len(fields))
    issuer, validity, subject = fields[2], fields[3], fields[4]
    times = _children(der, validity[1], validity[2])
    if len(times) != 2:
        raise CertificateError('validity does not hold two times')
    dns, ips, has_san = [], [], False
    for field in fields[6:]:
        if field[0] == 0xa3:
            dns, ips, has_san = _extensions(der, field[1], field[2])
    return {
        'subject_cn': _common_name(der, subject[1], subject[2]),
        'issuer_cn': _common_name(der, issuer[1], issuer[2]),
        'not_before': _time(times[0][0], der[times[0][1]:times[0][2]]),
        'not_after': _time(times[1][0], der[times[1][1]:times[1][2]]),
        'dns_names': dns,
        'ip_addresses': ips,
        'has_san': has_san,
    }


def _dns_match(pattern, name):
    pattern, name = pattern.lower().rstrip('.'), name.lower().rstrip('.')
    if pattern == name:
        return True
    if not pattern.startswith('*.'):
        return False
    # A wildcard stands for exactly one whole label, never for a bare domain or several labels.
    head, _dot, rest = name.partition('.')
    return bool(head) and rest == pattern[2:] and '.' in rest


def name_matches(cert, name):
    """Whether the certificate CERT (as parse_certificate returns) is valid for NAME (host or IP)."""
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        address = None
    if address is not None:
        return str(address) in cert.get('ip_addresses', ())
    if cert.get('has_san'):
        return any(_dns_match(pattern, name) for pattern in cert.get('dns_names', ()))
    return bool(cert.get('subject_cn')) and _dns_match(cert['subject_cn'], name)
