"""Secrets and personal data inside free text, found by shape.

Frame variables are shown as ``repr`` text, URLs and query strings are text, and a
container nested deeper than the serializer goes becomes its ``repr``: key-based
scrubbing alone cannot reach what is inside them. :func:`scrub_text` replaces, with
``[Filtered]`` (the name or scheme is kept):

- the value of every ``name=value`` pair (query strings, form bodies, ``Name(key=…)``
  reprs) and of every quoted ``'name': value`` pair (dict reprs, JSON text) whose name
  is private (``personal_data``), or whose value looks like a card number;
- the credentials of ``Authorization``-style values (``Bearer …``, ``Basic …`` …), JSON
  Web Tokens, and the user information of URLs (``scheme://user:password@host``);
- card numbers: 13 to 19 digits (spaces or dashes allowed between them) that start like
  a payment card and pass the Luhn check;
- without ``send_default_pii``, e-mail addresses.

:func:`scrub_addresses` also replaces IP addresses; it is applied to frame variables
only (without ``send_default_pii``), where a client's address is often held under a
neutral name (``client = environ["HTTP_X_FORWARDED_FOR"]``): elsewhere addresses are
recognised by their names, and a server's address in span data stays.
"""

import re
from collections.abc import Callable
from typing import Final
from urllib.parse import unquote_plus

from scopetel._semconv.personal_data import FILTERED, is_private

_PAIR: Final = re.compile(
    r"(?<![A-Za-z0-9_.\-\[\]%+])(?P<name>[A-Za-z0-9_.\-\[\]%+]+)="
    r"(?P<value>'[^']*'|\"[^\"]*\"|\([^)]*\)|[^&;#\s'\"<>]*)"
)
_PAIR_NAME: Final = re.compile(r"(?<![A-Za-z0-9_.\-\[\]%+])([A-Za-z0-9_.\-\[\]%+]+)=")
_QUOTED_PAIR: Final = re.compile(
    r"(?P<quote>['\"])(?P<name>[^'\"\\\n]{1,100})(?P=quote)(?P<sep>\s*:\s*)"
    r"(?P<value>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[^\s,}\]]+)"
)
_USERINFO: Final = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)[^/?#@\s'\"]+@")
_CREDENTIALS: Final = re.compile(
    r"\b(?P<scheme>(?i:bearer|basic|digest|negotiate|ntlm|token)) +"
    r"(?P<value>[A-Za-z0-9\-._~+/]{8,}=*)"
)
_SCHEME_HINT: Final = re.compile("earer |asic |igest |egotiate |NTLM |ntlm |oken ")
_JWT: Final = re.compile(r"\beyJ[A-Za-z0-9_\-]{4,}\.eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*")
_EMAIL: Final = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
)
_CARD: Final = re.compile(r"(?<![0-9A-Za-z])[0-9](?:[ \-]?+[0-9]){12,18}+(?![0-9A-Za-z])")
_DIGITS: Final = b"0123456789"
_OCTET: Final = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4: Final = re.compile(rf"(?<![0-9.]){_OCTET}(?:\.{_OCTET}){{3}}(?![0-9.])")
_IPV6: Final = re.compile(
    # hex groups and colons with a "::" or eight groups (not a time of day, "12:30:45")
    r"(?<![0-9A-Za-z:.])(?=[0-9A-Fa-f:]*::|(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f])"
    r"[0-9A-Fa-f:]{2,39}(?:\.[0-9.]+)?(?![0-9A-Za-z:])"
)
_MIN_CARD_DIGITS: Final = 13
_MAX_CARD_DIGITS: Final = 19


