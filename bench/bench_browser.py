"""Browser benchmark: the page's frame rate while it follows a fast run, against the same page idle.

Run by hand from the repository's root (Debian's chromium at /usr/bin/chromium, driven by playwright):

    .venv/bin/python bench/bench_browser.py [--seconds 10] [--steps 100000] [--pace 20000] [--torch-pace 20000]
        [--viewport 1600x2900] [--only A B C] [--profile] [--trace DIR]

It starts the real app (`python -m app`) on a free port of 127.0.0.1 with a data directory of its own, and
headless Chromium with the browser tests' flags (tests/browser/conftest.py; playwright's `launch` gives it a
fresh, empty user data directory and removes it on close); every request to another host is aborted. An init
script counts requestAnimationFrame callbacks (the time of each, from performance.now(), so a callback held up by
a busy main thread shows as a long gap) and long tasks; each scenario, in a fresh page, records them for
--seconds:

  A  idle: the page open with no run: the baseline of this machine and this browser, measured in the same run;
  B  numpy: the page follows a numpy run paced at --pace steps/s (20 points, so the engine keeps the pace); the
     window opens once the page holds --steps losses, and the run streams on through it;
  C  torch-autograd: the same with a torch-autograd run at --torch-pace (more than torch-autograd trains on 2
     cores: it then runs flat out, ~13k steps/s), its autograd graph drawn and pulsing node by node.

The default viewport, 1600x2900 scrolled to the fit chart, has the fit, the loss chart, the gradient norm, the
weights and the graph panel all on screen at once, so all of them are painted (with a smaller --viewport the
graph panel is scrolled into view and the panels cut off are named). The runs are long, to outlive the wait and
the window (so the loss chart, whose x axis spans the whole run, draws its line near the left edge); they are
stopped afterwards.

Per scenario it prints frames/s, the p95 and the longest interval between two frames, how many intervals exceeded
50 ms, the long tasks, how many losses the page holds at the start and the end of the window (the loss chart's
`data-losses`, which it sets each time it draws: the store's `losses.length` as drawn; `data-points` is what
uPlot was given after decimation), where the renderer's main thread spent the window (Chrome's
Performance.getMetrics over CDP: script, layout, style recalculation and all its tasks, in ms per second) and the
CPU, in cores, of Chromium's processes and of the server. Last, B's and C's frame rates as ratios of A's, and
DESIGN.md's target: ≥ 55 frames/s while streaming, with a loss history of 1e5 points.

Headless Chromium without a GPU has no display to follow: its compositor begins frames off a 60 Hz timer and
composites in software (--disable-gpu). On the development machines (2 cores) A measures 60.0 frames/s with
16.7 ms intervals: the visible headless page is not throttled, and nothing here can show more than 60 frames/s.
The counter's own rAF loop asks for the next frame every frame, so an idle page is not left without frames
either; B and C can only lose frames against A, hence their ratio to A. The server trains and sends on the same
machine: on 2 cores the run's worker, the server's event loop and Chromium's renderer, GPU (software) and browser
processes share them, as the cpu columns show.

`--profile` then runs B and C once more under Chrome's JS sampling profiler (CDP Profiler) and prints the
functions with the most self time: where the page's script time goes (these windows are not in the table: the
profiler costs time). `--trace DIR` records a Chromium performance trace of B's and C's windows (playwright's
`browser.start_tracing`) into DIR, for chrome://tracing or Perfetto (tracing costs frames too).

Every wait is bounded; the runs are stopped, and the browser and the server closed, in `finally` blocks.
"""

