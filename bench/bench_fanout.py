"""Fan-out benchmark: N WebSocket viewers of one paced run, the app against a bare broadcast loop.

Run by hand from the repository's root:

    .venv/bin/python bench/bench_fanout.py [--viewers 50 200 500 1000] [--window 10] [--pace 2000]
        [--per-loader 250] [--slow 0] [--load-nice 10] [--deflate] [--frame-rate 30] [--joins 5]
        [--servers app baseline] [--app-ws websockets] [--profile DIR] [--no-page-rest]

It starts two servers on 127.0.0.1, each in its own process: the real app (`python -m app`) and the baseline of
bench/fanout_baseline.py (the same `Run` and the same frames, but sent by one task doing a serial
`await send_text` to every socket ~30 times a second). For every N and each server it creates one paced numpy run,
pauses it, opens N viewers from separate load processes (`websockets` client, at most --per-loader viewers
each, since one Python process cannot read 30 frames/s on 1000 sockets), resumes the run, skips --warmup seconds
and then counts for --window seconds. It prints per server and N: frames/s per viewer (median and 5th
percentile over viewers), step-to-viewer latency p50/p95/p99 over every frame of every viewer, the frames
delivered in total, the app/baseline ratio of delivered frames, and the CPU the server and the busiest load
process used. Last, the time a new viewer waits for the first message (the snapshot) of a finished 100k-step run
(median of --joins joins).

Latency, with no change to the app or its protocol: a paced run takes step t at R + (t - s0) / pace, where R is
when it was resumed at step s0 (Run._wait_turn's pace clock); the benchmark reads R from CLOCK_MONOTONIC (one
clock for every process on Linux) just before it sends the resume, and s0 from the paused run's `steps_done`. A
frame's latency is its arrival in the viewer's process minus the planned time of its last step (`step`). Since
the worker never runs a step before its planned time, and R is taken before the server sees the resume, this
over-estimates (never under-estimates) the latency; if the worker falls behind its pace under load, that lag is
counted too, and printed as `lag` so it can be told apart. Arrival is when `recv()` returns in the load process,
so a load process short of CPU adds its own delay: `load cpu` shows how busy the busiest one was.

The load processes stand for hundreds of laptops, each with a CPU of its own; here they share the server's two
cores. They run at a lower priority (`--load-nice`, default 10) so that both servers get the CPU first, as they
would with remote viewers; a load process kept waiting only delays its own arrival times, which counts against
the server measured. `--load-nice 0` shares the cores evenly: then what the viewers' reading costs (a third of a
core per 250 viewers with --deflate) is taken from the server too, and a paced run falls behind its pace.

`--slow K` makes K of the N viewers read only a couple of messages a second through a small receive buffer (a
phone on a bad network); the figures are then of the other N - K viewers: that is where a per-viewer slot beats
the serial loop, which waits for each socket in turn (give the slow sockets time to fill: --warmup 15).
`--deflate` makes the viewers offer per-message deflate as browsers do: the app compresses each message once for
all of them, the baseline (uvicorn's default) once per socket. `--frame-rate F` lets both servers aim at F
frames/s (up to 120): at the default 30 both may deliver every frame, and the ratio of delivered frames says
little about how much more the app could send. `--app-ws` serves the app through `uvicorn --ws ...` instead of
`python -m app`.

Each viewer of the app stands for a page, so its page's own REST traffic is made too (bench/page_traffic.py: on
opening, the page, engines, targets, run list and share link; then the run list every 5 s with its ETag, as
static/js does), from a load process of its own at the same niceness, so that a page's wait is not the time a
process reading thousands of frames a second keeps it: `rest/s` and `rest p95` show its rate and its answers'
95th percentile in the window. `--no-page-rest` leaves it out (the baseline has no such routes).

Every scenario is bounded in time; sockets are closed and every subprocess is terminated in `finally` blocks.
`--profile DIR` runs each server under cProfile timed by `time.thread_time` (the CPU time of its main thread, the
event loop: neither waits for the GIL nor time descheduled by a busy machine count) and writes DIR/app.prof and
DIR/baseline.prof at exit; read them with `python -m pstats`.
"""