def scrub_text(text: str, send_default_pii: bool) -> str:
    """``text`` with the secrets (and, without ``send_default_pii``, personal data) it
    holds replaced; ``text`` itself when there are none."""
    if len(text) < 6:
        return text
    if text.isascii() and text.isalnum():
        # an id, a number, a word (profiler and thread ids in every profiled transaction):
        # no separator, so nothing but a card number that is the whole text
        return FILTERED if text.isdigit() and looks_like_card(text) else text
    original = text
    if "=" in text and _has_private_pair(text, send_default_pii):
        text = _PAIR.sub(_PAIR_FILTERS[send_default_pii], text)
    if ":" in text:
        if "'" in text or '"' in text:
            text = _QUOTED_PAIR.sub(_QUOTED_PAIR_FILTERS[send_default_pii], text)
        if "@" in text and "://" in text:
            text = _USERINFO.sub(rf"\g<scheme>{FILTERED}@", text)
    if " " in text and _SCHEME_HINT.search(text):
        text = _CREDENTIALS.sub(_credentials_filter, text)
    if "eyJ" in text:
        text = _JWT.sub(FILTERED, text)
    if not send_default_pii and "@" in text:
        text = _EMAIL.sub(FILTERED, text)
    if len(text) >= _MIN_CARD_DIGITS and _digit_count(text) >= _MIN_CARD_DIGITS:
        text = _CARD.sub(_card_filter, text)
    return original if text == original else text  # unchanged: the same object


def scrub_addresses(text: str) -> str:
    """``text`` without IPv4 and IPv6 addresses; ``text`` itself when it holds none."""
    result = text
    if "." in result:
        result = _IPV4.sub(FILTERED, result)
    if "::" in result or result.count(":") >= 7:
        result = _IPV6.sub(FILTERED, result)
    return text if result == text else result


def looks_like_card(text: str) -> bool:
    """Whether ``text`` is a payment card number (separators allowed)."""
    digits = text.replace(" ", "").replace("-", "")
    if not (_MIN_CARD_DIGITS <= len(digits) <= _MAX_CARD_DIGITS and digits.isdigit()):
        return False
    first = digits[0]
    if first not in "3456" and not (len(digits) == 16 and "2221" <= digits[:4] <= "2720"):
        return False
    return _luhn(digits)


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _has_private_pair(text: str, send_default_pii: bool) -> bool:
    """Whether a ``name=value`` pair of ``text`` may need filtering: a private name, or
    enough digits for a card (a cheap test first: most pairs are ``page=2``)."""
    for name in _PAIR_NAME.findall(text):
        if "%" in name or "+" in name:
            name = unquote_plus(name)
        if is_private(name, send_default_pii):
            return True
    return _digit_count(text) >= _MIN_CARD_DIGITS


def _digit_count(text: str) -> int:
    """ASCII digits in ``text`` (counted in C: encoding and ``bytes.translate``)."""
    encoded = text.encode("utf-8", "surrogatepass")
    return len(encoded) - len(encoded.translate(None, _DIGITS))


def _card_filter(match: re.Match[str]) -> str:
    return FILTERED if looks_like_card(match.group()) else match.group()


def _credentials_filter(match: re.Match[str]) -> str:
    value = match.group("value")
    if value.isalpha() and value.islower():  # prose ("basic configuration"), not a credential
        return match.group()
    return f"{match.group('scheme')} {FILTERED}"


def _is_filled(value: str) -> bool:
    return value not in ("", "''", '""', "()", "None")


Replacer = Callable[[re.Match[str]], str]


def _pair_filter(send_default_pii: bool) -> Replacer:
    def replace(match: re.Match[str]) -> str:
        name, value = match.group("name", "value")
        if not _is_filled(value):
            return match.group()
        if "%" in name or "+" in name:
            name = unquote_plus(name)
        if is_private(name, send_default_pii) or (
            len(value) >= _MIN_CARD_DIGITS and looks_like_card(unquote_plus(value).strip("'\""))
        ):
            return f"{match.group('name')}={FILTERED}"
        return match.group()

    return replace


def _quoted_pair_filter(send_default_pii: bool) -> Replacer:
    def replace(match: re.Match[str]) -> str:
        value = match.group("value")
        if _is_filled(value) and is_private(match.group("name"), send_default_pii):
            quote, name, sep = match.group("quote", "name", "sep")
            return f"{quote}{name}{quote}{sep}{quote}{FILTERED}{quote}"
        return match.group()

    return replace


_PAIR_FILTERS: Final = {pii: _pair_filter(pii) for pii in (False, True)}
_QUOTED_PAIR_FILTERS: Final = {pii: _quoted_pair_filter(pii) for pii in (False, True)}
