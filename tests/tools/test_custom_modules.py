"""A user module outside the package, registered through custom_imports."""
import os
import os.path as osp
import re
import subprocess
import sys
import textwrap

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

USER_MODULE = '''
import torch
import torch.nn as nn
import torch.nn.functional as F

from clover.registry import MODELS


@MODELS.register_module()
class UserHingeLoss(nn.Module):
    def __init__(self, margin=0.2):
        super().__init__()
        self.margin = margin

    def forward(self, video_emb, text_emb):
        sim = video_emb @ text_emb.t()
        off_diag = ~torch.eye(len(sim), dtype=torch.bool)
        hinge = F.relu(self.margin + sim - sim.diag()[:, None])[off_diag]
        return dict(loss_user_hinge=hinge.mean())
'''


@pytest.fixture
def user_project(tmp_path, tiny_config, tool_env):
    """A folder outside the package holding a user loss and a config that
    imports it; the environment puts the folder on PYTHONPATH."""
    (tmp_path / 'user_losses.py').write_text(USER_MODULE)
    env = dict(tool_env,
               PYTHONPATH=os.pathsep.join((str(tmp_path),
                                           tool_env['PYTHONPATH'])))
    return tmp_path, env


def write_config(project_dir, tiny_config, body):
    config = project_dir / 'user_config.py'
    config.write_text(f'_base_ = [{tiny_config!r}]\n' + textwrap.dedent(body))
    return str(config)


def test_user_loss_trains_through_custom_imports(user_project, tiny_config,
                                                 run_tool, run_log):
    project_dir, env = user_project
    config = write_config(project_dir, tiny_config, """
        custom_imports = dict(imports=['user_losses'],
                              allow_failed_imports=False)
        model = dict(retrieval_head=dict(
            loss=dict(type='UserHingeLoss', margin=0.3)))
        train_dataloader = dict(batch_size=8)
        train_cfg = dict(max_epochs=1)
    """)
    run_tool([
        sys.executable, 'tools/train.py', config, '--work-dir',
        str(project_dir / 'work')
    ], env)
    log = run_log(project_dir / 'work')
    # The user's loss is what the runner optimised, for 2 iterations.
    steps = re.findall(r'Epoch\(train\) \[1\]\[(\d)/2\].*loss_user_hinge',
                       log)
    assert steps == ['1', '2'], log[-3000:]
    assert 'loss_nce' not in log


def test_unknown_key_names_config_and_field(user_project, tiny_config):
    project_dir, env = user_project
    config = write_config(project_dir, tiny_config, """
        model = dict(video_encoder=dict(windw_size=(2, 4, 4)))
    """)
    proc = subprocess.run([
        sys.executable, 'tools/train.py', config, '--work-dir',
        str(project_dir / 'work')
    ], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert 'user_config.py' in proc.stderr
    assert 'windw_size' in proc.stderr
