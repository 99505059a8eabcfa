"""Robustness evaluation: attack distance, robust accuracy, an attack audit
that looks for gradient masking, and on-the-fly image corruptions."""
from .attack_distance import AttackDistance
from .audit import AuditConfig, run_audit
from .bpda import smooth_top_gap_backward, smooth_topgap_backward
from .corruptions import ApplyCorruption, RandomCorruption
from .robust_accuracy import RobustAccuracy

__all__ = [
    'AttackDistance', 'RobustAccuracy', 'AuditConfig', 'run_audit',
    'smooth_topgap_backward', 'smooth_top_gap_backward', 'ApplyCorruption',
    'RandomCorruption'
]
