# The embedded study on the model configs' own schedule (6 epochs) instead
# of the demo's 3: about twice the demo's time.
#
#   python tools/study.py configs/studies/embedded_6ep.py
_base_ = ['./embedded.py']

study = dict(cfg_options=dict(_delete_=True))
