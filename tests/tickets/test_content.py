"""Attachment content: type from the bytes, refusal of active content, hash, real clamd."""

from __future__ import annotations

import io
import socket
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.clamd import MARKER, MARKER_SIGNATURE, PAYLOAD, PAYLOAD_SIGNATURE, Clamd
from tickets import content
from tickets.clamd import ClamdUnavailable, ScanError, ScanResult, ping, scan
from tickets.content import RefusedContent, check, sha256_hex, sniff

PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
    b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(17)
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(20)
MAIL = (
    b"Return-Path: <jan@example.nl>\r\nReceived: from mx.example.nl by mx.gemeente.nl;\r\n"
    b" Tue, 3 Mar 2026 10:00:00 +0100\r\nFrom: Jan <jan@example.nl>\r\n"
    b"To: servicedesk@gemeente.nl\r\nSubject: Printer\r\nDate: Tue, 3 Mar 2026 10:00:00 +0100\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    b"<html><body><p>De printer doet het niet.</p></body></html>\r\n"
)


def make_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def ooxml(main: str, part: str, extra: dict[str, bytes] | None = None) -> bytes:
    types = (
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'content-types"><Override PartName="/{part}" ContentType="{main}"/></Types>'
    )
    return make_zip({"[Content_Types].xml": types.encode(), part: b"<x/>", **(extra or {})})


def odf(mimetype: str, extra: dict[str, bytes] | None = None) -> bytes:
    return make_zip({"mimetype": mimetype.encode(), "content.xml": b"<x/>", **(extra or {})})


DOCX = ooxml(content.DOCX + ".main+xml", "word/document.xml")
XLSX = ooxml(content.XLSX + ".main+xml", "xl/workbook.xml")
PPTX = ooxml(content.PPTX + ".main+xml", "ppt/presentation.xml")
DOCM = ooxml("application/vnd.ms-word.document.macroEnabled.main+xml", "word/document.xml")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PDF_BYTES, content.PDF),
        (PNG_BYTES, content.PNG),
        (JPEG_BYTES, content.JPEG),
        (b"GIF89a\x01\x00\x01\x00", content.GIF),
        (b"GIF87a\x01\x00\x01\x00", content.GIF),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", content.WEBP),
        (DOCX, content.DOCX),
        (XLSX, content.XLSX),
        (PPTX, content.PPTX),
        (odf(content.ODT), content.ODT),
        (odf(content.ODS), content.ODS),
        (make_zip({"a.txt": b"hello", "b.png": PNG_BYTES}), content.ZIP),
        (b"Regel een\nRegel twee\n", content.TEXT),
        ("Storing bij de gemeente: één printer \u2013 kapot\n".encode(), content.TEXT),
        (b"\xef\xbb\xbfmet BOM\n", content.TEXT),
        (b"naam;afdeling;kamer\nJan;ICT;2.14\nPiet;HR;1.02\n", content.CSV),
        (b'{"ticket": "SHN-000123", "open": true}', content.JSON),
        (b'  [1, 2, {"a": null}]\n', content.JSON),
        (b'<?xml version="1.0"?>\n<export><ticket id="1"/></export>', content.XML),
        (b"<export><ticket/></export>", content.XML),
        (MAIL, content.EML),
    ],
)
def test_sniff_recognises_by_content(data: bytes, expected: str) -> None:
    assert sniff(data, "upload.bin") == expected
    assert check(data, "upload.bin") == expected


def test_the_name_never_decides_the_type() -> None:
    assert sniff(PNG_BYTES, "scan.pdf") == content.PNG
    assert sniff(DOCX, "notes.txt") == content.DOCX
    assert sniff(b"hello", "photo.jpg") == content.TEXT
    assert sniff(b"\x00\x01\x02binary", "report.pdf") == content.UNKNOWN


def test_the_name_only_tells_csv_from_text() -> None:
    assert sniff(b"one line, no table\n", "export.csv") == content.CSV
    assert sniff(b"one line, no table\n", "notes.txt") == content.TEXT
    assert sniff(PNG_BYTES, "export.csv") == content.PNG


def test_text_that_is_not_json_or_csv_stays_text() -> None:
    assert sniff(b"{not json", "a") == content.TEXT
    assert sniff(b"[" * 100_000, "a") == content.TEXT  # too deep for the parser
    assert sniff(b"Dit is een zin, met een komma.\nEn hier geen.\n", "a") == content.TEXT


def test_non_utf8_or_nul_text_is_not_text() -> None:
    assert sniff("caf\xe9;prijs\n".encode("latin-1"), "a.csv") == content.UNKNOWN
    assert sniff(b"abc\x00def", "a.txt") == content.UNKNOWN


