from .formatting import PackMaskedInputs

__all__ = ['PackMaskedInputs']
