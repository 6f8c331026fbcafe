from .config import (add_common_args, build_runner, load_config,
                     parse_tool_args)

__all__ = ['add_common_args', 'build_runner', 'load_config', 'parse_tool_args']
