"""The monitor job: windows in event time, the version's context, the rows it writes, judgement."""
