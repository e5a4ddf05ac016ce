"""docs/benchmarks.md from the benchmark results: figures, the machine, the command for each."""

from __future__ import annotations

from collections.abc import Callable

Results = dict[str, dict]


def _fmt(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}"


def _cell(text: str) -> str:
    # A pipe ends a table cell even inside backticks.
    return text.replace("|", "\\|")


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# -- targets ------------------------------------------------------------------


def _targets(r: Results) -> list[tuple[str, str, bool | None, str, str]]:
    """(target, measured, met, section, key) for every target whose benchmark ran."""
    out: list[tuple[str, str, bool | None, str, str]] = []
    tp = r.get("throughput")
    if tp:
        many = tp["runs"][str(tp["cores"])]
        out.append((f"service/direct >= 0.95 with {tp['cores']} workers (one per core)",
                     f"{many['service_vs_direct']:.3f} wall, {many['cpu_service_vs_direct']:.3f} CPU",
                     many["service_vs_direct"] >= 0.95, "throughput", "ratio"))
        if "scaling_service" in tp:
            out.append((f"{tp['cores']} workers >= 1.8x one", f"{tp['scaling_service']:.2f}x (direct loop: {tp['scaling_direct']:.2f}x)",
                        tp["scaling_service"] >= 1.8, "throughput", "scaling"))
    ov = r.get("overhead")
    if ov:
        sixteen, one = ov["runs"]["16"]["process_page"], ov["runs"]["1"]["process_page"]
        out.append(("null-engine ProcessPage >= 500 pages/s (16 clients)", f"{sixteen['per_second']:.0f} pages/s",
                    sixteen["per_second"] >= 500, "overhead", "rate"))
        out.append(("null-engine ProcessPage p50 < 5 ms (1 client)", f"{one['p50_ms']:.1f} ms", one["p50_ms"] < 5, "overhead", "p50"))
    alt = r.get("alternatives")
    if alt:
        raster = alt["runs"]["raster"]["tools"]
        ratios = {t: v.get("tool_vs_service") for t, v in raster.items()}
        ok = all(v is not None and v > 1 for v in ratios.values()) if ratios else None
        out.append(("faster than ocrmypdf and the tesseract CLI on raster pages",
                    ", ".join(f"{t} {_fmt(v)}x" for t, v in ratios.items()), ok, "alternatives", "raster"))
        vector = alt["runs"]["vector"]["tools"].get("ocrmypdf", {})
        v = vector.get("tool_vs_service")
        out.append((">= 10x faster than ocrmypdf on vector PDFs", f"{_fmt(v, 1)}x" if v else vector.get("missing", "n/a"),
                    None if v is None else v >= 10, "alternatives", "vector"))
    lat = r.get("latency")
    if lat and "cli_cold_start" in lat:
        cold = lat["cli_cold_start"]["median_seconds"]
        out.append(("`planocr ocr` cold start <= 1 s (one A3 vector sheet)", f"{cold:.2f} s", cold <= 1.0, "latency", "cold"))
    if lat:
        first = lat["first_event"]["median_first_message_ms"]
        out.append(("first ProcessDocument event < 100 ms", f"{first:.1f} ms", first < 100, "latency", "first"))
        peak = lat["peak_memory"]["peak_mb"]
        out.append(("peak memory < 1.5 GB on an ARCH E1 sheet at 300 DPI", f"{peak:,} MiB", peak < 1536, "latency", "memory"))
    so = r.get("scaleout")
    if so:
        out.append(("three replicas >= 2.5x one (200 ms network-like engine)", f"{so['speedup']:.2f}x", so["speedup"] >= 2.5, "scaleout", "scaleout"))
    bg = r.get("background")
    if bg:
        small, large = bg["ended_s"]["small"], bg["ended_s"]["large"]
        out.append(("a 2-page set started in the background ends while a 60-page one runs",
                    f"{small:.2f} s against {large:.2f} s", small < large, "background", "background"))
        snapshot = bg["watch_snapshot_median_ms"]
        out.append(("WatchDocument: a running document's counts within 100 ms", f"{snapshot:.0f} ms", snapshot <= 100, "background", "background"))
        waited = bg["process_page_wait_in_page_times"]
        out.append(("ProcessPage behind busy background workers starts within one page's time",
                    f"after {waited:.2f} page times", waited <= 1.0, "background", "background"))
    return out


