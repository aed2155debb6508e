"""The same drift report by watchkeeper, Evidently and NannyML, and the one-pass floor.

Workload: 1 million reference and 1 million current rows, 20 numeric and 5 categorical
features (cardinalities 3 to 10,000, some missing values, some features drifted), in Parquet.
Each tool runs in a fresh subprocess: wall time includes imports and reading the files, peak
memory is the child's maximum resident set (``os.wait4``; the files are made and sized
in a child too, since a child's figure includes this process's own size when it started).
Median of 3 runs (1 with --quick).

* watchkeeper: ``watchkeeper drift --reference ... --current ... --json``.
* Evidently: ``Report([DataDriftPreset()])`` (its default tests per column).
* NannyML: ``UnivariateDriftCalculator`` with its defaults (Jensen-Shannon), and with
  KS + chi-square (its fastest methods), over one chunk.
* floor: read both files, histogram every numeric column on fixed edges, count categories on
  dictionary codes: one vectorised pass, nothing else.
* streamed window profile: the current file streamed 1 and 4 times through one profile builder;
  peak memory should not grow with the rows.

The chunked case (``--chunks 10``, the default: 10 chunks of 100,000 current rows against the
whole reference) runs the same tools per chunk: ``watchkeeper drift --chunk-size``, NannyML's
``chunk_size``, one Evidently report per chunk, and a floor that histograms each chunk. Peak
memory is also reported against the data's own size in memory (both tables in Arrow).

Peers pin their own NumPy/pandas, so they live in a venv of their own::

    python3.11 -m venv /work/bench-venv
    /work/bench-venv/bin/pip install evidently nannyml "pandas<3" pyarrow

and ``--peer-python /work/bench-venv/bin/python``. Without it the peers are reported as skipped.

    python benchmarks/monitor_vs_peers.py --quick
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

NUMERIC = [f"n{index:02d}" for index in range(20)]
CATEGORICAL = {"c_3": 3, "c_50": 50, "c_500": 500, "c_5000": 5000, "c_10000": 10_000}
DRIFTED = {"n00", "n01", "n02", "n03", "c_50"}
ROW_GROUP = 131_072
DEFAULT_PEER_PYTHON = Path("/work/bench-venv/bin/python")


def make_data(rows: int, seed: int, drifted: bool) -> pa.Table:
    """One side of the workload: numeric columns of varied shapes, categorical strings."""
    rng = np.random.default_rng(seed)
    columns: dict[str, pa.Array] = {}
    for index, name in enumerate(NUMERIC):
        shift = drifted and name in DRIFTED
        match index % 4:
            case 0:
                values = rng.normal(0.5 if shift else 0.0, 1.0, rows)
            case 1:
                values = rng.lognormal(3.0, 1.3 if shift else 1.0, rows)
            case 2:
                values = rng.exponential(2.0 if shift else 1.0, rows)
            case _:
                values = rng.integers(0, 1000, rows).astype(np.float64) + (100 if shift else 0)
        mask = rng.random(rows) < (0.02 if index % 5 == 0 else 0.0)
        columns[name] = pa.array(values, mask=mask)
    for name, cardinality in CATEGORICAL.items():
        weights = 1.0 / np.arange(1, cardinality + 1) ** 1.1
        if drifted and name in DRIFTED:
            weights = weights[::-1] + weights
        codes = rng.choice(cardinality, rows, p=weights / weights.sum())
        labels = pa.array([f"{name}_{code}" for code in range(cardinality)])
        mask = rng.random(rows) < 0.01
        columns[name] = pa.DictionaryArray.from_arrays(
            pa.array(codes.astype(np.int32), mask=mask), labels
        ).cast(pa.string())
    return pa.table(columns)


def ensure_data(folder: Path, rows: int) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    reference, current = folder / f"reference_{rows}.parquet", folder / f"current_{rows}.parquet"
    if not reference.exists():
        pq.write_table(make_data(rows, 1, drifted=False), reference, row_group_size=ROW_GROUP)
    if not current.exists():
        pq.write_table(make_data(rows, 2, drifted=True), current, row_group_size=ROW_GROUP)
    return reference, current


WATCHKEEPER = """
import sys
from watchkeeper.cli import main
chunking = ["--chunk-size", sys.argv[3]] if len(sys.argv) > 3 else []
sys.exit(main(["drift", "--reference", sys.argv[1], "--current", sys.argv[2], "--json", *chunking]))
"""

FLOOR = """
import sys, numpy as np, pyarrow as pa, pyarrow.parquet as pq
def histogram(values, edges):
    below = [np.count_nonzero(values < edge) for edge in edges]
    return np.diff([0, *below, np.count_nonzero(~np.isnan(values))])