import argparse
import contextlib
import itertools
import math
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from playwright.sync_api import Browser, CDPSession, Page, Route, sync_playwright
from processes import HOST, ROOT, cpu_seconds, free_port, percentile, stop_process, wait_healthy

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [  # as tests/browser/conftest.py
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_SCHEMES = {"data", "blob", "about", "chrome", "chrome-extension", "devtools"}
PAGE_TIMEOUT_MS = 30_000
LONG_GAP_MS = 50.0
TARGET_FPS = 55.0
TARGET_LOSSES = 100_000
ENDED = {"finished", "stopped", "failed", "diverged", "interrupted"}
PANELS = ("#fit", "#loss", "#weights", "#graph")
SETTLE = 2.0  # seconds after a page is ready before its window opens
POINTS = 20  # data points of a run: few, so the engine keeps a fast pace
SEED = 1

# Counts requestAnimationFrame callbacks (performance.now() at each) and long tasks, while `recording`.
FRAME_COUNTER = """
(() => {
  const bench = { recording: false, times: [], longTasks: [], start: 0, end: 0 };
  window.__benchFrames = bench;
  const tick = () => {
    if (bench.recording) bench.times.push(performance.now());
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  try {
    new PerformanceObserver((list) => {
      if (bench.recording) for (const entry of list.getEntries()) bench.longTasks.push(entry.duration);
    }).observe({ type: "longtask" });
  } catch {}
})();
"""
START_RECORDING = """() => {
  const bench = window.__benchFrames;
  Object.assign(bench, { times: [], longTasks: [], start: performance.now(), recording: true });
}"""
STOP_RECORDING = """() => {
  const bench = window.__benchFrames;
  bench.recording = false;
  bench.end = performance.now();
  return { times: bench.times, longTasks: bench.longTasks, start: bench.start, end: bench.end };
}"""
# What the loss chart drew last: losses held (the store's losses.length) and points given to uPlot; the run's
# status; the boxes of the graph drawn and the step whose backward pass it shows.
LOSS_CHART = """() => {
  const chart = document.querySelector("#loss-chart");
  const status = document.querySelector("#status");
  const graph = document.querySelector("#graph");
  return { losses: Number(chart.dataset.losses ?? 0), points: Number(chart.dataset.points ?? 0),
           status: status.dataset.status ?? null, graphNodes: Number(graph.dataset.nodes ?? 0),
           graphStep: Number(graph.dataset.step ?? -1) };
}"""
METRICS = ("ScriptDuration", "LayoutDuration", "RecalcStyleDuration", "TaskDuration")


# CPU of the browser's processes, from /proc.


def _processes() -> dict[int, tuple[int, str]]:
    """Every process: its parent and its command line."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            table[int(entry.name)] = (parent, (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
    return table


def chromium_processes(server_pid: int) -> dict[int, str]:
    """The browser's processes, by kind: Chromium's descendants of this process (playwright's driver starts
    it), not the server's."""
    table = _processes()
    found: dict[int, str] = {}
    frontier = [child for child, (parent, _) in table.items() if parent == os.getpid() and child != server_pid]
    seen = set()
    while frontier:
        pid = frontier.pop()
        if pid in seen:
            continue
        seen.add(pid)
        cmd = table[pid][1]
        if "chrom" in cmd.split(" ", 1)[0]:
            found[pid] = cmd.split("--type=", 1)[1].split()[0] if "--type=" in cmd else "browser"
        frontier.extend(child for child, (parent, _) in table.items() if parent == pid)
    return found


def cpu_by_kind(processes: dict[int, str]) -> dict[str, float]:
    """CPU seconds so far, summed by process kind (browser, renderer, gpu-process, utility, zygote...)."""
    totals: dict[str, float] = defaultdict(float)
    for pid, kind in processes.items():
        totals[kind] += cpu_seconds(pid)
    return dict(totals)


# The server.


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str
    log: Path


def start_server(data_dir: Path) -> Server:
    """`python -m app` on a free port, with its own data directory; returns once /healthz answers."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "AUTOGRAD_LIVE_DATA_DIR": str(data_dir / "data"),
        "AUTOGRAD_LIVE_DATABASE_URL": "",
        "AUTOGRAD_LIVE_MAX_STEPS": "100000000",
    }
    log = data_dir / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "--host", HOST, "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, f"http://{HOST}:{port}", log)
    wait_healthy("the app", process, server.base + "/healthz", log)
    return server


@dataclass
class RunHandle:
    id: str
    token: str


def create_run(client: httpx.Client, server: Server, config: dict[str, Any]) -> RunHandle:
    response = client.post(f"{server.base}/api/runs", json=config)
    response.raise_for_status()
    answer = response.json()
    return RunHandle(answer["id"], answer["control_token"])


def stop_run(client: httpx.Client, server: Server, run: RunHandle) -> None:
    """Stops the run if it still goes (a 409 means it had ended)."""
    with contextlib.suppress(httpx.HTTPError):
        client.post(f"{server.base}/api/runs/{run.id}/stop", headers={"X-Control-Token": run.token})


# The scenarios.


@dataclass
class Result:
    name: str
    seconds: float
    frames: int
    intervals: list[float]
    longest: float
    long_tasks: list[float]
    losses_start: int
    losses_end: int
    points: int
    status: str | None
    metrics: dict[str, float]  # ms per second of the window
    browser_cpu: dict[str, float]  # cores, by process kind
    server_cpu: float  # cores
    losses_per_s: float  # losses the page took in per second of the window
    graph: tuple[int, int, int]  # boxes drawn; the step of the backward pass shown at the start and the end
    notes: list[str] = field(default_factory=list)

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else math.nan


@dataclass
class Bench:
    """What every scenario needs: the options, the server, the browser, and what pages did that they should not."""

    args: argparse.Namespace
    server: Server
    browser: Browser
    viewport: dict[str, int]
    foreign: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @contextlib.contextmanager
    def page(self, url: str) -> Iterator[tuple[Page, CDPSession]]:
        """A fresh context and page at `url`, offline but for the app, with the frame counter; closed after."""
        context = self.browser.new_context(viewport=self.viewport)
        try:

            def offline(route: Route) -> None:
                target = urlsplit(route.request.url)
                if target.scheme in LOCAL_SCHEMES or target.hostname == HOST:
                    route.continue_()
                else:
                    self.foreign.append(route.request.url)
                    route.abort()

            context.route("**/*", offline)
            context.add_init_script(FRAME_COUNTER)
            page = context.new_page()
            page.on("pageerror", lambda error: self.errors.append(str(error)))
            page.set_default_timeout(PAGE_TIMEOUT_MS)
            page.goto(url)
            page.wait_for_function("window.__benchFrames !== undefined && document.querySelector('#loss-chart')")
            show_panels(page)
            cdp = context.new_cdp_session(page)
            cdp.send("Performance.enable")
            yield page, cdp
        finally:
            context.close()


def show_panels(page: Page) -> None:
    """Scrolls the fit chart to the top, so that in a tall enough viewport the fit, the loss chart, the weights and
    the graph panel are all on screen; if the graph panel is then cut off, scrolls it into view instead (and says
    which panels are off screen)."""
    page.evaluate("() => scrollTo(0, document.querySelector('#fit').getBoundingClientRect().top + scrollY)")
    height = page.evaluate("innerHeight")

    def shown(selector: str) -> bool:
        box = page.locator(selector).bounding_box()
        return box is not None and box["y"] >= -1 and box["y"] + box["height"] <= height + 1

    if not shown("#graph"):
        page.locator("#graph").scroll_into_view_if_needed()
    hidden = [selector for selector in PANELS if not shown(selector)]
    if hidden:
        print(f"  note: not wholly on screen at this viewport: {', '.join(hidden)}", flush=True)


def measure(name: str, page: Page, cdp: CDPSession, bench: Bench) -> Result:
    """Counts frames for --seconds on an open page, with the renderer's metrics and everyone's CPU."""

    def metrics() -> dict[str, float]:
        answer = cdp.send("Performance.getMetrics")
        return {m["name"]: m["value"] for m in answer["metrics"] if m["name"] in METRICS}

    processes = chromium_processes(bench.server.process.pid)
    before_chart = page.evaluate(LOSS_CHART)
    before_metrics = metrics()
    before_browser = cpu_by_kind(processes)
    before_server = cpu_seconds(bench.server.process.pid)
    wall = time.monotonic()
    page.evaluate(START_RECORDING)
    time.sleep(bench.args.seconds)
    recorded = page.evaluate(STOP_RECORDING)
    wall = time.monotonic() - wall
    after_server = cpu_seconds(bench.server.process.pid)
    after_browser = cpu_by_kind(processes)
    after_metrics = metrics()
    after_chart = page.evaluate(LOSS_CHART)

    span = (recorded["end"] - recorded["start"]) / 1000
    edges = [recorded["start"], *recorded["times"], recorded["end"]]
    return Result(
        name=name,
        seconds=span,
        frames=len(recorded["times"]),
        intervals=[b - a for a, b in itertools.pairwise(recorded["times"])],
        longest=max((b - a for a, b in itertools.pairwise(edges)), default=math.nan),
        long_tasks=recorded["longTasks"],
        losses_start=before_chart["losses"],
        losses_end=after_chart["losses"],
        points=after_chart["points"],
        status=after_chart["status"],
        metrics={k: (after_metrics.get(k, 0) - before_metrics.get(k, 0)) * 1000 / span for k in METRICS},
        browser_cpu={k: (v - before_browser.get(k, 0)) / wall for k, v in after_browser.items()},
        server_cpu=(after_server - before_server) / wall,
        losses_per_s=(after_chart["losses"] - before_chart["losses"]) / span,
        graph=(after_chart["graphNodes"], before_chart["graphStep"], after_chart["graphStep"]),
    )


def wait_for_losses(page: Page, target: int, timeout: float) -> int:
    """Waits until the loss chart has drawn `target` losses (or the run ended, or `timeout` passed)."""
    deadline = time.monotonic() + timeout
    held = 0
    while time.monotonic() < deadline:
        chart = page.evaluate(LOSS_CHART)
        held = chart["losses"]
        if held >= target or chart["status"] in ENDED:
            break
        time.sleep(0.25)
    return held


def idle(bench: Bench) -> Result:
    """A: the page with no run."""
    with bench.page(f"{bench.server.base}/") as (page, cdp):
        time.sleep(SETTLE)
        return measure("A idle", page, cdp, bench)


@contextlib.contextmanager
def streaming(bench: Bench, engine: str, pace: float) -> Iterator[tuple[Page, CDPSession, str]]:
    """A page following a run of `engine` paced at `pace`, once it holds --steps losses (or waited long enough);
    the run is long enough to stream through the window, and stopped after it."""
    args = bench.args
    timeout = max(30.0, 3 * args.steps / pace + 20)  # bounded even if the engine cannot keep the pace
    steps = int(args.steps + pace * (timeout + args.seconds + 60))
    config = {"engine": engine, "steps": steps, "pace": pace, "points": POINTS, "reduction": "mean", "seed": SEED}
    with httpx.Client(timeout=30) as client:
        started = time.monotonic()
        run = create_run(client, bench.server, config)
        try:
            with bench.page(f"{bench.server.base}/#run={run.id}") as (page, cdp):
                held = wait_for_losses(page, args.steps, timeout)
                note = f"{held} losses drawn {time.monotonic() - started:.1f} s after the run was created"
                time.sleep(SETTLE)
                yield page, cdp, note
        finally:
            stop_run(client, bench.server, run)


def stream(bench: Bench, key: str) -> Result:
    """B or C: the frame counts of a page following a fast run (with a Chromium trace if --trace)."""
    name, engine, pace = streams(bench.args)[key]
    with streaming(bench, engine, pace) as (page, cdp, note):
        trace = bench.args.trace
        if trace is not None:
            trace.mkdir(parents=True, exist_ok=True)
            bench.browser.start_tracing(page=page, path=trace / f"{key}-{engine}.json")
        try:
            result = measure(name, page, cdp, bench)
        finally:
            if trace is not None:
                bench.browser.stop_tracing()
    nodes, first, last = result.graph
    result.notes.append(f"{note}; graph: {nodes} boxes, pulsing step {first} at the start, {last} at the end")
    if trace is not None:
        result.notes.append(f"traced into {trace / f'{key}-{engine}.json'} (tracing costs frames)")
    if result.losses_start < bench.args.steps:
        result.notes.append(f"fewer than {bench.args.steps} losses when the window opened")
    if result.status != "running":
        result.notes.append(f"the run was {result.status} at the end of the window")
    return result


def profile(bench: Bench, key: str) -> list[tuple[float, str]]:
    """Self time (ms per second) of the functions of B's or C's page over a window (Chrome's sampling profiler)."""
    _, engine, pace = streams(bench.args)[key]
    with streaming(bench, engine, pace) as (_, cdp, _):
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 500})  # µs
        cdp.send("Profiler.start")
        time.sleep(bench.args.seconds)
        answer = cdp.send("Profiler.stop")["profile"]
        cdp.send("Profiler.disable")
    nodes = {node["id"]: node["callFrame"] for node in answer["nodes"]}
    self_ms: dict[str, float] = defaultdict(float)
    for sample, delta in zip(answer["samples"], answer["timeDeltas"], strict=True):
        frame = nodes[sample]
        function = frame["functionName"] or "(anonymous)"
        where = urlsplit(frame["url"]).path.removeprefix("/static/") if frame["url"] else ""
        self_ms[f"{function} {where}:{frame['lineNumber'] + 1}" if where else function] += delta / 1000
    span = (answer["endTime"] - answer["startTime"]) / 1e6
    return sorted(((ms / span, label) for label, ms in self_ms.items()), reverse=True)