def _mark(met: bool | None) -> str:
    return "n/a" if met is None else ("yes" if met else "**no**")


# -- sections -------------------------------------------------------------------


def _machine(r: Results) -> str:
    # The sheets benchmark runs without PostgreSQL: the machine is described by a run that used it, when there is one.
    m = next((res["machine"] for name, res in r.items() if name != "sheets"), next(iter(r.values()))["machine"])
    rows = [
        ["CPU", f"{m['cpu']}, {m['cores']} cores"],
        ["Memory", f"{m['memory_gb']} GB"],
        ["OS", f"{m['os']}, Linux {m['kernel']}"],
        ["Python / grpcio", f"{m['python']} / {m['grpcio']}"],
        ["OCR library", m["libtesseract"]],
        ["PostgreSQL", f"{m['postgresql']}, on the same machine"],
        ["planocr", f"commit {m['planocr_commit']}"],
        ["Run", m["date"]],
    ]
    alt = r.get("alternatives")
    if alt:
        rows.insert(5, ["Peer tools", ", ".join(f"{t} {v.removeprefix(t).strip()}" for t, v in alt["versions"].items()) or "none installed"])
    loads = ", ".join(f"{name} {res['load_before']}-{res['load_after']}" for name, res in r.items() if "load_before" in res)
    pressures = ", ".join(f"{name} {p[0]:g}-{p[1]:g}%" for name, res in r.items() if None not in (p := res.get("cpu_pressure", [None, None])))
    if pressures:
        loads += f"; CPU pressure (share of the last minute some task waited for a core): {pressures}"
    return "## The machine\n\n" + _table(["", ""], rows) + (
        "\n\nThe machine is shared: other work ran during the benchmarks. 1-minute load average before and after "
        f"each benchmark: {loads} (on {m['cores']} cores). Figures that depend on idle cores (scaling across "
        "workers, pages per second) move with it; ratios measured side by side in one run move much less.\n"
    )


_READERS = {
    "planocr": "planocr (the service's reading)",
    "floor": "one engine pass (PSM 11)",
    "tesseract": "tesseract CLI",
    "ocrmypdf": "ocrmypdf -j 2",
}


def _share(entry: dict | None) -> str:
    if not entry:
        return "-"
    return f"{entry['share']:.0%} ({entry['right']}/{entry['scored']})"


def _sheet_table(kinds: dict) -> str:
    rows = []
    for kind, row in kinds.items():
        first = True
        for reader, label in _READERS.items():
            entry = row.get(reader)
            if not entry:
                continue
            fields = entry.get("fields") or {}
            ratio = entry["vs_floor"]
            if entry.get("failed"):
                label += f" (failed on {entry['failed']})"
            rows.append([f"{kind} ({row['pages']} page{'s' if row['pages'] != 1 else ''})" if first else "", label,
                         _fmt(entry["seconds_per_page"], 2), "n/a" if ratio is None else (f"**{ratio:.2f}**" if reader == "planocr" else f"{ratio:.2f}"),
                         _share(entry.get("number_present")),
                         " / ".join(_share(fields.get(f)) for f in ("sheet_number", "title", "scale")) if fields else ""])
            first = False
    return _table(["kind", "reader", "s / page", "time / one pass", "number present", "fields: number / title / scale"], rows)


