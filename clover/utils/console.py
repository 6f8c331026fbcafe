"""A console a newcomer can read.

In the ``'quiet'`` console mode (Clover's default, ``console_mode`` in the
config) the terminal shows only what a person running a job wants to follow:
the lines Clover marks for the console (set-up steps, validation and test
metrics, where the results went), one progress bar per epoch, warnings that
matter and errors. Everything MMEngine logs (the environment, the config,
the hook order, one line per logged iteration, the optimizer's line per
parameter) still goes to the log file in the work dir, and so do Python
warnings and known third-party noise. ``'verbose'`` keeps MMEngine's console
as it is.
"""
import logging
import re
from typing import Optional

from mmengine.logging import MMLogger
from rich.console import Console

CONSOLE_MODES = ('quiet', 'verbose')

# Warnings of other libraries that say nothing a user can act on; they stay
# in the log file.
THIRD_PARTY_NOISE = tuple(
    re.compile(pattern) for pattern in (
        # mmengine's optimizer constructor, once per frozen parameter.
        r'is skipped since its requires_grad=False',
        # mmengine, about its own deprecations and aliases.
        r'will be deprecated',
        r'is the alias of',
        r'Failed to search registry with scope',
    ))

_CONSOLE = None


def rich_console() -> Console:
    """The process's rich console; progress bars and console lines share it
    so that a line printed during a bar appears above the bar."""
    global _CONSOLE
    if _CONSOLE is None:
        _CONSOLE = Console(highlight=False, soft_wrap=True)
    return _CONSOLE


def console_log(message: str,
                level: int = logging.INFO,
                logger: Optional[logging.Logger] = None) -> None:
    """Log ``message`` so that it also reaches a quiet console.

    Args:
        message (str): The line(s).
        level (int): Logging level. Defaults to INFO.
        logger (Logger, optional): Defaults to the current MMLogger.
    """
    logger = logger or MMLogger.get_current_instance()
    logger.log(level, message, extra={'console': True})


class QuietConsoleFilter(logging.Filter):
    """Passes lines marked for the console (``extra={'console': True}``),
    warnings other than :data:`THIRD_PARTY_NOISE`, and errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, 'console', False) or \
                record.levelno >= logging.ERROR:
            return True
        if record.levelno < logging.WARNING:
            return False
        message = record.getMessage()
        return not any(noise.search(message) for noise in THIRD_PARTY_NOISE)


class RichConsoleHandler(logging.Handler):
    """Writes records through :func:`rich_console`: plain text for
    information, the level name before warnings and errors."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.levelno >= logging.WARNING:
                style = 'red' if record.levelno >= logging.ERROR else 'yellow'
                rich_console().print(
                    f'{record.levelname}: {message}', style=style,
                    markup=False)
            else:
                rich_console().print(message, markup=False)
        except Exception:  # noqa: BLE001  (logging must never raise)
            self.handleError(record)


def make_console_quiet(logger: MMLogger) -> None:
    """Switch ``logger``'s terminal output to the quiet console.

    The stream handler MMEngine installs is replaced by a
    :class:`RichConsoleHandler` behind a :class:`QuietConsoleFilter` (on
    ranks other than 0 it keeps MMEngine's level, errors only), Python
    warnings are captured into the log file instead of the terminal, and
    transformers' weight-loading progress bars are turned off.

    Args:
        logger (MMLogger): The runner's logger.
    """
    file_handlers = [
        h for h in logger.handlers if isinstance(h, logging.FileHandler)
    ]
    for handler in list(logger.handlers):
        if isinstance(handler, logging.StreamHandler) and \
                handler not in file_handlers:
            quiet = RichConsoleHandler(level=handler.level)
            for existing in handler.filters:
                quiet.addFilter(existing)
            quiet.addFilter(QuietConsoleFilter())
            logger.removeHandler(handler)
            logger.addHandler(quiet)
    logging.captureWarnings(True)
    warnings_logger = logging.getLogger('py.warnings')
    warnings_logger.propagate = False
    for handler in list(warnings_logger.handlers):
        warnings_logger.removeHandler(handler)
    for handler in file_handlers:
        warnings_logger.addHandler(handler)
    if not file_handlers:
        warnings_logger.addHandler(logging.NullHandler())
    _disable_third_party_progress_bars()


def _disable_third_party_progress_bars() -> None:
    """transformers draws a bar each time it loads weights."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        return
    hf_logging.disable_progress_bar()
