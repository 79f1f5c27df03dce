"""Attachment content checks: the type from the bytes, refusal of active content, a hash.

The type comes from the content (magic numbers, the members of a ZIP, the shape of a text),
never from the file name or the client's Content-Type. What is accepted is an allow-list:
anything unrecognised is refused, so a new executable format needs no new rule here.
The clamd client for the virus scan lives in `tickets.clamd` and is re-exported here.
"""

from __future__ import annotations

import hashlib
import io
import json
import lzma
import re
import zipfile
import zlib
from pathlib import PurePosixPath

from tickets.clamd import ClamdUnavailable, ScanError, ScanResult, ping, scan

__all__ = [
    "ClamdUnavailable",
    "RefusedContent",
    "ScanError",
    "ScanResult",
    "check",
    "ping",
    "scan",
    "sha256_hex",
    "sniff",
]

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
GIF = "image/gif"
WEBP = "image/webp"
_OOXML = "application/vnd.openxmlformats-officedocument."
DOCX = _OOXML + "wordprocessingml.document"
XLSX = _OOXML + "spreadsheetml.sheet"
PPTX = _OOXML + "presentationml.presentation"
_ODF = "application/vnd.oasis.opendocument."
ODT, ODS, ODP = _ODF + "text", _ODF + "spreadsheet", _ODF + "presentation"
ZIP = "application/zip"
TEXT = "text/plain"
CSV = "text/csv"
JSON = "application/json"
XML = "application/xml"
EML = "message/rfc822"
# Sniffed so that check() can name them in its refusal; never accepted.
HTML = "text/html"
SVG = "image/svg+xml"
PE = "application/vnd.microsoft.portable-executable"
ELF = "application/x-elf"
MACHO = "application/x-mach-binary"
JAVA = "application/java-vm"
SCRIPT = "text/x-script"
OLE = "application/x-ole-storage"
MACRO_OFFICE = "application/vnd.ms-office.macroenabled"
UNKNOWN = "application/octet-stream"

ACCEPTED = frozenset(
    {PDF, PNG, JPEG, GIF, WEBP, DOCX, XLSX, PPTX, ODT, ODS, ODP, ZIP, TEXT, CSV, JSON, XML, EML}
)
_ARCHIVES = frozenset({DOCX, XLSX, PPTX, ODT, ODS, ODP, ZIP})
_REASONS = {
    PE: "Windows executable",
    ELF: "ELF executable",
    MACHO: "Mach-O executable",
    JAVA: "Java class file",
    SCRIPT: "script with an interpreter line (#!)",
    OLE: "OLE compound file (legacy Office or MSI; may hold macros)",
    MACRO_OFFICE: "Office document with macros",
    HTML: "HTML page (active content)",
    SVG: "SVG image (active content)",
}
# Kinds that make an archive member a reason to refuse the whole archive.
_EXECUTABLE = frozenset({PE, ELF, MACHO, JAVA, SCRIPT, OLE})

