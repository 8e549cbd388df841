"""National scale: build and answer over N synthetic reports, with baselines measured in the same run.

    python bench/scale.py 10000 [--work /tmp/scale] [--rounds 200] [--skip-build]

Synthesizes N reports from the bundled seeds and ../shared/corpus: each source report is copied under
unique Chinese township names (the header parser reads only Chinese stems), five years each, its years
shifted to 2020–2024. Then it runs the real command line and prints:

- build: reports/s (baseline: one process reading, parsing and segmenting reports without writing them),
  DB size, peak RSS of the largest build process; rebuild of the unchanged folder; adding one report to the
  built knowledge base;
- start: cold ``township-bot ask`` (median of 5; baseline ``python -c pass``), RSS of a started answerer;
- warm answers: p50/p99 per question kind (figure, open-label figure, passage, ranking, open ranking,
  comparison, unknown township, typo'd township), and the share answered (the figure questions ask for what
  the township's report states); baseline: one indexed SQL lookup of a township's facts.

Goals (issue 9, at 200k reports): ≥ 110 reports/s, rebuild ≤ 2 min, adding one ≤ 1 s, cold ask ≤ 1 s,
RSS ≤ 250 MB, figure p99 ≤ 5 ms, passage ≤ 30 ms, ranking ≤ 100 ms, unknown or typo'd township ≤ 20 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SOURCES = [ROOT / "seeds", ROOT.parent / "shared" / "corpus"]
YEARS = (2020, 2021, 2022, 2023, 2024)
# Characters for synthetic township stems: common in place names, none a suffix or an admin word.
STEM_CHARS = ("青松柏杨柳桃李梅兰竹菊荷莲桂枫槐樟榆桑茶麦禾稻粟豆花果林森岭峰峪岩石泉溪河湖海港湾洲滩塘"
              "池堰坝渠桥亭台楼阁庄堡寨屯营关坪坡岗塬沟源渡口井坎埠垭丰安康宁平和兴旺福寿永昌盛华荣"
              "富贵吉祥瑞德仁义礼智信忠孝勤俭朴素明光辉耀金银铜铁玉翠碧红黄白黑紫蓝绿东西南北中上下前后")


def stems(count: int, seed: int = 7) -> list[str]:
    """``count`` distinct three-character stems, in a fixed pseudo-random order."""
    chars = STEM_CHARS
    n = len(chars)
    order = list(range(n ** 3))
    random.Random(seed).shuffle(order)
    return [chars[k // (n * n)] + chars[k // n % n] + chars[k % n] for k in order[:count]]


def source_reports() -> list[tuple[str, str, str, int]]:
    """(text, township, stem, year) of every bundled and corpus report that parses."""
    from knowledge.aliases import short_name
    from knowledge.reading import read_text
    from knowledge.report import parse_report

    found = []
    for folder in SOURCES:
        for path in sorted(folder.glob("*.txt")):
            text = read_text(path)
            header = parse_report(text, path.name).header
            found.append((text, header.township, short_name(header.township), header.year))
    return found


def synthesize(count: int, folder: Path) -> list[tuple[str, int]]:
    """Write ``count`` synthetic reports under ``folder``; returns (township, year) of each, in file order."""
    sources = source_reports()
    names = stems(count // len(YEARS) + 2)
    made = []
    for index in range(count):
        town, year = divmod(index, len(YEARS))
        text, name, stem, source_year = sources[town % len(sources)]
        new_stem = names[town]
        new_name = new_stem + name[len(stem):]
        body = text.replace(name, new_name).replace(stem, new_stem)
        shift = YEARS[year] - source_year
        body = re.sub(r"(?<!\d)20[0-3]\d(?!\d)", lambda m: str(int(m.group()) + shift), body)
        path = folder / f"{index // 1000:03d}" / f"{index:06d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
        made.append((new_name, YEARS[year]))
    return made


def run(command: list[str], ok: tuple[int, ...] = (0,), **kwargs) -> tuple[float, int, subprocess.CompletedProcess]:
    """Wall seconds, peak RSS (KB) of the largest process, and the finished process of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    seconds = time.perf_counter() - start
    if done.returncode not in ok:
        sys.exit(f"failed ({done.returncode}): {' '.join(command)}\n{done.stderr[-2000:]}")
    return seconds, max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before), done