def categories(column):
    counts = {}
    for chunk in column.chunks:
        tally = np.bincount(chunk.indices.fill_null(len(chunk.dictionary)).to_numpy(), minlength=len(chunk.dictionary) + 1)
        for label, count in zip(chunk.dictionary.to_pylist(), tally.tolist()):
            counts[label] = counts.get(label, 0) + count
    return counts
tables = []
for path in sys.argv[1:3]:
    schema = pq.read_schema(path)
    text = [field.name for field in schema if pa.types.is_string(field.type)]
    tables.append(pq.read_table(path, read_dictionary=text))
edges = {}
for name in tables[0].column_names:
    if name.startswith("n"):
        values = tables[0].column(name).to_numpy()
        edges[name] = np.nanquantile(values[:: max(1, len(values) // 10000)], np.linspace(0, 1, 11)[1:-1])
chunk_rows = int(sys.argv[3]) if len(sys.argv) > 3 else None
for side, table in enumerate(tables):
    # the current side is cut into chunks when asked; the reference is always whole
    pieces = [table] if side == 0 or chunk_rows is None else [
        table.slice(offset, chunk_rows) for offset in range(0, table.num_rows, chunk_rows)
    ]
    for piece in pieces:
        for name in piece.column_names:
            if name in edges:
                histogram(piece.column(name).to_numpy(), edges[name])
            else:
                categories(piece.column(name))
"""

EVIDENTLY = """
import sys, pyarrow.parquet as pq
from evidently import DataDefinition, Dataset, Report
from evidently.presets import DataDriftPreset
reference, current = (pq.read_table(path).to_pandas() for path in sys.argv[1:3])
categorical = [name for name in reference.columns if name.startswith("c_")]
definition = DataDefinition(
    numerical_columns=[name for name in reference.columns if name not in categorical],
    categorical_columns=categorical,
)
chunk_rows = int(sys.argv[3]) if len(sys.argv) > 3 else len(current)
reference_set = Dataset.from_pandas(reference, data_definition=definition)
for offset in range(0, len(current), chunk_rows):
    chunk = current.iloc[offset : offset + chunk_rows]
    snapshot = Report([DataDriftPreset()]).run(
        Dataset.from_pandas(chunk, data_definition=definition), reference_set
    )
    snapshot.dict()
"""

NANNYML = """
import sys, pyarrow.parquet as pq, nannyml
reference, current = (pq.read_table(path).to_pandas() for path in sys.argv[1:3])
categorical = [name for name in reference.columns if name.startswith("c_")]
methods = {"default": {}, "fast": {"continuous_methods": ["kolmogorov_smirnov"], "categorical_methods": ["chi2"]}}[sys.argv[3]]
chunking = {"chunk_size": int(sys.argv[4])} if len(sys.argv) > 4 else {"chunk_number": 1}
calculator = nannyml.UnivariateDriftCalculator(
    column_names=list(reference.columns), treat_as_categorical=categorical, **chunking, **methods
)
calculator.fit(reference)
calculator.calculate(current).to_df()
"""

STREAMED = """
import sys, pyarrow.parquet as pq
from watchkeeper.monitoring.comparison.dataset_files import iter_batches, open_dataset, read_table
from watchkeeper.monitoring.profiles.column_kinds import infer_column_kinds
from watchkeeper.monitoring.profiles.profile_builder import ProfileBuilder, build_reference_profile
reference = open_dataset(__import__("pathlib").Path(sys.argv[1]))
# the plan comes from a reference sample: this run measures the window profile alone
sample = __import__("pyarrow").Table.from_batches([next(iter_batches(reference, reference.schema.names, 100_000))])
kinds = infer_column_kinds(sample).kinds
plan = build_reference_profile(sample, kinds).plan()
current = open_dataset(__import__("pathlib").Path(sys.argv[2]))
builder = ProfileBuilder(plan)
for _ in range(int(sys.argv[3])):
    for batch in iter_batches(current, list(kinds)):
        builder.update(batch)
assert builder.profile().rows == int(sys.argv[3]) * current.rows
"""


@dataclass
class Measurement:
    name: str
    walls: list[float]
    peaks_mb: list[float]
    skipped: str | None = None

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def peak_mb(self) -> float:
        return statistics.median(self.peaks_mb)


def run_child(python: str, code: str, arguments: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident megabytes of one fresh process."""
    environment = dict(os.environ)
    start = time.perf_counter()
    process = subprocess.Popen(
        [python, "-c", code, *arguments],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=environment,
    )
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(errors.decode(errors="replace")[-2000:])
    return wall, usage.ru_maxrss / 1024


def measure(name: str, python: str, code: str, arguments: list[str], repeats: int) -> Measurement:
    result = Measurement(name, [], [])
    for attempt in range(repeats):
        try:
            wall, peak = run_child(python, code, arguments)
        except RuntimeError as error:
            result.skipped = f"failed: {str(error).strip().splitlines()[-1][:120]}"
            return result
        result.walls.append(wall)
        result.peaks_mb.append(peak)
        print(f"  {name} run {attempt + 1}: {wall:.2f} s, {peak:.0f} MB", file=sys.stderr)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one run per tool instead of three")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per side")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument(
        "--data", type=Path, default=Path(tempfile.gettempdir()) / "wk-monitor-bench"
    )
    parser.add_argument(
        "--peer-python",
        default=str(DEFAULT_PEER_PYTHON) if DEFAULT_PEER_PYTHON.exists() else None,
        help="python of a venv with evidently and nannyml (see the module docstring)",
    )
    parser.add_argument("--skip-evidently", action="store_true", help="Evidently takes minutes")
    parser.add_argument("--no-peers", action="store_true", help="watchkeeper and the floor only")
    parser.add_argument(
        "--chunks", type=int, default=10, help="chunks of the current file (0: whole only)"
    )
    parser.add_argument("--only", choices=["whole", "chunked"], help="run one case only")
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.no_peers:
        arguments.peer_python = None
    repeats = arguments.repeats or (1 if arguments.quick else 3)

    if arguments.prepare:
        reference, current = ensure_data(arguments.data, arguments.rows)
        print(f"{reference}\n{current}\n{data_megabytes(reference, current)}")
        return
    started = time.perf_counter()
    reference, current, data_mb = prepare(arguments.data, arguments.rows)
    print(
        f"data ready in {time.perf_counter() - started:.1f} s: {reference}, {current}",
        file=sys.stderr,
    )
    files = [str(reference), str(current)]
    chunk_rows = arguments.rows // arguments.chunks if arguments.chunks else None
    cases = [("whole", None)] if arguments.only != "chunked" else []
    if chunk_rows and arguments.only != "whole":
        cases.append((f"{arguments.chunks} chunks of {chunk_rows:,}", chunk_rows))
    for case, rows_per_chunk in cases:
        print(f"case: {case}", file=sys.stderr)
        results = measure_case(arguments, files, rows_per_chunk, repeats)
        report(results, arguments.rows, repeats, case, data_mb)


def prepare(folder: Path, rows: int) -> tuple[Path, Path, float]:
    """The two files (written if missing) and their size in memory, found by a child process.

    A child's peak resident set as ``wait4`` reports it is at least the parent's resident set
    when the child was started (Linux carries it over the ``exec``): this process must stay
    small, so the tables are generated and measured elsewhere, never held here.
    """
    output = subprocess.run(
        [sys.executable, __file__, "--prepare", "--data", str(folder), "--rows", str(rows)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\n")
    return Path(output[0]), Path(output[1]), float(output[2])


def data_megabytes(*paths: Path) -> float:
    """Both tables' size in memory, as Arrow holds them (the 'data' of the memory target)."""
    return sum(pq.read_table(path).nbytes for path in paths) / 1e6


def measure_case(
    arguments: argparse.Namespace, files: list[str], chunk_rows: int | None, repeats: int
) -> list[Measurement]:
    """Every tool on one case: the whole current file, or the current file in chunks."""
    ours = sys.executable
    chunking = [str(chunk_rows)] if chunk_rows else []
    results = [
        measure("watchkeeper drift", ours, WATCHKEEPER, [*files, *chunking], repeats),
        measure("floor: read + histogram + counts", ours, FLOOR, [*files, *chunking], repeats),
    ]
    if chunk_rows is None:
        for times in (1, 4):
            name = f"watchkeeper window profile, streamed {times}x"
            results.append(measure(name, ours, STREAMED, [*files, str(times)], repeats))
    peers = [
        ("NannyML univariate (KS + chi2)", NANNYML, [*files, "fast", *chunking]),
        ("NannyML univariate (default, JS)", NANNYML, [*files, "default", *chunking]),
        ("Evidently DataDriftPreset", EVIDENTLY, [*files, *chunking]),
    ]
    for name, code, child_arguments in peers:
        if arguments.peer_python is None:
            results.append(Measurement(name, [], [], skipped="no --peer-python"))
        elif name.startswith("Evidently") and arguments.skip_evidently:
            results.append(Measurement(name, [], [], skipped="--skip-evidently"))
        else:
            results.append(measure(name, arguments.peer_python, code, child_arguments, repeats))
    return results


def report(results: list[Measurement], rows: int, repeats: int, case: str, data_mb: float) -> None:
    by_name = {result.name: result for result in results}
    ours = by_name["watchkeeper drift"]
    floor = by_name["floor: read + histogram + counts"]
    print(
        f"\n{case}: {rows:,} reference + {rows:,} current rows, 20 numeric + 5 categorical; "
        f"median of {repeats}, fresh process each (imports and Parquet reading included)\n"
    )
    print(f"{'tool':<42} {'wall s':>8} {'peak MB':>8} {'vs watchkeeper':>15}")
    for result in results:
        if result.skipped:
            print(f"{result.name:<42} {'skipped':>8} {'':>8}  {result.skipped}")
            continue
        ratio = result.wall / ours.wall if ours.walls else float("nan")
        print(f"{result.name:<42} {result.wall:>8.2f} {result.peak_mb:>8.0f} {ratio:>14.2f}x")
    peers = [r for r in results if not r.skipped and r.name.split()[0] in ("NannyML", "Evidently")]
    print()
    if ours.walls and floor.walls:
        print(f"watchkeeper / floor: {ours.wall / floor.wall:.2f}x (target: within 2.5x)")
        print(
            f"watchkeeper peak memory / data in memory ({data_mb:.0f} MB): "
            f"{ours.peak_mb / data_mb:.2f}x (target: at most 1.5x)"
        )
    for peer in peers:
        print(f"{peer.name} / watchkeeper: {peer.wall / ours.wall:.1f}x")
    one, four = (by_name.get(f"watchkeeper window profile, streamed {n}x") for n in (1, 4))
    if one and four and one.walls and four.walls:
        print(
            f"streamed profile peak memory, 1x vs 4x the rows: {one.peak_mb:.0f} MB vs "
            f"{four.peak_mb:.0f} MB"
        )


if __name__ == "__main__":
    main()