def _sheets(sh: dict) -> str:
    sets = sh["sets"]
    real, generated = sets.get("real", {}), sets.get("generated", {})
    missing = "".join(f" {why}." for why in sh.get("missing", {}).values())
    parts = [f"""## Drawing sheets against one engine pass (the headline)

`{sh['command']} --limit {sh['limit']}`. Up to {sh['limit']} pages of each kind from each set: *vector* (the PDF text
layer reads), *outline* (a PDF whose title block is drawn, not written, so it is read by OCR),
*raster* (an image or a scan). Each page is read, one after the other, by: planocr, the service's
reading in the benchmark's process (the page rendered at 300 DPI or decoded as the upload does, then the
text layer or the `{sh['engine']}` engine and the title-block parser with the default settings; its time runs
from the decoded page to the fields, as is the engine pass's); **one engine pass**, the same library and model making a single
sparse-text pass (PSM 11) over the same page image at its own resolution, upright (the engine's floor); the
tesseract command line on the page image (`OMP_THREAD_LIMIT=1 tesseract page.png out`, its default
PSM 3, the same model file); and `ocrmypdf -j 2 --force-ocr --sidecar` on the page's own PDF, which
it rasterizes itself, or on the same PNG for an image (the tools' times include reading their input and, for ocrmypdf,
writing its PDF: what a script using them waits for). *time / one pass* divides each reader's time by the engine pass's on the
same pages in the same run (below 1: faster than one pass). The baselines extract no fields: *number
present* is the share of pages whose sheet number appears anywhere in the text read. planocr's fields
are scored as `tools/eval.py` scores them; a field the truth leaves open is not scored (-).
Run {sh['machine']['date']}, commit {sh['machine']['planocr_commit']}, {sh['minutes']} minutes.{missing}

What moves planocr's ratio: on a vector page it reads the text layer and runs no OCR; on an outline
page it reads what layer there is and OCRs only the title block's likely places; on a raster page it
adds to the one pass an orientation step when the page does not read upright as it comes (tesseract's
OSD, first on a portrait page) and the closer looks of `service/reading/sheetreader.py` (title block, turned
edge text, large numbers, corner bubbles) within its reading budget (`PLANOCR_READ_BUDGET`, a share
of the first pass's pixels; 0 reads each page once).
"""]
    if "kinds" in real:
        parts.append(f"""### Real sheets

Third-party drawing sets kept outside the repository (`../shared/eval-real`, with a truth file);
{len(real['pages'])} pages.

{_sheet_table(real['kinds'])}
""")
    else:
        parts.append(f"### Real sheets\n\nNot run: {real.get('skipped', 'no result')}. "
                     "The generated stand-in below runs everywhere.\n")
    if "kinds" in generated:
        parts.append(f"""### Generated stand-in

`python -m testkit.sheets`, {generated['count_per_kind']} generated for each kind (seed {generated['seed']}), up to {sh['limit']} read: the
same comparison on any machine, on sheets drawn by the project's generator.

{_sheet_table(generated['kinds'])}
""")
    return "\n".join(parts)


def _overhead(ov: dict) -> str:
    rows = []
    for clients, run in ov["runs"].items():
        p, h = run["process_page"], run["health_check"]
        echo = run.get("echo")
        rows.append([clients, f"{p['per_second']:.0f}", f"{p['p50_ms']:.2f}", f"{p['p99_ms']:.2f}", _fmt(p.get("server_cpu_ms")),
                     f"{h['per_second']:.0f}", f"{h['p50_ms']:.2f}", _fmt(h.get("server_cpu_ms")),
                     f"{echo['per_second']:.0f}" if echo else "n/a", f"{echo['p50_ms']:.2f}" if echo else "n/a",
                     f"{p['vs_health_check']:.3f}"])
    text = f"""## Service overhead

`{ov['command']}`. ProcessPage with the null engine against PostgreSQL, each call on a different pending
200 x 100 pixel page: claim, fetch, decode, (no) OCR, title-block parse, save, reply, log line. The
baseline is the gRPC health check on the same server at the same concurrency; the floor is a bare
grpcio server in its own process that echoes the request's bytes (no protobuf, interceptor or
database): what Python gRPC alone costs on this machine. Clients run as threads of the benchmark
process, on the same two cores as the server and PostgreSQL. *server CPU* is the server process's
CPU time per call (all its threads).

{_table(["clients", "ProcessPage pages/s", "p50 ms", "p99 ms", "server CPU ms", "health checks/s", "health p50 ms",
         "health server CPU ms", "echo calls/s", "echo p50 ms", "ProcessPage / health"], rows)}

With 16 clients the p50 is queueing: PLANOCR_OCR_WORKERS (2, one per core) page jobs run at once and
the rest wait their turn, by design. The server process's peak memory in this run: {ov['server_peak_rss_mb']:.0f} MiB.
"""
    bd = ov.get("breakdown_ms")
    if bd:
        steps = [[label, _fmt(v["wall_ms"], 3), _fmt(v["cpu_ms"], 3)] for label, v in bd["steps"].items()]
        text += f"""
**Where one call's milliseconds go** (`overhead.breakdown`: the same server built in the benchmark's
process, timing probes around each step, one client, median of {bd['calls']} calls). *wall* is the step's
duration, *CPU* the CPU time of the thread it ran on; the difference is waiting (PostgreSQL, another
thread, the GIL). Indented steps are parts of the step above them. The server's threads used
{bd['server_cpu_ms_per_call']:.2f} ms of CPU per call in all.

{_table(["step", "wall ms", "CPU ms"], steps)}

What no probe covers is the gRPC round trip and the interceptor (log line, metrics): the whole call
less the handler.
"""
    return text


