# A tiny retrieval config for the CLI tests: tiny widths, no dropout and no
# random augmentation (so that resumed runs are bit-identical), data from
# $CLOVER_TINY_DATA (a corpus written by tools/data/make_demo_dataset.py).
_base_ = ['../../../configs/_base_/default_runtime.py']

data_root = '{{$CLOVER_TINY_DATA:data/tiny}}'
tokenizer_dir = '{{$CLOVER_TINY_TOKENIZER:data/pretrained/all-MiniLM-L6-v2}}'

pipeline = [
    dict(type='VideoInit'),
    dict(type='SampleFrames', num_frames=4, test_mode=True),
    dict(type='VideoDecode'),
    dict(type='Resize', scale=(32, 32), keep_ratio=False),
    dict(type='SampleCaptions', num_captions=1),
    dict(type='TokenizeText', tokenizer=tokenizer_dir, max_length=16),
    dict(type='PackVideoTextInputs'),
]
test_pipeline = [
    *pipeline[:4],
    dict(type='SampleCaptions', num_captions=None),
    *pipeline[5:],
]


def loader(split, shuffle, steps):
    return dict(
        batch_size=4,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=shuffle),
        collate_fn=dict(type='pseudo_collate'),
        dataset=dict(
            type='VideoTextRetrievalDataset',
            ann_file=f'{data_root}/annotations/{split}.json',
            data_prefix=dict(video=f'{data_root}/videos'),
            pipeline=steps,
            test_mode=not shuffle))


train_dataloader = loader('train', True, pipeline)
val_dataloader = loader('val', False, test_pipeline)
test_dataloader = loader('test', False, test_pipeline)
val_evaluator = dict(type='RetrievalMetric')
test_evaluator = val_evaluator

model = dict(
    type='CloverRetrieval',
    video_encoder=dict(
        type='SwinTransformer3D',
        arch=dict(embed_dims=8, depths=[1, 1], num_heads=[1, 2]),
        window_size=(2, 4, 4),
        drop_path_rate=0.),
    text_encoder=dict(
        type='BertTextEncoder',
        config=dict(
            vocab_size=30522,
            hidden_size=16,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=32,
            hidden_dropout_prob=0.,
            attention_probs_dropout_prob=0.),
        pooling='mean'),
    retrieval_head=dict(
        type='RetrievalHead',
        video_proj=dict(
            type='ProjectionHead', in_channels=16, hidden_channels=16,
            out_channels=8),
        text_proj=dict(
            type='ProjectionHead', in_channels=16, hidden_channels=16,
            out_channels=8, norm=False)))

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=2, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-3))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=2, by_epoch=True,
         convert_to_iter_based=True)
]
default_hooks = dict(logger=dict(interval=1))