# Prefixes of the content and what they are; the first that matches decides.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
    (b"MZ", PE),
    (b"\x7fELF", ELF),
    *((m, MACHO) for m in (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe")),
    *((m, MACHO) for m in (b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbf", b"\xbe\xba\xfe\xca")),
    (b"\xbf\xba\xfe\xca", MACHO),
    (b"#!", SCRIPT),
    (b"\xef\xbb\xbf#!", SCRIPT),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", OLE),
)
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")

# Names that run when opened on a desktop, whatever their bytes: refused as upload name and
# as archive member. Web pages and SVG only as upload name: in an archive they cannot run
# on our origin.
# fmt: off
_EXECUTABLE_EXTENSIONS = frozenset({
    "exe", "dll", "com", "scr", "pif", "cpl", "sys", "drv", "ocx", "msi", "msp", "mst", "msix",
    "appx", "appxbundle", "bat", "cmd", "ps1", "psm1", "psd1", "vbs", "vbe", "js", "jse", "mjs",
    "wsf", "wsh", "wsc", "hta", "jar", "class", "lnk", "url", "reg", "inf", "scf", "sh", "bash",
    "zsh", "csh", "ksh", "command", "app", "dmg", "pkg", "apk", "deb", "rpm", "so", "dylib",
    "py", "pyw", "pl", "rb", "php", "iso", "img", "vhd", "vhdx",
})
_WEB_EXTENSIONS = frozenset({
    "html", "htm", "xhtml", "xht", "shtml", "mht", "mhtml", "svg", "svgz", "xsl", "xslt",
})
# fmt: on

_MAX_MEMBERS = 10_000
_MAX_NESTED_BYTES = 32 * 1024 * 1024
_MAX_DEPTH = 2
_HEAD = 4096
# Whatever goes wrong reading a ZIP: corrupt, truncated, unsupported or bomb-like.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    NotImplementedError,
    EOFError,
    OSError,
    ValueError,
    RuntimeError,
    KeyError,
    zlib.error,
    lzma.LZMAError,
)


class RefusedContent(ValueError):
    """An upload that must not be stored; `reason` says why, for the person uploading."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of `data` as 64 lowercase hexadecimal characters."""
    return hashlib.sha256(data).hexdigest()


def sniff(data: bytes, declared_name: str) -> str:
    """The content type of `data` judged by its bytes; the name only tells CSV from text."""
    kind = _magic(data)
    if kind is not None:
        return kind
    if data.startswith(_ZIP_MAGIC):
        return _zip_kind(data)
    if _looks_like_mail(data):
        return EML
    text = _as_text(data)
    if text is None:
        return UNKNOWN
    return _text_kind(text, declared_name)


def check(data: bytes, declared_name: str) -> str:
    """The sniffed type of an acceptable upload; raises RefusedContent for anything else."""
    extension = _extension(declared_name)
    if extension in _EXECUTABLE_EXTENSIONS or extension in _WEB_EXTENSIONS:
        raise RefusedContent(f"file name ending in .{extension} (runs when opened)")
    kind = sniff(data, declared_name)
    if kind not in ACCEPTED:
        raise RefusedContent(_REASONS.get(kind, "unrecognised content"))
    if kind in _ARCHIVES:
        _check_archive(data, depth=0)
    elif kind != EML:  # mail clients show HTML mail without running it; it is normal there
        text = _as_text(data)
        if text is not None and _ACTIVE_MARKUP_RE.search(text):
            raise RefusedContent("text with web markup that can run (script, svg, html)")
    return kind


def _extension(name: str) -> str:
    """The extension as a desktop sees it: Windows drops trailing dots and spaces."""
    return PurePosixPath(name.replace("\\", "/").rstrip(". ")).suffix.lstrip(".").lower()


def _magic(data: bytes) -> str | None:
    """The kind that the first bytes alone decide, or None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"\xca\xfe\xba\xbe"):
        # Shared by Java classes and universal Mach-O binaries; libmagic splits them so.
        return JAVA if int.from_bytes(data[4:8], "big") > 30 else MACHO
    for prefix, kind in _MAGIC:
        if data.startswith(prefix):
            return kind
    return None


# --- archives -------------------------------------------------------------------------------

_OOXML_MAIN = {
    "wordprocessingml.document.main+xml": DOCX,
    "spreadsheetml.sheet.main+xml": XLSX,
    "presentationml.presentation.main+xml": PPTX,
}
_ODF_KINDS = {ODT, ODS, ODP}


def _zip_kind(data: bytes) -> str:
    """Office and OpenDocument by their declared parts, other readable ZIPs as archives."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
            if names and names[0] == "mimetype":
                declared = zf.open("mimetype").read(100).decode("ascii", "replace").strip()
                return declared if declared in _ODF_KINDS else ZIP
            if "[Content_Types].xml" in names:
                return _ooxml_kind(zf.open("[Content_Types].xml").read(1024 * 1024))
    except _ZIP_ERRORS:
        return UNKNOWN
    return ZIP


def _ooxml_kind(content_types: bytes) -> str:
    """The main document type that `[Content_Types].xml` declares."""
    text = content_types.decode("utf-8", "replace")
    if "macroenabled" in text.lower():
        return MACRO_OFFICE
    for suffix, kind in _OOXML_MAIN.items():
        if _OOXML + suffix in text:
            return kind
    return ZIP


def _check_archive(data: bytes, depth: int) -> None:
    """Refuses archives that hold executables, macros, encrypted or unreadable members."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = zf.infolist()
            if len(members) > _MAX_MEMBERS:
                raise RefusedContent(f"archive with more than {_MAX_MEMBERS} members")
            odf = zf.namelist()[:1] == ["mimetype"]
            for member in members:
                _check_member(zf, member, depth, odf)
    except RefusedContent:
        raise
    except _ZIP_ERRORS as exc:
        raise RefusedContent(f"unreadable archive ({exc})") from exc


def _check_member(zf: zipfile.ZipFile, member: zipfile.ZipInfo, depth: int, odf: bool) -> None:
    """Refuses a member that is encrypted, executable by name or content, or a macro."""
    name = member.filename
    if member.flag_bits & 0x1:
        raise RefusedContent(f"encrypted archive member {name!r} cannot be checked")
    if _extension(name) in _EXECUTABLE_EXTENSIONS:
        raise RefusedContent(f"archive holds an executable: {name!r}")
    lowered = name.lower()
    # Office keeps VBA in vbaProject.bin; OpenDocument keeps Basic and scripts in folders.
    if lowered.endswith("vbaproject.bin") or (odf and lowered.startswith(("basic/", "scripts/"))):
        raise RefusedContent(f"document with macros ({name!r})")
    if member.is_dir():
        return
    with zf.open(member) as stream:
        head = stream.read(_HEAD)
        if head.startswith(_ZIP_MAGIC):
            _check_nested(name, head + stream.read(_MAX_NESTED_BYTES), depth)
    kind = _magic(head)
    if kind in _EXECUTABLE:
        raise RefusedContent(f"archive holds an executable: {name!r} ({_REASONS[kind]})")


def _check_nested(name: str, data: bytes, depth: int) -> None:
    """Checks an archive inside an archive, up to _MAX_DEPTH levels and _MAX_NESTED_BYTES."""
    if depth + 1 > _MAX_DEPTH:
        raise RefusedContent(f"archives nested deeper than {_MAX_DEPTH} levels ({name!r})")
    if len(data) > _MAX_NESTED_BYTES:
        raise RefusedContent(f"nested archive {name!r} too large to check")
    _check_archive(data, depth + 1)


# --- text -----------------------------------------------------------------------------------

# Browsers treat a resource as HTML when it starts so (WHATWG MIME Sniffing, section 7.1).
_HTML_START_RE = re.compile(
    r"\s*<(?:!doctype\s+html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body"
    r"|br|p|!--)(?=[\s>])",
    re.IGNORECASE,
)
_XML_START_RE = re.compile(r"\s*<(?:\?xml[\s?]|[A-Za-z_][\w.:-]*[\s/>])")
_SVG_RE = re.compile(r"<(?:\w+:)?svg[\s>/]|http://www\.w3\.org/2000/svg", re.IGNORECASE)
_XHTML_RE = re.compile(r"<(?:\w+:)?html[\s>/]|http://www\.w3\.org/1999/xhtml", re.IGNORECASE)
# Markup that runs in a browser or an XML viewer, wherever it stands in a text.
_ACTIVE_MARKUP_RE = re.compile(
    r"<(?:\w+:)?(?:script|svg|html|iframe|object|embed)[\s>/]|<\?xml-stylesheet"
    r"|http://www\.w3\.org/(?:1999/xhtml|2000/svg)",
    re.IGNORECASE,
)
_CSV_DELIMITERS = (";", ",", "\t", "|")


def _as_text(data: bytes) -> str | None:
    """The content as text when it is UTF-8 (a BOM allowed) without NUL characters."""
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _text_kind(text: str, declared_name: str) -> str:
    """HTML, SVG, XML, JSON, CSV or plain text, by how the text starts and is built."""
    if _HTML_START_RE.match(text):
        return HTML
    if _XML_START_RE.match(text):
        head = text[:_HEAD]
        if _SVG_RE.search(head):
            return SVG
        return HTML if _XHTML_RE.search(head) else XML
    if text.lstrip()[:1] in ("{", "["):
        try:
            json.loads(text)
            return JSON
        except (ValueError, RecursionError):
            pass
    if _extension(declared_name) == "csv" or _looks_like_csv(text):
        return CSV
    return TEXT


def _looks_like_csv(text: str) -> bool:
    """Two or more lines that split into the same number (two or more) of fields on one
    delimiter."""
    lines = [line for line in text[: _HEAD * 4].splitlines()[:20] if line.strip()]
    if len(text) > _HEAD * 4 and len(lines) > 1:
        lines.pop()  # may be cut short
    if len(lines) < 2:
        return False
    for delimiter in _CSV_DELIMITERS:
        counts = {line.count(delimiter) for line in lines}
        if len(counts) == 1 and counts.pop() > 0:
            return True
    return False


# --- e-mail ---------------------------------------------------------------------------------

_HEADER_RE = re.compile(rb"[!-9;-~]+:")
_MAIL_FIELDS = frozenset(
    {b"to", b"cc", b"subject", b"date", b"message-id", b"received", b"mime-version"}
)


def _looks_like_mail(data: bytes) -> bool:
    """An RFC 5322 header block: From plus two more usual fields, then an empty line."""
    if b"\0" in data:
        return False
    head = data[:16384].replace(b"\r\n", b"\n")
    block, blank, _ = head.partition(b"\n\n")
    if not blank:
        return False
    fields: set[bytes] = set()
    for line in block.split(b"\n"):
        if line[:1] in (b" ", b"\t") and fields:
            continue  # a folded continuation line
        if not _HEADER_RE.match(line):
            return False
        fields.add(line.split(b":", 1)[0].lower())
    return b"from" in fields and len(fields & _MAIL_FIELDS) >= 2
