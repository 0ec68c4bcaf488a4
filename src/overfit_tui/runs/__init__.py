"""Run lifecycle: launching groups, the scheduler and worker processes, liveness, cancellation."""
