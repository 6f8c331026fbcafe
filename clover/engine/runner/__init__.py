from .clover_runner import CloverRunner, destroy_dist
from .multi_source_loop import MultiSourceTrainLoop, RoundRobinLoader

__all__ = [
    'CloverRunner', 'destroy_dist', 'MultiSourceTrainLoop', 'RoundRobinLoader'
]
