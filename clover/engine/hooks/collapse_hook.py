"""Warn when a contrastive loss sits at its chance value (collapse)."""
import logging
import math
from typing import Optional

import torch
from mmengine.hooks import Hook

from clover.registry import HOOKS
from clover.utils.console import console_log


@HOOKS.register_module()
class ContrastiveCollapseHook(Hook):
    """Warn once when a contrastive loss stays at its chance value.

    An InfoNCE term over N candidates equals ``ln N`` exactly when every
    candidate scores the same, i.e. when the embeddings have collapsed (all
    videos, or all texts, map to one point). A learning run passes that
    value on its way down within a few iterations (it starts above it, from
    random embeddings); a collapsed one stays there. The hook watches
    ``loss_key`` in each training iteration's outputs and warns, naming the
    likely causes, once the loss has been within ``rel_tol`` of
    ``num_terms * ln N`` for ``patience`` consecutive iterations. N is read
    from ``candidates_key`` in the same outputs (the global batch that
    :class:`InfoNCELoss` logs). Without both keys the hook does nothing, so
    it is safe in every config.

    Args:
        loss_key (str): The logged loss. Defaults to 'loss_nce'.
        candidates_key (str): The logged number of candidates N. Defaults
            to 'nce_global_batch'.
        num_terms (int): Cross-entropy terms summed in the loss (2 for the
            symmetric InfoNCE: video-to-text plus text-to-video). Defaults
            to 2.
        patience (int): Consecutive iterations at chance before warning.
            Defaults to 30.
        rel_tol (float): Relative distance to the chance value that counts
            as "at chance"; with one side collapsed the other side's term
            can still wobble above ``ln N``. Defaults to 0.02.
    """

    priority = 'LOW'

    def __init__(self,
                 loss_key: str = 'loss_nce',
                 candidates_key: str = 'nce_global_batch',
                 num_terms: int = 2,
                 patience: int = 30,
                 rel_tol: float = 0.02) -> None:
        if patience < 1 or num_terms < 1 or not 0 < rel_tol < 1:
            raise ValueError(
                'ContrastiveCollapseHook: patience and num_terms must be >= 1 '
                f'and 0 < rel_tol < 1, got patience={patience}, '
                f'num_terms={num_terms}, rel_tol={rel_tol}')
        self.loss_key = loss_key
        self.candidates_key = candidates_key
        self.num_terms = num_terms
        self.patience = patience
        self.rel_tol = rel_tol
        self._streak = 0
        self._first_iter: Optional[int] = None
        self.warned = False

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        if self.warned or not outputs or self.loss_key not in outputs \
                or self.candidates_key not in outputs:
            return
        loss = _scalar(outputs[self.loss_key])
        candidates = _scalar(outputs[self.candidates_key])
        if candidates < 2:
            return
        chance = self.num_terms * math.log(candidates)
        if abs(loss - chance) > self.rel_tol * chance:
            self._streak = 0
            return
        if self._streak == 0:
            self._first_iter = runner.iter
        self._streak += 1
        if self._streak >= self.patience:
            self.warned = True
            console_log(self._message(runner, loss, candidates, chance),
                        logging.WARNING, runner.logger)

    def _message(self, runner, loss: float, candidates: float,
                 chance: float) -> str:
        lrs = runner.optim_wrapper.get_lr()
        lr = max(max(values) for values in lrs.values())
        model = getattr(runner.model, 'module', runner.model)  # DDP
        frozen = [
            name for name, module in model.named_children()
            if any(True for _ in module.parameters()) and not any(
                p.requires_grad for p in module.parameters())
        ]
        lines = [
            f'{self.loss_key} = {loss:.4f} has stayed at its chance value '
            f'{self.num_terms} ln {candidates:g} = {chance:.4f} for '
            f'{self._streak} iterations (since iteration '
            f'{self._first_iter + 1}): every candidate scores the same, the '
            'embeddings have collapsed. Likely causes:',
            f'- learning rate / warm-up: the peak lr (now {lr:.3g}) reached '
            'too fast can collapse encoders trained from scratch; warm up '
            'over more iterations or lower the lr;',
            '- temperature: a fixed softmax temperature far from the '
            "similarities' scale flattens the logits;",
            '- a frozen or collapsed encoder' +
            (f' (frozen here: {", ".join(frozen)})' if frozen else '') +
            ': check which parameters train and the grad_norm in the log;',
            '- too few distinct captions per batch: repeated captions are '
            'false negatives (check the batch size against the number of '
            'distinct captions).',
        ]
        return '\n'.join(lines)


def _scalar(value) -> float:
    """A logged value (a tensor that may still carry a graph) as a float."""
    return float(value.detach()) if torch.is_tensor(value) else float(value)
