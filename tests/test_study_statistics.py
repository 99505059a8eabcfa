"""Known answers for the summaries over seeds."""
import math

import pytest
from scipy import stats

from topgap_mm.study import paired_difference, summarize


def test_summary_of_one_to_five_by_hand():
    s = summarize([1, 2, 3, 4, 5])
    # std = sqrt(10 / 4); t(0.975, 4) = 2.776445; half = t * std / sqrt(5)
    assert s['n'] == 5 and s['mean'] == 3.0
    assert s['std'] == pytest.approx(1.5811388, abs=1e-7)
    assert (s['ci_low'], s['ci_high']) == pytest.approx(
        (3 - 1.9632432, 3 + 1.9632432), abs=1e-6)


def test_interval_widens_with_confidence_and_matches_scipy():
    values = [91.5, 93.0, 88.25, 95.0]
    narrow, wide = summarize(values, 0.8), summarize(values, 0.99)
    assert wide['ci_high'] - wide['ci_low'] > narrow['ci_high'] - \
        narrow['ci_low']
    low, high = stats.t.interval(
        0.99, 3, loc=sum(values) / 4, scale=stats.sem(values))
    assert (wide['ci_low'], wide['ci_high']) == pytest.approx((low, high))


def test_one_value_has_no_interval():
    s = summarize([42.0])
    assert s['mean'] == 42.0
    assert math.isnan(s['std']) and math.isnan(s['ci_low'])


@pytest.mark.parametrize('values, match', [([], 'at least one'),
                                           ([1.0, float('nan')], 'NaN')])
def test_bad_values_are_named(values, match):
    with pytest.raises(ValueError, match=match):
        summarize(values)


def test_paired_difference_pairs_by_seed_as_the_paired_t_test_does():
    topgap = {0: 93.3, 1: 76.7, 2: 95.8, 3: 90.0}
    twin = {2: 91.5, 0: 91.7, 1: 91.8, 4: 99.0}  # seed 4 has no partner
    d = paired_difference(topgap, twin)
    assert d['seeds'] == [0, 1, 2] and d['n'] == 3
    assert d['values'] == pytest.approx([1.6, -15.1, 4.3])
    ref = stats.ttest_rel([93.3, 76.7, 95.8], [91.7, 91.8, 91.5])
    ci = ref.confidence_interval(0.95)
    assert (d['ci_low'], d['ci_high']) == pytest.approx((ci.low, ci.high))
    # An unpaired interval of the same numbers would be a different one.
    assert d['mean'] == pytest.approx(
        summarize([93.3, 76.7, 95.8])['mean'] -
        summarize([91.7, 91.8, 91.5])['mean'])


def test_paired_difference_without_common_seeds_is_an_error():
    with pytest.raises(ValueError, match='no seed in common'):
        paired_difference({0: 1.0}, {1: 2.0})