def _throughput(tp: dict) -> str:
    rows = []
    for workers, run in tp["runs"].items():
        rows.append([workers, f"{run['direct_pages_per_minute']:.1f}", f"{run['service_pages_per_minute']:.1f}",
                     f"**{run['service_vs_direct']:.3f}**", f"{run['cpu_service_vs_direct']:.3f}",
                     " / ".join(map(str, run["direct_seconds"])) + " vs " + " / ".join(map(str, run["service_seconds"])),
                     f"{run['spread']:.0%}"])
    scaling = ""
    if "scaling_service" in tp:
        scaling = (f"\n{tp['cores']} workers against one: service **{tp['scaling_service']:.2f}x**, "
                   f"direct loop {tp['scaling_direct']:.2f}x.\n")
    return f"""## Engine-bound throughput: the service against a direct loop

`{tp['command']}`. {tp['pages']} ARCH D raster pages ({tp['page_pixels']} pixels, {tp['dpi']} DPI) read by the
`{tp['engine']}` engine. *Direct*: the same engine class built with the same settings
(`planocr.engines.registry.build_engine`), each PNG decoded and recognized in a plain loop on N long-lived
threads. *Service*: the same pages uploaded as one multi-page TIFF, ProcessDocument timed from the
call to its summary, PLANOCR_OCR_WORKERS = N. Both warmed first; runs alternate direct/service;
each side's figure is its fastest of {len(next(iter(tp['runs'].values()))['direct_seconds'])} runs (the one least disturbed by other work on
the machine; all runs are listed).

{_table(["workers (N)", "direct pages/min", "service pages/min", "service/direct (wall)", "service/direct (CPU)", "seconds, direct vs service", "spread"], rows)}
{scaling}
*service/direct (CPU)* divides the CPU seconds the loop used by those the server process used for the
same pages: it does not move with other load on the machine, unlike wall time. *spread* is (max - min)
/ median over the repeats, the noise of this run.
"""


def _alternatives(alt: dict) -> str:
    sections = []
    for kind, entry in alt["runs"].items():
        s = entry["service"]
        rows = [["planocr service", f"{s['seconds']:.2f}", "1.00",
                 f"CreateDocument {s['upload_seconds']:.2f} s + ProcessDocument {s['process_seconds']:.2f} s"]]
        single = entry.get("service_single_pass")
        if single:
            rows.append(["planocr service, one-pass engine", f"{single['seconds']:.2f}", f"{single['seconds'] / s['seconds']:.2f}",
                         "`python -m bench.singlepass`: PSM 3, no extra passes (the CLI's work)"])
        for tool, t in entry["tools"].items():
            if "missing" in t:
                rows.append([tool, "missing", "", t["missing"]])
                continue
            extra = f"; {t['tool_vs_service_single_pass']:.2f}x the one-pass service" if "tool_vs_service_single_pass" in t else ""
            rows.append([tool, f"{t['seconds']:.2f}", f"**{t['tool_vs_service']:.2f}**", f"`{t['script']}`{extra}"])
        sections.append(f"### {kind.capitalize()} pages\n\n" + _table(["", "seconds", "time / service's time", "how"], rows))
    return f"""## Against what users would script instead

`{alt['command']}`. The same {alt['pages']} sheets: as PNG files and an image-only PDF ({alt['dpi']} DPI)
for the raster runs, as one vector PDF (real text layer) for the vector runs. Tools run with
{alt['jobs']} parallel jobs (= cores) in a scratch folder; the service is a fresh server with default
settings, warmed with one page, timed from the start of the upload to the end of ProcessDocument.
A time ratio above 1 means the service was faster. `ocrmypdf --force-ocr` rasterizes vector pages
itself (at 400 DPI) and OCRs them; the CLI script renders them with `pdftoppm -r 300` first; the
service renders at 300 DPI on upload and reads the text layer instead of running OCR.
Both tools use Debian's libtesseract with the same `eng` fast model file as the service.

{(chr(10) * 2).join(sections)}
"""


