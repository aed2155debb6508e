"""The ``compute:`` section: which engine runs the batch side, Polars (embedded) or Spark.

Polars is the default and needs nothing; Spark is for histories one machine cannot hold and
needs the optional extra (``pip install 'watchkeeper[spark]'``) and a Java runtime. ``master``
is any Spark master URL (``local[*]``, ``spark://host:7077``, ``yarn``); ``conf`` is passed to
the session builder as it is.

>>> config = ComputeConfig.model_validate(
...     {"engine": "spark", "spark": {"master": "local[2]", "conf": {"spark.executor.memory": "4g"}}})
>>> config.engine, config.spark.master, config.spark.conf["spark.executor.memory"]
('spark', 'local[2]', '4g')
>>> ComputeConfig().engine
'polars'
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from watchkeeper.config.base import Section

ComputeEngine = Literal["polars", "spark"]
"""The batch engine: ``polars`` on this machine, or ``spark`` on a cluster (or local Spark)."""


class SparkConfig(Section):
    """How to reach Spark: the master URL and extra session configuration."""

    master: str = "local[*]"
    app_name: str = "watchkeeper"
    conf: dict[str, str] = Field(default_factory=dict)

    @field_validator("master")
    @classmethod
    def _master_is_given(cls, master: str) -> str:
        if not master.strip():
            raise ValueError('compute.spark.master: give a Spark master URL, e.g. "local[*]"')
        return master

    @field_validator("conf", mode="before")
    @classmethod
    def _conf_as_text(cls, conf: object) -> object:
        """Spark settings are strings; YAML numbers and booleans are written as Spark reads them."""
        if isinstance(conf, dict):
            return {
                str(key): str(value).lower() if isinstance(value, bool) else str(value)
                for key, value in conf.items()
            }
        return conf


class ComputeConfig(Section):
    """The engine of the batch side and, for Spark, how to reach it."""

    engine: ComputeEngine = "polars"
    spark: SparkConfig = Field(default_factory=SparkConfig)


__all__ = ["ComputeConfig", "ComputeEngine", "SparkConfig"]