def test_mail_needs_a_real_header_block() -> None:
    assert sniff(b"From: a@b.nl\nSubject: x\n\nbody", "m.eml") == content.TEXT
    assert sniff(b"From: a@b.nl\nSubject: x\nDate: today\nno blank line", "m") == content.TEXT
    assert sniff(b"From: a\nTo: b\nDate: c\n\nbody", "m") == content.EML
    assert sniff(b"From: a\nnot a header\nTo: b\nDate: c\n\nbody", "m") == content.TEXT


def test_sha256_hex() -> None:
    assert sha256_hex(b"abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    assert sha256_hex(b"") == ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")


# --- refusals -------------------------------------------------------------------------------

EXECUTABLES = {
    "pe": b"MZ\x90\x00\x03\x00\x00\x00" + bytes(56) + b"PE\x00\x00",
    "elf": b"\x7fELF\x02\x01\x01\x00" + bytes(8),
    "macho32": b"\xfe\xed\xfa\xce" + bytes(12),
    "macho64": b"\xfe\xed\xfa\xcf" + bytes(12),
    "macho32-le": b"\xce\xfa\xed\xfe" + bytes(12),
    "macho64-le": b"\xcf\xfa\xed\xfe" + bytes(12),
    "macho-fat": b"\xca\xfe\xba\xbe\x00\x00\x00\x02" + bytes(8),
    "macho-fat64": b"\xca\xfe\xba\xbf\x00\x00\x00\x02" + bytes(8),
    "macho-fat-le": b"\xbe\xba\xfe\xca\x02\x00\x00\x00" + bytes(8),
    "java": b"\xca\xfe\xba\xbe\x00\x00\x00\x41" + bytes(8),
    "shebang": b"#!/bin/sh\nrm -rf /\n",
    "shebang-bom": b"\xef\xbb\xbf#!/usr/bin/env python3\nprint(1)\n",
    "ole": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
}


@pytest.mark.parametrize("name", sorted(EXECUTABLES))
def test_executables_are_refused(name: str) -> None:
    with pytest.raises(RefusedContent) as refused:
        check(EXECUTABLES[name], "invoice.pdf")
    assert refused.value.reason
    assert isinstance(refused.value, ValueError)


def test_java_and_universal_binaries_are_told_apart() -> None:
    assert sniff(EXECUTABLES["java"], "x") == content.JAVA
    assert sniff(EXECUTABLES["macho-fat"], "x") == content.MACHO
    with pytest.raises(RefusedContent, match="Java"):
        check(EXECUTABLES["java"], "x")


@pytest.mark.parametrize(
    "page",
    [
        b"<!DOCTYPE html><html><body>hi</body></html>",
        b"\n  <html>\n<script>alert(1)</script>",
        b"<HTML><BODY>upper case</BODY></HTML>",
        b"<script>alert(1)</script>",
        b"<p>just a paragraph</p>",
        b"<!-- comment --><div>x</div>",
        b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body/></html>',
    ],
)
def test_html_is_refused(page: bytes) -> None:
    assert sniff(page, "page.txt") == content.HTML
    with pytest.raises(RefusedContent, match="HTML"):
        check(page, "page.txt")


@pytest.mark.parametrize(
    "image",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg"><circle r="1"/></svg>',
        b'<?xml version="1.0"?>\n<!DOCTYPE svg>\n<svg width="10"><script>x()</script></svg>',
        b'<?xml version="1.0"?><s:svg xmlns:s="http://www.w3.org/2000/svg"/>',
    ],
)
def test_svg_is_refused(image: bytes) -> None:
    assert sniff(image, "logo.png") == content.SVG
    with pytest.raises(RefusedContent, match="SVG"):
        check(image, "logo.png")


@pytest.mark.parametrize(
    "text",
    [
        b"log line\n<script>fetch('/api')</script>\n",
        b'{"comment": "<iframe src=x>"}',
        b'<?xml version="1.0"?><?xml-stylesheet href="x.xsl"?><a/>',
        # beyond the head that sniffing looks at, the whole text is searched
        b'<?xml version="1.0"?><a>'
        + b"<c/>" * 2000
        + b'<b xmlns="http://www.w3.org/1999/xhtml"/></a>',
        b"x" * 100_000 + b"<svg onload=alert(1)>",
    ],
)
def test_text_with_active_markup_is_refused(text: bytes) -> None:
    with pytest.raises(RefusedContent, match="markup"):
        check(text, "export.txt")


def test_mail_may_carry_html() -> None:
    assert check(MAIL, "message.eml") == content.EML