def _latency(lat: dict) -> str:
    fe, pm = lat["first_event"], lat["peak_memory"]
    stages = ", ".join(f"{k.replace('_', ' ')} {v:,} MiB" for k, v in pm["peak_rss_mb"].items())
    cold = lat.get("cli_cold_start")
    cold_text = ""
    if cold:
        cold_text = f"""**`planocr ocr` cold start.** `{cold['command']}` on one {cold['sheet']}, from the shell, each
run a new process (imports, the in-process server on a private SQLite database, upload with the page
rendered at 300 DPI, reading its text layer, printing, stopping): median **{cold['median_seconds']:.2f} s**,
fastest {cold['min_seconds']:.2f} s (runs: {', '.join(map(str, cold['seconds']))} s). The interpreter alone starts and
exits in {cold['interpreter_seconds']:.3f} s.

"""
    return f"""## Time to first event, and peak memory

`{lat['command']}`.

{cold_text}**First event.** ProcessDocument on a fresh document of the raster pages, from the call to the first
message (DocumentStarted: pages to read, pages skipped): median **{fe['median_first_message_ms']:.1f} ms**
(runs: {', '.join(map(str, fe['first_message_ms']))} ms), {fe['first_message_vs_get_document']:.2f}x a unary GetDocument
on the same server ({', '.join(map(str, fe['get_document_ms']))} ms). The first page event follows when
the first page has been read: {fe['median_first_page_ms']:,} ms, the engine's time for one page.

**Peak memory** (VmHWM of the server process) on an ARCH E1 sheet, {pm['sheet']} ({pm['pixels']} pixels):
**{pm['peak_mb']:,} MiB** after reading it with OCR, {pm['peak_vs_idle']}x the idle server. By stage: {stages}.
Upload (render + PNG) took {pm['upload_seconds']} s, reading the text layer {pm['text_layer_seconds']} s,
OCR {pm['ocr_seconds']} s. The last stage, one such sheet on each of the {pm['workers']} workers at once, is what
a pod's memory limit has to allow (deploy/kubernetes/).
"""


def _scaleout(so: dict) -> str:
    rows = []
    for label, key in (("1 replica (no PLANOCR_PEERS)", "one_replica"), ("3 replicas (PLANOCR_PEERS)", "three_replicas")):
        run = so[key]
        rows.append([label, f"{run['median_seconds']:.2f}", " / ".join(map(str, run["seconds"])),
                     " / ".join(map(str, run["pages_per_replica"])), str(run["pages_not_read_once"])])
    return f"""## Scale-out over replicas

`{so['command']}`. Replica processes on loopback sharing one PostgreSQL database and one object folder;
an engine that waits {so['engine_delay_s'] * 1000:.0f} ms a page without using the CPU, like a network OCR
service; {so['workers_per_replica']} OCR workers per replica; {so['pages']}-page documents sent to the first replica,
after one warm-up document. With PLANOCR_PEERS, ProcessDocument sends each page as a ProcessPage call
over a `round_robin` channel to all replicas (itself included); the database claims keep each page
to one read.

{_table(["", "median seconds", "runs", "pages read per replica", "pages not read exactly once"], rows)}

Three replicas against one: **{so['speedup']:.2f}x** (ideal {so['ideal_one_replica_s']:.1f} s against {so['ideal_three_replicas_s']:.1f} s, 3x).
"""