import argparse
import asyncio
import contextlib
import json
import math
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from page_traffic import PagesProcess
from processes import HOST, ROOT, cpu_seconds, free_port, percentile, stop_process, wait_healthy
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

ENGINE = "numpy"
SEED = 1
SLOW_READS = 2.0  # messages per second that a slow viewer reads
# Whether viewers offer per-message deflate (--deflate; the environment carries it to the load processes).
COMPRESSION = "deflate" if os.environ.get("BENCH_FANOUT_DEFLATE") else None
SLOW_RECEIVE_BUFFER = 8192  # bytes: a slow viewer's socket holds little, so the server soon sees it fall behind
CONNECT_CONCURRENCY = 64  # handshakes in flight per load process
READY_TIMEOUT = 90.0  # seconds for all viewers of a scenario to connect
JOIN_RUN_TIMEOUT = 180.0  # seconds for the 100k-step run to finish at full speed


def now() -> float:
    """CLOCK_MONOTONIC: the same clock in every process of this machine (Linux), so times compare across them."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


# The load process: `bench_fanout.py --load-worker URL COUNT SLOW`. It prints `ready N` once its viewers are
# connected, reads `go R S0 PACE T_START T_END` on stdin, and prints one JSON line of results after T_END.


@dataclass
class ViewerLog:
    """What one viewer received: per frame, its arrival time and its first and last step."""

    arrivals: list[float] = field(default_factory=list)
    firsts: list[int] = field(default_factory=list)
    lasts: list[int] = field(default_factory=list)
    error: str | None = None
    slow: bool = False  # reads at SLOW_READS messages a second, like a phone on a bad network; not in the figures


def _int_after(message: bytes, key: bytes, start: int = 0) -> tuple[int, int]:
    """The integer that follows `key` in the message, and where it ends (no JSON parse: the field order is fixed)."""
    begin = message.index(key, start) + len(key)
    end = message.index(b",", begin)
    return int(message[begin:end]), end


async def _read(websocket: ClientConnection, log: ViewerLog) -> None:
    try:
        while True:
            message = await websocket.recv(decode=False)
            arrival = now()
            if isinstance(message, bytes) and message.startswith(b'{"type":"frame"'):
                # `from` and `step` come before any nested object, and `loss` between them holds only numbers.
                first, end = _int_after(message, b'"from":')
                last, _ = _int_after(message, b'"step":', end)
                log.arrivals.append(arrival)
                log.firsts.append(first)
                log.lasts.append(last)
            if log.slow:
                await asyncio.sleep(1 / SLOW_READS)
    except ConnectionClosed:
        pass
    except Exception as error:  # a malformed frame must show in the results, not pass silently
        log.error = f"{type(error).__name__}: {error}"


def _address(url: str) -> tuple[str, int]:
    """The host and port of a ws:// URL."""
    host, port = url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
    return host, int(port)


