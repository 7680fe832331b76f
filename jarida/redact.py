"""Secrets out of sight: the user-info of URLs (`user:password@`) is masked wherever a URL is shown."""

from __future__ import annotations

import re

# scheme://user[:password]@ — the password runs to the authority's last "@" (no "/", "?", "#" or space in it)
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^:/?#@\s]*)(?P<password>:[^/?#\s]*)?@")


def redact(text: str) -> str:
    """`text` with the secret of every URL in it masked: `http://user:pass@host` → `http://user:***@host`.

    A URL whose user-info is a single token (`http://TOKEN@host`) shows `***@host`: the token is the secret.
    """

    def mask(match: re.Match[str]) -> str:
        shown = f"{match['user']}:***" if match["password"] is not None else "***"
        return f"{match['scheme']}{shown}@"

    return _USERINFO.sub(mask, text)
