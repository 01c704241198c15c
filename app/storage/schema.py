"""The tables, in SQLAlchemy Core so one schema serves SQLite and PostgreSQL alike."""

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

# Steps are stored in chunks of this many rows, aligned on multiples of it: a run of a million steps is a
# thousand rows of blobs, not a million rows of numbers.
CHUNK_STEPS = 1024

metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("engine", String(32), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("message", Text),
    Column("control_hash", String(64)),  # sha256 of the run's control token: who may steer or delete it
    Column("config", JSON, nullable=False),
    Column("param_names", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("started_at", DateTime(timezone=True)),
    Column("ended_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),  # the last write: when a killed run stopped
    Column("steps_done", Integer, nullable=False, default=0),
    # The last step recorded: its loss and gradient, and the weights after its update (which no chunk holds).
    Column("last_loss", Float),
    Column("last_grads", JSON),
    Column("last_params", JSON),
    Column("curve", LargeBinary),  # the latest prediction curve, little-endian float64
    # The class the run was started in and the student who started it (null outside a class). No foreign key:
    # a database made before classes gains these columns at start-up, and SQLite cannot add one to a table.
    Column("class_code", String(16)),
    Column("student", String(32)),
    Index("ix_runs_class_code", "class_code"),
)

# A class: students join it by its code and start their own runs in it. `settings` is the partial RunConfig the
# class starts every run from, `free` the fields students may change (null: all of them).
classes = Table(
    "classes",
    metadata,
    Column("code", String(16), primary_key=True),
    Column("title", Text),
    Column("settings", JSON, nullable=False),
    Column("free", JSON),
    Column("control_hash", String(64)),  # sha256 of the class's control token: who steers the class view
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# The students who joined a class: their display name and the hash of the token their runs are started with.
class_students = Table(
    "class_students",
    metadata,
    Column("class_code", String(16), ForeignKey("classes.code", ondelete="CASCADE"), primary_key=True),
    Column("id", String(32), primary_key=True),
    Column("name", Text),
    Column("token_hash", String(64), nullable=False),
    Column("joined_at", DateTime(timezone=True), nullable=False),
)

# Row i of a chunk is step start + i. loss is `count` float64s; params and grads `count` rows of one float64
# per parameter, row-major, little-endian: compact, and read back with one np.frombuffer each.
chunks = Table(
    "chunks",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("start", Integer, primary_key=True),
    Column("count", Integer, nullable=False),
    Column("loss", LargeBinary, nullable=False),
    Column("params", LargeBinary, nullable=False),
    Column("grads", LargeBinary, nullable=False),
)

# The autograd graph of the latest captured step: its shape (sent once) and its values, as the protocol has them.
graphs = Table(
    "graphs",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("signature", String(64), nullable=False),
    Column("shape", JSON, nullable=False),
    Column("values", JSON),
)

# The autograd graph of the steps that had frames, thinned evenly to the server's max_stored_frames per run: the
# capture's number `seq` (thinning keeps the multiples of a stride that doubles), the shape's signature, and the
# GraphValues as zlib-compressed JSON (app/storage/frames.py).
graph_frames = Table(
    "graph_frames",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("step", Integer, primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("signature", String(64), nullable=False),
    Column("data", LargeBinary, nullable=False),
)

# Every shape a run's graph had, by signature: the dynamic net's stored frames are drawn with the shape of their step.
graph_shapes = Table(
    "graph_shapes",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("signature", String(64), primary_key=True),
    Column("shape", JSON, nullable=False),
)
