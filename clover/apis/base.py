"""The part the Clover inferencers share: the model from ``init_model`` and
the config's test pipeline, split into its video and its text steps."""
import copy
from typing import Dict, List, Optional, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.infer import BaseInferencer

from .model import init_model, load_model_config

# Test-pipeline steps that read or write the texts; every other step but
# the final packing prepares the clip.
TEXT_STEPS = ('SampleCaptions', 'FormatQuestionText', 'TokenizeText',
              'SemanticTextMasking')
PACK_STEP = 'PackVideoTextInputs'

ModelSource = Union[str, Config, torch.nn.Module]


def test_pipeline_cfg(cfg: Config) -> List[dict]:
    """The test dataset's pipeline of ``cfg``, as a list of step configs."""
    try:
        return copy.deepcopy(list(cfg.test_dataloader.dataset.pipeline))
    except AttributeError as err:
        raise ValueError(
            f'{cfg.filename}: no test_dataloader.dataset.pipeline, which '
            'prepares the inputs for inference') from err


class CloverInferencer(BaseInferencer):
    """A :class:`~mmengine.infer.BaseInferencer` on a model built by
    :func:`~clover.apis.init_model`.

    Args:
        model (str, Config or nn.Module): A config file, an exported model
            folder, a :class:`Config`, or a model from ``init_model``.
        weights (str, optional): Checkpoint (``.pth`` / ``.safetensors``).
        device (str): Defaults to ``'cpu'``.
        show_progress (bool): Progress bar over the batches. Defaults to
            False.
    """

    def __init__(self,
                 model: ModelSource,
                 weights: Optional[str] = None,
                 device: str = 'cpu',
                 show_progress: bool = False) -> None:
        if isinstance(model, torch.nn.Module):
            self._given_model, cfg = model, model.cfg
        else:
            self._given_model = None
            self._source = model
            cfg = load_model_config(model)
        super().__init__(
            model=cfg,
            weights=weights,
            device=device,
            scope='clover',
            show_progress=show_progress)
        self.device = device
        steps = test_pipeline_cfg(self.cfg)
        self.video_steps = [s for s in steps if s['type'] not in TEXT_STEPS]
        self.video_pipeline = Compose(self.video_steps)
        self.text_pipeline = Compose(
            [s for s in steps if s['type'] in TEXT_STEPS + (PACK_STEP, )])

    def _init_model(self, cfg: Config, weights: Optional[str],
                    device: str = 'cpu') -> torch.nn.Module:
        if self._given_model is not None:
            return self._given_model.to(device).eval()
        return init_model(self._source, weights, device)

    def _init_pipeline(self, cfg: Config) -> Compose:
        return Compose(test_pipeline_cfg(cfg))

    def _init_collate(self, cfg: Config):
        return pseudo_collate

    def _init_visualizer(self, cfg: Config):
        # The results are plain dicts; drawing is the caller's (see
        # demo/retrieve.py).
        return None

    def visualize(self, inputs: list, preds: list, **kwargs) -> None:
        return None

    @torch.no_grad()
    def predict_samples(self, samples: List[Dict]) -> list:
        """``model.test_step`` on packed samples (outputs of a pipeline).

        Returns:
            list[VideoTextDataSample]: With the fields ``predict`` fills.
        """
        return self.model.test_step(pseudo_collate(samples))

    def pack_texts(self, texts: List[str], clip_shape: List[int],
                   **fields) -> Dict:
        """Pack ``texts`` (with ``fields``, e.g. ``question``) through the
        text steps, paired with a blank clip of ``clip_shape``: the dual
        encoder's text tower never sees the clip."""
        results = dict(
            captions=list(texts),
            imgs=np.zeros((1, 1, 1, 3), np.uint8),
            **fields)
        packed = self.text_pipeline(results)
        packed['inputs']['imgs'] = torch.zeros(clip_shape, dtype=torch.uint8)
        return packed
