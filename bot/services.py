"""The long-lived services handlers use, opened at start-up and closed at shutdown."""

from __future__ import annotations

from dataclasses import dataclass

from telegram.ext import CallbackContext

from bot.settings import Settings
from briefings.editing import FactEditor
from briefings.render import BriefingRenderer
from briefings.store import FactStore

SERVICES_KEY = "services"


@dataclass(slots=True)
class Services:
    settings: Settings
    store: FactStore
    renderer: BriefingRenderer
    editor: FactEditor

    @classmethod
    async def open(cls, settings: Settings) -> Services:
        """Open the facts store named in settings."""
        store = await FactStore.open(settings.database_path)
        renderer = BriefingRenderer(store)
        return cls(
            settings=settings, store=store, renderer=renderer, editor=FactEditor(store, renderer)
        )

    def is_editor(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.settings.admin_ids

    async def close(self) -> None:
        await self.store.close()


def services(context: CallbackContext) -> Services:  # type: ignore[type-arg]
    """Return the services stored in bot_data at start-up."""
    found = context.bot_data.get(SERVICES_KEY)
    if not isinstance(found, Services):
        raise RuntimeError("services are not open: post_init has not run")
    return found
