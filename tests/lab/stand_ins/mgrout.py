"""What the stand-in mgrctl answers, in the platform's text, XML and JSON forms.

Text: one element per line as `key=value` pairs, a form as `key=value` lines, an error as one line
`ERROR type(object[,value])`. XML: `<doc>...</doc>`, errors as `<doc><error type=".." code="..">
<param name="..">..</param><msg>..</msg></error></doc>`. JSON mirrors the XML (`$name` attributes,
`$` text). The error codes are the lab's own numbering.
"""

import json

ERROR_CODES = {'connect': 2, 'missed': 3, 'value': 4, 'blocked': 5, 'mysql': 6}


# xml.sax.saxutils would pull in urllib.request: too slow to import on every call.
def escape(text):
    return text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')


def quoteattr(text):
    return '"%s"' % escape(text).replace('"', '&quot;')


class Answer:
    def __init__(self, kind, data=None, type_=None, object_='', value='', msg='', params=None):
        self.kind = kind  # 'form', 'list', 'ok' or 'error'
        self.data = data
        self.type = type_
        self.object = object_
        self.value = value
        self.msg = msg
        self.params = params or []  # extra (name, value) pairs of an error

    @classmethod
    def form(cls, pairs):
        return cls('form', list(pairs))

    @classmethod
    def elements(cls, rows):
        return cls('list', [list(row) for row in rows])

    @classmethod
    def ok(cls):
        return cls('ok')

    @classmethod
    def error(cls, type_, object_='', value='', msg='', params=None):
        return cls('error', type_=type_, object_=object_, value=value, msg=msg, params=params)

    def error_params(self):
        pairs = [('object', self.object)] if self.object else []
        if self.value:
            pairs.append(('value', self.value))
        return pairs + list(self.params)


def render(answer, output):
    if output == 'json':
        return json.dumps({'doc': _json_doc(answer)}, ensure_ascii=False) + '\n'
    if output in ('xml', 'devel'):
        return '<?xml version="1.0" encoding="UTF-8"?>\n<doc>%s</doc>\n' % _xml_body(answer)
    return _text(answer)


def _text(answer):
    if answer.kind == 'error':
        inner = ','.join(part for part in (answer.object, answer.value) if part)
        return 'ERROR %s(%s)\n' % (answer.type, inner)
    if answer.kind == 'ok':
        return 'OK\n'
    if answer.kind == 'form':
        return ''.join('%s=%s\n' % pair for pair in answer.data)
    return ''.join(' '.join('%s=%s' % pair for pair in row) + '\n' for row in answer.data)


def _xml_pairs(pairs):
    return ''.join('<%s>%s</%s>' % (name, escape(str(value)), name) for name, value in pairs)


def _xml_body(answer):
    if answer.kind == 'error':
        attrs = ' '.join('%s=%s' % (name, quoteattr(str(value))) for name, value in (
            ('type', answer.type), ('object', answer.object), ('value', answer.value),
            ('code', ERROR_CODES.get(answer.type, 1)), ('lang', 'en')))
        params = ''.join('<param name=%s>%s</param>' % (quoteattr(name), escape(str(value)))
                         for name, value in answer.error_params())
        return '<error %s>%s<msg>%s</msg></error>' % (attrs, params, escape(answer.msg))
    if answer.kind == 'ok':
        return '<ok/>'
    if answer.kind == 'form':
        return _xml_pairs(answer.data)
    return ''.join('<elem>%s</elem>' % _xml_pairs(row) for row in answer.data)


def _json_pairs(pairs):
    return {name: {'$': str(value)} for name, value in pairs}


def _json_doc(answer):
    if answer.kind == 'error':
        error = {'$type': answer.type, '$object': answer.object, '$value': answer.value,
                 '$code': str(ERROR_CODES.get(answer.type, 1)), '$lang': 'en',
                 'param': [{'$name': name, '$': str(value)} for name, value in answer.error_params()],
                 'msg': {'$': answer.msg}}
        return {'error': error}
    if answer.kind == 'ok':
        return {'ok': {}}
    if answer.kind == 'form':
        return _json_pairs(answer.data)
    return {'elem': [_json_pairs(row) for row in answer.data]}