def _background(bg: dict) -> str:
    sizes = bg["documents"]
    rows = [[f"{name} ({count} pages)", f"{bg['ended_s'][name]:.2f}"] for name, count in sizes.items()]
    return f"""## Background work

`{bg['command']}`. {bg['replicas']} replica processes on loopback sharing one PostgreSQL, no PLANOCR_PEERS;
an engine that waits {bg['engine_delay_s'] * 1000:.0f} ms a page without using the CPU; {bg['workers_per_replica']} OCR workers per
replica. Three documents started with StartDocument one after the other, each on another replica, and
nobody attached; one-page ProcessPage calls sent now and then while their pages fill every worker.

{_table(["document", "done after (s)"], rows)}

* All {bg['pages_expected']} pages in **{bg['all_s']:.2f} s**, {bg['against_floor']:.2f}x the floor of {bg['floor_s']:.2f} s (every page's engine
  time spread perfectly over all workers); pages read per replica: {' / '.join(map(str, bg['pages_read_per_replica']))}
  ({bg['pages_read']} reads in all).
* StartDocument answered in {' / '.join(f'{v:.0f}' for v in bg['start_ms'])} ms; WatchDocument sent a running document's counts
  in {bg['watch_snapshot_median_ms']:.0f} ms (median of {len(bg['watch_snapshot_ms'])}; all: {' / '.join(f'{v:.0f}' for v in bg['watch_snapshot_ms'])} ms).
* The ProcessPage calls (median of {len(bg['process_page_calls_s'])}) took {bg['process_page_s']:.2f} s ({bg['process_page_reading_s']:.2f} s of it reading the page) against
  {bg['process_page_idle_s']:.2f} s for the same call on the idle replica: the background work made it wait {bg['process_page_wait_s']:.2f} s,
  {bg['process_page_wait_in_page_times']:.2f} times a background page's time under that load ({bg['page_time_under_load_s']:.3f} s: workers' wall
  time per page), for a worker to finish the page it was reading, never behind queued background pages.
"""


_SECTIONS: dict[str, Callable[[dict], str]] = {
    "sheets": _sheets,
    "overhead": _overhead,
    "throughput": _throughput,
    "alternatives": _alternatives,
    "latency": _latency,
    "scaleout": _scaleout,
    "background": _background,
}

_FIXED = """## What was fixed

Profiled with py-spy (`py-spy record --gil -p <server pid>`) and cProfile around the page job; the
figures in this list were measured while fixing, on the same machine:

* **Claim and save transactions.** Each page job waited twice for PostgreSQL to flush its WAL to
  disk (about 1.2 ms per commit here) and rebuilt a twenty-value ORM UPDATE plus an ORM SELECT for
  each. Now the claim and the save are one prebuilt `UPDATE ... RETURNING` each (pipeline CPU per
  page 3.1 -> 1.3-1.7 ms), and claims, lease extensions and releases commit with
  `synchronous_commit = off`: a database crash may forget the last claims, which only means those
  pages are read again (docs/reliability.md). With both, null-engine ProcessPage went from about
  95 to 300+ pages/s with 16 clients and its 1-client p50 from 9 to about 3 ms. Results and errors
  were made durable again afterwards (one WAL flush per page, by design), which costs part of that
  back.
* **Page-job statements, again.** On PostgreSQL the claim, save, failure, release and lease
  extension are each one statement sent alone in autocommit mode, through a Core connection instead
  of an ORM session: one round trip where there were BEGIN, SET LOCAL, the statement and COMMIT. A
  single UPDATE is atomic by itself, so the leased claim and the save's lease check hold as before;
  the claim turns `synchronous_commit` off for its own statement (`set_config(..., true)` in its
  WHERE), the save still waits for the WAL flush. Autocommit is switched on the psycopg2 connection
  itself: SQLAlchemy's `isolation_level="AUTOCOMMIT"` left the connection pinned to an explicit
  isolation level, after which psycopg2 sent two SET statements per switch. The claim's `status IN
  (...)` became two comparisons (an IN list is rewritten into the SQL on every call).
* **Connection checks.** The pool's pre-ping sent `SELECT 1` before every checkout, twice per page.
  A pooled PostgreSQL connection is now handed out as it is when it was used in the last 10 s and
  its socket is quiet; one whose socket shows data or end-of-file (the server closed it: restart,
  failover, terminated backend) or that sat idle longer is pinged first and replaced if the ping
  fails (`service/db/engine.py`; tests/unit/test_db_connections.py terminates a backend under it).
  Together with the statements above, a page job went from nine database round trips to two; side
  by side on a busy machine (load 3-5), 16 clients went from 156-167 to 199-242 pages/s and the
  server's CPU per call from 4.3-4.6 to 3.2-3.9 ms.
* **`planocr ocr` start-up.** Its new, private SQLite database gets its tables from the models in one
  transaction (`migrate.create_schema`, the same schema the migrations build, compared in
  tests/unit/test_migrations.py) instead of Alembic, which is no longer imported at all (with its
  Mako templates and Pygments, about a fifth of the imports); commits to that throwaway file do not
  wait for the disk; the one-shot server has no reflection and no metrics (prometheus_client not
  imported); tqdm gets a thread lock instead of building a multiprocessing one on its first bar;
  `JSONB` no longer imports the whole PostgreSQL dialect on SQLite; shutdown's release of unfinished
  pages is a prebuilt statement (compiling the ORM UPDATE cost tens of milliseconds once). The cycle
  collector is paused while the start-up builds its objects, which are then frozen; and at exit they
  are frozen again before the interpreter's teardown, whose collections over them took a third of a
  second after the work was done. On the same busy machine, side by side: median 2.33 -> 1.60 s,
  CPU 1.87 -> 1.26 s per run.
* **Scheduler.** DocumentRun starts the next pages before it streams the finished pages' events, so
  a worker does not idle while the caller reads.
* **Scale-out channel.** The fan-out channel connects on first use: connecting at start-up, before
  the other replicas listened, put them into reconnect backoff and the first documents went to one
  replica.
"""

