"""The policy's metrics name the statistics' counters as the store keeps them, and each
counter is a column of every counters table."""

from __future__ import annotations

from models.stats import StatDaily, StatDailyWindow, StatMonthly, StatMonthlyWindow
from models.stores.stats import COUNTERS as KEPT
from rules import COUNTERS as NAMED
from rules import Engine
from tests.conftest import ROOT
from tests.profiles import PROFILES_DIR


def test_the_rules_name_exactly_the_counters_the_store_keeps() -> None:
    assert sorted(NAMED) == sorted(KEPT)
    for table in (StatDaily, StatMonthly, StatDailyWindow, StatMonthlyWindow):
        assert set(KEPT) <= set(table._meta.fields_map), table


def test_every_policy_metric_sums_kept_counters() -> None:
    paths = [ROOT / "rules.yaml", *sorted(PROFILES_DIR.glob("*.yaml"))]
    policies = [p for p in paths if not p.name.endswith("_test.yaml")]
    assert len(policies) == 6
    for path in policies:
        book = Engine.from_path(path).metrics()
        assert book.metrics, path
        for metric in book.metrics:
            for name, sign in (*metric.numerator, *metric.denominator):
                assert name in KEPT and sign in (1, -1), (path, metric.code)
        assert book.disclosure is not None
        assert set(book.disclosure.metrics) <= {m.code for m in book.metrics}
