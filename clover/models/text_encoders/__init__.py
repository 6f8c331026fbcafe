from .bert import BertTextEncoder
from .tokenizer import build_tokenizer

__all__ = ['BertTextEncoder', 'build_tokenizer']
