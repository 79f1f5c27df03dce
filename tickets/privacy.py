"""The personal-data guard: find and redact personal data of a client's own clients (GDPR).

Detects Dutch citizen service numbers (BSN, 11-check), IBANs (ISO 13616 mod-97), Dutch phone
numbers, e-mail addresses and dates of birth (a date close after a cue such as "geboren").
Numbers are whole tokens: a digit run inside a longer number, a ticket number (`SHN-000123`),
a date, a time, an amount or a version string is not one of them.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    kind: str  # "bsn" | "iban" | "phone" | "email" | "date_of_birth"
    start: int
    end: int


# Python's re skips quickly only to where a pattern's first character class matches, so
# every pattern begins with a plain class and puts its guards, as lookbehinds, after it.
#
# Guards come in mirrored pairs: when a finding's last character keeps its neighbour from
# being found, the neighbour's first character keeps that finding from being found too.
# Otherwise redacting the one would uncover the other, and redacted text would still hold
# personal data.


def _left(first: str) -> str:
    """Guards for a number starting with `first` (already matched): it starts after a space,
    a word's colon or comma ("BSN:123456782"), never inside a longer number ("1.123456782",
    "12:30"), a word ("x123456782") or a ticket id ("SHN-123456782")."""
    return rf"(?<![\w+@]{first})(?<![0-9][-./,:]{first})(?<![^\W\d_]-{first})"


# A token ends where no word, "+" or "(" goes on, a number's digit no number after a
# separator ("123456782-01"), and a word's letter no number after a hyphen.
_RIGHT = r"(?![\w+@(])(?:(?<=[0-9])(?![-./,:][0-9])|(?<![0-9])(?!-[0-9]))"

_BSN_RE = re.compile(
    "[0-9]"
    + _left("[0-9]")
    + r"(?:[0-9]{8}|[0-9]{3}([ .-])[0-9]{2}\1[0-9]{3}|[0-9]{2}([ .-])[0-9]{3}\2[0-9]{3})"
    + _RIGHT
)

# Subscriber parts as people group them; a date ("06-12-2023 10:45") groups differently.
_SUB8 = r"(?:[0-9]{8}|[0-9]{4}[ -][0-9]{4}|[0-9]{2}(?: [0-9]{2}){3}|[0-9]{3} [0-9]{3} [0-9]{2})"
_SUB7 = r"(?:[0-9]{7}|[0-9]{3}[ -][0-9]{4}|[0-9]{3} [0-9]{2} [0-9]{2}|[0-9]{2} [0-9]{2} [0-9]{3})"
_SUB6 = r"(?:[0-9]{6}|[0-9]{3}[ -][0-9]{3}|[0-9]{2} [0-9]{2} [0-9]{2})"
# The national number after its trunk "0": mobile 6, area codes of two or three digits.
_NATIONAL = rf"(?:6[ -]?{_SUB8}|[1-57-9][0-9][ -]?{_SUB7}|[1-57-9][0-9]{{2}}[ -]?{_SUB6})"
_SPECIAL = r"(?:800|900|906|909)[ -]?(?:[0-9]{7}|[0-9]{3} [0-9]{4}|[0-9]{4})"
_PHONE_RE = re.compile(
    r"[0+(](?:"
    # +31 6 12345678, +31 (0)20 123 4567: a "+" or "(" opens a token after anything but a word
    rf"(?<=\+)(?<![\w+]\+)31[ -]?(?:\(0\)[ -]?)?{_NATIONAL}"
    rf"|(?<=\()(?<![\w+]\()0(?:[1-57-9][0-9]\) ?{_SUB7}|[1-57-9][0-9]{{2}}\) ?{_SUB6})"
    # 0031 6 12345678, 06-12345678, 020-1234567, 0800-1234
    rf"|(?<=0){_left('0')}(?:031[ -]?(?:\(0\)[ -]?)?{_NATIONAL}|{_NATIONAL}|{_SPECIAL})"
    r")" + _RIGHT
)

# E-mail is found from its "@": the domain after it, and the local part before it, read
# backwards in the reversed text so that it costs its own length (at most 64, RFC 5321).
# The local part starts with a letter or digit ("-x@" would begin an address wherever a
# redaction marker ends), and a digit not right after a number and a separator ("1/2a@"), as
# in _left().
_LOCAL_REVERSED_RE = re.compile(
    r"(?:[\w%+-]+\.)*[\w%+-]*\w(?![\w.%+-])(?:(?<=[0-9])(?![/,:][0-9])|(?<![0-9]))"
)
_DOMAIN_RE = re.compile(r"[^\W_](?:[\w-]*\w)?(?:\.[^\W_](?:[\w-]*\w)?)*\.[^\W\d_]{2,}(?![\w@%+(-])")

# The IBAN length of each country, from the ISO 13616 registry that SWIFT keeps.
# fmt: off
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28,
    "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22,
    "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23,
    "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
    "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}
# fmt: on
# An IBAN is found from its check digits after two letters; the country's length decides
# where it ends. Only the start is matched, so a false start ("XX12 NL91...") cannot swallow
# a real IBAN after it.
_IBAN_START_RE = re.compile(
    r"[0-9](?<=[A-Za-z]{2}[0-9])(?<![\w+@][A-Za-z]{2}[0-9])[0-9](?= ?[A-Za-z0-9]{4})"
)

_MONTHS = (
    r"(?:jan(?:uari|uary)?|feb(?:ruari|ruary)?|m(?:aart|rt|ar(?:ch)?)|apr(?:il)?|mei|may"
    r"|jun[ei]?|jul[iy]?|aug(?:ustus|ust)?|sept?(?:ember)?|o[ck]t(?:ober)?|nov(?:ember)?"
    r"|dec(?:ember)?)"
)
_DATE_RE = re.compile(
    r"(?<![\w+@])(?:(?<![0-9][-./,:])(?<![^\W\d_]-)(?=[0-9])|(?=[^\W\d_]))"
    + r"(?:([0-9]{1,2})([-/.])([0-9]{1,2})\2(?:[0-9]{4}|[0-9]{2})"
    + r"|[0-9]{4}([-/.])([0-9]{1,2})\4([0-9]{1,2})"
    + rf"|[0-9]{{1,2}}(?:st|nd|rd|th|e)?\s{{1,3}}{_MONTHS}\.?,?\s{{1,3}}[0-9]{{4}}"
    + rf"|{_MONTHS}\.?\s{{1,3}}[0-9]{{1,2}}(?:st|nd|rd|th)?,?\s{{1,3}}[0-9]{{4}})"
    + _RIGHT,
    re.IGNORECASE,
)
_CUE_RE = re.compile(
    r"[gGdDbB](?<!\w[gGdDbB])(?i:"
    r"(?<=g)(?:eb(?:oorte)?\.?\s?datum(?!\w)|eboren(?!\w)|eb\.)"
    r"|(?<=d)(?:ate\s+of\s+birth(?!\w)|ob(?!\w)|\.o\.b\.?)"
    r"|(?<=b)(?:irth\s?date|orn)(?!\w))"
)
# How far after its cue a date counts as the date of birth, in characters of plain text.
_DOB_WINDOW = 40


def _bsn_valid(digits: str) -> bool:
    """True for nine digits passing the 11-check (elfproef), all zeros excepted."""
    if len(digits) != 9 or digits == "0" * 9:
        return False
    d = [int(c) for c in digits]
    total = 9 * d[0] + 8 * d[1] + 7 * d[2] + 6 * d[3] + 5 * d[4] + 4 * d[5] + 3 * d[6] + 2 * d[7]
    return (total - d[8]) % 11 == 0


# ISO 7064 MOD 97-10 reads the letters A to Z as the numbers 10 to 35.
_LETTER_VALUES = str.maketrans({chr(ord("A") + i): str(10 + i) for i in range(26)})


def iban_valid(iban: str) -> bool:
    """True when `iban` (spaces allowed) has its country's length and passes mod-97."""
    compact = iban.replace(" ", "").upper()
    if _IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact.isalnum():
        return False
    if not compact[2:4].isdigit() or not 2 <= int(compact[2:4]) <= 98:
        return False
    return int((compact[4:] + compact[:4]).translate(_LETTER_VALUES)) % 97 == 1


