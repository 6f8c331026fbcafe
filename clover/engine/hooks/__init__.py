from .console_hook import ConsoleProgressHook

__all__ = ['ConsoleProgressHook']
