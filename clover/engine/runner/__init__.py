from .clover_runner import CloverRunner, destroy_dist

__all__ = ['CloverRunner', 'destroy_dist']