def _bsns(text: str) -> list[Finding]:
    """BSN-shaped tokens that pass the 11-check."""
    found = []
    for m in _BSN_RE.finditer(text):
        digits = m.group().replace(" ", "").replace(".", "").replace("-", "")
        if _bsn_valid(digits):
            found.append(Finding("bsn", m.start(), m.end()))
    return found


def _iban_body(length: int) -> re.Pattern[str]:
    """An IBAN of `length` characters, compact or with a space after any group of four."""
    groups, rest = divmod(length - 1, 4)
    return re.compile(rf"(?:[A-Za-z0-9]{{4}} ?){{{groups}}}[A-Za-z0-9]{{{rest + 1}}}" + _RIGHT)


_IBAN_BODIES = {country: _iban_body(length) for country, length in _IBAN_LENGTHS.items()}


def _ibans(text: str) -> list[Finding]:
    """IBANs of their country's length that pass mod-97."""
    found = []
    for m in _IBAN_START_RE.finditer(text):
        start = m.start() - 2
        body = _IBAN_BODIES.get(text[start : start + 2].upper())
        iban = body.match(text, start) if body else None
        if iban and iban_valid(iban.group()):
            found.append(Finding("iban", start, iban.end()))
    return found


def _emails(text: str) -> list[Finding]:
    """Addresses around each "@" with a local part and a domain with a top-level name."""
    found: list[Finding] = []
    at = text.find("@")
    reversed_text = text[::-1] if at != -1 else ""
    while at != -1:
        domain = _DOMAIN_RE.match(text, at + 1)
        local = _LOCAL_REVERSED_RE.match(reversed_text, len(text) - at) if domain else None
        if domain and local and local.end() - local.start() <= 64:
            found.append(Finding("email", len(text) - local.end(), domain.end()))
        at = text.find("@", at + 1)
    return found