def prepare_rate(paths: list[Path]) -> float:
    """Reports/s of reading, parsing and segmenting ``paths`` in this process on one core, writing nothing: the
    machine's speed at the time of the build, which on this virtual machine varies by up to 3x within a day."""
    from knowledge.ingest import _prepare_file

    _prepare_file(paths[0])  # loads jieba's dictionary once, as each build worker does
    start = time.perf_counter()
    for path in paths:
        _prepare_file(path)
    return len(paths) / (time.perf_counter() - start)


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def questions(towns: list[str], rounds: int, db: Path, seed: int = 11) -> dict[str, list[str]]:
    """Questions by kind over the synthetic ``towns``; unknown and typo'd names are made up here.

    The figure questions ask what the picked township's latest report states (a figure's own words from ``db``),
    so that they time answers rather than refusals; a township whose report states none gets a fixed question.
    """
    from knowledge.aliases import short_name

    rng = random.Random(seed)
    picks = [rng.choice(towns) for _ in range(rounds)]
    unknown = stems(len(towns) // len(YEARS) + rounds + 2)[-rounds:]
    passage = ("存在哪些问题", "明年有什么打算", "怎么开展矛盾纠纷排查的")
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)

    def stated(town: str, lexicon: bool, fallback: str) -> tuple[str, str]:
        """The words and unit of a figure of ``town``'s latest report: one of a lexicon metric, or one of the
        report's own words (``lexicon`` False)."""
        rows = connection.execute(  # ``+metric``: through the facts of the one report, not the metric index
            "select subject, unit from facts where report_id = (select r.id from reports r join townships t "
            "on t.id = r.township_id where t.name = ? and r.latest) and unit_class in ('items', 'people', 'times') "
            f"and length(subject) >= 2 and +metric {'!=' if lexicon else '='} ''", [town]).fetchall()
        return rng.choice(rows) if rows else (fallback, "")

    def typo(name: str) -> str:
        stem = short_name(name)
        return stem[0] + rng.choice(STEM_CHARS) + stem[2:] + name[len(stem):]

    return {
        "figure": ["{}{}多少{}".format(short_name(t), *stated(t, True, "人民调解员")) for t in picks],
        "open-label figure": ["{}{}多少{}".format(t, *stated(t, False, "发放宣传资料")) for t in picks],
        "passage": [f"{short_name(t)}{rng.choice(passage)}" for t in picks],
        "ranking": ["哪个乡镇人民调解员最多", "哪个镇调解纠纷最多", "行政复议最少的是哪个乡镇"] * (rounds // 30 + 1),
        "open ranking": ["哪个镇发放宣传资料最多", "哪个乡镇法治培训人次最多"] * (rounds // 30 + 1),
        "comparison": [f"比较{short_name(a)}和{short_name(b)}的{stated(a, True, '人民调解员')[0]}"
                       for a, b in zip(picks, reversed(picks))],
        "unknown township": [f"{stem}镇有多少人民调解员" for stem in unknown],
        "typo'd township": [f"{typo(t)}有多少人民调解员" for t in picks],
    }


def probe(db: Path, towns_file: Path, rounds: int) -> None:
    """In a fresh process: start an answerer, print its RSS and warm latencies per kind as JSON."""
    start = time.perf_counter()
    from bot.answer import Answerer

    answerer = Answerer(db)
    started = time.perf_counter() - start
    rss_mb = int(Path("/proc/self/status").read_text().split("VmRSS:")[1].split()[0]) / 1024
    towns = json.loads(towns_file.read_text())
    by_kind = questions(towns, rounds, db)
    # warm the process as a running bot is: 20 questions of each kind about other townships (other seed), so that
    # one-off costs (regular expressions compiled, the question segmenter built) are not counted as answers
    for texts in questions(towns, 20, db, seed=5).values():
        for text in texts:
            answerer.answer(text)
    latencies, answered = {}, {}
    for kind, texts in by_kind.items():
        samples, hits = [], 0
        for text in texts:
            t0 = time.perf_counter()
            reply = answerer.answer(text)
            samples.append(time.perf_counter() - t0)
            hits += reply.answered
        latencies[kind] = (percentile(samples, 0.5), percentile(samples, 0.99))
        answered[kind] = hits / len(texts)
    connection = sqlite3.connect(db)
    ids = [row[0] for row in connection.execute("select id from reports order by random() limit 500")]
    lookups = []
    for report_id in ids:
        t0 = time.perf_counter()
        connection.execute("select * from facts where report_id = ?", [report_id]).fetchall()
        lookups.append(time.perf_counter() - t0)
    print(json.dumps({"start_s": started, "rss_mb": rss_mb, "latencies": latencies, "answered": answered,
                      "lookup_p50": percentile(lookups, 0.5)}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("count", type=int, help="number of synthetic reports")
    parser.add_argument("--work", type=Path, default=Path("/tmp/township-scale"), help="working folder")
    parser.add_argument("--rounds", type=int, default=200, help="questions per kind (default 200)")
    parser.add_argument("--skip-build", action="store_true", help="reuse the knowledge base already built")
    parser.add_argument("--probe", nargs=2, type=Path, metavar=("DB", "TOWNS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        probe(*args.probe, args.rounds)
        return 0

    work = args.work / str(args.count)
    reports, db, towns_file = work / "reports", work / "kb.db", work / "towns.json"
    env = {**os.environ, "PYTHONUTF8": "1"}
    cli = [sys.executable, "-m", "bot.cli", "--db", str(db)]
    if not towns_file.exists() or not (args.skip_build or reports.exists()):  # the reports may have been deleted
        t0 = time.perf_counter()
        made = synthesize(args.count, reports)
        towns_file.write_text(json.dumps(sorted({name for name, _ in made}), ensure_ascii=False))
        print(f"synthesized {args.count} reports in {time.perf_counter() - t0:.0f} s → {reports}")
    print(f"{args.count} synthetic reports ({args.count // len(YEARS)} townships × {len(YEARS)} years)")

    if not args.skip_build:
        for stale in work.glob("kb.db*"):
            stale.unlink()
        one_core = prepare_rate(sorted(reports.rglob("*.txt"))[:300])
        seconds, rss, done = run(cli + ["build", str(reports)], ok=(0, 1), env=env, cwd=ROOT)
        size = db.stat().st_size / 2**20
        print(f"  build          {args.count / seconds:8.1f} reports/s  ({seconds:.0f} s)  DB {size:.0f} MB"
              f"  peak RSS {rss / 1024:.0f} MB  ({done.stderr.count('✗')} files not filed: a made-up name"
              f" the header parser does not take for a township)")
        print(f"                 baseline: one process reads, parses and segments {one_core:.0f} reports/s (no"
              f" writing); the build is {args.count / seconds / one_core:.2f}x that")
        seconds, _, _ = run(cli + ["build", str(reports)], ok=(0, 1), env=env, cwd=ROOT)
        print(f"  rebuild        {seconds:8.1f} s (unchanged folder)")
        extra = work / "extra"
        extra.mkdir(exist_ok=True)
        [(name, year)] = synthesize(1, extra)  # the first stem again: a new year for an existing township
        new = extra / "000" / "000000.txt"
        new.write_text(new.read_text(encoding="utf-8").replace(str(year), "2025"), encoding="utf-8")
        seconds, _, _ = run(cli + ["build", str(new)], env=env, cwd=ROOT)
        print(f"  add one report {seconds:8.2f} s (whole command)")

    stored = sqlite3.connect(db).execute("select count(*) from reports").fetchone()[0]
    print(f"  stored         {stored} reports")
    town = json.loads(towns_file.read_text())[0]
    cold = [run(cli + ["ask", f"{town}有多少人民调解员"], env=env, cwd=ROOT)[0] for _ in range(5)]
    bare = [run([sys.executable, "-c", "pass"])[0] for _ in range(5)]
    print(f"  cold ask       {statistics.median(cold):8.3f} s  | baseline python -c pass {statistics.median(bare):.3f} s")
    _, _, done = run([sys.executable, __file__, "0", "--rounds", str(args.rounds), "--probe", str(db), str(towns_file)],
                     env=env, cwd=ROOT)
    result = json.loads(done.stdout)
    base = result["lookup_p50"]
    print(f"  started        {result['start_s']:8.3f} s  RSS {result['rss_mb']:.0f} MB")
    print(f"  warm answers ({args.rounds} per kind; baseline: indexed SQL lookup of a report's facts, "
          f"p50 {base * 1000:.3f} ms)")
    for kind, (p50, p99) in result["latencies"].items():
        print(f"    {kind:18s} p50 {p50 * 1000:8.2f} ms  p99 {p99 * 1000:8.2f} ms  ({p50 / base:6.0f}x)"
              f"  answered {result['answered'][kind]:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
