"""What a schemathesis run found: every case sent and checked, failures kept once per operation, check and status,
each with the curl command that reproduces it."""

import contextlib
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

import httpx
import requests
from schemathesis import Case, Response
from schemathesis.core.failures import Failure, FailureGroup

KEPT_RUNNING = 4  # runs the cases may leave going: a slowly paced or paused one would otherwise hold them all
REQUEST_TIMEOUT = 10.0  # seconds; a request the server leaves longer unanswered is a finding of its own
NO_ANSWER = "no answer"
EXCERPT = 160  # characters of a response body or failure message kept in one line


def one_line(text: str, limit: int = EXCERPT) -> str:
    """`text` squeezed onto one line and cut to `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


POSITIVE_DATA_REFUSED = "ST202"  # schemathesis: a request valid by the schema was refused
# Fields whose rules JSON Schema cannot state, each said in its field's description instead: x_max above x_min,
# a target in the formula language and finite on the range, the network's size times the points within
# max_step_work. A run config's 422 that names only these is the rule working, not the document being wrong.
ACROSS_FIELDS = {"x_max", "target", "layers"}


def refused_across_fields(operation: str, response: Response) -> bool:
    """Whether a 422 to schema-valid data names only rules that relate fields to each other: in a run config
    (ACROSS_FIELDS; `points` only for the work cap) or a class's settings, or in an import, whose checks of how its
    parts fit together (the config's engine and parameter names, the history's columns and length) have the type
    "import"; or a lecture file's own rules (TOML, scenes, runs), type "lecture", which no JSON schema states."""
    if response.status_code != 422:
        return False
    try:
        problems = response.json()["detail"]
    except (ValueError, KeyError, TypeError):
        return False
    if not isinstance(problems, list) or not problems:
        return False

    def across(problem: dict[str, Any]) -> bool:
        loc = [str(part) for part in problem.get("loc", [])]
        if operation == "POST /api/lecture-check":  # the text's own language: a lecture file, named by its line
            return problem.get("type") == "lecture"
        if operation == "POST /api/runs/import":
            if problem.get("type") == "import":
                return True
            loc = loc[3:] if loc[:3] == ["body", "run", "config"] else []  # the run's own config, as a new run's
        elif operation == "POST /api/classes":
            loc = loc[2:] if loc[:2] == ["body", "settings"] else []  # the config the class's runs start from
        else:
            loc = loc[1:] if loc[:1] == ["body"] else []
        field = loc[0] if loc else ""
        return field in ACROSS_FIELDS or (field == "points" and "max_step_work" in str(problem.get("msg")))

    operations = {"POST /api/runs", "POST /api/runs/import", "POST /api/classes", "POST /api/lecture-check"}
    return operation in operations and all(across(p) for p in problems)


@dataclass(frozen=True)
class Finding:
    """One distinct failure: where, which check, what came back, and how to send the same request again."""

    operation: str
    check: str  # schemathesis's failure code and title, e.g. "ST103 Undocumented status code"
    status: int | None  # the answer's status; None when none came
    detail: str
    curl: str

    def line(self) -> str:
        """The finding on one line."""
        status = self.status if self.status is not None else "-"
        return f"{self.operation} | {self.check} | {status} | {self.detail} | {self.curl}"


