"""The JSON of the month's hot paths (stored assessments, facts files, memo files), through orjson.

One place decides the form: keys sorted, no spaces, UTF-8 as is (orjson's only form). orjson encodes
and decodes an assessment 3-10x faster than the stdlib; what it refuses falls back to the stdlib
here, so no value the stdlib could write makes a run fail.
"""

from __future__ import annotations

import json

import orjson

# the stdlib's form nearest orjson's: sorted, compact; ASCII escapes so a lone surrogate (which orjson
# refuses) can be written, and read back
_FALLBACK = json.JSONEncoder(sort_keys=True, separators=(",", ":"), check_circular=False)


def dumps(value: object) -> bytes:
    """VALUE as JSON with sorted keys and no spaces. What orjson refuses (an integer beyond 64 bits, a key that
    is not a string, a string with a lone surrogate) is written by the stdlib in the same form, exactly."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return _FALLBACK.encode(value).encode("ascii")


def loads(data: bytes | str) -> object:
    """The value JSON DATA holds. What orjson refuses and the stdlib reads (escaped lone surrogates, NaN, a
    number beyond a double's range, as older hfstage wrote them) is read by the stdlib; malformed JSON raises
    json.JSONDecodeError (orjson's is one). orjson reads an integer beyond 64 bits as a float: a reader of
    values that can hold one (facts from hostile hives) keeps the stdlib's json.loads."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)
