"""Ask a trained Clover QA model about a video: open-ended answers as
strings, or the best of given candidates."""
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine.dataset import pseudo_collate

from .base import CloverInferencer, ModelSource

QAInput = Dict[str, Union[str, Sequence[str]]]


class VideoQAInferencer(CloverInferencer):
    """Answer questions about videos with a fine-tuned Clover QA model.

    Two kinds of model are served:

    - **open-ended** (:class:`~clover.models.CloverVideoQA`): the model
      classifies into the answer vocabulary that the checkpoint carries in
      ``meta['dataset_meta']['answer_vocab']`` (written by training), so no
      annotation file is needed. With ``candidates``, the answer is the
      candidate the model scores highest (each must be in the vocabulary).
    - **multiple choice** (:class:`~clover.models.CloverMultipleChoice`,
      no answer vocabulary): ``candidates`` are required; each is fused
      with the video as the config's test pipeline formats it.

    Example::

        >>> qa = VideoQAInferencer(CONFIG, CKPT)
        >>> qa(dict(video='clip.mp4', question='what colour is it?'))
        [{'answer': 'red', 'score': 0.93, ...}]

    Args:
        model, weights, device, show_progress: See
            :class:`~clover.apis.base.CloverInferencer`.
    """

    preprocess_kwargs: set = set()
    postprocess_kwargs = {'topk'}

    def __init__(self,
                 model: ModelSource,
                 weights: Optional[str] = None,
                 device: str = 'cpu',
                 show_progress: bool = False) -> None:
        super().__init__(model, weights, device, show_progress)
        self.answer_vocab: Optional[List[str]] = self.model.dataset_meta.get(
            'answer_vocab')

    def _results(self, item: QAInput) -> Dict:
        """The pipeline input of one question, checked."""
        for field in ('video', 'question'):
            if not isinstance(item.get(field), str) or not item[field]:
                raise ValueError(f'VideoQAInferencer: each input needs '
                                 f"'{field}' (str), got {item!r:.100}")
        results = dict(video_path=item['video'], question=item['question'])
        candidates = item.get('candidates')
        if candidates is not None:
            candidates = [str(c) for c in candidates]
            if not candidates:
                raise ValueError('VideoQAInferencer: candidates is empty')
            if self.answer_vocab is None:
                results['candidates'] = candidates
            else:
                unknown = [c for c in candidates if c not in self.answer_vocab]
                if unknown:
                    raise ValueError(
                        f'candidates {unknown} are not in the answer '
                        f'vocabulary of this model ({len(self.answer_vocab)} '
                        f'answers, e.g. {self.answer_vocab[:5]})')
        elif self.answer_vocab is None:
            raise ValueError(
                'this model chooses among candidates (its checkpoint has no '
                "dataset_meta['answer_vocab']); give candidates")
        return dict(results, given_candidates=candidates)

    def preprocess(self, inputs: List[QAInput], batch_size: int = 1,
                   **kwargs):
        """Questions packed by the test pipeline, ``batch_size`` at once."""
        batch = []
        for item in inputs:
            results = self._results(item)
            candidates = results.pop('given_candidates')
            packed = self.pipeline(results)
            packed['data_samples'].set_metainfo(
                dict(
                    video_path=item['video'],
                    question=item['question'],
                    candidates=candidates))
            batch.append(packed)
            if len(batch) == batch_size:
                yield pseudo_collate(batch)
                batch = []
        if batch:
            yield pseudo_collate(batch)

    def _answer(self, sample, topk: int) -> Dict:
        scores = sample.pred_scores.float().cpu()
        candidates = sample.candidates
        if self.answer_vocab is None:
            names = candidates
        elif candidates is None:
            names = self.answer_vocab
        else:
            scores = scores[[self.answer_vocab.index(c) for c in candidates]]
            names = candidates
        order = torch.sort(scores, descending=True, stable=True).indices
        order = order[:topk]
        return dict(
            video=sample.video_path,
            question=sample.question,
            answer=names[int(order[0])],
            score=float(scores[order[0]]),
            answers=[names[i] for i in order],
            scores=scores[order].tolist())

    def postprocess(self,
                    preds: list,
                    visualization=None,
                    return_datasamples: bool = False,
                    topk: int = 5) -> List[Dict]:
        """Per question: ``video``, ``question``, ``answer`` (str),
        ``score`` (its softmax probability) and the ``topk`` best
        ``answers`` / ``scores``."""
        if return_datasamples:
            return preds
        return [self._answer(sample, topk) for sample in preds]

    def __call__(self,
                 inputs: Union[QAInput, Sequence[QAInput]],
                 batch_size: int = 8,
                 **kwargs) -> List[Dict]:
        """Answer one question (a dict with ``video``, ``question`` and
        optionally ``candidates``) or a list of them."""
        if isinstance(inputs, dict):
            inputs = [inputs]
        return super().__call__(list(inputs), batch_size=batch_size, **kwargs)

    def answer(self,
               video: str,
               question: str,
               candidates: Optional[Sequence[str]] = None,
               topk: int = 5) -> Dict:
        """The answer to one question about one video."""
        item = dict(video=video, question=question)
        if candidates is not None:
            item['candidates'] = list(candidates)
        return self(item, topk=topk)[0]
