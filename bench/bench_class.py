"""Class benchmark: S students each train and watch a paced run while the lecturer watches the class view; and a
lecturer's run watched by a hall while student runs train beside it. The app against today's thread-per-run app.

Run by hand from the repository's root:

    .venv/bin/python bench/bench_class.py [--students 50 100 200 300] [--quick] [--window 15] [--warmup 5]
        [--pace 30] [--steps 2000] [--hall 500] [--beside 100] [--per-loader 100] [--load-nice 10]
        [--servers new baseline] [--scenarios class lecture] [--new-env KEY=VALUE ...]

Two servers, each started afresh for every scenario and stopped after it, never both at once:
- `new`: the app of this working tree (`python -m app`), its classes used through their API: the lecturer opens a
  class (POST /api/classes), each student joins it and starts a run in it (POST /api/classes/{code}/runs).
- `baseline`: the app as of commit BASELINE_COMMIT (thread-per-run scheduling, no classes), extracted with
  `git archive` into a temporary directory; its max_running_runs and max_active_runs raised to the runs of the
  scenario, so every run gets a thread; its students' runs are started with POST /api/runs, and its class view
  columns print "—".
Both get max_active_runs and the per-client limits raised (every simulated student comes from 127.0.0.1); the new
server keeps its own scheduling settings. `--new-env` adds settings to its environment (`{S}` in a value stands
for the scenario's runs): `--new-env AUTOGRAD_LIVE_MAX_RUNNING_RUNS={S}` gives it a thread per run as well.

Scenario `class` (for each S of --students): S runs (torch-autograd, --pace steps/s, --steps steps, seeds 0..S-1),
each watched over its WebSocket by its student, whose page also makes a page's REST traffic (page_traffic.py);
the lecturer watches `WS /ws/classes/{code}`. Scenario `lecture`: the lecturer's run watched by --hall viewers
(each a page) while --beside student runs train beside it, each watched by its student.

The viewers live in load processes (at most --per-loader each) at nice --load-nice, as in bench_fanout.py: they
stand for the students' own machines, so the server gets the CPU first. The pages' REST traffic comes from one more
load process at the same niceness (page_traffic.py), its pages opened before the runs start, as a hall opens the
page before pressing Start. After --warmup s they count for --window
s. Figures, all measured at the client:
- `on pace`: the share of the S runs (refused ones count as not) whose steps, as the frames their viewer got tell
  them, advanced at ≥ 95 % of the pace over the window (steps between the last frame before the window and the
  last one in it, over the time between the two arrivals);
- `fps med`, `fps p5`: frames per second per viewer over the window; `probe`, `pr hall`: the median of the
  PROBE_VIEWERS (20) viewers, spread over the students and the hall, that live in a load process at the server's
  niceness: what a viewer on a machine of its own gets, where the others also wait for their load process's turn;
- `class/s`, `covers`: the class view's frames per second, and how many of the runs brought new losses in the
  window (with `gaps`: class frames whose `start` did not continue where the last one ended);
- `rest p95`: the 95th percentile of the REST answer times in the window of PROBE_PAGES (20) more pages, in a load
  process of their own at the server's niceness: a student's browser runs on the student's machine, so the time it
  waits is the server's alone. `pages p95`: the same for the hall's pages, which also wait for their own load
  process's turn on these two cores at --load-nice (what a client starved of CPU sees, not what a page sees);
- `srv cpu`: CPU of the server process and its children (from /proc) over the window, in cores.
The targets of issue 10 are printed under the table. The window must end before the first run would end at its
pace (steps / pace after it started): a warning says when it does not.
"""

import argparse
import contextlib
import io
import json
import math
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from bench_fanout import machine_busy, raise_fd_limit
from page_traffic import PagesProcess, now
from processes import HOST, ROOT, free_port, percentile, stop_process, wait_healthy