@pytest.mark.parametrize(
    "name",
    [
        "setup.exe",
        "INVOICE.PDF.EXE",
        "run.bat",
        "evil.exe.",
        "evil.exe .",
        "x.ps1",
        "a.js",
        "C:\\Users\\x\\tool.scr",
        "page.html",
        "logo.svg",
        "report.HTM",
        "app.jar",
    ],
)
def test_executable_names_are_refused_whatever_the_bytes(name: str) -> None:
    with pytest.raises(RefusedContent, match="file name"):
        check(b"plain harmless text\n", name)


def test_unknown_binary_is_refused() -> None:
    with pytest.raises(RefusedContent, match="unrecognised"):
        check(b"\x00asm\x01\x00\x00\x00", "module.dat")
    with pytest.raises(RefusedContent, match="unrecognised"):
        check(b"PK\x03\x04 this is no zip at all", "archive.zip")


def test_legacy_office_is_refused_as_ole() -> None:
    with pytest.raises(RefusedContent, match="OLE"):
        check(EXECUTABLES["ole"], "budget.xls")


# --- archives -------------------------------------------------------------------------------


def test_archives_with_harmless_members_are_accepted() -> None:
    nested = make_zip({"scan.pdf": PDF_BYTES})
    archive = make_zip({"docs/": b"", "docs/a.txt": b"x", "b.png": PNG_BYTES, "in.zip": nested})
    assert check(archive, "bundle.zip") == content.ZIP
    docx = ooxml(content.DOCX + ".main+xml", "word/document.xml", {"word/media/i.png": PNG_BYTES})
    assert check(docx, "brief.docx") == content.DOCX
    assert check(odf(content.ODT, {"Pictures/p.png": PNG_BYTES}), "brief.odt") == content.ODT


@pytest.mark.parametrize("name", ["setup.exe", "tools/run.BAT", "x/y/script.ps1", "a.jar"])
def test_archive_with_executable_name_is_refused(name: str) -> None:
    with pytest.raises(RefusedContent, match="executable"):
        check(make_zip({"readme.txt": b"hi", name: b"harmless?"}), "bundle.zip")


@pytest.mark.parametrize("kind", ["pe", "elf", "macho64", "shebang", "java", "ole"])
def test_archive_with_executable_content_is_refused(kind: str) -> None:
    with pytest.raises(RefusedContent, match="executable"):
        check(make_zip({"readme.txt": EXECUTABLES[kind]}), "bundle.zip")


def test_office_document_hiding_an_executable_is_refused() -> None:
    docx = ooxml(
        content.DOCX + ".main+xml",
        "word/document.xml",
        {"word/embeddings/oleObject1.bin": EXECUTABLES["ole"]},
    )
    with pytest.raises(RefusedContent, match="executable"):
        check(docx, "brief.docx")


def test_documents_with_macros_are_refused() -> None:
    assert sniff(DOCM, "x.docx") == content.MACRO_OFFICE
    with pytest.raises(RefusedContent, match="macros"):
        check(DOCM, "brief.docx")
    vba = ooxml(content.XLSX + ".main+xml", "xl/workbook.xml", {"xl/vbaProject.bin": b"x"})
    with pytest.raises(RefusedContent, match="macros"):
        check(vba, "sheet.xlsx")
    with pytest.raises(RefusedContent, match="macros"):
        check(odf(content.ODT, {"Basic/Standard/Module1.xml": b"<x/>"}), "brief.odt")


def test_macro_folders_only_count_in_opendocument() -> None:
    archive = make_zip({"scripts/readme.txt": b"notes", "Basic/notes.txt": b"x"})
    assert check(archive, "bundle.zip") == content.ZIP


def test_nested_archive_with_executable_is_refused() -> None:
    inner = make_zip({"setup.exe": EXECUTABLES["pe"]})
    with pytest.raises(RefusedContent, match="executable"):
        check(make_zip({"inner.zip": inner}), "bundle.zip")
    disguised = make_zip({"photo.jpg": EXECUTABLES["elf"]})
    with pytest.raises(RefusedContent, match="executable"):
        check(make_zip({"a/b.zip": make_zip({"c.zip": disguised})}), "bundle.zip")


def test_archives_nested_too_deep_are_refused() -> None:
    archive = make_zip({"a.txt": b"x"})
    for level in range(3):
        archive = make_zip({f"level{level}.zip": archive})
    with pytest.raises(RefusedContent, match="nested"):
        check(archive, "bundle.zip")