async def _slow_socket(url: str) -> socket.socket:
    """A TCP socket connected to the URL's server with a small receive buffer (set before connecting, so the
    window it offers stays small and the server soon sees a slow reader fall behind, as on a bad network)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SLOW_RECEIVE_BUFFER)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, _address(url))
    return sock


async def _open(url: str, log: ViewerLog, gate: asyncio.Semaphore) -> tuple[ClientConnection, asyncio.Task[None]]:
    async with gate:
        options: dict[str, Any] = {"sock": await _slow_socket(url)} if log.slow else {}
        websocket = await connect(
            url,
            compression=COMPRESSION,
            max_size=None,
            max_queue=2 if log.slow else 16,
            ping_interval=None,
            open_timeout=READY_TIMEOUT,
            close_timeout=1,
            **options,
        )
    return websocket, asyncio.create_task(_read(websocket, log))


async def load_worker(url: str, count: int, slow: int) -> None:
    """Open `count` viewers (`slow` of them slow), report ready, wait for the window, then print what the others
    received in it."""
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    logs = [ViewerLog(slow=i < slow) for i in range(count)]
    opened = await asyncio.gather(*(_open(url, log, gate) for log in logs), return_exceptions=True)
    viewers = [item for item in opened if not isinstance(item, BaseException)]
    failed = [repr(item) for item in opened if isinstance(item, BaseException)]
    try:
        print(f"ready {len(viewers)}", flush=True)
        line = await asyncio.wait_for(asyncio.to_thread(sys.stdin.readline), READY_TIMEOUT * 2)
        _, resumed, s0, pace, t_start, t_end = line.split()
        resumed, pace, t_start, t_end = float(resumed), float(pace), float(t_start), float(t_end)
        await asyncio.sleep(max(0.0, t_start - now()))
        cpu_start = time.process_time()
        await asyncio.sleep(max(0.0, t_end - now()))
        cpu = (time.process_time() - cpu_start) / (t_end - t_start)
    finally:
        for _, task in viewers:
            task.cancel()
        await asyncio.gather(*(asyncio.wait_for(ws.close(), 2) for ws, _ in viewers), return_exceptions=True)
    frames: list[int] = []
    steps: list[int] = []
    latency: list[float] = []
    first_latency: list[float] = []
    errors = failed + [log.error for log in logs if log.error]
    for log in logs[slow:]:
        counted = 0
        delivered = 0
        for arrival, first, last in zip(log.arrivals, log.firsts, log.lasts, strict=True):
            if t_start <= arrival < t_end:
                counted += 1
                delivered += last - first + 1
                latency.append(round(arrival - (resumed + (last - int(s0)) / pace), 5))
                first_latency.append(round(arrival - (resumed + (first - int(s0)) / pace), 5))
        frames.append(counted)
        steps.append(delivered)
    result = {
        "viewers": len(viewers),
        "frames": frames,
        "steps": steps,
        "latency": latency,
        "first_latency": first_latency,
        "cpu": cpu,
        "errors": errors[:5],
        "error_count": len(errors),
    }
    print(json.dumps(result), flush=True)


# The controller: servers, runs, load processes, statistics.


def proc_stat() -> tuple[int, int]:
    """CPU ticks of the whole machine so far: all, and idle (with iowait)."""
    ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(ticks), ticks[3] + ticks[4]


def machine_busy(seconds: float = 2.0) -> float:
    """The fraction of all cores busy over a short while, from /proc/stat (before this benchmark loads them)."""

    total, idle = proc_stat()
    time.sleep(seconds)
    total2, idle2 = proc_stat()
    return 1 - (idle2 - idle) / max(1, total2 - total)


@dataclass
class Server:
    """A server subprocess and how to reach its API."""

    name: str
    process: subprocess.Popen[bytes]
    base: str
    api: str  # the path prefix of the run routes
    log: Path

    @property
    def ws(self) -> str:
        return self.base.replace("http://", "ws://") + "/ws/runs/"


PROFILED = """
import cProfile, runpy, sys, time
path, target = sys.argv[1], sys.argv[2]
sys.argv = [target, *sys.argv[3:]]
profile = cProfile.Profile(time.thread_time)
profile.enable()
try:
    if target.endswith(".py"):
        runpy.run_path(target, run_name="__main__")
    else:
        runpy.run_module(target, run_name="__main__", alter_sys=True)
finally:
    profile.disable()
    profile.dump_stats(path)
