"""Tiny PDF writer for tests: born-digital French pages, blank pages, and RC4-encrypted files, built at test time.

Text is set in the standard Helvetica font with WinAnsiEncoding, so any PDF reader extracts it without embedded fonts.
Encryption is the PDF standard security handler, revision 2 (40-bit RC4), written by hand: no extra tool needed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

PAD = bytes.fromhex("28bf4e5e4e758a4164004e56fffa01082e2e00b6d0683e802f0ca9fe6453697a")


def rc4(key: bytes, data: bytes) -> bytes:
    """RC4, as the PDF standard security handler uses it."""
    box = list(range(256))
    j = 0
    for i in range(256):
        j = (j + box[i] + key[i % len(key)]) % 256
        box[i], box[j] = box[j], box[i]
    out, i, j = bytearray(), 0, 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + box[i]) % 256
        box[i], box[j] = box[j], box[i]
        out.append(byte ^ box[(box[i] + box[j]) % 256])
    return bytes(out)


def _escape(text: str) -> bytes:
    raw = text.encode("cp1252")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _page_content(lines: list[str], grey_box: bool = False) -> bytes:
    """A content stream: `lines` from the top of an A4 page, 11 pt, 16 pt apart; optionally a near-white box."""
    ops = [b"BT /F1 11 Tf 16 TL 56 780 Td"]
    ops += [b"(" + _escape(line) + b") Tj T*" for line in lines]
    ops.append(b"ET")
    if grey_box:
        ops.append(b"0.99 g 100 100 300 300 re f")  # an object that renders (nearly) white
    return b"\n".join(ops) if lines or grey_box else b""


def build_pdf(pages: list[list[str]], password: str | None = None, grey_boxes: set[int] = frozenset()) -> bytes:
    """A PDF with one A4 page per entry of `pages` (lines of text; [] is a blank page).

    With `password`, the file is encrypted (RC4-40, revision 2) and needs that password to be opened.
    Pages whose 0-based index is in `grey_boxes` get a nearly-white rectangle and no text.
    """
    n = len(pages)
    # objects: 1 catalog, 2 pages, 3 font, then (page, content) pairs
    objects: dict[int, bytes] = {}
    streams: dict[int, bytes] = {}
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(n))
    objects[1] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[2] = f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode()
    objects[3] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    for i, lines in enumerate(pages):
        page, content = 4 + 2 * i, 5 + 2 * i
        objects[page] = (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
            f"/Contents {content} 0 R >>"
        ).encode()
        streams[content] = _page_content(lines, i in grey_boxes)

    file_id = hashlib.md5(repr(pages).encode()).digest()
    encrypt_ref = b""
    key = b""
    if password is not None:
        owner = rc4(hashlib.md5((b"owner" + PAD)[:32]).digest()[:5], (password.encode() + PAD)[:32])
        permissions = (-4).to_bytes(4, "little", signed=True)
        key = hashlib.md5((password.encode() + PAD)[:32] + owner + permissions + file_id).digest()[:5]
        user = rc4(key, PAD)
        enc = len(objects) + len(streams) + 1
        objects[enc] = f"<< /Filter /Standard /V 1 /R 2 /O <{owner.hex()}> /U <{user.hex()}> /P -4 >>".encode()
        encrypt_ref = f" /Encrypt {enc} 0 R".encode()

    def encrypted(number: int, data: bytes) -> bytes:
        if not key:
            return data
        object_key = hashlib.md5(key + number.to_bytes(3, "little") + b"\x00\x00").digest()[:10]
        return rc4(object_key, data)

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number in sorted({*objects, *streams}):
        offsets[number] = len(out)
        out += f"{number} 0 obj\n".encode()
        if number in streams:
            data = encrypted(number, streams[number])
            out += f"<< /Length {len(data)} >>\nstream\n".encode() + data + b"\nendstream"
        else:
            out += objects[number]
        out += b"\nendobj\n"
    xref = len(out)
    count = max(offsets) + 1
    out += f"xref\n0 {count}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offsets[i]:010d} 00000 n \n".encode() for i in range(1, count))
    out += f"trailer\n<< /Size {count} /Root 1 0 R /ID [<{file_id.hex()}> <{file_id.hex()}>]".encode()
    out += encrypt_ref + f" >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def write_pdf(path: Path, pages: list[list[str]], **kwargs: object) -> Path:
    """Write `build_pdf(pages, **kwargs)` to `path`; returns `path`."""
    path.write_bytes(build_pdf(pages, **kwargs))  # type: ignore[arg-type]
    return path


LOI_TEST = [
    "Loi n° 99-01 relative aux essais de robustesse",
    "Chapitre premier - Dispositions générales",
    "Article premier",
    "La présente loi fixe les règles applicables aux fichiers reçus par le service.",
    "Elle s'applique à tous les documents, qu'ils soient publiés ou non.",
    "Article 2",
    "Un fichier illisible est signalé à son auteur avec la raison de son rejet,",
    "et le traitement des autres fichiers se poursuit sans interruption.",
    "Article 3",
    "Les articles déjà enregistrés ne sont jamais perdus lors d'une reprise.",
]


def build_page_bomb(side: int = 14400, user_unit: float | None = None) -> bytes:
    """A few hundred bytes: one page of `side` × `side` points (14400 pt = 5 m) with a diagonal line drawn on it.

    With `user_unit`, the page also declares `/UserUnit` (the size of its unit in points, PDF 1.6).
    """
    unit = f" /UserUnit {user_unit}" if user_unit else ""
    content = f"0 0 m {side} {side} l 50 w S".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {side} {side}]{unit} /Contents 4 0 R >>".encode(),
        f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.6\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
