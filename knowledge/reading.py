"""Files to text: .txt (UTF-8, UTF-16 or GB18030/GBK, detected), .docx, PDF with a text layer and saved .html pages.

Every failure is a ``ReadError`` whose message names the file and says what is wrong in one line (in English for
the command line, and in Chinese for the staff who upload reports).
Real reports are 3–30 KB of text; a file of more than ``MAX_TEXT_BYTES`` of text is refused, so that a stray
log or a whole website saved as one page never holds the knowledge base's write lock for minutes.
A .docx is read straight from its main XML part, streamed, and refused before any parsing when that part unpacks
to more than ``MAX_DOCX_XML_BYTES``: a zip bomb costs neither memory nor time.
"""

from __future__ import annotations

import io
import re
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path

from charset_normalizer import from_bytes

SUPPORTED_SUFFIXES = (".txt", ".docx", ".pdf", ".html", ".htm")
MAX_PDF_PAGES = 200
MAX_TEXT_BYTES = 2 * 2**20  # of text (UTF-8) in one report
MAX_FILE_BYTES = 20 * 2**20  # of a file as stored (a .docx with pictures, a saved page with its markup)
# Of a .docx's main XML part (word/document.xml). A township report's is 0.1–1 MB; 16 MB of XML streams in about
# two seconds. The package's other XML parts that are read ([Content_Types].xml, _rels/.rels) are tiny.
MAX_DOCX_XML_BYTES = 16 * 2**20
_MAX_DOCX_PACKAGE_PART = 2**20  # [Content_Types].xml and _rels/.rels


class ReadError(Exception):
    """A file that cannot be read as a report: ``str(error)`` is the one-line reason, ``chinese`` the same in
    Chinese (for the staff who upload reports)."""

    def __init__(self, message: str, chinese: str = "") -> None:
        super().__init__(message)
        self.chinese = chinese or message


def read_text(path: Path, data: bytes | None = None, max_text: int = MAX_TEXT_BYTES) -> str:
    """The text of the report in ``path`` (``data``: its bytes, when already in memory).

    Raises ``ReadError`` for an empty, binary, undecodable or unsupported file, and for one of more than
    ``max_text`` bytes of text (UTF-8).
    """
    suffix = path.suffix.lower()
    if suffix == ".doc":
        raise ReadError(f"{path.name}: the old Word format (.doc) cannot be read; open it in Word or WPS, "
                        f"save it as .docx and send that", "旧的 Word 格式（.doc）无法读取：请用 Word 或 WPS 打开，另存为 .docx 再发送")
    if suffix not in SUPPORTED_SUFFIXES:
        raise ReadError(f"{path.name}: unsupported file type {suffix or '(none)'}; send .txt, .docx, .pdf or .html",
                        f"不支持的文件类型 {suffix or '（无扩展名）'}：请发送 .txt、.docx、.pdf 或 .html")
    if data is None:
        data = read_file(path)
    if not data.strip():
        raise ReadError(f"{path.name}: the file is empty", "文件是空的")
    if len(data) > MAX_FILE_BYTES:
        raise ReadError(f"{path.name}: {_size(len(data))} is too large for a report (at most {_size(MAX_FILE_BYTES)})",
                        f"文件有 {_size(len(data))}，报告不会这么大（最多 {_size(MAX_FILE_BYTES)}）")
    if suffix == ".docx":
        text = _docx_text(path, data)
    elif suffix == ".pdf":
        text = _pdf_text(path, data)
    else:
        text = decode(data, path.name)
        text = _html_text(text, path.name) if suffix in (".html", ".htm") else text
    if len(text.encode("utf-8")) > max_text:
        size = _size(len(text.encode("utf-8")))
        raise ReadError(f"{path.name}: {size} of text, more than a report has "
                        f"(at most {_size(max_text)}; reports are 3–30 KB): split it or check that it is a report",
                        f"文字有 {size}，比一份报告多得多（最多 {_size(max_text)}，报告一般 3–30 KB）："
                        f"请确认这是一份报告，或分开发送")
    return text


def read_file(path: Path) -> bytes:
    """The bytes of the regular file at ``path``; ``ReadError`` for a folder, a pipe or device, or a read error.

    (Reading a FIFO named report.txt would wait for a writer forever.)
    """
    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file (a pipe, socket or device)"
            raise ReadError(f"{path.name}: {kind}, not a report file", "不是报告文件")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ReadError(f"{path.name}: {_size(path.stat().st_size)} is too large for a report "
                            f"(at most {_size(MAX_FILE_BYTES)})",
                            f"文件有 {_size(path.stat().st_size)}，报告不会这么大（最多 {_size(MAX_FILE_BYTES)}）")
        return path.read_bytes()
    except OSError as error:
        raise ReadError(f"{path.name}: cannot read the file ({error.strerror or error})",
                        f"无法读取文件（{error.strerror or error}）") from error