BASELINE_COMMIT = "deb2f63"  # the last app with thread-per-run scheduling
ENGINE = "torch-autograd"
HOLDS = 0.95  # of its pace, for a run to count as holding it
PROBE_PAGES = 20  # pages whose REST answer times are the server's alone (about 4 requests a second between them)
PROBE_VIEWERS = 20  # viewers, spread over the hall and the students, whose frames are the server's alone
FREE = ["learning_rate", "seed"]  # what the class leaves to its students
LECTURE_STEPS = 100_000  # the lecturer's run: about an hour at 30 steps/s
QUICK = {"students": [10, 20], "window": 8.0, "warmup": 3.0, "hall": 40, "beside": 10}


@dataclass
class Server:
    """A server subprocess and how to reach it."""

    name: str
    process: subprocess.Popen[bytes]
    base: str
    log: Path

    @property
    def classes(self) -> bool:
        return self.name == "new"


def baseline_tree(logs: Path) -> Path:
    """The app, its page and templates as of BASELINE_COMMIT, in a directory of their own."""
    tree = logs / f"app-{BASELINE_COMMIT}"
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", BASELINE_COMMIT, "app", "static", "templates"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(tree, filter="data")
    return tree


def start_server(name: str, tree: Path, runs: int, extra: dict[str, str], logs: Path) -> Server:
    """`python -m app` of `tree` on a fresh database, its limits raised for `runs` runs from one address."""
    port = free_port()
    data = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=logs))
    room = str(runs + 16)
    env = {
        **os.environ,
        "PYTHONPATH": str(tree),
        "AUTOGRAD_LIVE_DATA_DIR": str(data),
        "AUTOGRAD_LIVE_MAX_ACTIVE_RUNS": room,
        "AUTOGRAD_LIVE_MAX_KEPT_RUNS": str(max(200, runs + 16)),
        "AUTOGRAD_LIVE_MAX_RUNS_PER_CLIENT": room,
        "AUTOGRAD_LIVE_CREATE_BURST": room,
        "AUTOGRAD_LIVE_CREATE_RATE": "100000",
        "AUTOGRAD_LIVE_READ_BURST": "100000",
        "AUTOGRAD_LIVE_JOIN_BURST": room,
        "AUTOGRAD_LIVE_MAX_CLASS_STUDENTS": room,
        **extra,
    }
    log = data / "server.log"
    with log.open("wb") as out:
        command = [sys.executable, "-m", "app", "--host", HOST, "--port", str(port)]
        process = subprocess.Popen(command, cwd=tree, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(name, process, f"http://{HOST}:{port}", log)
    wait_healthy(name, process, server.base + "/healthz", log)
    return server


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and every descendant alive now (worker processes train there), from /proc."""
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
    return total


@dataclass
class Started:
    """The runs a scenario started: ids in order, and why the others were refused."""

    ids: list[str]
    refused: list[str]
    first: float  # when the first run was created


def open_class(client: httpx.Client, server: Server, config: dict[str, Any]) -> str | None:
    """The lecturer's class on the new server (its code); None on the baseline, which has no classes."""
    if not server.classes:
        return None
    opened = client.post("/api/classes", json={"title": "bench", "settings": config, "free": FREE})
    opened.raise_for_status()
    return str(opened.json()["code"])


def start_runs(client: httpx.Client, code: str | None, count: int, config: dict[str, Any]) -> Started:
    """`count` student runs: in the class when there is one, each student joining first; else plain runs."""
    ids: list[str] = []
    refused: list[str] = []
    first = now()
    for seed in range(count):
        if code is not None:
            joined = client.post(f"/api/classes/{code}/join", json={"name": f"student {seed}"})
            if joined.status_code != 201:
                refused.append(f"join {joined.status_code}: {joined.text[:120]}")
                continue
            token = joined.json()["student_token"]
            made = client.post(f"/api/classes/{code}/runs", json={"seed": seed}, headers={"X-Student-Token": token})
        else:
            made = client.post("/api/runs", json={**config, "seed": seed})
        if made.status_code == 201:
            ids.append(made.json()["id"])
        else:
            refused.append(f"{made.status_code}: {made.text[:120]}")
    return Started(ids, refused, first)


@dataclass
class Figures:
    """One server in one scenario."""

    server: str
    scenario: str
    runs: int
    started: int
    on_pace: float
    fps: list[float]
    hall_fps: list[float]
    probe_fps: list[float]  # the student viewers among the probe's
    probe_hall_fps: list[float]  # the hall viewers among the probe's
    class_rate: float | None
    beside: list[float]  # class frames per second on each student's page
    covered: int | None
    gaps: int | None
    rest: list[float]  # the probe pages' answer times
    pages_rest: list[float]  # the hall's pages' answer times, their own waits for the CPU included
    rest_failed: int
    cpu: float
    load_cpu: float
    late: bool
    errors: list[str]


class Hall:
    """The load processes: the pages opened first (in a process of their own), then given the runs their students
    started, whose viewers then connect (from the others); then measured."""

    def __init__(
        self, server: Server, pages: int, code: str | None, beside: str | None, args: argparse.Namespace
    ) -> None:
        self.server = server
        self.args = args
        self.loaders: list[subprocess.Popen[str]] = []
        loaded = pages - min(PROBE_VIEWERS, pages)
        shares = max(1, math.ceil(loaded / args.per_loader))
        self.counts = [loaded // shares + (i < loaded % shares) for i in range(shares)]
        began = now()
        self.pages = PagesProcess(server.base, pages, args.load_nice)
        self.probe = PagesProcess(server.base, PROBE_PAGES, 0)
        # The last loader is the probe's viewers, at the server's niceness.
        for index, nice_level in enumerate([args.load_nice] * shares + [0]):
            spec: dict[str, Any] = {"ws": server.base.replace("http://", "ws://")}
            spec["class"] = code if index == 0 else None  # the lecturer's class view
            spec["students_class"] = beside
            nice = ["nice", "-n", str(nice_level)] if nice_level else []
            loader = subprocess.Popen(
                [*nice, sys.executable, "class_load.py"],
                cwd=ROOT / "bench",
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            self.loaders.append(loader)
            self._send(loader, json.dumps(spec))
        self._expect("pages")
        self.pages.expect("pages")
        self.probe.expect("pages")
        print(f"    {pages} pages open in {now() - began:.1f} s", flush=True)

    def _send(self, loader: subprocess.Popen[str], line: str) -> None:
        assert loader.stdin is not None
        loader.stdin.write(line + "\n")
        loader.stdin.flush()

    def _expect(self, word: str) -> None:
        for loader in self.loaders:  # readline blocks: the loader gives up on its own after its timeouts
            assert loader.stdout is not None
            line = loader.stdout.readline().split()
            if not line or line[0] != word:
                raise RuntimeError(f"{self.server.name}: a load process failed ({line}): see its output above")

    def watch(self, viewers: list[tuple[str, str]]) -> dict[str, Any]:
        """Each page follows its run (one per page, in order); count for the window; the merged results and the
        server's CPU in the window."""
        began = now()
        self.pages.send(json.dumps([run_id for run_id, _ in viewers]))
        self.probe.send(json.dumps([run_id for run_id, _ in viewers[-PROBE_PAGES:]]))
        every = max(1, len(viewers) // PROBE_VIEWERS)  # spread over the hall and the students alike
        probed = set(range(0, len(viewers), every)[:PROBE_VIEWERS])
        loaded = [viewer for i, viewer in enumerate(viewers) if i not in probed]
        offset = 0
        for loader, count in zip(self.loaders, [*self.counts, len(probed)], strict=True):
            if loader is self.loaders[-1]:
                self._send(loader, json.dumps([viewers[i] for i in sorted(probed)]))
                continue
            self._send(loader, json.dumps(loaded[offset : offset + count]))
            offset += count
        self._expect("ready")
        self.pages.expect("ready")
        self.probe.expect("ready")
        print(f"    {len(viewers)} viewers connected in {now() - began:.1f} s", flush=True)
        t_start = now() + self.args.warmup
        t_end = t_start + self.args.window
        for loader in self.loaders:
            self._send(loader, f"go {t_start} {t_end}")
        self.pages.send(f"go {t_start} {t_end}")
        self.probe.send(f"go {t_start} {t_end}")
        time.sleep(max(0.0, t_start - now()))
        cpu = tree_cpu(self.server.process.pid)
        time.sleep(max(0.0, t_end - now()))
        cpu = (tree_cpu(self.server.process.pid) - cpu) / self.args.window
        results = []
        for loader in self.loaders:
            out, _ = loader.communicate(timeout=120)
            results.append(json.loads(out.splitlines()[-1]))
        for run in results[-1]["runs"]:
            run["probe"] = True
        rest = self.pages.result()
        probe = self.probe.result()
        return {
            "runs": [run for result in results for run in result["runs"]],
            "class_frames": results[0]["class_frames"],
            "class_covered": results[0]["class_covered"],
            "class_gaps": results[0]["class_gaps"],
            "beside": [n for result in results for n in result["beside"]],
            "errors": errors_of(results) + rest["errors"] + probe["errors"],
            "rest": probe["rest"],
            "pages_rest": rest["rest"],
            "rest_failed": rest["failed"] + probe["failed"],
            "load_cpu": max(result["cpu"] for result in results[:-1]),
            "cpu": cpu,
            "t_end": t_end,
        }

    def close(self) -> None:
        """Kill any load process still there."""
        for loader in self.loaders:
            if loader.poll() is None:
                loader.kill()
                loader.wait(5)
        self.pages.close()
        self.probe.close()


def errors_of(results: list[dict[str, Any]]) -> list[str]:
    """The load processes' errors: the class view's, the pages', the viewers'."""
    found = []
    for result in results:
        found += [result["class_error"], *(run["error"] for run in result["runs"])]
    return [error for error in found if error]


def holds(run: dict[str, Any], args: argparse.Namespace) -> bool:
    """Whether a run's frames show it at ≥ HOLDS of its pace over (most of) the window."""
    return bool(run["seconds"] > args.window / 2 and run["steps"] / run["seconds"] >= HOLDS * args.pace)


def run_scenario(name: str, kind: str, students: int, tree: Path, logs: Path, args: argparse.Namespace) -> Figures:
    """Start the server, the runs and the viewers; measure; stop it all."""
    config = {"engine": ENGINE, "pace": args.pace, "steps": args.steps}
    total = students + (1 if kind == "lecture" else 0)
    extra = {}
    if name == "baseline":  # a thread for every run, as the old scheduling needs
        extra = {"AUTOGRAD_LIVE_MAX_RUNNING_RUNS": str(total), "AUTOGRAD_LIVE_MAX_ACTIVE_RUNS": str(total + 16)}
    else:
        extra = {key: value.replace("{S}", str(total)) for key, value in args.new_env}
    server = start_server(name, tree, total, extra, logs)
    hall: Hall | None = None
    try:
        with httpx.Client(base_url=server.base, timeout=60) as client:
            code = open_class(client, server, config)
            pages = students + (args.hall if kind == "lecture" else 0)
            beside = code if args.students_class else None
            hall = Hall(server, pages, code if kind == "class" else None, beside, args)
            viewers: list[tuple[str, str]] = []
            lecture_first = None
            if kind == "lecture":
                # A lecturer's demo goes on for the whole lecture: it must not end while the hall connects.
                lecture = client.post("/api/runs", json={**config, "seed": 10_000, "steps": LECTURE_STEPS})
                lecture.raise_for_status()
                lecture_first = now()
                viewers += [(lecture.json()["id"], "hall")] * args.hall
            began = now()
            started = start_runs(client, code, students, config)
            print(f"    {name}: {len(started.ids)} runs started in {now() - began:.1f} s", flush=True)
            viewers += [(run_id, "student") for run_id in started.ids]
            measured = hall.watch(viewers)
    finally:
        if hall is not None:
            hall.close()
        stop_process(server.process)
    first = min(t for t in (started.first, lecture_first) if t is not None)
    runs = [run for run in measured["runs"] if run["group"] == "student"]
    hall_runs = [run for run in measured["runs"] if run["group"] == "hall"]
    holding = sum(holds(run, args) for run in runs)
    has_class = server.classes and kind == "class"
    return Figures(
        server=name,
        scenario=kind,
        runs=students,
        started=len(started.ids),
        on_pace=holding / students if students else math.nan,
        fps=[run["frames"] / args.window for run in runs],
        hall_fps=[run["frames"] / args.window for run in hall_runs],
        probe_fps=[run["frames"] / args.window for run in runs if run.get("probe")],
        probe_hall_fps=[run["frames"] / args.window for run in hall_runs if run.get("probe")],
        class_rate=measured["class_frames"] / args.window if has_class else None,
        beside=[n / args.window for n in measured["beside"]],
        covered=len(measured["class_covered"]) if has_class else None,
        gaps=measured["class_gaps"] if has_class else None,
        rest=measured["rest"],
        pages_rest=measured["pages_rest"],
        rest_failed=measured["rest_failed"],
        cpu=measured["cpu"],
        load_cpu=measured["load_cpu"],
        late=measured["t_end"] > first + args.steps / args.pace,
        errors=(started.refused + measured["errors"])[:5],
    )


def _num(value: float | None, form: str, width: int) -> str:
    return (
        f"{'—':>{width}}"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else f"{value:>{width}{form}}"
    )


def print_table(figures: list[Figures], args: argparse.Namespace) -> None:
    """One line per scenario and server, then the new/baseline ratios."""
    print(
        f"{'scenario':<9}{'server':<9}{'S':>5}{'started':>8}{'on pace':>8}{'fps med':>8}{'fps p5':>7}"
        f"{'hall med':>9}{'hall p5':>8}{'probe':>6}{'pr hall':>8}{'class/s':>8}{'covers':>7}{'gaps':>5}{'beside/s':>9}"
        f"{'rest p95':>9}{'pages p95':>10}{'srv cpu':>8}{'load':>6}"
    )
    for f in figures:
        covers = None if f.covered is None else f"{f.covered}/{f.started}"
        print(
            f"{f.scenario:<9}{f.server:<9}{f.runs:>5}{f.started:>8}{_num(f.on_pace * 100, '.0f', 7)}%"
            f"{_num(statistics.median(f.fps) if f.fps else None, '.1f', 8)}{_num(percentile(f.fps, 5), '.1f', 7)}"
            f"{_num(statistics.median(f.hall_fps) if f.hall_fps else None, '.1f', 9)}"
            f"{_num(percentile(f.hall_fps, 5), '.1f', 8)}"
            f"{_num(median(f.probe_fps), '.1f', 6)}{_num(median(f.probe_hall_fps), '.1f', 8)}"
            f"{_num(f.class_rate, '.1f', 8)}"
            f"{covers or '—':>7}{_num(f.gaps, 'd', 5)}{_num(median(f.beside) if f.beside else None, '.1f', 9)}"
            f"{_num(percentile(f.rest, 95) * 1000, '.1f', 9)}{_num(percentile(f.pages_rest, 95) * 1000, '.1f', 10)}"
            f"{_num(f.cpu, '.2f', 8)}{_num(f.load_cpu, '.0%', 6)}"
        )
        if f.late:
            print("    warning: the window ended after the first run would have ended at its pace: use fewer runs")
        if f.rest_failed:
            print(f"    {f.rest_failed} REST requests failed")
        for error in f.errors[:3]:
            print(f"    error: {error}")
    print("\nnew / baseline:")
    for f in figures:
        base = next(
            (b for b in figures if b.server == "baseline" and (b.scenario, b.runs) == (f.scenario, f.runs)), None
        )
        if f.server != "new" or base is None:
            continue
        parts = [
            f"on pace {ratio(f.on_pace, base.on_pace)}",
            f"fps med {ratio(median(f.fps), median(base.fps))}",
            f"rest p95 {ratio(percentile(f.rest, 95), percentile(base.rest, 95))}",
            f"srv cpu {ratio(f.cpu, base.cpu)}",
        ]
        if f.hall_fps:
            parts.insert(2, f"hall fps med {ratio(median(f.hall_fps), median(base.hall_fps))}")
        print(f"  {f.scenario} S={f.runs}: " + ", ".join(parts))
    print(
        f"\non pace: runs at ≥ {HOLDS:.0%} of {args.pace:g} steps/s over the window (refused ones count as not); "
        "fps: frames/s per student viewer (median, 5th percentile); hall: the lecturer's run's viewers; probe, "
        f"pr hall: the median of the {PROBE_VIEWERS} viewers (students', hall's) in a load process at the server's "
        "niceness; class/s, "
        "covers: the class view's frames per second and the runs with new losses in them; gaps: class frames not "
        "continuing a run's losses; beside/s: class frames per second on a student's page (median; its chart beside "
        f"the run); rest p95: REST answers (ms) to {PROBE_PAGES} pages at the server's niceness; pages p95: to the "
        "hall's pages, their own waits for the CPU at --load-nice included; srv cpu: cores, the server and its "
        "children; load: the busiest load process.\ntargets (issue 10): at S = 300, ≥ 95 % of runs on pace, fps "
        "median ≥ 25, class view ≥ 2 updates/s covering every run, REST p95 < 100 ms; the lecture scenario's hall "
        "≥ 25 frames/s beside 100 student runs."
    )


def median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def ratio(new: float, base: float) -> str:
    return "—" if math.isnan(new) or math.isnan(base) or base == 0 else f"{new / base:.2f}"


def setting(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"not KEY=VALUE: {text[:40]!r}")
    return key, value


def main() -> None:
    """Parse the options, run every scenario on each server in turn, print the table."""
    parser = argparse.ArgumentParser(description="A class on one server: the app against thread-per-run.")
    parser.add_argument("--students", type=int, nargs="+", default=[50, 100, 200, 300], help="values of S")
    parser.add_argument("--quick", action="store_true", help=f"a short check: {QUICK}")
    parser.add_argument("--window", type=float, default=15.0, help="seconds measured per scenario")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds after the viewers are ready")
    parser.add_argument("--pace", type=float, default=30.0, help="steps per second of every run")
    parser.add_argument("--steps", type=int, default=2000, help="steps of every run")
    parser.add_argument("--hall", type=int, default=500, help="viewers of the lecturer's run (lecture scenario)")
    parser.add_argument("--beside", type=int, default=100, help="student runs beside it (lecture scenario)")
    parser.add_argument("--per-loader", type=int, default=100, help="viewers per load process")
    parser.add_argument("--load-nice", type=int, default=10, help="niceness of the load processes (0: none)")
    parser.add_argument("--servers", nargs="+", choices=["new", "baseline"], default=["new", "baseline"])
    parser.add_argument("--scenarios", nargs="+", choices=["class", "lecture"], default=["class", "lecture"])
    parser.add_argument(
        "--students-class",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="each student's page also watches the class (/ws/classes/CODE), as /join/CODE does (new server only)",
    )
    parser.add_argument("--new-env", type=setting, nargs="*", default=[], help="KEY=VALUE settings of the new server")
    args = parser.parse_args()
    if args.quick:
        for key, value in QUICK.items():
            if parser.get_default(key) == getattr(args, key):
                setattr(args, key, value)
    raise_fd_limit(max([*args.students, args.hall + args.beside]) * 2)
    busy = machine_busy()
    logs = Path(tempfile.mkdtemp(prefix="bench-class-"))
    trees = {"new": ROOT, "baseline": baseline_tree(logs)}
    print(
        f"{os.cpu_count()} cores; {ENGINE} runs of {args.steps} steps paced at {args.pace:g} steps/s; load processes "
        f"at nice {args.load_nice}, at most {args.per_loader} viewers each; {args.window:g} s window after "
        f"{args.warmup:g} s; baseline: the app as of {BASELINE_COMMIT}; logs in {logs}",
        flush=True,
    )
    if busy > 0.15:
        print(f"WARNING: the machine was {busy:.0%} busy before this benchmark began: figures will be low")
    plan = [("class", s) for s in args.students] if "class" in args.scenarios else []
    plan += [("lecture", args.beside)] if "lecture" in args.scenarios else []
    figures = []
    for kind, students in plan:
        for name in args.servers:
            figure = run_scenario(name, kind, students, trees[name], logs, args)
            figures.append(figure)
            print(
                f"  {kind} {name} S={students}: {figure.on_pace:.0%} on pace, fps {median(figure.fps):.1f}"
                + (f", hall fps {median(figure.hall_fps):.1f}" if figure.hall_fps else ""),
                flush=True,
            )
    print()
    print_table(figures, args)


if __name__ == "__main__":
    main()