"""


def server_command(target: str, options: list[str], profile: Path | None) -> list[str]:
    """`python -m target options` (or `python target options` for a script), under cProfile if asked."""
    if profile is not None:
        return [sys.executable, "-c", PROFILED, str(profile), target, *options]
    return [sys.executable, target, *options] if target.endswith(".py") else [sys.executable, "-m", target, *options]


def start_server(
    name: str, command: list[str], port: int, api: str, health: str, logs: Path, frame_rate: float
) -> Server:
    """Start a server process and wait until it answers its health check."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "AUTOGRAD_LIVE_MAX_STEPS": "10000000",
        "AUTOGRAD_LIVE_FRAME_RATE": str(frame_rate),  # the baseline reads it too
    }
    log = logs / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(name, process, f"http://{HOST}:{port}", api, log)
    wait_healthy(name, process, server.base + health, log)
    return server


def create_paused(client: httpx.Client, server: Server, config: dict[str, Any]) -> tuple[str, int]:
    """Create a run, pause it at once, and wait until it holds still: its id and the step it will run next. The
    client keeps the run's control token for the commands that follow."""
    response = client.post(f"{server.base}{server.api}", json=config)
    response.raise_for_status()
    run_id = response.json()["id"]
    if "control_token" in response.json():  # the app's runs obey their creator only; the baseline has no tokens
        client.headers["X-Control-Token"] = response.json()["control_token"]
    client.post(f"{server.base}{server.api}/{run_id}/pause").raise_for_status()
    last = -1
    for _ in range(100):  # bounded: 10 s
        info = client.get(f"{server.base}{server.api}/{run_id}").json()
        if info["status"] == "paused" and info["steps_done"] == last:
            return run_id, last
        last = info["steps_done"]
        time.sleep(0.1)
    raise RuntimeError(f"{server.name}: run {run_id} did not hold still after pause")


@dataclass
class Scenario:
    """The figures of one server with N viewers."""

    server: str
    viewers: int
    connected: int
    fps: list[float]
    steps_per_s: list[float]
    latency: list[float]
    first_latency: list[float]
    delivered: int
    server_cpu: float
    load_cpu: float
    machine: float
    lag: float
    errors: list[str]
    rest: list[float] = field(default_factory=list)  # answer times of the pages' REST requests in the window
    rest_304: int = 0
    rest_failed: int = 0


