"""Check set6 questions.tsv: every non-REFUSE expect part must occur verbatim in its report.

A question is matched to its report by the township name it uses (short forms, the typo'd
forms used in the questions, and the pinyin of the two English questions); a follow-up
question ('+ ...') belongs to the report of the question before it.
Run: python3 tests/data/heldout/set6/check_expect.py
"""
import os, re, sys

here = os.path.dirname(os.path.abspath(__file__))
keys = {
    '01_zhongchang_2025.txt': ['中长', '中常'],
    '02_dongfangshan_2025.txt': ['东方山', '东方三'],
    '03_gaosuntang_2025.txt': ['高笋塘', '高笋唐', 'Gaosuntang'],
    '04_lizhi_2025.txt': ['荔枝'],
    '05_fuxing_2024.txt': ['复兴'],
    '06_chongyi_2025.txt': ['崇义'],
    '07_liucheng_2025.txt': ['柳城'],
    '08_damaying_2025.txt': ['大马营'],
    '09_xinan_2024.txt': ['新安', '新按'],
    '10_dongxiao_2024.txt': ['东晓'],
    '11_huafu_2025.txt': ['华富', '华付'],
    '12_xinhu_2025.txt': ['新湖'],
    '13_guanlan_2025.txt': ['观澜', '观兰'],
    '14_junbu_2022.txt': ['军埠'],
    '15_yanshan_2024.txt': ['岩山', '严山', 'Yanshan'],
    '16_daqiaojiang_2025.txt': ['大桥江'],
    '17_hujiertai_2024.txt': ['胡吉尔台'],
    '18_lianhua_2025.txt': ['莲花'],
    '19_yihe_2025.txt': ['义和'],
    '20_ditang_2023.txt': ['棣棠'],
}
texts = {f: open(os.path.join(here, 'reports', f), encoding='utf-8').read() for f in keys}
problems = 0
prev = None
lines = open(os.path.join(here, 'questions.tsv'), encoding='utf-8').read().splitlines()[1:]
for line in lines:
    kb, q, expect = line.split('\t')
    if q.startswith('+ '):
        f = prev
    else:
        hits = [f for f, ks in keys.items() if any(k in q for k in ks)]
        if len(hits) != 1:
            print('cannot place question:', q, hits); problems += 1; continue
        f = hits[0]
    prev = f
    if expect == 'REFUSE':
        continue
    for part in (p.strip() for p in expect.split('&')):
        n = texts[f].count(part)
        if n == 0:
            print('NOT IN REPORT:', f, q, part); problems += 1
        elif n > 1 and not re.fullmatch(r'.+(街道|镇|乡)', part):
            print('occurs %d times:' % n, f, q, part); problems += 1
print('%d questions checked, %d problems' % (len(lines), problems))
sys.exit(1 if problems else 0)
