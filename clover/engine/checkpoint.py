"""Loading MMEngine checkpoints with ``torch.load(weights_only=True)``."""
import numpy as np
import torch
from mmengine.logging import HistoryBuffer


def _numpy_globals() -> list:
    """The numpy objects a pickled array or scalar refers to."""
    core = getattr(np, '_core', None) or np.core  # numpy 2 renamed np.core
    dtype_classes = [
        cls for cls in vars(np.dtypes).values()
        if isinstance(cls, type) and issubclass(cls, np.dtype)
    ]
    return [
        core.multiarray._reconstruct, core.multiarray.scalar, np.ndarray,
        np.dtype, *dtype_classes
    ]


_BUILTIN_STATISTICS = ('min', 'max', 'current', 'mean')


def _history_buffer_state(buffer: HistoryBuffer) -> dict:
    """``HistoryBuffer.__getstate__`` without the built-in statistics.

    MMEngine pickles the buffer's table of statistics methods, whose
    built-in entries are unbound methods (pickled through ``getattr``, which
    ``weights_only`` rightly refuses). ``__setstate__`` re-registers the
    built-ins anyway, so only user-registered methods need storing.
    """
    state = {k: v for k, v in vars(buffer).items() if k != 'statistics_methods'}
    custom = {
        name: method
        for name, method in buffer._statistics_methods.items()
        if name not in _BUILTIN_STATISTICS
    }
    if custom:
        state['statistics_methods'] = custom
    return state


def allow_mmengine_checkpoint_globals() -> None:
    """Allow-list the non-tensor types that MMEngine puts in checkpoints.

    Since torch 2.6, ``torch.load`` only unpickles tensors, containers and
    allow-listed types. MMEngine's ``message_hub`` state holds
    :class:`HistoryBuffer` objects of numpy arrays and scalars, so resuming
    or ``load_from`` fails. Allowing exactly these types keeps the security
    check on (instead of setting ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD``).
    Checkpoints saved with Clover imported do not pickle the buffers'
    built-in statistics methods (see :func:`_history_buffer_state`); those
    saved by plain MMEngine still need ``weights_only=False``, which only a
    trusted file should get.
    """
    HistoryBuffer.__getstate__ = _history_buffer_state
    if hasattr(torch.serialization, 'add_safe_globals'):
        torch.serialization.add_safe_globals(
            [HistoryBuffer, *_numpy_globals()])
