"""Writing simulated traffic to Parquet files.

>>> import tempfile
>>> from watchkeeper.simulate.config import SimulationConfig
>>> from watchkeeper.simulate.generator import simulate
>>> traffic = simulate(SimulationConfig(days=1, per_day=100))
>>> with tempfile.TemporaryDirectory() as folder:
...     paths = write_parquet(traffic, Path(folder) / "traffic")
...     [path.name for path in paths]
['transactions.parquet', 'chargebacks.parquet']
"""

from __future__ import annotations

from pathlib import Path

from watchkeeper.simulate.traffic import SimulatedTraffic

TRANSACTIONS_FILE = "transactions.parquet"
CHARGEBACKS_FILE = "chargebacks.parquet"


def write_parquet(traffic: SimulatedTraffic, out_dir: Path | str) -> tuple[Path, Path]:
    """Write ``transactions.parquet`` and ``chargebacks.parquet`` into ``out_dir``.

    The folder is created if needed; existing files of the same names are replaced. Returns
    the paths of the transactions file and of the chargebacks file.
    """
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    transactions_path = folder / TRANSACTIONS_FILE
    chargebacks_path = folder / CHARGEBACKS_FILE
    traffic.transactions.write_parquet(transactions_path, compression="zstd")
    traffic.chargebacks.write_parquet(chargebacks_path, compression="zstd")
    return transactions_path, chargebacks_path


__all__ = ["CHARGEBACKS_FILE", "TRANSACTIONS_FILE", "write_parquet"]
