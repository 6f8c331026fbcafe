"""What every Clover model is made of: the encoders, the optional fusion
encoder, the retrieval head and the data preprocessor."""
from abc import abstractmethod
from typing import Dict, List, Optional, Tuple, Union

import torch
from mmengine.model import BaseModel

from clover.registry import MODELS
from clover.structures import VideoTextDataSample
from ..necks.fusion_transformer import FusionOutput


class CloverBase(BaseModel):
    """Video and text encoders, an optional fusion encoder and an optional
    retrieval head, with one meaning per method name:

    - :meth:`extract_feat`: video feature maps ``(B, C, T', H', W')`` and
      text hidden states ``(N, L, D)``;
    - :meth:`embed_video` / :meth:`embed_text`: the L2-normalised retrieval
      embeddings ``(B, E)`` / ``(N, E)`` of the retrieval head;
    - :meth:`fuse`: the fusion encoder over each text and its clip.

    The task models add a head that owns the loss and the prediction.
    Module names are shared by every task (``video_encoder``,
    ``text_encoder``, ``fusion``, ``retrieval_head``), so a pre-training
    checkpoint loads into any fine-tuning model non-strictly. Checkpoints of
    the earlier flat layout (``video_head.*``, ``text_head.*``, ...) load
    through :attr:`legacy_prefixes`.

    **Multi-view clips**: ``imgs`` of shape ``(B, V, C, T, H, W)`` are
    encoded as ``B * V`` clips whose feature maps are averaged over the V
    views (TGIF-Action / Transition test: 4 temporal views of 8 frames).

    Args:
        video_encoder (dict): Video backbone config; output
            ``(B, C, T', H', W')``.
        text_encoder (dict): Text encoder config; output ``(N, L, D)``,
            pooled by its ``pool`` method.
        retrieval_head (dict, optional): A
            :class:`~clover.models.heads.RetrievalHead` config (``g_v``,
            ``g_t``). Defaults to None.
        fusion (dict, optional): Fusion encoder config
            (:class:`~clover.models.necks.FusionTransformer`).
            Defaults to None.
        freeze_text_encoder (bool): Freeze the whole text encoder (no
            gradients, dropout off). The official ``freeze_text_backbone``
            option was silently ignored; this one is honoured.
            Defaults to False.
        data_preprocessor (dict, optional): Defaults to
            ``VideoTextDataPreprocessor``.
        init_cfg (dict, optional): MMEngine init config.
    """

    # Key prefixes of the earlier flat checkpoints and where they live now.
    legacy_prefixes = {
        'video_head.': 'retrieval_head.video_proj.',
        'text_head.': 'retrieval_head.text_proj.',
    }

    def __init__(self,
                 video_encoder: dict,
                 text_encoder: dict,
                 retrieval_head: Optional[dict] = None,
                 fusion: Optional[dict] = None,
                 freeze_text_encoder: bool = False,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='VideoTextDataPreprocessor')
        if isinstance(data_preprocessor, dict):
            # Built here so that Clover's registry is used without relying on
            # the default scope being set.
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.video_encoder = MODELS.build(video_encoder)
        self.text_encoder = MODELS.build(text_encoder)
        self.retrieval_head = None if retrieval_head is None else \
            MODELS.build(retrieval_head)
        self.fusion = None if fusion is None else MODELS.build(fusion)
        self.freeze_text_encoder = freeze_text_encoder
        if freeze_text_encoder:
            self.text_encoder.requires_grad_(False)
            self.text_encoder.eval()
        self._register_load_state_dict_pre_hook(self._rename_legacy_keys)

    def _rename_legacy_keys(self, state_dict: dict, prefix: str, *args
                            ) -> None:
        """Move the keys of an earlier checkpoint layout to today's names
        (a ``load_state_dict`` pre-hook; MMEngine's loader runs it too)."""
        for key in list(state_dict):
            for old, new in self.legacy_prefixes.items():
                if key.startswith(prefix + old):
                    state_dict[prefix + new + key[len(prefix + old):]] = \
                        state_dict.pop(key)
                    break

    def train(self, mode: bool = True) -> 'CloverBase':
        """Set the training mode; a frozen text encoder stays in eval mode
        (no dropout)."""
        super().train(mode)
        if self.freeze_text_encoder:
            self.text_encoder.eval()
        return self

    def extract_video_feat(self, imgs: torch.Tensor) -> torch.Tensor:
        """Backbone feature maps, averaged over views for multi-view clips.

        Args:
            imgs (Tensor): ``(B, C, T, H, W)`` or ``(B, V, C, T, H, W)``.

        Returns:
            Tensor: ``(B, C', T', H', W')`` feature maps.
        """
        if imgs.dim() == 5:
            return self.video_encoder(imgs)
        if imgs.dim() != 6:
            raise ValueError(
                f'{type(self).__name__}: imgs must be (B, C, T, H, W) or '
                f'(B, V, C, T, H, W), got {tuple(imgs.shape)}.')
        num_clips, num_views = imgs.shape[:2]
        feat = self.video_encoder(imgs.flatten(0, 1))
        return feat.unflatten(0, (num_clips, num_views)).mean(dim=1)

    def extract_text_feat(self, text_ids: torch.Tensor,
                          text_mask: torch.Tensor) -> torch.Tensor:
        """Text encoder hidden states ``(N, L, D)`` (no graph when
        frozen)."""
        with torch.set_grad_enabled(torch.is_grad_enabled()
                                    and not self.freeze_text_encoder):
            return self.text_encoder(text_ids, text_mask)

    def extract_feat(self, inputs: Dict[str, torch.Tensor]
                     ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Video feature maps ``(B, C', T', H', W')`` and, when the inputs
        have texts, their hidden states ``(N, L, D)`` (else None)."""
        feat = self.extract_video_feat(inputs['imgs'])
        if 'text_ids' not in inputs:
            return feat, None
        return feat, self.extract_text_feat(inputs['text_ids'],
                                            inputs['text_mask'])

    def _retrieval_head(self):
        if self.retrieval_head is None:
            raise RuntimeError(
                f'{type(self).__name__} was built without a retrieval_head, '
                'so it has no retrieval embeddings.')
        return self.retrieval_head

    def embed_video(self, imgs: torch.Tensor) -> torch.Tensor:
        """L2-normalised retrieval embeddings ``(B, E)`` of clips
        ``(B, C, T, H, W)`` (or multi-view ``(B, V, C, T, H, W)``)."""
        return self._retrieval_head().embed_video(
            self.extract_video_feat(imgs))

    def embed_text(self, text_ids: torch.Tensor,
                   text_mask: torch.Tensor) -> torch.Tensor:
        """L2-normalised retrieval embeddings ``(N, E)`` of ``(N, L)``
        token ids and attention masks."""
        return self.embed_hidden(
            self.extract_text_feat(text_ids, text_mask), text_mask)

    def embed_hidden(self, hidden: torch.Tensor,
                     text_mask: torch.Tensor) -> torch.Tensor:
        """Retrieval embeddings ``(N, E)`` of text hidden states
        ``(N, L, D)``."""
        return self._retrieval_head().embed_text(
            self.text_encoder.pool(hidden, text_mask))

    def embed(self, inputs: Dict[str, torch.Tensor]
              ) -> Dict[str, torch.Tensor]:
        """Retrieval embeddings of a batch: ``video`` ``(B, E)`` and, when
        the inputs have texts, ``text`` ``(N, E)``."""
        out = dict(video=self.embed_video(inputs['imgs']))
        if 'text_ids' in inputs:
            out['text'] = self.embed_text(inputs['text_ids'],
                                          inputs['text_mask'])
        return out

    def fuse(self, feat: torch.Tensor, hidden: torch.Tensor,
             text_mask: torch.Tensor,
             text_to_video: torch.Tensor) -> FusionOutput:
        """Fuse every text with its clip's feature map.

        Each clip is encoded once; its feature map is indexed for each of
        its texts, so K texts of a clip share one video forward.

        Args:
            feat (Tensor): ``(B, C', T', H', W')`` feature maps.
            hidden (Tensor): ``(N, L, D)`` text hidden states.
            text_mask (Tensor): ``(N, L)`` 1 for real tokens.
            text_to_video (Tensor): ``(N,)`` clip of each text.
        """
        return self.fusion(feat[text_to_video], hidden, text_mask)

    def predict_embeddings(self, inputs: Dict[str, torch.Tensor],
                           feat: torch.Tensor, hidden: Optional[torch.Tensor],
                           data_samples: List[VideoTextDataSample]
                           ) -> List[VideoTextDataSample]:
        """Fill ``video_embedding`` ``(E,)`` and, with texts,
        ``text_embeddings`` ``(K, E)`` from already extracted features."""
        head = self._retrieval_head()
        video = head.embed_video(feat)
        text = None if hidden is None else \
            self.embed_hidden(hidden, inputs['text_mask'])
        return head.predict(video, text, inputs.get('text_to_video'),
                            data_samples)

    def predict_retrieval(self, inputs: Dict[str, torch.Tensor],
                          data_samples: List[VideoTextDataSample]
                          ) -> List[VideoTextDataSample]:
        """The dual encoder's prediction: ``video_embedding`` and, with
        texts, ``text_embeddings`` of each sample."""
        feat, hidden = self.extract_feat(inputs)
        return self.predict_embeddings(inputs, feat, hidden, data_samples)

    def check_one_text_per_clip(self, inputs: Dict[str, torch.Tensor],
                                hint: str) -> None:
        """Fail unless there are as many texts as clips. The preprocessor
        gives every clip its texts in order, so equal counts mean one text
        each; only shapes are read (no copy from the device)."""
        num_clips, num_texts = inputs['imgs'].shape[0], \
            inputs['text_ids'].shape[0]
        if num_texts != num_clips:
            raise ValueError(
                f'{type(self).__name__} needs exactly one text per clip, got '
                f'{num_texts} texts for {num_clips} clips; {hint}.')

    def forward(self,
                inputs: Dict[str, torch.Tensor],
                data_samples: Optional[List[VideoTextDataSample]] = None,
                mode: str = 'tensor'
                ) -> Union[Dict[str, torch.Tensor], List[VideoTextDataSample],
                           torch.Tensor]:
        """The MMEngine entry point.

        Args:
            inputs (dict): From
                :class:`~clover.models.data_preprocessors.
                VideoTextDataPreprocessor`: ``imgs`` ``(B, C, T, H, W)`` or
                ``(B, V, C, T, H, W)`` and, with texts, ``text_ids`` /
                ``text_mask`` ``(N, L)`` and ``text_to_video`` ``(N,)``.
            data_samples (list[VideoTextDataSample], optional): One per clip.
            mode (str): ``'loss'`` (a dict of losses), ``'predict'`` (the
                data samples with predictions) or ``'tensor'`` (the task's
                raw outputs).
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs)
        raise ValueError(f"Invalid mode {mode!r}: expected 'loss', "
                         "'predict' or 'tensor'")

    @abstractmethod
    def loss(self, inputs: Dict[str, torch.Tensor],
             data_samples: Optional[List[VideoTextDataSample]] = None
             ) -> Dict[str, torch.Tensor]:
        """The task's losses of one batch."""

    @abstractmethod
    def predict(self, inputs: Dict[str, torch.Tensor],
                data_samples: List[VideoTextDataSample]
                ) -> List[VideoTextDataSample]:
        """The data samples with the task's predictions set."""

    @abstractmethod
    def _forward(self, inputs: Dict[str, torch.Tensor]):
        """The task's raw outputs (``'tensor'`` mode)."""