@dataclass
class Findings:
    """Cases sent and the distinct failures among them, in the order first seen."""

    base_url: str
    cases: int = 0
    stateful_steps: int = 0
    found: dict[tuple[str, str, int | None], Finding] = field(default_factory=dict)
    repeats: Counter[tuple[str, str, int | None]] = field(default_factory=Counter)
    seconds: Counter[str] = field(default_factory=Counter)  # time spent waiting for answers, by operation
    created: deque[tuple[str, str]] = field(default_factory=deque)  # (run id, control token), oldest first
    across_fields: Counter[str] = field(default_factory=Counter)  # schema-valid cases refused by a rule across fields

    def send(self, case: Case, label: str | None = None) -> Response | None:
        """Send the case; None (and a finding) when the server gave no answer in time or refused the connection."""
        self.cases += 1
        started = time.monotonic()
        try:
            response = case.call(base_url=self.base_url, timeout=REQUEST_TIMEOUT)
        except requests.RequestException as error:
            curl = case.as_curl_command(base_url=self.base_url)
            self.add(label or case.operation.label, NO_ANSWER, None, type(error).__name__, curl)
            return None
        finally:
            self.seconds[case.operation.label] += time.monotonic() - started
        if case.operation.label == "POST /api/runs" and response.status_code == 201:
            self._keep_few_running(response)
        return response

    def _keep_few_running(self, created: Response) -> None:
        """Remember a created run; stop the oldest once more than KEPT_RUNNING are remembered. Housekeeping, not
        a case: without it paced and paused runs fill the server's limits and later creations are all refused."""
        with contextlib.suppress(ValueError, KeyError, TypeError):
            body = created.json()
            self.created.append((body["id"], body["control_token"]))
        while len(self.created) > KEPT_RUNNING:
            run_id, token = self.created.popleft()
            with contextlib.suppress(httpx.HTTPError):
                httpx.post(
                    f"{self.base_url}/api/runs/{run_id}/stop",
                    headers={"X-Control-Token": token, "Content-Type": "application/json"},
                    timeout=REQUEST_TIMEOUT,
                )

    def check(self, case: Case, response: Response, label: str | None = None, **validate: Any) -> None:
        """Run every configured check on the answer; keep the failures instead of raising them."""
        try:
            transport = {"base_url": self.base_url, "timeout": REQUEST_TIMEOUT}
            case.validate_response(response, transport_kwargs=transport, **validate)
        except FailureGroup as group:
            curl = case.as_curl_command(headers=dict(response.request.headers), base_url=self.base_url)
            for failure in group.exceptions:
                if failure.code == POSITIVE_DATA_REFUSED and refused_across_fields(case.operation.label, response):
                    self.across_fields[case.operation.label] += 1
                    continue
                self.add_failure(label or case.operation.label, failure, response, curl)

    def add_failure(self, operation: str, failure: Failure, response: Response, curl: str) -> None:
        """Keep one failure of one check."""
        reason = one_line(failure.message or failure.title)
        body = one_line(response.text or "", 80)
        self.add(operation, f"{failure.code} {failure.kind_title}", response.status_code, f"{reason} ⇐ {body}", curl)

    def add(self, operation: str, check: str, status: int | None, detail: str, curl: str) -> None:
        """Keep the first finding of its operation, check and status; count the others."""
        key = (operation, check, status)
        self.repeats[key] += 1
        self.found.setdefault(key, Finding(operation, check, status, one_line(detail), one_line(curl, 600)))

    def summary(self) -> str:
        """Counts, then findings by check and by operation, then one line per distinct finding."""
        findings = list(self.found.values())
        by_check = Counter(finding.check for finding in findings)
        by_operation = Counter(finding.operation for finding in findings)
        lines = [
            f"cases: {self.cases} (of them stateful steps: {self.stateful_steps})",
            "schema-valid cases refused by a rule across fields (not failures): "
            + (", ".join(f"{op} ×{n}" for op, n in self.across_fields.most_common()) or "none"),
            f"distinct failures: {len(findings)} (failing cases: {sum(self.repeats.values())})",
            "by check: " + ", ".join(f"{check} ×{count}" for check, count in by_check.most_common()),
            "by operation: " + ", ".join(f"{operation} ×{count}" for operation, count in by_operation.most_common()),
            "slowest: " + ", ".join(f"{label} {seconds:.0f} s" for label, seconds in self.seconds.most_common(4)),
            "operation | check | status | detail | reproduce",
        ]
        return "\n".join([*lines, *(finding.line() for finding in findings)])
