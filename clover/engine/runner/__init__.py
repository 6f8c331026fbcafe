from .clover_runner import CloverRunner, destroy_dist, init_cpu_process_group
from .flexible_runner import CloverFlexibleRunner
from .multi_source_loop import MultiSourceTrainLoop, RoundRobinLoader

__all__ = [
    'CloverRunner', 'CloverFlexibleRunner', 'destroy_dist',
    'init_cpu_process_group', 'MultiSourceTrainLoop', 'RoundRobinLoader'
]