def _size(count: int) -> str:
    return f"{count / 2**20:.1f} MB" if count >= 2**20 else f"{count / 1024:.0f} KB"


def decode(data: bytes, name: str = "input") -> str:
    """Bytes of a text file to str: UTF-8 (with or without BOM), else GB18030, else a detected encoding.

    A UTF-8 file cut inside its last character still reads; bytes that are no text raise ``ReadError``.
    """
    if text := _utf16_text(data):
        return text
    if b"\x00" in data[:4096]:
        raise ReadError(f"{name}: this is a binary file, not text", "这是二进制文件，不是文字")
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
        raise ReadError(f"{name}: cannot tell the text encoding (not UTF-8 or GB18030)",
                        "无法识别文字编码（不是 UTF-8 或 GB18030）：请另存为 UTF-8 文本或 .docx")
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
    """The text of a .docx: its body's paragraphs and table rows (cells joined by " | "), in document order.

    Reads only the main XML part (and the two small parts that name it), streamed, after checking the size the zip
    declares for it. Text in tracked deletions, text boxes and fields' codes is left out.
    """
    from lxml import etree

    damaged = ReadError(f"{path.name}: not a readable .docx file (damaged, truncated or another format)",
                        "不是可以读取的 .docx 文件（已损坏、不完整，或是其他格式）：请用 Word 或 WPS 打开后重新保存")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as error:
        raise damaged from error
    with archive:
        try:
            main = _docx_main_part(archive, path.name)
            declared = archive.getinfo(main).file_size
        except (KeyError, etree.XMLSyntaxError, zipfile.BadZipFile) as error:
            raise damaged from error
        if declared > MAX_DOCX_XML_BYTES:
            raise _too_much_xml(path.name, declared)
        try:
            # zipfile unpacks no more than the declared size (a zip that understates it fails its CRC check)
            with archive.open(main) as stream:
                return "\n".join(_docx_blocks(stream))
        except (ReadError, MemoryError):
            raise
        except Exception as error:  # noqa: BLE001 - zipfile, zlib and lxml raise many kinds on a damaged file
            raise ReadError(f"{path.name}: a damaged .docx file ({type(error).__name__}: {str(error)[:80]}); "
                            f"open it in Word or WPS and save it again",
                            "这个 .docx 文件已损坏：请用 Word 或 WPS 打开后重新保存") from error


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_RUN_CONTAINERS = {_W + "hyperlink", _W + "ins", _W + "smartTag", _W + "fldSimple"}  # runs inside show as text
_RUN_TEXT = {_W + "tab": "\t", _W + "ptab": "\t", _W + "cr": "\n", _W + "noBreakHyphen": "-"}


def _too_much_xml(name: str, size: int) -> ReadError:
    return ReadError(f"{name}: its text part unpacks to {_size(size)} of XML, more than a report has "
                     f"(at most {_size(MAX_DOCX_XML_BYTES)}; a report's is under 1 MB)",
                     f"解压后正文部分有 {_size(size)} 的 XML，一份报告不会这么大（最多 {_size(MAX_DOCX_XML_BYTES)}，"
                     f"报告一般不到 1 MB）：请确认这是报告，或在 Word/WPS 中另存后再发送")


def _docx_main_part(archive: zipfile.ZipFile, name: str) -> str:
    """The name of the package's main document part, checked to be a Word document's.

    Raises ``KeyError`` or ``XMLSyntaxError`` when the package's index parts are missing or damaged,
    ``ReadError`` when they are too large or name another kind of document (a renamed .xlsx).
    """
    from lxml import etree

    def small_xml(part: str):
        info = archive.getinfo(part)
        if info.file_size > _MAX_DOCX_PACKAGE_PART:
            raise _too_much_xml(name, info.file_size)
        with archive.open(info) as stream:
            return etree.fromstring(stream.read(_MAX_DOCX_PACKAGE_PART + 1), _safe_parser())

    relations, types = small_xml("_rels/.rels"), small_xml("[Content_Types].xml")
    main = next((relation.get("Target", "") for relation in relations.iter(_REL + "Relationship")
                 if relation.get("Type", "").endswith("/officeDocument")), "")
    main = main.lstrip("/")
    extension = main.rpartition(".")[2].lower()
    kind = next((override.get("ContentType", "") for override in types.iter(_TYPES + "Override")
                 if override.get("PartName", "").lstrip("/") == main), "") or next(
        (default.get("ContentType", "") for default in types.iter(_TYPES + "Default")
         if default.get("Extension", "").lower() == extension), "")
    if not main or not ("wordprocessingml" in kind or "ms-word" in kind):
        raise ReadError(f"{name}: not a Word document inside (main part {main or 'missing'}, {kind or 'no type'})",
                        "文件里不是 Word 文档：请发送 Word 或 WPS 保存的 .docx")
    return main


