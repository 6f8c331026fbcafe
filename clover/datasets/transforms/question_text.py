"""Turn a question record into the texts fed to the text encoder."""
import string
from typing import Dict, List, Optional

from clover.registry import TRANSFORMS
from .base import BaseTransform


@TRANSFORMS.register_module()
class FormatQuestionText(BaseTransform):
    """Build ``results['text']`` from a question (and its candidates).

    The task is told by the keys present:

    - ``candidates`` present (multiple choice): one text per candidate,
      ``template`` filled with ``{question}`` (the question, ``""`` when the
      dataset has none), ``{options}`` (all candidates joined by a space)
      and ``{candidate}`` (this candidate). The K texts keep the candidates'
      order, so text k scores candidate k.
    - otherwise (open QA, fill-in-the-blank): ``[question]``, unchanged; a
      fill-in-the-blank question keeps its ``[MASK]``, which
      :class:`TokenizeText` turns into the single [MASK] token id (103 in
      the bert-base-uncased vocabulary).

    Templates: ``'{candidate}'`` (LSMDC-MC, MSRVTT-MC: the candidates are
    captions) or ``'{question} Options: {options} Answer: {candidate}'``
    (TGIF-Action and TGIF-Transition).

    Required keys: ``question`` (str); ``candidates`` (list[str]) for
    multiple choice. Added keys: ``text`` (list[str], 1 or K entries).

    Args:
        template (str, optional): Multiple-choice text template using only
            ``{question}``, ``{options}`` and ``{candidate}`` (the last
            required). None means ``'{candidate}'``. Ignored for open QA and
            fill-in-the-blank. Defaults to None.
    """

    placeholders = ('question', 'options', 'candidate')

    def __init__(self, template: Optional[str] = None) -> None:
        if template is None:
            template = '{candidate}'
        if not isinstance(template, str):
            raise TypeError(
                f'template must be a str, got {type(template).__name__}')
        fields = {
            field
            for _, field, _, _ in string.Formatter().parse(template)
            if field is not None
        }
        unknown = fields - set(self.placeholders)
        if unknown:
            raise ValueError(
                f'template {template!r} uses unknown placeholders '
                f'{sorted(unknown)}; allowed: {list(self.placeholders)}')
        if 'candidate' not in fields:
            # Without it every candidate gets the same text.
            raise ValueError(
                f'template {template!r} must contain {{candidate}}')
        self.template = template

    def transform(self, results: Dict) -> Dict:
        """Add ``text`` to ``results``.

        Args:
            results (dict): The item, with ``question`` and, for multiple
                choice, ``candidates``.

        Returns:
            dict: ``results`` with ``text`` (list[str]).
        """
        if 'question' not in results:
            source = results.get('question_id',
                                 results.get('video_path', 'this sample'))
            raise KeyError(
                f"FormatQuestionText: field 'question' is missing for "
                f'{source!r}')
        if 'candidates' in results:
            results['text'] = self._candidate_texts(results['question'],
                                                    results['candidates'])
        else:
            results['text'] = [results['question']]
        return results

    def _candidate_texts(self, question: str,
                         candidates: List[str]) -> List[str]:
        options = ' '.join(candidates)
        return [
            self.template.format(
                question=question, options=options, candidate=candidate)
            for candidate in candidates
        ]
