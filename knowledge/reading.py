"""Files to text: .txt (UTF-8, UTF-16 or GB18030/GBK, detected), .docx, PDF with a text layer and saved .html pages.

Every failure is a ``ReadError`` whose message names the file and says what is wrong in one line.
Real reports are 3–30 KB of text; a file of more than ``MAX_TEXT_BYTES`` of text is refused, so that a stray
log or a whole website saved as one page never holds the knowledge base's write lock for minutes.
"""

from __future__ import annotations

import re
import stat
import zipfile
from pathlib import Path

from charset_normalizer import from_bytes

SUPPORTED_SUFFIXES = (".txt", ".docx", ".pdf", ".html", ".htm")
MAX_PDF_PAGES = 200
MAX_TEXT_BYTES = 2 * 2**20  # of text (UTF-8) in one report
MAX_FILE_BYTES = 20 * 2**20  # of a file as stored (a .docx with pictures, a saved page with its markup)


class ReadError(Exception):
    """A file that cannot be read as a report; ``str(error)`` is the one-line reason."""


def read_text(path: Path, data: bytes | None = None) -> str:
    """The text of the report in ``path`` (``data``: its bytes, when already in memory).

    Raises ``ReadError`` for an empty, binary, undecodable or unsupported file.
    """
    suffix = path.suffix.lower()
    if suffix == ".doc":
        raise ReadError(f"{path.name}: the old Word format (.doc) cannot be read; open it in Word or WPS, "
                        f"save it as .docx and send that")
    if suffix not in SUPPORTED_SUFFIXES:
        raise ReadError(f"{path.name}: unsupported file type {suffix or '(none)'}; send .txt, .docx, .pdf or .html")
    if data is None:
        data = read_file(path)
    if not data.strip():
        raise ReadError(f"{path.name}: the file is empty")
    if len(data) > MAX_FILE_BYTES:
        raise ReadError(f"{path.name}: {_size(len(data))} is too large for a report (at most {_size(MAX_FILE_BYTES)})")
    if suffix == ".docx":
        text = _docx_text(path, data)
    elif suffix == ".pdf":
        text = _pdf_text(path, data)
    else:
        text = decode(data, path.name)
        text = _html_text(text, path.name) if suffix in (".html", ".htm") else text
    if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
        raise ReadError(f"{path.name}: {_size(len(text.encode('utf-8')))} of text, more than a report has "
                        f"(at most {_size(MAX_TEXT_BYTES)}; reports are 3–30 KB): split it or check that it is a report")
    return text


def read_file(path: Path) -> bytes:
    """The bytes of the regular file at ``path``; ``ReadError`` for a folder, a pipe or device, or a read error.

    (Reading a FIFO named report.txt would wait for a writer forever.)
    """
    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file (a pipe, socket or device)"
            raise ReadError(f"{path.name}: {kind}, not a report file")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ReadError(f"{path.name}: {_size(path.stat().st_size)} is too large for a report "
                            f"(at most {_size(MAX_FILE_BYTES)})")
        return path.read_bytes()
    except OSError as error:
        raise ReadError(f"{path.name}: cannot read the file ({error.strerror or error})") from error


def _size(count: int) -> str:
    return f"{count / 2**20:.1f} MB" if count >= 2**20 else f"{count / 1024:.0f} KB"


def decode(data: bytes, name: str = "input") -> str:
    """Bytes of a text file to str: UTF-8 (with or without BOM), else GB18030, else a detected encoding.

    A UTF-8 file cut inside its last character still reads; bytes that are no text raise ``ReadError``.
    """
    if text := _utf16_text(data):
        return text
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