def _safe_parser():
    """An XML parser that fetches nothing and expands no entities (a document may declare its own)."""
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _docx_blocks(stream) -> Iterator[str]:
    """The text of each paragraph and table row directly in the document's body, in order; each block is
    dropped from memory once read."""
    from lxml import etree

    body, paragraph, table = _W + "body", _W + "p", _W + "tbl"
    for _, element in etree.iterparse(stream, events=("end",), tag=(paragraph, table), resolve_entities=False,
                                      no_network=True, load_dtd=False, huge_tree=False):
        parent = element.getparent()
        if parent is None or parent.tag != body:
            continue  # a paragraph inside a table or a text box: read with its table, or not at all
        if element.tag == paragraph:
            yield _paragraph_text(element)
        else:
            for row in element.iterchildren(_W + "tr"):
                yield " | ".join("\n".join(_paragraph_text(cell_paragraph)
                                           for cell_paragraph in cell.iterchildren(paragraph))
                                 for cell in row.iterchildren(_W + "tc"))
        element.clear()
        while element.getprevious() is not None:
            del parent[0]


def _paragraph_text(paragraph) -> str:
    """A paragraph's text as Word shows it: its runs, also those in links, insertions and simple fields."""
    pieces = []
    for child in paragraph.iterchildren():
        if child.tag == _W + "r":
            _run_text(child, pieces)
        elif child.tag in _RUN_CONTAINERS:
            for run in child.iter(_W + "r"):
                _run_text(run, pieces)
    return "".join(pieces)


def _run_text(run, pieces: list[str]) -> None:
    for item in run.iterchildren():
        if item.tag == _W + "t":
            pieces.append(item.text or "")
        elif item.tag in _RUN_TEXT:
            pieces.append(_RUN_TEXT[item.tag])
        elif item.tag == _W + "br" and item.get(_W + "type", "textWrapping") == "textWrapping":
            pieces.append("\n")


def _pdf_text(path: Path, data: bytes) -> str:
    """The text layer of a PDF, its lines joined back into paragraphs (a PDF breaks lines where the page does)."""
    import logging

    import pypdf

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings on odd but readable files are no news here
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ReadError(f"{path.name}: the PDF is protected by a password; send it without one",
                            "PDF 有密码保护：请发送没有密码的文件")
        if len(reader.pages) > MAX_PDF_PAGES:
            raise ReadError(f"{path.name}: {len(reader.pages)} pages, more than a report has (at most {MAX_PDF_PAGES})",
                            f"PDF 有 {len(reader.pages)} 页，比一份报告多得多（最多 {MAX_PDF_PAGES} 页）")
        pages = [page.extract_text() or "" for page in reader.pages]
    except ReadError:
        raise
    except Exception as error:  # noqa: BLE001 - pypdf raises many kinds on a damaged file
        raise ReadError(f"{path.name}: a damaged PDF ({type(error).__name__}); save it again or send .docx",
                        "PDF 文件已损坏：请重新保存，或发送 .docx") from error
    lines = [line.strip() for page in pages for line in page.splitlines() if line.strip()]
    if sum(len(line) for line in lines) < 20:
        raise ReadError(f"{path.name}: this PDF has no text layer (a scanned image); send the report as .docx or "
                        f".txt, or a PDF saved from Word or WPS",
                        "这个 PDF 没有文字层（是扫描图片）：请发送 .docx 或 .txt，或从 Word、WPS 另存的 PDF")
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
                            f"save the report's own page, or its text as .txt",
                            f"网页标题说的是{said}，正文说的是{written}：请保存报告本身的网页，或把正文存为 .txt")


def _page_title(title: str) -> str:
    """A page title without the site's name: 某某报告_江华瑶族自治县人民政府网 → 某某报告."""
    parts = [part.strip() for part in re.split(r"\s*(?:_|\||｜| - | — |-{2,})\s*", title) if part.strip()]
    parts = [part for part in parts if not re.search(r"(?:网|网站|门户|平台)$", part)]  # 人民政府网, 政务服务平台
    named = [part for part in parts if "报告" in part]
    return (named or parts or [""])[0]