_LIMITS = {
    "rate": """**Null-engine pages per second.** What is left is Python and the machine: the server uses
the CPU time per call in the overhead table, under one GIL, while the clients and PostgreSQL share
the same two cores. The breakdown shows where: the two statements (SQLAlchemy Core and psycopg2;
their CPU column), fetching and decoding the image, the thread hand-offs (RPC thread to OCR worker
to engine runner and back) and gRPC's Python layer, which alone costs what the echo floor shows. With two OCR workers (one per core, the default) each page job also
waits for its save's WAL flush, so at most two pages are saved per flush time. Running the two
statements on the raw psycopg2 connection was measured at about 0.15 ms of CPU less per statement
and was left out: it would give up SQLAlchemy's error handling and disconnect detection for a few
percent. Further means more server processes (the scale-out).""",
    "p50": """**Null-engine p50 latency.** One call is a gRPC round trip (the echo floor), two database
round trips and three thread hand-offs; the largest single wait is the save's durable commit, whose
WAL flush takes about 1.2 ms on this disk when it is idle and several milliseconds while other work
writes to it (the *save* step of the breakdown). Each of those hand-offs and round trips wakes a
thread, and on a machine where other processes keep both cores busy (the CPU pressure in the
machine section) every wake-up can wait for a core: the breakdown's whole call, measured in the same
run with the server in the benchmark's process, shows what one call costs when it does not.""",
    "cold": """**`planocr ocr` cold start.** Most of it is importing what the whole path needs
(SQLAlchemy alone about a third of the imports, then pydantic, gRPC, protobuf, Pillow, PDFium,
tesserocr and the title-block parser) and, for the upload, rendering the sheet at 300 DPI and
encoding it as PNG; reading the text layer and starting and stopping the server are small. Every
figure here moves with the load on a shared machine.""",
    "raster": """**Against the scripted tools on raster pages.** The service reads each page with an
sparse-text pass at the page's own resolution (a page of running text put in reading order from
its boxes, not read again), an orientation step only when that pass does not read as upright text
or the page is portrait (tesseract's OSD, and the bottom band read the other way up when OSD is
unsure and the reading is poor), then closer looks at the title block, turned edge text and large numbers within a
reading budget of half the first pass's pixels (`service/reading/sheetreader.py`). On a scan below 250 DPI
the title block is read again enlarged to 300 DPI, because small title-block type is unreadable at
the scan's own resolution (docs/engines.md); the tools read the 100 DPI pixels as they are, once.
The *one-pass engine* row runs the service with the CLI's single pass at the page's own resolution
and no second look: that is the service's own speed on the same work. The extra reading is the
accuracy trade-off, not service overhead; the sheets section shows what it buys per page kind.
`PLANOCR_READ_BUDGET=0` reads each page once and `PLANOCR_TESSERACT_ENLARGE_BELOW=0` switches the
enlargement off.""",
    "ratio": """**Service against the direct loop.** Wall time on a shared machine: the CPU-time ratio in the
same table says how much work the service adds per page (fetch, decode, title-block parse, JSON,
two transactions).""",
    "scaling": """**Scaling across workers** is wall time on a machine shared with other work: when other
processes keep a core busy, a second worker finds none idle. The direct loop on the same pages in
the same run shows how much of it is the machine: when it does not scale either, neither can the
service. On quieter moments during development the same direct loop read the same pages 1.55-1.85x
faster on two threads than on one. What caps it below 2x in the engine itself: tesseract's
orientation detection (OSD) holds the GIL (93% of the GIL-holding samples of two reading threads,
`py-spy record --gil`), so two pages cannot be in that step at once.""",
    "vector": """**Vector sets.** The service renders every page at 300 DPI and stores it as PNG on upload,
which is most of its time on a vector set.""",
    "first": "**First event.** DocumentStarted needs one query listing the document's pages.",
    "memory": "**Peak memory** is the decoded page plus the engine's own copies of it.",
    "background": """**Background work.** A page of background work costs a claim (one transaction that
picks the operation whose turn it is) and a read of the stored page on top of the engine's wait, and
an idle replica finds new operations of other replicas at its next poll
(`PLANOCR_BACKGROUND_POLL_SECONDS`).""",
    "scaleout": """**Scale-out.** Each page costs a ProcessPage round trip and a read of the stored page on top
of the engine's wait; with two workers a replica, these add up per wave of pages.""",
}