def _utf16_text(data: bytes) -> str | None:
    """The text of UTF-16 bytes (with a byte-order mark, or without one: then three in four zero bytes of the start
    stand at even offsets or at odd ones, and the text decodes to printable characters); else None."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        encoding = "utf-16"
    else:
        head = data[:4096]
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if min(even, odd) * 3 > max(even, odd) or not (even or odd):  # (一 is 00 4e: some on the other side)
            return None
        encoding = "utf-16-le" if odd > even else "utf-16-be"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    printable = sum(char.isprintable() or char.isspace() for char in text[:2000])
    return text.lstrip("\ufeff") if printable >= 0.95 * len(text[:2000]) else None


def _docx_text(path: Path, data: bytes) -> str:
    import io

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(item.file_size for item in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as error:
        raise ReadError(f"{path.name}: not a readable .docx file (damaged, truncated or another format)") from error
    if unpacked > 10 * MAX_FILE_BYTES:  # a zip bomb, or a document no township writes
        raise ReadError(f"{path.name}: unpacks to {_size(unpacked)}, too large for a report")
    try:
        document = docx.Document(io.BytesIO(data))
    except PackageNotFoundError as error:
        raise ReadError(f"{path.name}: not a readable .docx file (damaged, truncated or another format)") from error
    except Exception as error:  # noqa: BLE001 - python-docx and lxml raise many kinds on a damaged file
        raise ReadError(f"{path.name}: a damaged .docx file ({type(error).__name__}: {str(error)[:80]}); "
                        f"open it in Word or WPS and save it again") from error
    lines = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(lines)


def _pdf_text(path: Path, data: bytes) -> str:
    """The text layer of a PDF, its lines joined back into paragraphs (a PDF breaks lines where the page does)."""
    import io
    import logging

    import pypdf

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings on odd but readable files are no news here
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ReadError(f"{path.name}: the PDF is protected by a password; send it without one")
        if len(reader.pages) > MAX_PDF_PAGES:
            raise ReadError(f"{path.name}: {len(reader.pages)} pages, more than a report has (at most {MAX_PDF_PAGES})")
        pages = [page.extract_text() or "" for page in reader.pages]
    except ReadError:
        raise
    except Exception as error:  # noqa: BLE001 - pypdf raises many kinds on a damaged file
        raise ReadError(f"{path.name}: a damaged PDF ({type(error).__name__}); save it again or send .docx") from error
    lines = [line.strip() for page in pages for line in page.splitlines() if line.strip()]
    if sum(len(line) for line in lines) < 20:
        raise ReadError(f"{path.name}: this PDF has no text layer (a scanned image); send the report as .docx or "
                        f".txt, or a PDF saved from Word or WPS")
    # A line that reaches the right margin was wrapped by the page: the next line goes on its paragraph.
    widths = sorted(map(_width, lines))
    full = widths[int(len(widths) * 0.9)]
    paragraphs: list[str] = []
    wrapped = False
    for line in lines:
        if wrapped and not _HEADING.match(line):
            paragraphs[-1] += line
        else:
            paragraphs.append(line)
        wrapped = _width(line) >= 0.9 * full and not re.search(r"[。！？；]$", line)
    return "\n".join(paragraphs)


def _width(line: str) -> int:
    """How wide a line is drawn: Chinese characters twice as wide as Latin letters and digits."""
    return sum(2 if ord(char) > 0x2E80 else 1 for char in line)


# A line that starts a heading or an item (一、 （二） 3. 第四): never glued to the line before it
_HEADING = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十\d]+）|\(\d+\)|\d+[.、．]|第[一二三四五六七八九十]+)")


def _html_text(markup: str, name: str = "page.html") -> str:
    """The report in a saved web page: its title (without the site's name) and its article's blocks.

    County sites put lists of links around the article (乡镇动态 naming other townships, 相关阅读): blocks that
    are mostly link text are left out, so that the township and year come from the title and the article.
    When the title and the article name different townships or years, ``ReadError`` says so.
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup(["script", "style", "noscript", "nav", "header", "footer", "iframe", "form", "aside"]):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for element in soup.find_all(["ul", "ol", "div", "td", "table", "section", "dl"]):
        if element.decomposed:
            continue
        text = element.get_text("", strip=True)
        linked = sum(len(link.get_text("", strip=True)) for link in element.find_all("a"))
        if text and linked > 0.6 * len(text):
            element.decompose()  # a list of links, not the report
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
    title = _page_title(soup.title.get_text(" ", strip=True)) if soup.title else ""
    _check_page_agrees(name, title, "\n".join(blocks))
    return "\n".join(([title] if title and title not in blocks[0] else []) + blocks)


def _check_page_agrees(name: str, title: str, article: str) -> None:
    """Refuse a page whose title and article are about different townships or years (a page saved from the
    wrong link): which of the two is the report cannot be told."""
    from knowledge.cleaning import clean
    from knowledge.header import parse_header
    from knowledge.text import normalize

    if not title:
        return
    by_title, by_article = (parse_header(clean(normalize(text))) for text in (title, article))
    for what, said, written in (("township", by_title.township, by_article.township),
                                ("year", by_title.year, by_article.year)):
        if said and written and said != written:
            raise ReadError(f"{name}: the page's title is about {said} but its article about {written} ({what}); "
                            f"save the report's own page, or its text as .txt")


def _page_title(title: str) -> str:
    """A page title without the site's name: 某某报告_江华瑶族自治县人民政府网 → 某某报告."""
    parts = [part.strip() for part in re.split(r"\s*(?:_|\||｜| - | — |-{2,})\s*", title) if part.strip()]
    parts = [part for part in parts if not re.search(r"(?:网|网站|门户|平台)$", part)]  # 人民政府网, 政务服务平台
    named = [part for part in parts if "报告" in part]
    return (named or parts or [""])[0]