def run_scenario(server: Server, viewers: int, args: argparse.Namespace) -> Scenario:
    """One paced run watched by `viewers` viewers from separate load processes; bounded in time."""
    loaders: list[subprocess.Popen[str]] = []
    pages: PagesProcess | None = None
    rest: dict[str, Any] = {"rest": [], "unchanged": 0, "failed": 0, "errors": []}
    steps = int(args.pace * (args.warmup + args.window + 120))
    config = {"engine": ENGINE, "seed": SEED, "steps": steps, "pace": args.pace}
    with httpx.Client(timeout=30) as client:
        run_id, s0 = create_paused(client, server, config)
        try:
            shares = math.ceil(viewers / args.per_loader)
            counts = [viewers // shares + (i < viewers % shares) for i in range(shares)]
            slows = [args.slow // shares + (i < args.slow % shares) for i in range(shares)]
            for count, slow in zip(counts, slows, strict=True):
                loaders.append(
                    subprocess.Popen(
                        [
                            *(["nice", "-n", str(args.load_nice)] if args.load_nice else []),
                            *[sys.executable, __file__, "--load-worker", server.ws + run_id, str(count), str(slow)],
                        ],
                        cwd=ROOT,
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        text=True,
                    )
                )
            if args.page_rest and server.name == "app":  # the baseline has no such routes
                pages = PagesProcess(server.base, viewers, args.load_nice)
                pages.expect("pages")
                pages.send(json.dumps([run_id] * viewers))
                pages.expect("ready")
            connected = 0
            for loader in loaders:  # readline blocks: the loader itself gives up after READY_TIMEOUT
                assert loader.stdout is not None
                line = loader.stdout.readline().split()
                if not line or line[0] != "ready":
                    raise RuntimeError(f"{server.name}: a load process failed to start ({line})")
                connected += int(line[1])
            time.sleep(1.0)  # let the snapshots drain
            resumed = now()
            client.post(f"{server.base}{server.api}/{run_id}/resume").raise_for_status()
            t_start = resumed + args.warmup
            t_end = t_start + args.window
            for loader in loaders:
                assert loader.stdin is not None
                loader.stdin.write(f"go {resumed} {s0} {args.pace} {t_start} {t_end}\n")
                loader.stdin.flush()
            if pages is not None:
                pages.send(f"go {t_start} {t_end}")
            time.sleep(max(0.0, t_start - now()))
            cpu_start = cpu_seconds(server.process.pid)
            machine_start = proc_stat()
            time.sleep(max(0.0, t_end - now()))
            server_cpu = (cpu_seconds(server.process.pid) - cpu_start) / args.window
            machine_end = proc_stat()
            machine = 1 - (machine_end[1] - machine_start[1]) / max(1, machine_end[0] - machine_start[0])
            done = client.get(f"{server.base}{server.api}/{run_id}").json()["steps_done"]
            lag = max(0.0, (s0 + (now() - resumed) * args.pace - done) / args.pace)
            results = []
            for loader in loaders:
                out, _ = loader.communicate(timeout=60)
                results.append(json.loads(out.splitlines()[-1]))
            if pages is not None:
                rest = pages.result()
        finally:
            for loader in loaders:
                if loader.poll() is None:
                    loader.kill()
                    loader.wait(5)
            if pages is not None:
                pages.close()
            with contextlib.suppress(httpx.HTTPError):
                client.post(f"{server.base}{server.api}/{run_id}/stop")
    frames = [n for result in results for n in result["frames"]]
    delivered_steps = [n for result in results for n in result["steps"]]
    return Scenario(
        server=server.name,
        viewers=viewers,
        connected=connected,
        fps=[n / args.window for n in frames],
        steps_per_s=[n / args.window for n in delivered_steps],
        latency=[x for result in results for x in result["latency"]],
        first_latency=[x for result in results for x in result["first_latency"]],
        delivered=sum(frames),
        server_cpu=server_cpu,
        load_cpu=max(result["cpu"] for result in results),
        machine=machine,
        lag=lag,
        errors=[e for result in results for e in result["errors"]] + rest["errors"],
        rest=rest["rest"],
        rest_304=rest["unchanged"],
        rest_failed=rest["failed"],
    )


async def _first_message(url: str) -> tuple[float, int]:
    started = now()
    async with connect(url, compression=COMPRESSION, max_size=None, open_timeout=10, close_timeout=1) as websocket:
        message = await asyncio.wait_for(websocket.recv(decode=False), 10)
        return now() - started, len(message)


def first_frame_times(server: Server, args: argparse.Namespace) -> tuple[list[float], int, float]:
    """Seconds from connecting to a finished run of --join-steps steps to its first message, per join."""
    config = {"engine": ENGINE, "seed": SEED, "steps": args.join_steps}
    with httpx.Client(timeout=30) as client:
        response = client.post(f"{server.base}{server.api}", json=config)
        response.raise_for_status()
        run_id = response.json()["id"]
        started = time.monotonic()
        while client.get(f"{server.base}{server.api}/{run_id}").json()["status"] != "finished":
            if time.monotonic() - started > JOIN_RUN_TIMEOUT:
                raise RuntimeError(f"the {args.join_steps}-step run did not finish in {JOIN_RUN_TIMEOUT} s")
            time.sleep(0.2)
        trained = time.monotonic() - started
    times = []
    size = 0
    for _ in range(args.joins):
        seconds, size = asyncio.run(_first_message(server.ws + run_id))
        times.append(seconds)
    return times, size, trained


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f}"


def rest_columns(s: Scenario, window: float) -> str:
    """Requests per second, p95 answer time (ms) and share of 304s of the pages' REST traffic; dashes without."""
    if not s.rest:
        return f"{'—':>8}{'—':>9}{'—':>6}"
    return f"{len(s.rest) / window:>8.0f}{ms(percentile(s.rest, 95)):>9}{s.rest_304 / len(s.rest):>6.0%}"


def print_table(scenarios: list[Scenario], window: float) -> None:
    """One line per server and N, and the app/baseline ratio of delivered frames."""
    print(
        f"{'server':<9}{'N':>6}{'conn':>6}{'fps med':>9}{'fps p5':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
        f"{'p95 from':>9}{'steps/s':>9}{'frames':>9}{'ratio':>7}{'srv cpu':>8}{'load cpu':>9}{'machine':>8}{'lag s':>7}"
        f"{'rest/s':>8}{'rest p95':>9}{'304':>6}"
    )
    baseline = {s.viewers: s.delivered for s in scenarios if s.server == "baseline"}
    for s in scenarios:
        ratio = math.nan
        if s.server == "app" and s.viewers in baseline:  # a baseline stalled by slow viewers delivers nothing
            ratio = s.delivered / baseline[s.viewers] if baseline[s.viewers] else math.inf
        print(
            f"{s.server:<9}{s.viewers:>6}{s.connected:>6}{statistics.median(s.fps):>9.1f}"
            f"{percentile(s.fps, 5):>8.1f}{ms(percentile(s.latency, 50)):>8}{ms(percentile(s.latency, 95)):>8}"
            f"{ms(percentile(s.latency, 99)):>8}{ms(percentile(s.first_latency, 95)):>9}"
            f"{statistics.median(s.steps_per_s):>9.0f}{s.delivered:>9}{ratio:>7.2f}"
            f"{s.server_cpu:>8.0%}{s.load_cpu:>9.0%}{s.machine:>8.0%}{s.lag:>7.2f}{rest_columns(s, window)}"
        )
        if s.rest_failed:
            print(f"    {s.rest_failed} of the pages' REST requests failed")
        for error in s.errors[:3]:
            print(f"    error: {error}")


def raise_fd_limit(viewers: int) -> None:
    """Every viewer is a socket in a load process and in a server: make sure the descriptors suffice."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(viewers * 2 + 256, soft)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))  # inherited by the subprocesses


def main() -> None:
    """Parse the options, start both servers, run every scenario and print the table."""
    if len(sys.argv) == 5 and sys.argv[1] == "--load-worker":
        worker = load_worker(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        asyncio.run(asyncio.wait_for(worker, READY_TIMEOUT * 4))
        return
    parser = argparse.ArgumentParser(description="WebSocket fan-out: the app against a bare broadcast loop.")
    parser.add_argument("--viewers", type=int, nargs="+", default=[50, 200, 500, 1000], help="values of N")
    parser.add_argument("--window", type=float, default=10.0, help="seconds measured per scenario")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds after resume before measuring")
    parser.add_argument("--pace", type=float, default=2000.0, help="steps per second of the watched run")
    parser.add_argument("--per-loader", type=int, default=250, help="viewers per load process")
    parser.add_argument(
        "--slow", type=int, default=0, help=f"of the N viewers, this many read {SLOW_READS:g} messages/s (not counted)"
    )
    parser.add_argument("--joins", type=int, default=5, help="new viewers of the finished long run")
    parser.add_argument(
        "--load-nice",
        type=int,
        default=10,
        help="niceness of the load processes (0: none); they stand for viewers' own machines",
    )
    parser.add_argument(
        "--deflate",
        action="store_true",
        help="viewers offer per-message deflate, as browsers do (the baseline then compresses for each socket)",
    )
    parser.add_argument(
        "--frame-rate", type=float, default=30.0, help="frames per second both servers aim at (the app's default: 30)"
    )
    parser.add_argument("--join-steps", type=int, default=100_000, help="steps of the finished long run")
    parser.add_argument("--servers", nargs="+", choices=["app", "baseline"], default=["app", "baseline"])
    parser.add_argument(
        "--page-rest",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the app's viewers also make their pages' REST traffic (the baseline has no such routes)",
    )
    parser.add_argument("--profile", type=Path, help="run the servers under cProfile, writing DIR/<server>.prof")
    parser.add_argument(
        "--app-ws",
        choices=["websockets", "websockets-sansio", "wsproto"],
        help="serve the app with `uvicorn --ws` this implementation instead of `python -m app` (its default: sansio)",
    )
    args = parser.parse_args()
    if args.deflate:
        os.environ["BENCH_FANOUT_DEFLATE"] = "1"  # for the load processes and the baseline server
    raise_fd_limit(max(args.viewers))
    busy = machine_busy()
    logs = Path(tempfile.mkdtemp(prefix="bench-fanout-"))
    servers: dict[str, Server] = {}
    profiles: dict[str, Path] = {}
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
        profiles = {name: args.profile.resolve() / f"{name}.prof" for name in ("app", "baseline")}
    try:
        if "app" in args.servers:
            port = free_port()
            address = ["--host", HOST, "--port", str(port)]
            if args.app_ws:  # an experiment: the same app under another uvicorn WebSocket implementation
                options = ["app.main:app", "--ws", args.app_ws, "--ws-per-message-deflate", "false", *address]
                command = server_command("uvicorn", [*options, "--log-level", "warning"], profiles.get("app"))
            else:
                command = server_command("app", address, profiles.get("app"))
            servers["app"] = start_server("app", command, port, "/api/runs", "/healthz", logs, args.frame_rate)
        if "baseline" in args.servers:
            port = free_port()
            script = str(ROOT / "bench" / "fanout_baseline.py")
            command = server_command(script, ["--host", HOST, "--port", str(port)], profiles.get("baseline"))
            servers["baseline"] = start_server("baseline", command, port, "/runs", "/healthz", logs, args.frame_rate)
        print(
            f"{os.cpu_count()} cores; {ENGINE} run paced at {args.pace:g} steps/s; frames at most "
            f"{args.frame_rate:g}/s; load processes at nice {args.load_nice}; {args.window:g} s window after "
            f"{args.warmup:g} s warm-up; at most {args.per_loader} viewers per load process; {args.slow} of them slow "
            f"(figures are of the others); logs in {logs}",
            flush=True,
        )
        if busy > 0.15:
            print(f"WARNING: the machine was {busy:.0%} busy before this benchmark began: figures will be low")
        scenarios = []
        for viewers in args.viewers:
            for name, server in servers.items():
                scenario = run_scenario(server, viewers, args)
                scenarios.append(scenario)
                print(
                    f"  {name} N={viewers}: {statistics.median(scenario.fps):.1f} frames/s, "
                    f"p95 {percentile(scenario.latency, 95) * 1000:.1f} ms",
                    flush=True,
                )
                time.sleep(1.0)  # let the closed sockets go
        print()
        print_table(scenarios, args.window)
        print(
            "\nfps: frames per second per viewer (median, 5th percentile over viewers); p50/p95/p99: latency from "
            "the planned time of a frame's last step to its arrival; p95 from: the same for its first step; "
            "steps/s: steps delivered per viewer; frames: delivered in the window, all viewers; ratio: app/baseline "
            "frames; srv/load cpu: of one core (load: the busiest load process); machine: all cores, everything on the "
            "machine; lag: how far the run fell behind its pace; rest/s, rest p95, 304: the pages' own REST requests "
            "(page_traffic.py: the run list every 5 s with its ETag) per second, their answer time's 95th "
            "percentile, the share answered 304 (the app only: --no-page-rest leaves them out)."
        )
        if "app" in servers:
            times, size, trained = first_frame_times(servers["app"], args)
            print(
                f"\nfirst message (snapshot, {size / 1e6:.2f} MB) of a finished {args.join_steps}-step run "
                f"(trained in {trained:.1f} s): median {statistics.median(times) * 1000:.1f} ms over "
                f"{len(times)} joins ({', '.join(f'{t * 1000:.1f}' for t in times)} ms)"
            )
    finally:
        for server in servers.values():
            stop_process(server.process)


if __name__ == "__main__":
    main()
