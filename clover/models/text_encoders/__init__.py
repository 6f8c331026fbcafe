from .bert import BertTextEncoder
from clover.utils.tokenizer import build_tokenizer

__all__ = ['BertTextEncoder', 'build_tokenizer']
