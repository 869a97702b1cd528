"""@username mentions in plain text (pure Python, no Django).

A mention is "@" followed by the characters a username may hold (letters, digits, _ . + -),
not preceded by a letter, digit or "@", so an e-mail address (priya@hospital.example) is
not a mention of "hospital". A trailing full stop or hyphen ends the sentence, not the name:
"ask @priya." mentions priya.
"""

import re

MENTION = re.compile(r"(?<![\w@])@([\w.+-]+)")


def mentioned_usernames(text: str) -> list[str]:
    """The distinct usernames mentioned, in order of first mention, compared without case.

    >>> mentioned_usernames("@priya can you check? cc @Grace, @priya. mail x@y.org")
    ['priya', 'Grace']
    """
    found: dict[str, str] = {}
    for match in MENTION.finditer(text):
        name = match.group(1).rstrip(".-")
        if name and name.lower() not in found:
            found[name.lower()] = name
    return list(found.values())
