"""What several studies share: job packing (jobs.py), descent claims (descent.py), and, on the
runner side only, the execution context (context.py), data loading (data.py), pruning
(pruning.py) and the over-parameterization nets (overparam_nets.py)."""