def _limits(targets: list[tuple[str, str, bool | None, str, str]]) -> str:
    missed = [key for _t, _m, ok, _s, key in targets if ok is False]
    if not missed:
        return "## What limits the figures\n\nEvery target that ran was met in this run.\n"
    items = "\n".join(f"* {_LIMITS[key]}" for key in dict.fromkeys(missed))
    return "## What limits the missed targets\n\n" + items + "\n"


def render(results: Results) -> str:
    if not results:
        return "# Benchmarks\n\nNo results yet: run `make bench`.\n"
    targets = _targets(results)
    target_rows = [[t, m, _mark(ok), f"[{s}](#{_anchor(s)})"] for t, m, ok, s, _key in targets]
    parts = [
        "# Benchmarks\n",
        "Written by `make bench` (`python -m bench`, the code in `bench/`). Every figure that is compared with "
        "a target is a ratio against a baseline measured in the same run, or a latency; absolute times drift "
        "on shared machines, ratios hold. Each section names the command that reproduces it alone "
        "(`python -m bench NAME` keeps its result in `bench/results/NAME.json` and rewrites this page).\n",
        "## Targets\n\n" + _table(["target", "measured", "met", "section"], target_rows) + "\n",
    ]
    if "sheets" in results:
        parts.append(_sheets(results["sheets"]))
    parts.append(_machine(results))
    for name, section in _SECTIONS.items():
        if name in results and name != "sheets":
            parts.append(section(results[name]))
    parts.append(_FIXED)
    parts.append(_limits(targets))
    parts.append(
        "## Reproduce\n\n```\nmake bench                       # everything (about 15 minutes on 2 cores)\n"
        "python -m bench overhead         # one benchmark; the page is rebuilt from all kept results\n"
        "python -m bench sheets --limit 2 # two pages of each kind from each sheet set (no PostgreSQL needed)\n"
        "python -m bench --pages 6 --dpi 150   # a bigger raster set\n```\n\n"
        "Needs PostgreSQL on 127.0.0.1:5432 with trust authentication (or PLANOCR_TEST_DATABASE_URL), and for "
        "the comparisons `apt-get install tesseract-ocr ocrmypdf poppler-utils`; a missing tool is reported "
        "as missing and the rest still runs.\n"
    )
    return "\n".join(parts)


def _anchor(section: str) -> str:
    return {
        "overhead": "service-overhead",
        "throughput": "engine-bound-throughput-the-service-against-a-direct-loop",
        "sheets": "drawing-sheets-against-one-engine-pass-the-headline",
        "alternatives": "against-what-users-would-script-instead",
        "latency": "time-to-first-event-and-peak-memory",
        "scaleout": "scale-out-over-replicas",
        "background": "background-work",
    }[section]
