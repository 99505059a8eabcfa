from .attach_model_hook import AttachModelHook

__all__ = ['AttachModelHook']
