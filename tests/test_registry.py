import importlib

from mmengine.registry import Registry

import clover.registry as registries


def all_registries():
    return {
        name: value
        for name, value in vars(registries).items()
        if isinstance(value, Registry) and value.scope == 'clover'
    }


def test_every_location_imports_and_parents_are_mmengine():
    regs = all_registries()
    assert {'MODELS', 'DATASETS', 'TRANSFORMS', 'METRICS', 'HOOKS', 'LOOPS',
            'RUNNERS', 'OPTIM_WRAPPERS', 'PARAM_SCHEDULERS'} <= set(regs)
    for name, registry in regs.items():
        if name != 'TOKENIZERS':
            assert registry.parent is not None, name
            assert registry.parent.scope == 'mmengine', name
        for location in registry._locations:
            importlib.import_module(location)


def test_lazy_locations_register_the_components():
    assert registries.MODELS.get('CloverRetrieval') is not None
    assert registries.MODELS.get('SwinTransformer3D') is not None
    assert registries.TRANSFORMS.get('VideoDecode') is not None
    assert registries.METRICS.get('RetrievalMetric') is not None
    assert registries.RUNNERS.get('CloverRunner') is not None
    assert registries.LOOPS.get('MultiSourceTrainLoop') is not None
    assert registries.DATASETS.get('VideoTextRetrievalDataset') is not None
