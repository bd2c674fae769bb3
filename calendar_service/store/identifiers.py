"""The forms of the names the service accepts: calendar and category slugs, and event uids.

One definition serves validation (the compiled regexes) and the OpenAPI document (the pattern
text, which reads the same as an ECMA-262 regex).
"""

from __future__ import annotations

import re

# Lower-case letters, digits and hyphens, not starting with a hyphen, at most 64.
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
# Printable ASCII without spaces (RFC 5545 allows more; feeds and URLs stay simple this way).
UID_PATTERN = r"^[\x21-\x7e]{1,255}$"

SLUG = re.compile(SLUG_PATTERN)
UID = re.compile(UID_PATTERN)
