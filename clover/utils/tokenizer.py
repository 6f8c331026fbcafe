"""Building BERT tokenizers from local HuggingFace directories."""
import os.path as osp

from transformers import BertTokenizerFast

from clover.registry import TOKENIZERS

# Any one of these files defines a BERT WordPiece vocabulary.
VOCAB_FILES = ('vocab.txt', 'tokenizer.json')


@TOKENIZERS.register_module(name='BertTokenizerFast')
def build_tokenizer(path: str) -> BertTokenizerFast:
    """Load the BERT tokenizer of a local HuggingFace directory.

    ``from_pretrained`` is used on purpose: with transformers 5.x,
    ``BertTokenizer(vocab_file=...)`` was seen to map every word to [UNK].
    Lower-casing follows the directory's ``tokenizer_config.json``.

    Args:
        path (str): Directory holding ``vocab.txt`` or ``tokenizer.json``.

    Returns:
        BertTokenizerFast: The tokenizer. Never queries the hub.

    Raises:
        FileNotFoundError: If the directory or its vocabulary is missing.
        ValueError: If [CLS], [SEP] or [PAD] is not in the vocabulary.
    """
    path = str(path)
    if not osp.isdir(path):
        raise FileNotFoundError(
            f'Tokenizer directory {path!r} does not exist (it must be a local '
            'HuggingFace directory; the hub is never queried).')
    if not any(osp.isfile(osp.join(path, name)) for name in VOCAB_FILES):
        raise FileNotFoundError(
            f'Tokenizer directory {path!r} has no vocabulary (expected '
            f'{" or ".join(VOCAB_FILES)}).')
    tokenizer = BertTokenizerFast.from_pretrained(path, local_files_only=True)
    # HF appends special tokens absent from the vocabulary as extra ids,
    # which a BERT embedding table does not hold.
    special_ids = (tokenizer.cls_token_id, tokenizer.sep_token_id,
                   tokenizer.pad_token_id)
    if any(i is None or i >= tokenizer.vocab_size
           or i == tokenizer.unk_token_id for i in special_ids):
        raise ValueError(
            f'Tokenizer of {path!r}: [CLS]/[SEP]/[PAD] (ids {special_ids}) '
            f'are not in its vocabulary of {tokenizer.vocab_size} tokens.')
    return tokenizer
