"""The batch side on Apache Spark: the session factory and reading Delta event tables.

Nothing here imports PySpark at import time: the JVM start and the PySpark import are paid
only by the commands that choose ``compute.engine: spark`` (or ``--engine spark``). The Spark
feature engine itself lives with the other engines, in
:mod:`watchkeeper.features.spark_engine`.
"""

from __future__ import annotations
