"""The real Detoxify code path, offline, on a tiny random-weight BERT checkpoint."""

from __future__ import annotations

import asyncio
import logging
import urllib.error
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import torch

from bot.safety.toxicity import ModelState, ToxicityService, load_detoxify
from tests.toxicity_model import DETOXIFY_LABELS, TinyModel, build_checkpoint

GUARD_S = 60


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> TinyModel:
    return build_checkpoint(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture
async def services() -> AsyncIterator[list[ToxicityService]]:
    made: list[ToxicityService] = []
    yield made
    for service in made:
        await service.stop()


async def start(made: list[ToxicityService], **kwargs: Any) -> ToxicityService:
    service = ToxicityService(threads=1, **kwargs)
    made.append(service)
    service.start()
    async with asyncio.timeout(GUARD_S):
        await service.wait_ready()
    return service


async def test_service_scores_with_the_tiny_checkpoint(
    tiny: TinyModel, services: list[ToxicityService]
) -> None:
    service = await start(services, checkpoint=tiny.checkpoint, model_dir=tiny.model_dir)
    assert service.status().state is ModelState.READY, service.status().error

    texts = ["you are so stupid", "thanks for listening to me tonight", "ok"]
    results = await asyncio.gather(*(service.submit(t) for t in texts))

    direct = load_detoxify(checkpoint=tiny.checkpoint, model_dir=tiny.model_dir).predict(texts)
    for index, scores in enumerate(results):
        assert scores is not None
        assert sorted(scores) == sorted(DETOXIFY_LABELS)
        assert all(0.0 <= value <= 1.0 for value in scores.values())
        for label in DETOXIFY_LABELS:
            # padding within a batch must not change a message's scores
            assert scores[label] == pytest.approx(direct[label][index], abs=1e-5)


async def test_checkpoint_without_model_dir_uses_its_model_type_folder(
    tiny: TinyModel, services: list[ToxicityService]
) -> None:
    service = await start(services, checkpoint=tiny.checkpoint)
    assert service.status().state is ModelState.READY, service.status().error
    assert await service.submit("hello there") is not None


async def test_official_style_checkpoint_loads_offline_through_model_dir(
    tmp_path: Path, services: list[ToxicityService]
) -> None:
    """An upstream checkpoint names a hub model ('bert-base-uncased'); model_dir fixes it."""
    built = build_checkpoint(tmp_path, model_type="bert-base-uncased")
    service = await start(services, checkpoint=built.checkpoint, model_dir=built.model_dir)
    assert service.status().state is ModelState.READY, service.status().error
    assert await service.submit("hello there") is not None


async def test_quantized_model_scores_close_to_fp32(
    tiny: TinyModel, services: list[ToxicityService]
) -> None:
    fp32 = await start(services, checkpoint=tiny.checkpoint, model_dir=tiny.model_dir)
    int8 = await start(
        services, checkpoint=tiny.checkpoint, model_dir=tiny.model_dir, quantize=True
    )
    assert int8.status().state is ModelState.READY, int8.status().error
    assert int8.status().quantized

    model = load_detoxify(checkpoint=tiny.checkpoint, model_dir=tiny.model_dir, quantize=True)
    linear_types = {type(m) for m in model.model.modules() if "Linear" in type(m).__name__}
    assert torch.nn.Linear not in linear_types
    assert torch.ao.nn.quantized.dynamic.Linear in linear_types

    text = "nobody even likes you here, just leave"
    exact, approx = await fp32.submit(text), await int8.submit(text)
    assert exact is not None
    assert approx is not None
    assert max(abs(exact[k] - approx[k]) for k in exact) < 0.05


async def test_missing_checkpoint_fails_with_one_clear_line(
    tmp_path: Path, services: list[ToxicityService], caplog: pytest.LogCaptureFixture
) -> None:
    missing = tmp_path / "nope.ckpt"
    with caplog.at_level(logging.INFO, logger="bot.safety.toxicity"):
        service = await start(services, checkpoint=missing, model_dir=tmp_path)
        future = service.enqueue("hello")
    status = service.status()
    assert status.state is ModelState.FAILED
    assert status.error is not None
    assert str(missing) in status.error
    assert future.done()
    assert future.result() is None
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "moderation.checkpoint" in errors[0].getMessage()


async def test_broken_checkpoint_file_fails_cleanly(
    tmp_path: Path, tiny: TinyModel, services: list[ToxicityService]
) -> None:
    broken = tmp_path / "broken.ckpt"
    broken.write_bytes(b"this is not a checkpoint")
    service = await start(services, checkpoint=broken, model_dir=tiny.model_dir)
    status = service.status()
    assert status.state is ModelState.FAILED
    assert status.error is not None
    assert "not a readable torch checkpoint" in status.error


async def test_checkpoint_without_detoxify_config_fails_cleanly(
    tmp_path: Path, tiny: TinyModel, services: list[ToxicityService]
) -> None:
    bare = tmp_path / "bare.ckpt"
    torch.save({"state_dict": {}}, bare)
    service = await start(services, checkpoint=bare, model_dir=tiny.model_dir)
    assert service.status().state is ModelState.FAILED
    assert "not a Detoxify checkpoint" in (service.status().error or "")


async def test_download_failure_names_the_offline_fix(
    monkeypatch: pytest.MonkeyPatch,
    services: list[ToxicityService],
    caplog: pytest.LogCaptureFixture,
) -> None:
    def no_network(*args: Any, **kwargs: Any) -> None:
        raise urllib.error.URLError("Temporary failure in name resolution")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", no_network)
    with caplog.at_level(logging.INFO, logger="bot.safety.toxicity"):
        service = await start(services, model="unbiased-small")
    status = service.status()
    assert status.state is ModelState.FAILED
    assert status.error is not None
    assert "could not download the Detoxify weights" in status.error
    assert "moderation.checkpoint and moderation.model_dir" in status.error
    assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1
