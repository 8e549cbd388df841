"""Files to text: .txt (UTF-8 or GB18030/GBK, detected), .docx and saved .html pages.

Every failure is a ``ReadError`` whose message names the file and says what is wrong in one line.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from charset_normalizer import from_bytes

SUPPORTED_SUFFIXES = (".txt", ".docx", ".html", ".htm")


class ReadError(Exception):
    """A file that cannot be read as a report; ``str(error)`` is the one-line reason."""


def read_text(path: Path, data: bytes | None = None) -> str:
    """The text of the report in ``path`` (``data``: its bytes, when already in memory).

    Raises ``ReadError`` for an empty, binary, undecodable or unsupported file.
    """
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        raise ReadError(f"{path.name}: PDF reports are not supported yet; send .txt, .docx or .html")
    if suffix not in SUPPORTED_SUFFIXES:
        raise ReadError(f"{path.name}: unsupported file type {suffix or '(none)'}; send .txt, .docx or .html")
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as error:
            raise ReadError(f"{path.name}: cannot read the file ({error.strerror or error})") from error
    if not data.strip():
        raise ReadError(f"{path.name}: the file is empty")
    if suffix == ".docx":
        return _docx_text(path, data)
    text = decode(data, path.name)
    return _html_text(text) if suffix in (".html", ".htm") else text


def decode(data: bytes, name: str = "input") -> str:
    """Bytes of a text file to str: UTF-8 (with or without BOM), else GB18030, else a detected encoding.

    A UTF-8 file cut inside its last character still reads; bytes that are no text raise ``ReadError``.
    """
    if b"\x00" in data[:4096]:
        raise ReadError(f"{name}: this is a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if error.start >= len(data) - 3:  # cut short in the middle of the last character
            return data[: error.start].decode("utf-8-sig")
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise ReadError(f"{name}: cannot tell the text encoding (not UTF-8 or GB18030)")
    return str(best)


def _docx_text(path: Path, data: bytes) -> str:
    import io

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as error:
        raise ReadError(f"{path.name}: not a readable .docx file (damaged, truncated or another format)") from error
    lines = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(lines)


def _html_text(markup: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup(["script", "style", "noscript", "nav", "header", "footer", "iframe", "form"]):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    body = soup.body or soup
    blocks = []
    for element in body.find_all(["p", "h1", "h2", "h3", "h4", "div", "td", "li"]):
        if element.find(["p", "h1", "h2", "h3", "h4", "div", "td", "li"]):
            continue  # only innermost blocks, so that no text comes twice
        text = element.get_text(" ", strip=True)
        if text:
            blocks.append(text)
    if not blocks:
        return body.get_text("\n")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    return "\n".join(([title] if title and title not in blocks[0] else []) + blocks)
