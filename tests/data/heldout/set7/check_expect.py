"""Check set7 questions.tsv: every non-REFUSE expect part must occur verbatim in its report.

A question is matched to its report by the township name it uses (short forms, the typo'd
forms used in the questions, and the pinyin of the two English questions); a follow-up
question ('+ ...') belongs to the report of the question before it.
Figure parts must occur exactly once in the report (counted as substrings); township-name
parts may occur more often. The script also prints the counts reported in NOTES.md.
Run: python3 tests/data/heldout/set7/check_expect.py
"""
import os, re, sys

here = os.path.dirname(os.path.abspath(__file__))
keys = {
    '01_yuping_2024.txt': ['余坪', '鱼坪'],
    '02_guihuayuan_2025.txt': ['桂花园', '桂花元'],
    '03_dongxi_2021.txt': ['东溪', '冬溪'],
    '04_dakoutun_2025.txt': ['大口屯', '大口囤', 'Dakoutun'],
    '05_zhuangshi_2023.txt': ['庄市'],
    '06_yishi_2024.txt': ['一市'],
    '07_zhaoji_2024.txt': ['赵集'],
    '08_yanjixincun_2022.txt': ['延吉'],
    '09_longgui_2022.txt': ['龙归', '龙规'],
    '10_xiaoying_2024.txt': ['小营', 'Xiaoying'],
    '11_henglan_2021.txt': ['横栏'],
    '12_huangcun_2025.txt': ['黄村'],
    '13_xiaolan_2025.txt': ['小榄', '小蓝'],
    '14_nanhuaxi_2024.txt': ['南华西'],
    '15_tongjing_2024.txt': ['统景'],
    '16_heishan_2025.txt': ['黑山'],
    '17_gulu_2024.txt': ['古路'],
    '18_guiyang_2025.txt': ['桂阳'],
}
texts = {f: open(os.path.join(here, 'reports', f), encoding='utf-8').read() for f in keys}
problems = 0
prev = None
per = {f: 0 for f in keys}
n_refuse = n_two = n_follow = n_en = n_short = 0
lines = open(os.path.join(here, 'questions.tsv'), encoding='utf-8').read().splitlines()
assert lines[0] == 'kb\tquestion\texpect', lines[0]
lines = lines[1:]
for line in lines:
    kb, q, expect = line.split('\t')
    assert kb == 'heldout', line
    if q.startswith('+ '):
        f = prev
        n_follow += 1
    else:
        hits = [f for f, ks in keys.items() if any(k in q for k in ks)]
        if len(hits) != 1:
            print('cannot place question:', q, hits); problems += 1; continue
        f = hits[0]
    prev = f
    per[f] += 1
    if re.search(r'[A-Za-z]{3,} [A-Za-z]{3,}', q):
        n_en += 1
    elif q.startswith('+ ') or not re.search(r'[?,,、“”()]', q):
        n_short += 1
    if expect == 'REFUSE':
        n_refuse += 1
        continue
    parts = [p.strip() for p in expect.split('&')]
    figs = [p for p in parts if not re.fullmatch(r'.+(街道|镇|乡|街)', p)]
    if len(figs) >= 2:
        n_two += 1
    for part in parts:
        n = texts[f].count(part)
        if n == 0:
            print('NOT IN REPORT:', f, q, part); problems += 1
        elif n > 1 and part in figs:
            print('occurs %d times:' % n, f, q, part); problems += 1
    # a full-sentence Chinese question must carry the township name in its expect
    if '?' in q and not re.search(r'[A-Za-z]{3,} [A-Za-z]{3,}', q) and len(figs) == len(parts):
        print('full sentence without township in expect:', q); problems += 1
for f, n in per.items():
    if not 5 <= n <= 12:
        print('question count out of range:', f, n); problems += 1
print('per report:', per)
print('REFUSE %d, two-figure %d, follow-ups %d, English %d, short/colloquial %d'
      % (n_refuse, n_two, n_follow, n_en, n_short))
print('%d questions checked, %d problems' % (len(lines), problems))
sys.exit(1 if problems else 0)
