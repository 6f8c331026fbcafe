"""A minimal transform base class, so the runtime needs no mmcv."""
from typing import Dict, Optional


class BaseTransform:
    """Base of Clover's data transforms.

    A transform reads and updates a results dict. Subclasses implement
    :meth:`transform`; calling the instance applies it. Returning ``None``
    tells an MMEngine dataset to draw another sample.
    """

    def __call__(self, results: Dict) -> Optional[Dict]:
        return self.transform(results)

    def transform(self, results: Dict) -> Optional[Dict]:
        """Apply the transform.

        Args:
            results (dict): The results of the previous transforms.

        Returns:
            dict, optional: The updated results.
        """
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ', '.join(f'{name}={value!r}'
                         for name, value in vars(self).items()
                         if not name.startswith('_'))
        return f'{type(self).__name__}({args})'
