"""The trace of platform operations a run performed, for the load test (design.md)."""

from sim.trace.export import TraceError, build_trace, check_writable, write_trace
from sim.trace.schema import OPS, TRACE_SCHEMA
from sim.trace.summary import peak_per_second, summarize

__all__ = ["OPS", "TRACE_SCHEMA", "TraceError", "build_trace", "check_writable",
           "peak_per_second", "summarize", "write_trace"]