def _phones(text: str) -> list[Finding]:
    """Dutch phone numbers, national or international, grouped as people write them."""
    return [Finding("phone", m.start(), m.end()) for m in _PHONE_RE.finditer(text)]


def _plausible_date(m: re.Match[str]) -> bool:
    """Numeric dates need a real day and month, in either European or American order."""
    if m.group(1):
        a, b = int(m.group(1)), int(m.group(3))
        return (1 <= a <= 31 and 1 <= b <= 12) or (1 <= a <= 12 and 1 <= b <= 31)
    if m.group(5):
        return 1 <= int(m.group(5)) <= 12 and 1 <= int(m.group(6)) <= 31
    return True


class _Covered:
    """How many characters of other findings lie between two offsets."""

    def __init__(self, findings: list[Finding]) -> None:
        self.starts = [f.start for f in findings]
        self.sums = [0]
        for f in findings:
            self.sums.append(self.sums[-1] + f.end - f.start)

    def between(self, start: int, end: int) -> int:
        """Characters of other findings between two offsets, in logarithmic time."""
        lo, hi = bisect_left(self.starts, start), bisect_left(self.starts, end)
        return self.sums[hi] - self.sums[lo]


def _reach(cue_end: int, covered: _Covered) -> int:
    """The last offset where a date can start: the window plus the findings within it."""
    reach = cue_end + _DOB_WINDOW
    while (wider := cue_end + _DOB_WINDOW + covered.between(cue_end, reach + 1)) != reach:
        reach = wider
    return reach


def _dates_of_birth(text: str, others: list[Finding]) -> list[Finding]:
    """Dates starting at most _DOB_WINDOW characters after a cue, other findings not counted.

    Other personal data between cue and date does not count towards the distance, so that
    redacting it (markers may be shorter) never brings a further date within reach.
    """
    covered, found = _Covered(others), set()
    for cue in _CUE_RE.finditer(text):
        reach = _reach(cue.end(), covered)
        # A date is at most 25 characters, so one starting within reach is never cut short.
        for m in _DATE_RE.finditer(text, cue.end(), reach + 32):
            distance = m.start() - cue.end() - covered.between(cue.end(), m.start())
            if distance <= _DOB_WINDOW and _plausible_date(m):
                found.add(Finding("date_of_birth", m.start(), m.end()))
    return sorted(found, key=lambda f: f.start)


def _without_overlaps(findings: list[Finding]) -> list[Finding]:
    """The earliest finding wins an overlap; at the same start, the longest."""
    kept: list[Finding] = []
    for f in sorted(findings, key=lambda f: (f.start, f.start - f.end)):
        if not kept or f.start >= kept[-1].end:
            kept.append(f)
    return kept


def find_personal_data(text: str) -> list[Finding]:
    """All personal data found in `text`, sorted by start and never overlapping."""
    found = _without_overlaps(_emails(text) + _ibans(text) + _bsns(text) + _phones(text))
    return _without_overlaps(found + _dates_of_birth(text, found))


def marker(kind: str) -> str:
    """The text that stands in for a removed finding of this kind."""
    return f"[{kind} removed]"


def redact(text: str, findings: list[Finding] | None = None) -> str:
    """`text` with each finding replaced by its marker; nothing of a finding remains."""
    if findings is None:
        findings = find_personal_data(text)
    ordered = sorted(findings, key=lambda f: f.start)
    parts, pos = [], 0
    for f in ordered:
        if f.start < pos or f.end < f.start or f.end > len(text):
            raise ValueError(f"findings overlap or lie outside the text: {f}")
        parts += [text[pos : f.start], marker(f.kind)]
        pos = f.end
    parts.append(text[pos:])
    return "".join(parts)
