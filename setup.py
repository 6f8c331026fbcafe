"""Install Clover: ``pip install -e .`` (see docs/get_started.md)."""
import os.path as osp
import re

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_version() -> str:
    with open(osp.join(HERE, 'clover', 'version.py')) as f:
        return re.search(r"__version__ = '(.+)'", f.read()).group(1)


def parse_requirements(fname: str) -> list:
    """Requirement lines of ``requirements/<fname>``, comments dropped."""
    reqs = []
    with open(osp.join(HERE, 'requirements', fname)) as f:
        for line in f:
            line = line.split('#')[0].strip()
            if line and not line.startswith('-'):
                reqs.append(line)
    return reqs


setup(
    name='clover',
    version=read_version(),
    description='Clover: a unified video-language alignment and fusion '
    'toolbox on MMEngine',
    long_description=open(osp.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    license='Apache License 2.0',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'docs')),
    include_package_data=True,
    python_requires='>=3.9',
    install_requires=parse_requirements('runtime.txt') +
    parse_requirements('mminstall.txt') + ['torch>=2.1'],
    extras_require=dict(
        tests=['pytest'] + parse_requirements('tests.txt'),
        optional=parse_requirements('optional.txt')),
    zip_safe=False)
