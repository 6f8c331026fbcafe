# A tiny open-ended video QA config for the inference tests: the towers of
# tiny_retrieval.py, a one-layer fusion encoder and a classifier over the
# demo QA vocabulary (tools/data/make_demo_qa.py writes the question files
# into $CLOVER_TINY_DATA/annotations).
_base_ = ['./tiny_retrieval.py']

data_root = '{{$CLOVER_TINY_DATA:data/tiny}}'
tokenizer_dir = '{{$CLOVER_TINY_TOKENIZER:data/pretrained/all-MiniLM-L6-v2}}'

qa_pipeline = [
    dict(type='VideoInit'),
    dict(type='SampleFrames', num_frames=4, test_mode=True),
    dict(type='VideoDecode'),
    dict(type='Resize', scale=(32, 32), keep_ratio=False),
    dict(type='FormatQuestionText'),
    dict(type='TokenizeText', tokenizer=tokenizer_dir, max_length=24),
    dict(
        type='PackVideoTextInputs',
        meta_keys=('video_id', 'video_path', 'video_index', 'question_id',
                   'answer', 'answer_label', 'question_type')),
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='VideoQADataset',
        ann_file=f'{data_root}/annotations/qa_train.json',
        data_prefix=dict(video=f'{data_root}/videos'),
        pipeline=qa_pipeline))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='VideoQADataset',
        ann_file=f'{data_root}/annotations/qa_val.json',
        data_prefix=dict(video=f'{data_root}/videos'),
        pipeline=qa_pipeline,
        test_mode=True))
test_dataloader = dict(
    dataset=dict(
        val_dataloader['dataset'],
        ann_file=f'{data_root}/annotations/qa_test.json'))
val_evaluator = dict(_delete_=True, type='VideoQAAccuracy')
test_evaluator = val_evaluator

model = dict(
    _delete_=True,
    type='CloverVideoQA',
    video_encoder={{_base_.model.video_encoder}},
    text_encoder={{_base_.model.text_encoder}},
    fusion=dict(
        type='FusionTransformer',
        video_channels=16,
        config=dict(
            vocab_size=8,
            hidden_size=16,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=32,
            hidden_dropout_prob=0.,
            attention_probs_dropout_prob=0.),
        num_layers=1,
        # 4 frames / temporal patch 2; 32 px / 4 / 2 = a 4 x 4 grid.
        num_temporal_slots=2,
        num_spatial_tokens=16),
    qa_head=dict(
        type='OpenEndedQAHead', in_channels=16, num_answers=30, dropout=0.))
train_cfg = dict(max_epochs=1)
