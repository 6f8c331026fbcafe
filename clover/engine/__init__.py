from .checkpoint import allow_mmengine_checkpoint_globals
from .hooks import *  # noqa: F401,F403
from .runner import *  # noqa: F401,F403
from .strategies import CloverFSDPStrategy  # noqa: F401

# MMEngine's checkpoints hold a few non-tensor objects; allow exactly those so
# that resume and load_from work with torch.load's weights_only=True default.
allow_mmengine_checkpoint_globals()