def streams(args: argparse.Namespace) -> dict[str, tuple[str, str, float]]:
    return {
        "B": ("B numpy", "numpy", args.pace),
        "C": ("C torch-autograd", "torch-autograd", args.torch_pace),
    }


def print_table(results: list[Result]) -> None:
    print(
        f"{'scenario':<17} {'fps':>5} {'p95 ms':>6} {'max ms':>6} {'>50ms':>5} {'long tasks':>11} "
        f"{'losses start→end':>17} {'pts':>5} {'losses/s':>8} {'script':>6} {'layout':>6} {'style':>5} "
        f"{'tasks':>5} {'renderer':>8} {'gpu':>4} {'browser':>7} {'server':>6}"
    )
    for r in results:
        cpu = r.browser_cpu
        print(
            f"{r.name:<17} {r.fps:5.1f} {percentile(r.intervals, 95):6.1f} {r.longest:6.1f} "
            f"{sum(1 for i in r.intervals if i > LONG_GAP_MS):5d} "
            f"{f'{len(r.long_tasks)}/{sum(r.long_tasks):.0f}ms':>11} {f'{r.losses_start}→{r.losses_end}':>17} "
            f"{r.points:5d} {r.losses_per_s:8.0f} {r.metrics['ScriptDuration']:6.0f} "
            f"{r.metrics['LayoutDuration']:6.0f} {r.metrics['RecalcStyleDuration']:5.0f} "
            f"{r.metrics['TaskDuration']:5.0f} {cpu.get('renderer', 0):8.2f} {cpu.get('gpu-process', 0):4.2f} "
            f"{cpu.get('browser', 0):7.2f} {r.server_cpu:6.2f}"
        )
        for note in r.notes:
            print(f"{'':<17} {note}")
    print(
        "\nfps: requestAnimationFrame callbacks per second; p95/max: ms between two callbacks (max counts the "
        "window's edges too); >50ms: intervals over 50 ms; long tasks: count/total; losses: what the loss chart had "
        "drawn at the start and the end of the window (data-losses); pts: points given to uPlot (data-points); "
        "script/layout/style/tasks: the renderer's main thread, ms per second (CDP Performance.getMetrics); "
        "renderer/gpu/browser/server: CPU in cores."
    )
    baseline = next((r for r in results if r.name.startswith("A")), None)
    for r in results:
        if baseline is None or r is baseline:
            continue
        if r.losses_start < TARGET_LOSSES:
            verdict = f"held fewer than {TARGET_LOSSES} losses: DESIGN's target (≥ {TARGET_FPS:g} frames/s) not tested"
        else:
            verdict = (
                f"{'meets' if r.fps >= TARGET_FPS else 'misses'} DESIGN's ≥ {TARGET_FPS:g} frames/s with 1e5 losses"
            )
        print(
            f"{r.name}: {r.fps / baseline.fps:.2f}× the idle page's frame rate ({r.fps:.1f} / {baseline.fps:.1f} "
            f"frames/s); {verdict}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="the window of each scenario (default 10)")
    parser.add_argument("--steps", type=int, default=100_000, help="losses the page holds when a window opens")
    parser.add_argument("--pace", type=float, default=20_000, help="steps/s of the numpy run (default 20000)")
    parser.add_argument("--torch-pace", type=float, default=20_000, help="steps/s of the torch-autograd run")
    parser.add_argument("--viewport", default="1600x2900", help="WIDTHxHEIGHT of the page (default 1600x2900)")
    parser.add_argument("--only", nargs="+", choices=["A", "B", "C"], default=["A", "B", "C"])
    parser.add_argument("--profile", action="store_true", help="then profile B's and C's script (CDP Profiler)")
    parser.add_argument("--trace", type=Path, help="write Chromium traces of B's and C's windows to this directory")
    args = parser.parse_args()
    width, height = (int(n) for n in args.viewport.lower().split("x"))
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing: apt-get install chromium")

    server: Server | None = None
    with tempfile.TemporaryDirectory(prefix="bench-browser-") as tmp:
        try:
            server = start_server(Path(tmp))
            # launch() gives Chromium a fresh, empty user data directory of playwright's, removed on close.
            with sync_playwright() as driver:
                browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    bench = Bench(args, server, browser, {"width": width, "height": height})
                    print(
                        f"{os.cpu_count()} cores; Chromium {browser.version} headless at {width}x{height}; "
                        f"{args.seconds:g} s windows, opened at {args.steps} losses; numpy at {args.pace:g} and "
                        f"torch-autograd at {args.torch_pace:g} steps/s, {POINTS} points; server log {server.log}",
                        flush=True,
                    )
                    results = []
                    for key in args.only:
                        results.append(idle(bench) if key == "A" else stream(bench, key))
                        print(f"  {results[-1].name}: {results[-1].fps:.1f} frames/s", flush=True)
                    print()
                    print_table(results)
                    for key in [key for key in args.only if key != "A"] if args.profile else []:
                        top = profile(bench, key)
                        print(f"\n{streams(args)[key][0]}: self time, ms per second (CDP Profiler, another window)")
                        for ms, label in top[:15]:
                            print(f"  {ms:7.1f}  {label}")
                    if bench.foreign:
                        print(f"WARNING: the page tried other hosts (aborted): {bench.foreign[:5]}")
                    if bench.errors:
                        print(f"WARNING: the page threw: {bench.errors[:5]}")
                finally:
                    browser.close()
        finally:
            if server is not None:
                stop_process(server.process)


if __name__ == "__main__":
    main()
