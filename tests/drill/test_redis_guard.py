"""The drill empties two Redis databases only on this machine's Redis or one named for it.

Why: the drill's Redis defaults to the server of ``CELERY_BROKER_URL``, which may be a shared
or production Redis; flushing its databases 2 and 3 there would destroy someone's queue or
cache. The check runs before the drill connects to anything, so no Redis is needed here.
"""

from __future__ import annotations

import pytest

from bench.drill import Config, DrillError, ServiceMissing, check_services

PG = "postgres://postgres@127.0.0.1:5432/postgres"


def test_it_refuses_a_remote_redis_taken_from_the_broker_url():
    config = Config.from_environment(
        {"DATABASE_URL": PG, "CELERY_BROKER_URL": "redis://queue.example.com:6379/0"}
    )

    with pytest.raises(DrillError, match=r"refusing to empty .*queue\.example\.com") as refused:
        check_services(config)
    assert "set DRILL_REDIS_URL" in str(refused.value)
    assert not isinstance(refused.value, ServiceMissing)  # refused, not merely unreachable


@pytest.mark.parametrize(
    "broker", ["redis://127.0.0.1:6379/15", "redis://localhost/1", "redis://[::1]:6379/0"]
)
def test_a_local_broker_url_is_the_drills_to_empty(broker):
    config = Config.from_environment({"DATABASE_URL": PG, "CELERY_BROKER_URL": broker})

    assert config.redis_is_local
    assert not config.redis_explicit


def test_a_remote_redis_named_in_drill_redis_url_is_accepted():
    config = Config.from_environment(
        {
            "CELERY_BROKER_URL": "redis://queue.example.com:6379/0",
            "DRILL_REDIS_URL": "redis://drill-redis.example.com:6379",
        }
    )

    assert config.redis_explicit
    assert config.redis_url == "redis://drill-redis.example.com:6379"
    assert config.broker_url == "redis://drill-redis.example.com:6379/2"


def test_without_a_redis_broker_url_it_uses_this_machine():
    config = Config.from_environment({"CELERY_BROKER_URL": "memory://"})

    assert config.redis_url == "redis://127.0.0.1:6379"
    assert config.redis_is_local
