"""Text transforms: turning captions into BERT token ids."""
from typing import List, Union

from clover.registry import TOKENIZERS, TRANSFORMS
from clover.utils.tokenizer import build_tokenizer
from .base import BaseTransform


@TRANSFORMS.register_module()
class TokenizeText(BaseTransform):
    """Tokenize the captions of a sample with a BERT tokenizer.

    The tokenizer is built on first use, so each dataloader worker builds its
    own and the transform pickles without it.

    Required keys: ``text`` (list[str], K captions; a single str is taken as
    one caption). Optional keys, used in error messages: ``video_path``,
    ``video_id``.

    Added keys:

    - ``text_ids`` (np.ndarray): ``(K, L)`` int64 token ids, [CLS] first,
      [SEP] after the last kept word, then [PAD].
    - ``text_mask`` (np.ndarray): ``(K, L)`` int64, 1 for real tokens.

    Args:
        tokenizer (str or dict): A local HuggingFace tokenizer directory, or
            a ``TOKENIZERS`` config such as
            ``dict(type='BertTokenizerFast', path=...)``.
        max_length (int): L with ``padding='max_length'``, and the
            truncation length ([CLS] and [SEP] included). Defaults to 30
            (Clover's pre-training length).
        padding (str): ``'max_length'`` (every sample has L = max_length, so
            samples collate) or ``'longest'`` (L = longest of the K texts).
            Defaults to ``'max_length'``.
    """

    def __init__(self,
                 tokenizer: Union[str, dict],
                 max_length: int = 30,
                 padding: str = 'max_length') -> None:
        if not isinstance(tokenizer, (str, dict)):
            raise TypeError('TokenizeText: tokenizer must be a directory path '
                            f'or a config dict, got {type(tokenizer)}.')
        if not isinstance(max_length, int) or max_length < 2:
            raise ValueError(
                'TokenizeText: max_length must be an int >= 2 (room for '
                f'[CLS] and [SEP]), got {max_length!r}.')
        if padding not in ('max_length', 'longest'):
            raise ValueError("TokenizeText: padding must be 'max_length' or "
                             f"'longest', got {padding!r}.")
        self.tokenizer_cfg = tokenizer
        self.max_length = max_length
        self.padding = padding
        self._tokenizer = None

    @property
    def tokenizer(self):
        """The tokenizer, built on first access."""
        if self._tokenizer is None:
            if isinstance(self.tokenizer_cfg, str):
                self._tokenizer = build_tokenizer(self.tokenizer_cfg)
            else:
                self._tokenizer = TOKENIZERS.build(self.tokenizer_cfg)
        return self._tokenizer

    def __getstate__(self) -> dict:
        # Workers rebuild the tokenizer rather than receive a pickled one.
        state = self.__dict__.copy()
        state['_tokenizer'] = None
        return state

    def _texts(self, results: dict) -> List[str]:
        """Read and check ``results['text']``."""
        source = ', '.join(f'{key}={results[key]!r}'
                           for key in ('video_path', 'video_id')
                           if key in results) or 'this sample'
        if 'text' not in results:
            raise KeyError(f"TokenizeText: field 'text' is missing for "
                           f'{source}.')
        texts = results['text']
        if isinstance(texts, str):
            texts = [texts]
        if not isinstance(texts, (list, tuple)) or not texts:
            raise ValueError(f"TokenizeText: field 'text' of {source} must "
                             f'be a non-empty list of str, got {texts!r}.')
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"TokenizeText: field 'text'[{i}] of {source} "
                                f'is {type(text).__name__}, not str.')
            if not text.strip():
                raise ValueError(f"TokenizeText: field 'text'[{i}] of "
                                 f'{source} is empty or whitespace only.')
        return list(texts)

    def transform(self, results: dict) -> dict:
        """Add ``text_ids`` and ``text_mask`` to ``results``.

        Args:
            results (dict): The sample, with ``text``.

        Returns:
            dict: ``results`` with ``text_ids`` and ``text_mask``, both
            ``(K, L)`` int64.
        """
        encoded = self.tokenizer(
            self._texts(results),
            padding=self.padding,
            truncation=True,
            max_length=self.max_length,
            return_token_type_ids=False,
            return_tensors='np')
        results['text_ids'] = encoded['input_ids'].astype('int64')
        results['text_mask'] = encoded['attention_mask'].astype('int64')
        return results
