"""Each file format with real files the tests make, and every kind of bad input."""

import docx
import pytest

from knowledge.ingest import read_report
from knowledge.paths import bundled_seeds
from knowledge.reading import ReadError, read_text
from knowledge.report import ParseError

SEED = bundled_seeds() / "2024-hunan-xiangjiangyuan.txt"
SEED_TEXT = SEED.read_text(encoding="utf-8")


def _mediators(report):
    return [fact.text for _, fact in report.facts if fact.metric == "mediators"]


def test_utf8_with_bom(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + SEED_TEXT.encode("utf-8"))
    assert _mediators(read_report(path)) == ["6名"]


@pytest.mark.parametrize("encoding", ["gb18030", "gbk"])
def test_gb18030_and_gbk(tmp_path, encoding):
    path = tmp_path / f"{encoding}.txt"
    path.write_bytes(SEED_TEXT.encode(encoding))
    report = read_report(path)
    assert report.header.township == "湘江源瑶族乡"
    assert _mediators(report) == ["6名"]


def test_docx(tmp_path):
    document = docx.Document()
    for line in SEED_TEXT.splitlines():
        document.add_paragraph(line)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "备注", "无"
    path = tmp_path / "report.docx"
    document.save(path)
    report = read_report(path)
    assert (report.header.township, report.header.year) == ("湘江源瑶族乡", 2024)
    assert _mediators(report) == ["6名"]


def test_html_page_with_header_table(tmp_path):
    body = "".join(f"<p>{line}</p>" for line in SEED_TEXT.splitlines() if line.strip())
    page = ("<html><head><meta charset='utf-8'><title>政务公开</title><script>var x=1;</script></head><body>"
            "<div class='nav'>首页 &gt;&gt; 政务公开 &gt;&gt; 法治政府建设</div>"
            "<table><tr><td>索引号：</td><td>11431128/2025-00012</td><td>发文日期：</td><td>2025-01-20</td></tr></table>"
            "<p>语音播报</p>" + body + "</body></html>")
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    report = read_report(path)
    assert report.header.township == "湘江源瑶族乡"
    assert _mediators(report) == ["6名"]
    assert not any("var x" in sentence.text or "语音播报" in sentence.text for sentence in report.body.sentences)


def test_page_furniture_is_cleaned(tmp_path):
    path = tmp_path / "furniture.txt"
    path.write_text("[bookmark: _GoBack]" + SEED_TEXT + "\n\n- 4 -\n|\n", encoding="utf-8")
    texts = [sentence.text for sentence in read_report(path).body.sentences]
    assert not any("bookmark" in text or text.strip("-  ") == "4" or text == "|" for text in texts)


@pytest.mark.parametrize("name, data, message", [
    ("empty.txt", b"", "empty"),
    ("blank.txt", b"  \n\n ", "empty"),
    ("binary.txt", bytes(range(256)) * 4, "binary"),
    ("fake.docx", "这不是一个docx文件".encode(), "not a readable .docx"),
    ("scan.pdf", b"%PDF-1.4 ...", "PDF"),
    ("notes.xlsx", b"PK\x03\x04", "unsupported file type"),
])
def test_bad_files_get_a_one_line_error(tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ReadError) as error:
        read_text(path)
    assert message in str(error.value)
    assert name in str(error.value)
    assert "\n" not in str(error.value)


def test_truncated_docx(tmp_path):
    document = docx.Document()
    document.add_paragraph(SEED_TEXT)
    whole = tmp_path / "whole.docx"
    document.save(whole)
    cut = tmp_path / "cut.docx"
    cut.write_bytes(whole.read_bytes()[:2000])
    with pytest.raises(ReadError, match="cut.docx"):
        read_text(cut)


def test_utf8_cut_inside_last_character_still_reads(tmp_path):
    path = tmp_path / "cut.txt"
    path.write_bytes(SEED_TEXT.encode("utf-8")[:-1])
    assert read_report(path).header.township == "湘江源瑶族乡"


def test_unreadable_file(tmp_path):
    with pytest.raises(ReadError, match="cannot read"):
        read_text(tmp_path / "missing.txt")


@pytest.mark.parametrize("text, message", [
    ("Quarterly report of the Springfield water board. 12 meetings.", "no Chinese"),
    ("今年以来，我们认真学习，开展活动12次，取得良好效果。", "no township"),
    ("莲池镇人民政府关于法治政府建设情况报告\n我镇开展活动12次。", "which year"),
])
def test_texts_that_are_not_township_reports(tmp_path, text, message):
    path = tmp_path / "odd.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParseError, match=message):
        read_report(path)


def test_a_report_that_never_says_its_year_takes_the_one_in_its_file_name(tmp_path):
    text = "近年来，莲池镇在县委的领导下推进依法行政。\n一、主要工作\n全年开展普法活动12次。"
    (tmp_path / "莲池镇2023年报告.txt").write_text(text, encoding="utf-8")
    (tmp_path / "莲池镇2022-2023.txt").write_text(text, encoding="utf-8")
    assert read_report(tmp_path / "莲池镇2023年报告.txt").header.year == 2023
    with pytest.raises(ParseError, match="which year"):  # two years in the name: which one is unknown
        read_report(tmp_path / "莲池镇2022-2023.txt")


def write_pdf(path, lines: list[str], width: float = 380) -> None:
    """A PDF with a text layer, as Word or WPS saves one: each line wrapped where it reaches ``width`` points."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    drawn = []
    for line in lines:
        while line:
            cut = 1
            while cut < len(line) and pdfmetrics.stringWidth(line[:cut + 1], "STSong-Light", 11) <= width:
                cut += 1
            drawn.append(line[:cut])
            line = line[cut:]
    page = canvas.Canvas(str(path))
    for index, text in enumerate(drawn):
        if index % 45 == 0 and index:
            page.showPage()
        page.setFont("STSong-Light", 11)
        page.drawString(40, 800 - 16 * (index % 45), text)
    page.save()


def test_a_pdf_with_a_text_layer_reads_as_its_text_with_the_lines_joined_back(tmp_path):
    path = tmp_path / "report.pdf"
    write_pdf(path, [line for line in SEED_TEXT.splitlines() if line.strip()])
    report = read_report(path)
    assert (report.header.township, report.header.year) == ("湘江源瑶族乡", 2024)
    assert [s.text for s in report.body.sentences] == [s.text for s in read_report(SEED).body.sentences]


def test_a_scanned_pdf_without_a_text_layer_is_refused_with_the_reason(tmp_path):
    from reportlab.pdfgen import canvas

    path = tmp_path / "scan.pdf"
    page = canvas.Canvas(str(path))
    page.rect(40, 40, 500, 700, fill=1)  # a picture of a page, no text
    page.save()
    with pytest.raises(ReadError, match="no text layer"):
        read_text(path)
