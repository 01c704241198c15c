// The browser's mirror of docs/protocol.md (the server's side is app/protocol.py): keep the two in step.

/** The `type` of every WebSocket message. */
export const MessageType = Object.freeze({
  SNAPSHOT: "snapshot",
  FRAME: "frame",
  STATUS: "status",
  PRESENTER: "presenter", // what the lecturer's screen shows: {panel, step, node, mode}
});

/** The graph panel's two labellings, as the presenter state names them. */
export const GraphMode = Object.freeze({ BACKWARD: "backward", FORWARD: "forward" });

/** Run statuses, in the order a run can pass through them. */
export const Status = Object.freeze({
  QUEUED: "queued",
  RUNNING: "running",
  PAUSED: "paused",
  FINISHED: "finished",
  STOPPED: "stopped",
  FAILED: "failed",
  DIVERGED: "diverged",
  INTERRUPTED: "interrupted", // the server stopped while the run went on; it is stored as far as it got
  UNREADABLE: "unreadable", // a stored run this server cannot read back: listed with why (message), config null
});

/** Statuses a run never leaves. */
export const ENDED = new Set([
  Status.FINISHED,
  Status.STOPPED,
  Status.FAILED,
  Status.DIVERGED,
  Status.INTERRUPTED,
  Status.UNREADABLE,
]);

/** The commands of `POST /api/runs/{id}/<command>`. */
export const Command = Object.freeze({
  PAUSE: "pause",
  RESUME: "resume",
  STEP: "step",
  STOP: "stop",
});

/** Which commands make sense in each status; the server answers 409 to the others. */
export const COMMANDS_BY_STATUS = Object.freeze({
  [Status.QUEUED]: [Command.PAUSE, Command.STOP],
  [Status.RUNNING]: [Command.PAUSE, Command.STOP],
  [Status.PAUSED]: [Command.RESUME, Command.STEP, Command.STOP],
});

/** The cubic's weights: y = a + b·x + c·x² + d·x³ (an engine's `param_names` may name others). */
export const PARAM_NAMES = Object.freeze(["a", "b", "c", "d"]);

/** The model of the lecture, for a run whose engine the page has not heard of yet. */
export const CUBIC_MODEL = "y = a + b x + c x² + d x³";

/**
 * The phase of each line of an engine's `code` (`GET /api/engines`). RECORD lines only copy numbers out for
 * the page: they are not part of the lecture's step.
 */
export const Phase = Object.freeze({
  FORWARD: "forward",
  LOSS: "loss",
  BACKWARD: "backward",
  UPDATE: "update",
  ZERO: "zero",
  RECORD: "record",
});

/** `RunConfig` fields the page lets a user set; the server fills in the rest. */
export const RunConfigField = Object.freeze({
  ENGINE: "engine",
  STEPS: "steps",
  LEARNING_RATE: "learning_rate",
  REDUCTION: "reduction",
  SEED: "seed",
  PACE: "pace",
  POINTS: "points",
  X_MIN: "x_min",
  X_MAX: "x_max",
  NOISE: "noise",
  DTYPE: "dtype",
  ZERO_GRAD: "zero_grad",
  NO_GRAD: "no_grad", // only the engines whose update a run may take out of torch.no_grad() (hidden otherwise)
  DEGREE: "degree", // only the linear engines: their features [1, x, ...] up to this power (hidden otherwise)
  FROZEN: "frozen", // only torch-autograd: the weights made with requires_grad=False (the form's unticked boxes)
  OPTIMIZER: "optimizer",
  TARGET: "target", // only on a server that offers it, and only for a one-input engine (hidden otherwise)
  LAYERS: "layers", // a JSON list, [16, "tanh"]; only the network engine reads it
});

/** The engine whose `optimizer` field means something; every other engine ignores it. */
export const OPTIMIZER_ENGINE = "torch-optim";

/**
 * The engine that trains a network (`layers`): its weights are tensors, so its params and grads are one L2 norm
 * per tensor ("0.weight", "0.bias", ...), not the cubic's a, b, c, d.
 */
export const NETWORK_ENGINE = "torch-mlp";

/**
 * The lecture's own slide network, Sequential(Linear(2, 3), Sigmoid(), Linear(3, 2)): two inputs, two
 * outputs, fixed layers (it reads no `layers`), its data drawn from the seed (it reads no `target`).
 */
export const LECTURE_NET = Object.freeze({
  name: "lecture-net",
  layers: Object.freeze([3, "sigmoid"]),
  inputs: 2,
  outputs: 2,
});

/** Engines whose weights are tensors, reported as one L2 norm per tensor. */
export const NETWORK_ENGINES = new Set([NETWORK_ENGINE, LECTURE_NET.name]);

/** A snapshot's `view.kind`: how to read its data, truth and curve. */
export const ViewKind = Object.freeze({
  FIT: "fit", // y against x
  OUTPUTS: "outputs", // each prediction (curve) against its target (curve_x): a perfect model lies on y = x
});

/** The view of a snapshot from a server that predates the field. */
export const FIT_VIEW = Object.freeze({ kind: ViewKind.FIT, x_label: "x", y_label: "y" });

/** The target of a run made before the server had a `target` field. */
export const DEFAULT_TARGET = "sin(x)";

/** How the server closes a viewer's socket (docs/protocol.md, "Close codes"; app/web/ws.py). */
export const CloseCode = Object.freeze({
  NORMAL: 1000, // after the final status
  UNSUPPORTED: 1003, // the page sent a binary message
  POLICY: 1008,
  TOO_BIG: 1009, // the page sent a message over 4096 bytes
  SERVER_ERROR: 1011, // the server failed while sending the run
  SHUTTING_DOWN: 1012,
  FOREIGN_ORIGIN: 4403, // the page is of another site
  UNKNOWN_RUN: 4404, // no run with this id
  BAD_SINCE: 4422, // `since` is not a whole number ≥ 0
});

/** A viewer's socket through its life: a snapshot makes it live, the final status ends it. */
export const Connection = Object.freeze({
  CONNECTING: "connecting",
  LIVE: "live",
  RECONNECTING: "reconnecting", // dropped before the final status: trying again
  ENDED: "ended", // the run ended and the server closed the socket: nothing more will come
  UNKNOWN_RUN: "unknown-run", // closed with CloseCode.UNKNOWN_RUN
  REFUSED: "refused", // the server will not serve this page (another site's, or it asked wrongly): no retry helps
  FAILED: "failed", // the server failed to send the run, again and again
});

/** The WebSocket path of a run; `since` is how many losses the viewer already holds. */
export function runSocketPath(runId, since) {
  return `/ws/runs/${encodeURIComponent(runId)}?since=${since}`;
}
