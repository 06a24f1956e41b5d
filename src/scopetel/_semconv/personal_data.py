"""Which names carry secrets or personal data: one vocabulary for Sentry and OTLP.

A *secret* (password, token, API key, session, cookie, CSRF token, authorization,
card number …) is never sent. *Personal data* (client addresses, forwarding headers,
e-mail addresses, the remote user) is sent only with ``send_default_pii``.

A name is matched however it is spelled: ``X-Api-Key``, ``x_api_key``, ``HTTP_X_API_KEY``,
``xApiKey`` and ``api.key`` are one name. It is split into lowercase words (at
non-alphanumerics and camelCase humps; a leading ``HTTP`` word of a WSGI key dropped); one
of the words must be one of ``_SECRET_WORDS`` / ``_PERSONAL_WORDS``, or their concatenation
hold one of the fragments. Every name of sentry_sdk's ``DEFAULT_DENYLIST`` and
``DEFAULT_PII_DENYLIST`` is matched, but as a part of a name (``db_password``,
``HTTP_AUTHORIZATION``, ``X-Access-Token``) where sentry_sdk compares whole keys.
"""

import re
from functools import lru_cache
from typing import Final

FILTERED: Final = "[Filtered]"
"""What a value that must not leave the process is replaced by (as Sentry shows it)."""

_SECRET_FRAGMENTS: Final = re.compile(
    "password|passwd|passphrase|secret|credential|auth|session|sessid|csrf|xsrf|cookie"
    "|apikey|privatekey|accesskey|signingkey|encryptionkey|masterkey|clientkey|jwt|bearer"
    "|signature|mysqlpwd|connectsid|symfony"
    # "token", but not token counts (gen_ai.usage.input_tokens) nor tokenizers
    "|token(?!s|iz)"
)
_SECRET_WORDS: Final = frozenset(
    {"pwd", "pw", "pass", "sid", "sig", "otp", "ssn", "card", "cvv", "cvc", "cvv2", "iban"}
)
_SECRET_NAMES: Final = frozenset({"key"})
"""Whole names: a bare ``key`` query parameter is an API key (``?key=…``)."""

_PERSONAL_FRAGMENTS: Final = re.compile(
    "forwarded|realip|remoteaddr|remotehost|remoteip|remoteuser|clientip|clientaddr"
    "|connectingip|ipaddr|peeraddr|peerip|sourceaddr|sourceip|email|enduser"
)
_PERSONAL_WORDS: Final = frozenset({"ip", "raddr"})

ADDRESS_ATTRIBUTES: Final = frozenset(
    {
        "client.address",
        "network.peer.address",
        "source.address",
        "net.peer.ip",
        "net.sock.peer.addr",
        "http.client_ip",
    }
)
"""Span attributes naming a client's address (contrib's server spans set them); each is
personal data by the rules above (the tests hold them to it)."""

_HUMP: Final = re.compile(r"([a-z0-9])([A-Z])")
_NON_ALNUM: Final = re.compile(r"[^a-z0-9]+")
_WSGI_PREFIX: Final = "http"


def is_secret(name: str) -> bool:
    """Whether values under ``name`` are secrets (never sent)."""
    return _kind(name) == _SECRET


def is_personal(name: str) -> bool:
    """Whether values under ``name`` are personal data (sent with ``send_default_pii``)."""
    return _kind(name) == _PERSONAL


def is_private(name: str, send_default_pii: bool) -> bool:
    """Whether values under ``name`` must not be sent with these options."""
    common = type(name) is str and len(name) <= _MAX_CACHED
    kind = _cached_kind(name) if common else _kind(name)
    return kind == _SECRET or (kind == _PERSONAL and not send_default_pii)


_SECRET: Final = 2
_PERSONAL: Final = 1
_PUBLIC: Final = 0


_MAX_CACHED: Final = 200


def _kind(name: str) -> int:
    if type(name) is not str:  # a str subclass may hash or compare in its own way
        name = str.__getitem__(name, slice(None))
    if len(name) > _MAX_CACHED:
        return _classify(name)
    return _cached_kind(name)


def _classify(name: str) -> int:
    words = [word for word in _NON_ALNUM.split(_HUMP.sub(r"\1_\2", name).lower()) if word]
    if words and words[0] == _WSGI_PREFIX and len(words) > 1:
        words = words[1:]  # a WSGI environ key: HTTP_X_API_KEY is the header X-Api-Key
    joined = "".join(words)
    if (
        _SECRET_FRAGMENTS.search(joined)
        or joined in _SECRET_NAMES
        or not _SECRET_WORDS.isdisjoint(words)
    ):
        return _SECRET
    if _PERSONAL_FRAGMENTS.search(joined) or not _PERSONAL_WORDS.isdisjoint(words):
        return _PERSONAL
    return _PUBLIC


_cached_kind: Final = lru_cache(maxsize=8192)(_classify)
