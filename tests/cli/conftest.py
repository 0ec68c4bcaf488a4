"""The CLI run in-process (the fault suite's fixture: one `main()`, its exit status and both streams)."""

from ..fault.conftest import cli  # noqa: F401
