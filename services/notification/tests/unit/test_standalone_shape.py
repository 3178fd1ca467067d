"""The standalone shape: SQLite, the in-process bus, and no SMTP settings → e-mails become .eml files
in a folder, each listed in the log (no server needed)."""

from __future__ import annotations

import logging
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path

import pytest

from portfolio_notification.app import create
from portfolio_notification.bootstrap import bootstrap, deps_of
from portfolio_notification.config import Settings
from portfolio_notification.domain.commands import KeepContact
from portfolio_notification.service_layer.handlers import handle
from portfolio_shared.events.base import envelope_for
from portfolio_shared.events.submission import ObjectionResolved
from portfolio_shared.messaging import EventConsumer, IncomingMessage
from portfolio_shared.testing.fixtures import eventually
from portfolio_shared.testing.harness import running
from portfolio_shared.testing.tokens import TokenMinter


async def test_without_smtp_settings_emails_are_written_as_eml_files(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    mail = tmp_path / "mail"
    settings = Settings(
        environment="development",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'notification.db'}",
        broker_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        eml_folder=str(mail),
        dispatch_poll_seconds=0.05,
        run_scheduler=False,
    )
    minter = TokenMinter()
    runtime = bootstrap(settings, verifier=minter.verifier())
    deps = deps_of(runtime)
    async with running(runtime, create):
        async with runtime.uow() as uow:
            await handle(
                KeepContact("s-1", school_id="sch-A", display_name="陳同學", kind="student", email="s1@school.example"),
                uow,
                deps,
            )
            await uow.commit()
        env = envelope_for(
            ObjectionResolved(objection_id="obj-1", school_id="sch-A", student_user_id="s-1", resolved_by="r-1"),
            school_id="sch-A",
            actor="test",
        )
        subs = next(s for s in runtime.subscriptions if env.routing_key in s.handlers)
        await EventConsumer(subs, runtime.uow, runtime.inbox).handle(
            IncomingMessage(env.routing_key, env.to_bytes(), str(env.event_id), {}, 1)
        )

        async def written() -> bool:
            return len(list(mail.glob("*.eml"))) == 1

        await eventually(written)
    [path] = list(mail.glob("*.eml"))
    message = message_from_bytes(path.read_bytes())
    assert message["To"] == "s1@school.example"
    assert message["Message-ID"] == f"<{path.stem}@portfolio.invalid>"
    assert "疑義" in str(make_header(decode_header(message["Subject"])))
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes) and "陳同學" in body.decode("utf-8")
    assert any(str(path) in rec.getMessage() for rec in caplog.records)  # listed in the log, by file name
    assert not any("s1@school.example" in rec.getMessage() for rec in caplog.records)