def test_encrypted_members_are_refused() -> None:
    data = bytearray(make_zip({"secret.txt": b"x"}))
    # Set the "encrypted" bit in the local and central headers, as an encrypting tool does.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature) + offset
        data[at] |= 0x01
    with pytest.raises(RefusedContent, match="encrypted"):
        check(bytes(data), "bundle.zip")


def test_corrupt_archives_are_refused() -> None:
    data = make_zip({"a.txt": b"hello " * 1000})
    broken = bytearray(data)
    start = data.find(b"a.txt") + len(b"a.txt")
    broken[start : start + 20] = bytes(20)  # damage the compressed data
    with pytest.raises(RefusedContent, match="unreadable archive"):
        check(bytes(broken), "bundle.zip")


def test_zip_bomb_members_are_read_only_in_part() -> None:
    bomb = make_zip({f"part{i}.txt": bytes(30 * 1024 * 1024) for i in range(2)})
    began = time.perf_counter()
    assert check(bomb, "bundle.zip") == content.ZIP  # NULs, but only inside the archive
    assert time.perf_counter() - began < 1.0


# --- clamd ----------------------------------------------------------------------------------


def clean_scan(result: ScanResult) -> None:
    assert result == ScanResult(clean=True, signature=None)


@pytest.mark.parametrize("transport", ["tcp", "unix"])
def test_clamd_finds_the_known_payload(clamd: Clamd, transport: str) -> None:
    address = getattr(clamd, transport)
    assert ping(address=address)
    result = scan(PAYLOAD, address=address)
    assert not result.clean
    assert result.signature is not None
    assert result.signature.startswith(PAYLOAD_SIGNATURE)  # clamd adds ".UNOFFICIAL"


def test_clamd_passes_a_clean_pdf(clamd: Clamd) -> None:
    assert check(PDF_BYTES, "scan.pdf") == content.PDF
    clean_scan(scan(PDF_BYTES, address=clamd.tcp))
    clean_scan(scan(PDF_BYTES, address=clamd.unix))


def test_clamd_sees_a_signature_across_chunk_boundaries(clamd: Clamd) -> None:
    # The marker straddles the first 64 KiB chunk, so only a correct stream shows it.
    data = PDF_BYTES + b" " * (64 * 1024 - len(PDF_BYTES) - 10) + MARKER + b"\n%%EOF\n"
    result = scan(data, address=clamd.tcp)
    assert result.signature is not None
    assert result.signature.startswith(MARKER_SIGNATURE)
    clean_scan(scan(data.replace(MARKER, b"x" * len(MARKER)), address=clamd.tcp))


def test_clamd_scans_empty_and_multi_chunk_data(clamd: Clamd) -> None:
    clean_scan(scan(b"", address=clamd.tcp))
    clean_scan(scan(PDF_BYTES + bytes(300_000), address=clamd.unix))


def test_clamd_size_limit_is_an_error_not_a_verdict(clamd: Clamd) -> None:
    with pytest.raises(ScanError, match="size limit"):
        scan(b"x" * (2 * 1024 * 1024), address=clamd.tcp)
    assert ping(address=clamd.tcp)  # clamd itself is fine afterwards


def test_unreachable_clamd_raises(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound but not listening: connections are refused
        with pytest.raises(ClamdUnavailable, match="unreachable"):
            scan(PDF_BYTES, address=f"tcp://127.0.0.1:{port}")
        assert not ping(address=f"tcp://127.0.0.1:{port}")
    with pytest.raises(ClamdUnavailable):
        scan(PDF_BYTES, address=f"unix://{tmp_path}/no-such.sock")
    assert issubclass(ClamdUnavailable, ScanError)


@pytest.mark.parametrize("address", ["127.0.0.1:3310", "tcp://127.0.0.1", "http://x:1", "unix://"])
def test_malformed_addresses_are_rejected(address: str) -> None:
    with pytest.raises(ValueError, match="clamd address"):
        scan(b"", address=address)


@contextmanager
def silent_server(answer: bytes | None) -> Iterator[str]:
    """A local socket that accepts and then says `answer` (or nothing) and hangs up."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            if answer is not None:
                conn.sendall(answer)
            else:
                stop.wait(5)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(5)
    listener.close()


def test_a_daemon_that_never_answers_times_out() -> None:
    with silent_server(None) as address:
        began = time.monotonic()
        with pytest.raises(ClamdUnavailable, match="no answer"):
            scan(b"data", address=address, timeout=0.5)
        assert time.monotonic() - began < 3


def test_a_garbled_answer_is_an_error() -> None:
    with (
        silent_server(b"something else\0") as address,
        pytest.raises(ScanError, match="could not scan"),
    ):
        scan(b"data", address=address, timeout=2)
