from .cam_l1_loss import CAML1Loss

__all__ = ['CAML1Loss']
